"""Scheduled reports (a report's ``schedule:``, docs/reports.md): at each due time the
report is run for every recipient AS THEM — their scope, their hidden fields, ``me``
is them, their language — and e-mailed with the answer attached as XLSX.

When a report is next due is kept in ``mc_job_slots`` (a row ``report:<name>``), the
table the periodic tasks share: whichever process moves ``due_at`` on from the time it
read (a conditional UPDATE) sends that occurrence, so it goes out once however many
servers and workers run the task. A new schedule is first due at its next time (not
at once); a scheduler that was down sends the last missed occurrence once.
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ..base.problems import Problem
from ..compile.compiled import Compiled
from ..definitions import ReportDef
from ..definitions.reports import ScheduleDef
from ..i18n import message
from ..identity.principals import principals_of
from ..platform import Platform
from ..runtime.access import Viewer
from ..runtime.report_export import report_xlsx, setting_text
from ..runtime.report_schedule import next_time as next_time
from ..runtime.reports import run_report, runnable
from ..runtime.spreadsheet import XLSX_TYPE, file_name
from ..values import to_utc
from .mail import SmtpServer, connect, parse_smtp_url
from .slots import ensure_slots, read_slots, slots_table

SLOT_PREFIX = "report:"


@dataclass(frozen=True)
class Recipient:
    id: int
    username: str
    name: str
    email: str | None
    language: str


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
                **({"errors": self.errors[-5:]} if self.errors else {})}

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
        return "; ".join(parts) + (f" (last error: {self.errors[-1]})" if self.errors else "")


def scheduled(compiled: Compiled) -> list[ReportDef]:
    return sorted((r for r in compiled.catalog.reports.values() if r.schedule is not None),
                  key=lambda r: r.name)


def send_due_reports(platform: Platform, now: datetime, *, dry_run: bool = False
                     ) -> ReportRun:
    """Send every scheduled report due at ``now`` (with ``dry_run``: say to whom it
    would go, change nothing and send nothing)."""
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
        _send_report(platform, report, now, run, dry_run)
    return run


def _claim(platform: Platform, table: sa.Table, report: ReportDef, was_due: datetime,
           now: datetime) -> bool:
    assert report.schedule is not None
    with platform.writing() as conn:
        moved = conn.execute(table.update().where(
            table.c.name == SLOT_PREFIX + report.name, table.c.due_at == was_due).values(
            due_at=next_time(report.schedule, report.time_zone, now), started_at=now))
    return moved.rowcount == 1


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
                 dry_run: bool) -> None:
    assert report.schedule is not None
    compiled = platform.compiled
    args = {key: [value] for key, value in report.schedule.parameters}
    skipped = run.skipped.setdefault(report.name, [])
    messages: list[EmailMessage] = []
    reached = 0  # recipients it goes (or, dry, would go) to
    settings = platform.settings
    server = parse_smtp_url(settings.smtp_url) if settings.smtp_url else None
    sender = settings.mail_from or f"metacrm@{server.host if server else 'localhost'}"
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
            if dry_run:
                reached += 1
                continue
            try:  # as the recipient: their scope, their language, "me" is them
                answer = run_report(conn, viewer, report, args, person.language, now)
            except Problem as problem:
                skipped.append(f"{person.username}: {problem}")
                continue
            messages.append(compose_report(sender, person, report, answer, now))
    if messages:
        assert server is not None
        reached = deliver(server, messages, run)
    run.sent[report.name] = reached


def compose_report(sender: str, person: Recipient, report: ReportDef,
                   answer: dict[str, Any], now: datetime) -> EmailMessage:
    """The e-mail: the report's title and day as subject, its parameters and totals in
    the text, the XLSX attached (named after the title, in the recipient's language)."""
    lang = person.language
    day = to_utc(now).astimezone(ZoneInfo(report.time_zone)).date()
    title = answer["label"]
    mail = EmailMessage()
    mail["Subject"] = " ".join(f"{title} — {day:%Y-%m-%d}".split())
    mail["From"] = sender
    mail["To"] = formataddr((" ".join(person.name.split()), person.email or ""))
    mail["Date"] = format_datetime(datetime.now(UTC))
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    lines = [message("report_mail_greeting", lang, name=person.name),
             "", message("report_mail_body", lang, report=title)]
    lines += [f"  {setting_text(p, lang)}" for p in answer["parameters"]]
    totals = (answer.get("totals") or {}).get("all") or {}
    if totals:
        lines += ["", message("report_total", lang) + ":"]
        lines += [f"  {c['label']}: {totals.get(c['name'])}" for c in answer["columns"]
                  if totals.get(c["name"]) is not None]
    lines += ["", message("report_mail_scope", lang)]
    mail.set_content("\n".join(lines) + "\n")
    main, sub = XLSX_TYPE.split("/")
    mail.add_attachment(b"".join(report_xlsx(answer, lang, now)), maintype=main, subtype=sub,
                        filename=file_name(title, day, "xlsx"))
    return mail


def deliver(server: SmtpServer, messages: Iterable[EmailMessage], run: ReportRun) -> int:
    """Send over one connection; the number sent (failures are kept in ``run``: an
    occurrence is sent once, not retried)."""
    try:
        smtp = connect(server)
    except (OSError, smtplib.SMTPException) as exc:
        run.errors.append(f"{type(exc).__name__}: {exc}")
        return 0
    sent = 0
    try:
        for mail in messages:
            try:
                smtp.send_message(mail)
                sent += 1
            except (OSError, smtplib.SMTPException) as exc:
                run.errors.append(f"{mail['To']}: {type(exc).__name__}: {exc}")
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
    return sent
