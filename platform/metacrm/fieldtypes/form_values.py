"""How a field type travels through a web form: the texts a post sends for its
control become the request body's value, and a stored (API) value becomes what its
control holds. A text that does not read cleanly goes on as typed, so the engine
refuses it with the same words the API gives (the server decides, never the page)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

_INTEGER = re.compile(r"-?\d{1,19}")
_GROUPED_DECIMAL = re.compile(r"-?[\d,]+(\.\d+)?")
_LOCAL_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?")


def _last(texts: Sequence[str]) -> str:
    return texts[-1].strip() if texts else ""


def read_text(texts: Sequence[str]) -> Any:
    """One control's text; nothing typed clears the value."""
    return _last(texts) or None


def read_integer(texts: Sequence[str]) -> Any:
    raw = _last(texts)
    if not raw:
        return None
    return int(raw) if _INTEGER.fullmatch(raw) else raw


def read_decimal(texts: Sequence[str]) -> Any:
    # "12,000.50" as people type it.
    raw = _last(texts)
    if not raw:
        return None
    return raw.replace(",", "") if _GROUPED_DECIMAL.fullmatch(raw) else raw


def read_datetime(texts: Sequence[str]) -> Any:
    # A datetime-local control has no offset: the type's from_zone gives it the zone's.
    raw = _last(texts)
    if _LOCAL_DATETIME.fullmatch(raw):
        return raw + (":00" if len(raw) == 16 else "")
    return raw or None


def read_json(texts: Sequence[str]) -> Any:
    raw = _last(texts)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def read_ids(texts: Sequence[str]) -> Any:
    """Record ids, one per chosen record (or typed with commas between them); none
    clears the list."""
    return [read_integer([part]) for text in texts for part in text.split(",")
            if part.strip()]


def read_ticked(texts: Sequence[str]) -> Any:
    """The values of the ticked boxes of a group; none ticked clears the list."""
    return [text for text in texts if text.strip()]


def read_checkbox(texts: Sequence[str]) -> Any:
    """A single box: sent only when ticked."""
    return bool(texts)


def text_of(value: Any) -> Any:
    """A stored value as a text control holds it."""
    return "" if value is None else str(value)


def id_text(value: Any) -> Any:
    if isinstance(value, Mapping):
        value = value.get("id")
    return text_of(value)


def ids_text(value: Any) -> Any:
    return ", ".join(id_text(item) for item in value or ())


def json_text(value: Any) -> Any:
    return "" if value is None else json.dumps(value, ensure_ascii=False)


def datetime_text(value: Any) -> Any:
    # as datetime-local takes it: the wall time (in_zone gives it) without an offset
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    return "" if value is None else str(value)[:16]


def checkbox_text(value: Any) -> Any:
    return "on" if value else ""


def ticked_values(value: Any) -> Any:
    """The values whose boxes are ticked."""
    return list(value or ())
