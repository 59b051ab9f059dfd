"""Every runtime message exists once, in English and Chinese."""

from __future__ import annotations

from metacrm.audit_note_messages import AUDIT_NOTE_MESSAGES
from metacrm.dashboard_messages import DASHBOARD_MESSAGES
from metacrm.i18n import _GENERAL, MESSAGES
from metacrm.report_messages import REPORT_MESSAGES
from metacrm.workflow_messages import WORKFLOW_MESSAGES


def test_no_message_key_has_two_meanings() -> None:
    parts = [_GENERAL, WORKFLOW_MESSAGES, DASHBOARD_MESSAGES, REPORT_MESSAGES,
             AUDIT_NOTE_MESSAGES]
    assert len(MESSAGES) == sum(len(part) for part in parts)  # no key in two of them


def test_every_message_speaks_both_languages() -> None:
    assert all(set(texts) == {"en", "zh"} for texts in MESSAGES.values())
