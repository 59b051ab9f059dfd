"""datetime: a moment, stored in UTC and written with its offset; ``min``/``max``
bound it, ``$now`` and ``$today`` default it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import partial
from typing import TYPE_CHECKING, Any

from ..expressions.boundary import datetime_in, datetime_out
from ..i18n import message
from ..values import parse_datetime_text, parse_text, to_utc
from .base import FieldType
from .calendar import calendar_type
from .form_values import datetime_text, read_datetime
from .storage import UtcDateTime

if TYPE_CHECKING:
    from ..definitions import FieldDef


def iso_datetime(value: datetime) -> str:
    if value.tzinfo is UTC:  # as UtcDateTime reads them on SQLite: nothing to convert
        return value.isoformat()
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def _list_text(value: Any, field: FieldDef) -> str:
    if value is None:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value  # API text
    return to_utc(moment).strftime("%Y-%m-%d %H:%M UTC")


def _read_cell(cell: Any, field: FieldDef) -> datetime:
    if isinstance(cell, datetime):
        return to_utc(cell)
    if isinstance(cell, date):
        return datetime.combine(cell, time(), tzinfo=UTC)
    return parse_text("datetime", str(cell).strip())


def datetime_type() -> FieldType:
    return calendar_type(
        "datetime", column=UtcDateTime, read_text=parse_datetime_text,
        range_message=partial(message, "datetime_range"), output=iso_datetime,
        to_expression=datetime_in, to_field=datetime_out, list_text=_list_text,
        read_cell=_read_cell, macros=("$today", "$now"),
        read_form=read_datetime, form_text=datetime_text,
    )
