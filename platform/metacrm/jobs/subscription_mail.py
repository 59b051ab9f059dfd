"""E-mail the reports people subscribed to themselves (runtime/report_subscriptions.py):
each due subscription is claimed by moving its ``due_at`` on (a conditional UPDATE, so
it goes out once however many processes run the task), then its report is run AS its
owner — their scope, their hidden fields, ``me`` is them, their language, with the
parameters they subscribed with — and mailed with the XLSX attached, as a report's own
``schedule:`` is (jobs/report_mail.py, through jobs/report_delivery.py).

A subscription whose report or mail failed (a bug, the mail server away) is handed
back, due again RETRY_AFTER later (or at its next occurrence, if that is sooner):
retried by a later run, the error logged and in the task's result. ``last_sent_at`` is
when it last really went out."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import sqlalchemy as sa

from ..compile.compiled import Compiled
from ..identity.principals import principals_of
from ..platform import Platform
from ..runtime.access import Viewer
from ..runtime.report_schedule import next_time
from ..runtime.report_subscriptions import due_subscriptions, subscription_schedule
from ..runtime.reports import runnable
from ..values import to_utc
from .report_delivery import (
    Deliveries,
    Outbox,
    Recipient,
    Request,
    claim_due,
    compose_each,
    send_each,
    sender_of,
)
from .report_mail import ReportRun

# Long enough for a mail server to come back, short enough for a daily report to
# arrive the same morning.
RETRY_AFTER = timedelta(minutes=10)


def send_due_subscriptions(platform: Platform, now: datetime, run: ReportRun,
                           outbox: Outbox | None) -> None:
    """Send every subscription due at ``now`` through ``outbox`` (None: a dry run, count
    them, change and send nothing); what was sent and skipped goes into ``run``."""
    compiled = platform.compiled
    now = to_utc(now)
    table = compiled.tables.report_subscriptions
    with platform.reading() as conn:
        due = due_subscriptions(conn, table, now)
    if not due:
        return
    claimed: list[Any] = []
    next_due: dict[int, datetime] = {}  # by id: when the claimed ones are due again
    for row in due:
        report = compiled.catalog.reports.get(row.report)
        zone = report.time_zone if report is not None else "UTC"
        next_due[row.id] = next_time(subscription_schedule(row), zone, now)
        if outbox is not None:
            with platform.writing() as conn:
                if not claim_due(conn, table, table.c.id == row.id, row.due_at,
                                 due_at=next_due[row.id]):
                    continue  # another process sends this one
        claimed.append(row)
    if not claimed:
        return
    with platform.reading() as conn:
        requests = _requests(conn, compiled, claimed, run)
        if outbox is None:
            for request in requests:
                name = request.report.name
                run.subscribed[name] = run.subscribed.get(name, 0) + 1
            return
        done = compose_each(conn, requests, sender_of(platform.settings), now)
    send_each(outbox, done)
    _record(platform, done, next_due, requests, now, run)


def _requests(conn: sa.Connection, compiled: Compiled, rows: list[Any], run: ReportRun
              ) -> list[Request]:
    """Whom each subscription goes to, run as them; who may not have it any more is
    said in ``run``."""
    users = compiled.tables.users
    found: list[Request] = []
    people = {r.id: r for r in conn.execute(sa.select(
        users.c.id, users.c.username, users.c.name, users.c.email, users.c.language,
        users.c.active).where(users.c.id.in_({row.user_id for row in rows})))}
    principals = principals_of(conn, compiled.metadata, list(people))
    for row in rows:
        person = people.get(row.user_id)
        who = person.username if person is not None else f"user {row.user_id}"
        report = compiled.catalog.reports.get(row.report)
        principal = principals.get(row.user_id)
        if person is None or not person.active or principal is None:
            run.unsubscribed.append(f"{who} ({row.report}): not an active user")
            continue
        if not person.email:
            run.unsubscribed.append(f"{who} ({row.report}): no e-mail address")
            continue
        viewer = Viewer(compiled, principal, conn)
        if report is None or not runnable(viewer, report):
            run.unsubscribed.append(f"{who} ({row.report}): may not run the report")
            continue
        recipient = Recipient(person.id, person.username, person.name, person.email,
                              person.language or "en")
        args = {k: v for k, v in parse_qs(row.query, keep_blank_values=True).items()}
        found.append(Request(row.id, report, viewer, recipient, args))
    return found


def _record(platform: Platform, done: Deliveries, next_due: dict[int, datetime],
            requests: list[Request], now: datetime, run: ReportRun) -> None:
    """Keep what became of each: sent ones their time; a refused one (its parameters or
    its owner's rights) waits for its next occurrence, as a skipped one does; a failed
    one is handed back to be tried again."""
    table = platform.compiled.tables.report_subscriptions
    for request in requests:
        if request.key not in done.refused:
            name = request.report.name
            run.subscribed[name] = run.subscribed.get(name, 0) + (request.key in done.sent)
    run.unsubscribed += [f"{request.person.username} ({request.report.name}): "
                         f"{done.refused[request.key]}"
                         for request in requests if request.key in done.refused]
    run.errors += [f"{error} (to retry)" for error in done.failed.values()]
    with platform.writing() as conn:
        if done.sent:
            conn.execute(table.update().where(table.c.id.in_(done.sent))
                         .values(last_sent_at=now))
        for key in done.failed:
            assert isinstance(key, int)
            # Only if nobody changed it meanwhile (its owner re-subscribing sets due_at).
            claim_due(conn, table, table.c.id == key, next_due[key],
                      due_at=min(now + RETRY_AFTER, next_due[key]))
