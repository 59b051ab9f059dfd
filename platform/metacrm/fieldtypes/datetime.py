"""datetime: a moment, stored in UTC and written with its offset; ``min``/``max``
bound it, ``$now`` and ``$today`` default it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, tzinfo
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
    return "" if value is None else moment_text(value)


def moment_text(value: datetime | str) -> str:
    """A moment (the API's text or a datetime) as people read it: its wall time where
    it is (in_zone puts it in the reader's zone), marked UTC when that is UTC."""
    moment = _moment(value)
    text = moment.strftime("%Y-%m-%d %H:%M")
    return f"{text} UTC" if moment.tzname() == "UTC" else text


def _moment(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value  # API text
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def in_zone(value: Any, zone: tzinfo) -> Any:
    """A moment (the API's text or a datetime) as its wall time in ``zone``; one that the
    zone would carry past the year 9999 stays in UTC."""
    if value is None or value == "":
        return value
    try:
        return _moment(value).astimezone(zone)
    except OverflowError:
        return to_utc(_moment(value))


# A time as a form's control or a spreadsheet writes it: no offset.
_WALL_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d{1,6})?)?")


def from_zone(value: Any, zone: tzinfo) -> Any:
    """A time without an offset (a datetime or text) as the moment it means in ``zone``:
    a datetime with the zone, text with the zone's offset then; anything else as it is
    (the type's own reading says what is wrong with it)."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    if isinstance(value, str) and _WALL_TIME.fullmatch(text := value.strip()):
        try:
            return datetime.fromisoformat(text).replace(tzinfo=zone).isoformat()
        except ValueError:  # no such day (02-30): left for the type's reading to refuse
            return value
    return value


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
        read_form=read_datetime, form_text=datetime_text, in_zone=in_zone,
        from_zone=from_zone,
    )
