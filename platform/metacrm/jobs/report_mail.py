"""Scheduled reports (a report's ``schedule:``, docs/reports.md): at each due time the
report is run for every recipient AS THEM — their scope, their hidden fields, ``me``
is them, their language — and e-mailed with the answer attached as XLSX.

When a report is next due is kept in ``mc_job_slots`` (a row ``report:<name>``), the
table the periodic tasks share: whichever process moves ``due_at`` on from the time it
read (a conditional UPDATE) sends that occurrence, so it goes out once however many
servers and workers run the task. A new schedule is first due at its next time (not
at once); a scheduler that was down sends the last missed occurrence once. Someone
the report or their mail fails for is logged and said in the task's result, and not
sent that occurrence again (the others have theirs; jobs/report_delivery.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..compile.compiled import Compiled
from ..definitions import ReportDef
from ..definitions.reports import ScheduleDef
from ..identity.principals import principals_of
from ..platform import Platform
from ..runtime.access import Viewer
from ..runtime.report_schedule import next_time as next_time
from ..runtime.reports import runnable
from ..values import to_utc
from .report_delivery import (
    Outbox,
    Recipient,
    Request,
    claim_due,
    compose_each,
    send_each,
    sender_of,
)
from .slots import ensure_slots, read_slots, slots_table

SLOT_PREFIX = "report:"


@dataclass
class ReportRun:
    """What one run of the task did, per report sent."""

    sent: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, list[str]] = field(default_factory=dict)  # report: why, per person
    errors: list[str] = field(default_factory=list)
    # Subscriptions people made themselves (jobs/subscription_mail.py), per report.
    subscribed: dict[str, int] = field(default_factory=dict)
    unsubscribed: list[str] = field(default_factory=list)  # due but not sent: why

    def as_dict(self) -> dict[str, Any]:
        return {"sent": self.sent, "skipped": self.skipped,
                **({"subscriptions": self.subscribed} if self.subscribed else {}),
                **({"subscriptions_skipped": self.unsubscribed} if self.unsubscribed
                   else {}),
                **({"failed": len(self.errors), "errors": self.errors[-5:]} if self.errors
                   else {})}

    def summary(self, verb: str = "e-mailed") -> str:
        if not self.sent and not self.skipped and not self.subscribed \
                and not self.unsubscribed:
            return "no scheduled report was due"
        parts = [f"{verb} {report} to {count} recipient(s)"
                 + (f", skipped {len(self.skipped.get(report, []))}: "
                    + "; ".join(self.skipped[report]) if self.skipped.get(report) else "")
                 for report, count in sorted(self.sent.items())]
        parts += [f"{verb} {report} to {count} subscriber(s)"
                  for report, count in sorted(self.subscribed.items())]
        if self.unsubscribed:
            parts.append(f"skipped {len(self.unsubscribed)} subscription(s): "
                         + "; ".join(self.unsubscribed))
        return "; ".join(parts) + (f" ({len(self.errors)} failed, last error: "
                                   f"{self.errors[-1]})" if self.errors else "")


def scheduled(compiled: Compiled) -> list[ReportDef]:
    return sorted((r for r in compiled.catalog.reports.values() if r.schedule is not None),
                  key=lambda r: r.name)


def send_due_reports(platform: Platform, now: datetime, outbox: Outbox | None
                     ) -> ReportRun:
    """Send every scheduled report due at ``now`` through ``outbox`` (None: a dry run,
    say to whom it would go, change nothing and send nothing)."""
    dry_run = outbox is None
    compiled = platform.compiled
    now = to_utc(now)
    table = slots_table(compiled.metadata)
    run = ReportRun()
    with platform.reading() as conn:
        slots = read_slots(conn, table)
    due: list[tuple[ReportDef, datetime]] = []
    for report in scheduled(compiled):
        assert report.schedule is not None
        slot = slots.get(SLOT_PREFIX + report.name)
        if slot is None:
            if not dry_run:  # first seen: due at its next time, not at once
                with platform.writing() as conn:
                    ensure_slots(conn, table, [SLOT_PREFIX + report.name],
                                 next_time(report.schedule, report.time_zone, now))
            continue
        if to_utc(slot["due_at"]) <= now:
            due.append((report, to_utc(slot["due_at"])))
    for report, was_due in due:
        assert report.schedule is not None
        if not dry_run and not _claim(platform, table, report, was_due, now):
            continue  # another process sends this one
        _send_report(platform, report, now, run, outbox)
    return run


def _claim(platform: Platform, table: sa.Table, report: ReportDef, was_due: datetime,
           now: datetime) -> bool:
    assert report.schedule is not None
    with platform.writing() as conn:
        return claim_due(conn, table, table.c.name == SLOT_PREFIX + report.name, was_due,
                         due_at=next_time(report.schedule, report.time_zone, now),
                         started_at=now)


def recipients(conn: sa.Connection, compiled: Compiled, schedule: ScheduleDef
               ) -> tuple[list[Recipient], list[str]]:
    """The active users the schedule names or who have one of its roles, in id order,
    and the usernames it names that are not (active) users."""
    users = compiled.tables.users
    roles = compiled.tables.user_roles
    wanted = sa.or_(users.c.username.in_(schedule.users),
                    users.c.id.in_(sa.select(roles.c.user_id).where(
                        roles.c.role.in_(schedule.roles))))
    rows = conn.execute(sa.select(users.c.id, users.c.username, users.c.name, users.c.email,
                                  users.c.language)
                        .where(wanted, users.c.active.is_(True)).order_by(users.c.id))
    found = [Recipient(r.id, r.username, r.name, r.email, r.language or "en") for r in rows]
    known = {r.username for r in found}
    return found, [u for u in schedule.users if u not in known]


def _send_report(platform: Platform, report: ReportDef, now: datetime, run: ReportRun,
                 outbox: Outbox | None) -> None:
    """Send ``report`` to its recipients (``outbox`` None: a dry run, only counted)."""
    assert report.schedule is not None
    compiled = platform.compiled
    args = {key: [value] for key, value in report.schedule.parameters}
    skipped = run.skipped.setdefault(report.name, [])
    requests: list[Request] = []
    with platform.reading() as conn:
        people, unknown = recipients(conn, compiled, report.schedule)
        skipped += [f"{name}: no such active user" for name in unknown]
        principals = principals_of(conn, compiled.metadata, [p.id for p in people])
        for person in people:
            principal = principals.get(person.id)
            viewer = Viewer(compiled, principal, conn) if principal else None
            if not person.email:
                skipped.append(f"{person.username}: no e-mail address")
                continue
            if viewer is None or not runnable(viewer, report):
                skipped.append(f"{person.username}: may not run the report")
                continue
            # as the recipient: their scope, their language, "me" is them
            requests.append(Request(person.username, report, viewer, person, args))
        if outbox is None:
            run.sent[report.name] = len(requests)
            return
        done = compose_each(conn, requests, sender_of(platform.settings), now)
    send_each(outbox, done)
    # Whoever the report failed for is said and logged, not sent again: the occurrence
    # is claimed for all its recipients at once, and the others have theirs.
    skipped += [f"{who}: {problem}" for who, problem in done.refused.items()]
    run.errors += done.failed.values()
    run.sent[report.name] = len(done.sent)
