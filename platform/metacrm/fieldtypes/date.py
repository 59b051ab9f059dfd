"""date: a calendar day (YYYY-MM-DD); ``min``/``max`` bound it, ``$today`` defaults it."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..expressions.boundary import date_in, date_out
from ..values import parse_date_text, parse_text
from .base import FieldType
from .calendar import calendar_type

if TYPE_CHECKING:
    from ..definitions import FieldDef


def date_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _read_cell(cell: Any, field: FieldDef) -> date:
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    return parse_text("date", str(cell).strip())


def date_type() -> FieldType:
    return calendar_type(
        "date", column=sa.Date, read_text=parse_date_text, range_message=lambda lang: "",
        output=date_text, to_expression=date_in, to_field=date_out,
        list_text=lambda value, field: "" if value is None else date_text(value),
        read_cell=_read_cell, macros=("$today",),
    )
