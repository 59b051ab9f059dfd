"""E-mail the reports people subscribed to themselves (runtime/report_subscriptions.py):
each due subscription is claimed by moving its ``due_at`` on (a conditional UPDATE, so
it goes out once however many processes run the task), then its report is run AS its
owner — their scope, their hidden fields, ``me`` is them, their language, with the
parameters they subscribed with — and mailed with the XLSX attached, as a report's own
``schedule:`` is (jobs/report_mail.py)."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs

import sqlalchemy as sa

from ..base.problems import Problem
from ..identity.principals import principals_of
from ..platform import Platform
from ..runtime.access import Viewer
from ..runtime.report_schedule import next_time
from ..runtime.report_subscriptions import (
    claim_subscription,
    due_subscriptions,
    subscription_schedule,
)
from ..runtime.reports import run_report, runnable
from ..values import to_utc
from .mail import parse_smtp_url
from .report_mail import Recipient, ReportRun, compose_report, deliver


def send_due_subscriptions(platform: Platform, now: datetime, run: ReportRun, *,
                           dry_run: bool = False) -> None:
    """Send every subscription due at ``now`` (with ``dry_run``: count them, change and
    send nothing); what was sent and skipped goes into ``run``."""
    compiled = platform.compiled
    now = to_utc(now)
    table = compiled.tables.report_subscriptions
    with platform.reading() as conn:
        due = due_subscriptions(conn, table, now)
    if not due:
        return
    claimed = []
    for row in due:
        report = compiled.catalog.reports.get(row.report)
        zone = report.time_zone if report is not None else "UTC"
        if dry_run:
            claimed.append(row)
            continue
        with platform.writing() as conn:
            if claim_subscription(conn, table, row, now,
                                  next_time(subscription_schedule(row), zone, now)):
                claimed.append(row)
    by_report: dict[str, list[EmailMessage]] = {}
    for name, mail in _compose(platform, claimed, now, run, dry_run):
        by_report.setdefault(name, []).append(mail)
    for name, mails in sorted(by_report.items()):
        if dry_run:
            run.subscribed[name] = len(mails)
            continue
        # one connection per report: what failed is in run.errors, not retried
        assert platform.settings.smtp_url is not None
        run.subscribed[name] = deliver(parse_smtp_url(platform.settings.smtp_url), mails,
                                         run)


def _compose(platform: Platform, rows: list[Any], now: datetime, run: ReportRun,
             dry_run: bool) -> list[tuple[str, EmailMessage]]:
    """Each subscription's e-mail, run as its owner (in dry run: no e-mail, a count)."""
    compiled = platform.compiled
    users = compiled.tables.users
    settings = platform.settings
    host = parse_smtp_url(settings.smtp_url).host if settings.smtp_url else "localhost"
    sender = settings.mail_from or f"metacrm@{host}"
    found: list[tuple[str, EmailMessage]] = []
    with platform.reading() as conn:
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
            if dry_run:
                found.append((report.name, EmailMessage()))
                continue
            recipient = Recipient(person.id, person.username, person.name, person.email,
                                  person.language or "en")
            args = {k: v for k, v in parse_qs(row.query, keep_blank_values=True).items()}
            try:  # as the subscriber: their scope, their language, "me" is them
                answer = run_report(conn, viewer, report, args, recipient.language, now)
            except Problem as problem:
                run.unsubscribed.append(f"{who} ({row.report}): {problem}")
                continue
            found.append((report.name, compose_report(sender, recipient, report, answer,
                                                      now)))
    return found
