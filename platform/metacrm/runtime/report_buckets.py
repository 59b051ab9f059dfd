"""Cut dates and moments into periods (day, week, month, quarter, year) in SQL, in a
report's time zone and with its first day of the week, spelt per database; and the
period a bucket stands for, as list filters (for drill-down) and as a label."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ..db import LOCAL_DATE
from ..definitions.reports import WEEKDAYS

# Zone names are inlined into statements (a bound parameter would make the grouped
# expression differ from the selected one on PostgreSQL): only these characters.
_ZONE = re.compile(r"^[A-Za-z0-9_+\-/]{1,64}$")


def bucket_expression(column: sa.ColumnElement, kind: str, bucket: str, zone: str,
                      week_starts: str, dialect: str) -> sa.ColumnElement:
    """The first day of ``column``'s ``bucket`` (a date on PostgreSQL, 'YYYY-MM-DD'
    text on SQLite); a datetime is first moved into ``zone``."""
    if not _ZONE.match(zone):
        raise ValueError(f"not a time zone name: {zone!r}")
    shift = WEEKDAYS.index(week_starts)  # days after Monday a week starts
    if dialect == "postgresql":
        return _postgresql(column, kind, bucket, zone, shift)
    return _sqlite(column, kind, bucket, zone, shift)


def _postgresql(column: sa.ColumnElement, kind: str, bucket: str, zone: str, shift: int
                ) -> sa.ColumnElement:
    local = (sa.func.timezone(sa.literal_column(f"'{zone}'"), column) if kind == "datetime"
             else sa.cast(column, sa.DateTime))
    unit: sa.ColumnElement = sa.literal_column(f"'{bucket}'")
    if bucket == "week" and shift:
        days: sa.ColumnElement = sa.literal_column(f"interval '{shift} days'")
        truncated = sa.func.date_trunc(unit, local - days) + days
    else:
        truncated = sa.func.date_trunc(unit, local)
    return sa.cast(truncated, sa.Date)


def _sqlite(column: sa.ColumnElement, kind: str, bucket: str, zone: str, shift: int
            ) -> sa.ColumnElement:
    if kind == "datetime":
        day = (sa.func.date(column) if zone == "UTC"
               else getattr(sa.func, LOCAL_DATE)(column, sa.literal_column(f"'{zone}'")))
    else:
        day = sa.func.date(column)
    if bucket == "day":
        return day
    if bucket == "week":  # back six days, then on to the week's first weekday
        weekday = (shift + 1) % 7  # SQLite counts from Sunday
        return sa.func.date(day, sa.literal_column("'-6 days'"),
                            sa.literal_column(f"'weekday {weekday}'"))
    if bucket == "month":
        return sa.func.substr(day, 1, 8).concat(sa.literal_column("'01'"))
    if bucket == "year":
        return sa.func.substr(day, 1, 5).concat(sa.literal_column("'01-01'"))
    month = sa.cast(sa.func.substr(day, 6, 2), sa.Integer)
    first = (month - 1) // 3 * 3 + 1  # 1, 4, 7 or 10
    return (sa.func.substr(day, 1, 5)
            .concat(sa.func.printf(sa.literal_column("'%02d'"), first))
            .concat(sa.literal_column("'-01'")))


def bucket_starts(first: date, last: date, bucket: str, week_starts: str) -> list[date]:
    """The first day of each ``bucket`` that holds a day from ``first`` to ``last``."""
    if bucket == "week":
        shift = WEEKDAYS.index(week_starts)
        start = first - timedelta(days=(first.weekday() - shift) % 7)
    elif bucket == "day":
        start = first
    else:
        months = {"month": 1, "quarter": 3, "year": 12}[bucket]
        index = first.year * 12 + first.month - 1
        index -= index % months
        start = date(index // 12, index % 12 + 1, 1)
    found = []
    while start <= last:
        found.append(start)
        start = bucket_end(start, bucket)
    return found


def bucket_start(value: object) -> date | None:
    """A bucket as the database returns it, as a date."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def bucket_end(start: date, bucket: str) -> date:
    """The first day after the bucket that starts on ``start``."""
    if bucket == "day":
        return start + timedelta(days=1)
    if bucket == "week":
        return start + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[bucket]
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def bucket_label(start: date, bucket: str) -> str:
    if bucket == "month":
        return f"{start.year}-{start.month:02d}"
    if bucket == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    if bucket == "year":
        return str(start.year)
    return start.isoformat()


def day_bound(day: date, kind: str, zone: str) -> str:
    """The list filter value for "from the start of ``day``" of a date or datetime field
    (a moment: local midnight in ``zone``, with its offset)."""
    if kind != "datetime":
        return day.isoformat()
    return datetime.combine(day, time(), ZoneInfo(zone)).isoformat()
