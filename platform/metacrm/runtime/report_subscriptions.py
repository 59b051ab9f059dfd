"""Subscriptions: a person asks for a report by e-mail every day, week or month, with
the parameters they ran it with. A subscription is private to its owner, checked as
their run of the report when it is made, and sent run as them (their scope, their
hidden fields, ``me`` is them) by the scheduled-reports task (jobs/subscription_mail.py).
A report's definition may have its own ``schedule:`` too; a subscription is one
person's and takes that schedule's day and time unless they choose others."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlencode

import sqlalchemy as sa

from ..base.problems import BadQuery, Forbidden, Invalid, NotFound
from ..definitions import ReportDef
from ..definitions.reports import EVERY, LAST_MONTH_DAY, WEEKDAYS, ScheduleDef
from ..i18n import message
from .operation import Operation
from .report_parameters import read_parameters
from .report_schedule import next_time
from .reports import runnable

MAX_QUERY = 2000
_TIME = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
# Parameters of a report's address that are not the report's own.
NOT_PARAMETERS = ("lang", "format", "target")


def subscription_schedule(row: Any) -> ScheduleDef:
    """The schedule a stored subscription keeps (for ``next_time``)."""
    hours, _, minutes = row.at.partition(":")
    day: str | int | None = row.day
    if row.every == "month" and day is not None:
        day = int(day)
    return ScheduleDef(every=row.every, at=(int(hours), int(minutes)), day=day)


def subscription_json(row: Any) -> dict[str, Any]:
    schedule = subscription_schedule(row)
    return {"id": row.id, "report": row.report, "every": row.every,
            "day": schedule.due_day if row.every != "day" else None, "at": row.at,
            "query": row.query, "due_at": row.due_at, "last_sent_at": row.last_sent_at,
            "created_at": row.created_at}


def find_subscription(op: Operation, report: str) -> dict[str, Any] | None:
    """The caller's subscription to ``report``, if any."""
    table = op.tables.report_subscriptions
    row = op.conn.execute(sa.select(table).where(
        table.c.user_id == op.ctx.user_id, table.c.report == report)).first()
    return subscription_json(row) if row is not None else None


def list_subscriptions(op: Operation) -> list[dict[str, Any]]:
    table = op.tables.report_subscriptions
    rows = op.conn.execute(sa.select(table).where(table.c.user_id == op.ctx.user_id)
                           .order_by(table.c.report)).all()
    return [subscription_json(row) for row in rows]


def _runnable_report(op: Operation, name: str) -> ReportDef:
    report = op.compiled.catalog.reports.get(name)
    if report is None or not runnable(op.viewer, report):
        raise NotFound({"_request": [f"no report '{name}'"]}, names_unknown=True)
    return report


def subscribe(op: Operation, name: str, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Make or change the caller's subscription to report ``name`` from ``{"every":
    "week", "day": "friday", "at": "07:30", "query": "period=this_month"}`` (day and
    time default to the report's own schedule's, else Monday / the 1st at 08:00), first
    due at its next time. The subscription, and whether it is new."""
    report = _runnable_report(op, name)
    schedule, query = _read_body(op, report, body)
    table = op.tables.report_subscriptions
    values = {"every": schedule.every, "at": f"{schedule.at[0]:02d}:{schedule.at[1]:02d}",
              "day": None if schedule.day is None else str(schedule.day), "query": query,
              "due_at": next_time(schedule, report.time_zone, op.ctx.now)}
    mine = sa.and_(table.c.user_id == op.ctx.user_id, table.c.report == name)
    changed = op.conn.execute(table.update().where(mine).values(**values)).rowcount
    if not changed:
        try:
            with op.conn.begin_nested():
                op.conn.execute(table.insert().values(user_id=op.ctx.user_id, report=name,
                                                      created_at=op.ctx.now, **values))
        except sa.exc.IntegrityError:
            # the same person's other request inserted it meanwhile: this one changes it
            changed = op.conn.execute(table.update().where(mine).values(**values)).rowcount
    found = find_subscription(op, name)
    assert found is not None
    return found, not changed


def _read_body(op: Operation, report: ReportDef, body: dict[str, Any]
               ) -> tuple[ScheduleDef, str]:
    lang = op.locale
    errors: dict[str, list[str]] = {}
    own = report.schedule
    every = body.get("every") or (own.every if own else None)
    if every not in EVERY:
        errors["every"] = [message("subscription_every", lang)]
        every = "day"  # nothing more to say of the day of an unknown rhythm
    at_text = body.get("at") or (f"{own.at[0]:02d}:{own.at[1]:02d}" if own else "08:00")
    matched = _TIME.match(at_text) if isinstance(at_text, str) else None
    if matched is None:
        errors["at"] = [message("subscription_at", lang)]
    day = body.get("day")
    if day in (None, ""):
        day = own.day if own is not None and own.every == every else None
    if every == "day":
        day = None
    elif every == "week" and day is not None and day not in WEEKDAYS:  # none: Monday
        errors["day"] = [message("subscription_weekday", lang)]
    elif every == "month":
        day = int(day) if isinstance(day, str) and day.isdigit() else day
        if day is not None and (isinstance(day, bool) or not isinstance(day, int)
                                or not 1 <= day <= LAST_MONTH_DAY):
            errors["day"] = [message("subscription_month_day", lang, last=LAST_MONTH_DAY)]
    query = body.get("query", "")
    if not isinstance(query, str) or len(query) > MAX_QUERY:
        errors["query"] = [message("pin_query", lang, max=MAX_QUERY)]
        query = ""
    args = {k: v for k, v in parse_qs(query.lstrip("?"), keep_blank_values=True).items()
            if k not in NOT_PARAMETERS and any(v)}
    try:
        read_parameters(op.compiled.catalog, report, args, op.ctx.user_id, op.ctx.now)
    except (BadQuery, Forbidden) as problem:
        errors["query"] = [message("pin_query_refused", lang, parameter=key, text=text)
                           for key, texts in problem.errors.items() for text in texts]
    users = op.tables.users
    if not op.conn.execute(sa.select(users.c.email).where(
            users.c.id == op.ctx.user_id)).scalar():
        errors["email"] = [message("subscription_email", lang)]
    if errors:
        raise Invalid(errors)
    assert matched is not None
    schedule = ScheduleDef(every=every, at=(int(matched[1]), int(matched[2])),
                           day=day if every != "day" else None)
    return schedule, urlencode([(k, v) for k, values in args.items() for v in values])


def unsubscribe(op: Operation, name: str) -> None:
    """The caller's subscription to ``name`` ends (404 if they have none)."""
    table = op.tables.report_subscriptions
    gone = op.conn.execute(table.delete().where(
        table.c.user_id == op.ctx.user_id, table.c.report == name)).rowcount
    if not gone:
        raise NotFound(message("no_subscription", op.locale, report=name), key="report")


def due_subscriptions(conn: sa.Connection, table: sa.Table, now: datetime) -> list[Any]:
    """The subscriptions due at ``now``, in id order."""
    return list(conn.execute(sa.select(table).where(table.c.due_at <= now)
                             .order_by(table.c.id)).all())

