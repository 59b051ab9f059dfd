"""What a report page says of the caller's e-mail subscription to the report (how
often, when next, to which address), and the subscription the page's form asks for
(runtime/report_subscriptions.py does the checking and storing)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext, lazy_gettext

from ..definitions import ReportDef
from ..definitions.reports import EVERY, LAST_MONTH_DAY, WEEKDAYS
from ..runtime.operation import Operation
from ..runtime.report_subscriptions import find_subscription

EVERY_WORDS = {"day": lazy_gettext("Every day"), "week": lazy_gettext("Every week"),
               "month": lazy_gettext("Every month")}
WEEKDAY_WORDS = {
    "monday": lazy_gettext("Monday"), "tuesday": lazy_gettext("Tuesday"),
    "wednesday": lazy_gettext("Wednesday"), "thursday": lazy_gettext("Thursday"),
    "friday": lazy_gettext("Friday"), "saturday": lazy_gettext("Saturday"),
    "sunday": lazy_gettext("Sunday"),
}
assert set(EVERY_WORDS) == set(EVERY) and set(WEEKDAY_WORDS) == set(WEEKDAYS)


def when_text(every: str, day: Any, at: str) -> str:
    """"every Monday at 08:00" in the page's language."""
    if every == "week":
        return gettext("every %(day)s at %(at)s", day=WEEKDAY_WORDS[str(day)], at=at)
    if every == "month":
        return gettext("on day %(day)s of every month at %(at)s", day=day, at=at)
    return gettext("every day at %(at)s", at=at)


def subscription_view(op: Operation, report: ReportDef, language: str) -> dict[str, Any]:
    """The form's values and, when subscribed, the words for it."""
    found = find_subscription(op, report.name)
    users = op.tables.users
    email = op.conn.execute(sa.select(users.c.email).where(
        users.c.id == op.ctx.user_id)).scalar() if op.ctx.user_id else None
    own = report.schedule
    values = {"every": own.every if own else "week",
              "day": str(own.due_day) if own and own.every != "day" else "",
              "at": f"{own.at[0]:02d}:{own.at[1]:02d}" if own else "08:00"}
    view: dict[str, Any] = {"email": email, "subscribed": found is not None,
                            "everies": EVERY_WORDS, "weekdays": WEEKDAY_WORDS,
                            "month_days": range(1, LAST_MONTH_DAY + 1),
                            "zone": report.time_zone}
    if found is not None:
        values = {"every": found["every"], "day": str(found["day"] or ""), "at": found["at"]}
        due = found["due_at"].astimezone(ZoneInfo(report.time_zone))
        view["when"] = when_text(found["every"], found["day"], found["at"])
        view["next"] = f"{due:%Y-%m-%d %H:%M}"
        view["query"] = found["query"]
    view["values"] = values
    return view


def subscription_body(form: Any) -> dict[str, Any]:
    """The API body of the page's form: the day is the weekday or the month's day,
    whichever ``every`` asks for."""
    every = form.get("every", "")
    day = form.get("weekday") if every == "week" else form.get("month_day") \
        if every == "month" else None
    return {"every": every, "at": form.get("at", ""), "query": form.get("query", ""),
            **({"day": day} if day else {})}
