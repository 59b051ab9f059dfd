"""Every runtime message exists once, in English and Chinese."""

from __future__ import annotations

from metacrm.i18n import _GENERAL, MESSAGES
from metacrm.workflow_messages import WORKFLOW_MESSAGES


def test_no_message_key_has_two_meanings() -> None:
    assert not _GENERAL.keys() & WORKFLOW_MESSAGES.keys()
    assert len(MESSAGES) == len(_GENERAL) + len(WORKFLOW_MESSAGES)


def test_every_message_speaks_both_languages() -> None:
    assert all(set(texts) == {"en", "zh"} for texts in MESSAGES.values())
