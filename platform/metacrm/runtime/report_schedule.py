"""When a report's schedule (or a person's subscription) is next due: the first moment
after a given one that falls on its day at its time, in the report's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..definitions.reports import WEEKDAYS, ScheduleDef
from ..values import to_utc


def next_time(schedule: ScheduleDef, zone: str, after: datetime) -> datetime:
    """The first moment strictly after ``after`` when ``schedule`` is due (UTC)."""
    tz = ZoneInfo(zone)
    local = to_utc(after).astimezone(tz)
    hours, minutes = schedule.at
    for offset in range(0, 63):  # a month and then some: every schedule is due in it
        day = local.date() + timedelta(days=offset)
        if not _on(schedule, day):
            continue
        moment = datetime.combine(day, time(hours, minutes), tzinfo=tz)
        if moment > local:
            return moment.astimezone(UTC)
    raise AssertionError(f"no day in two months fits {schedule}")  # pragma: no cover


def _on(schedule: ScheduleDef, day: date) -> bool:
    if schedule.every == "week":
        return WEEKDAYS[day.weekday()] == schedule.due_day
    if schedule.every == "month":
        return day.day == schedule.due_day
    return True
