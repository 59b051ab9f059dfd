"""Deliver reports by e-mail, the steps the scheduled reports (jobs/report_mail.py) and
the subscriptions (jobs/subscription_mail.py) share: claim what is due with a
conditional UPDATE, run a report AS its recipient and compose the mail with the XLSX,
and send all the mails of a task run over one SMTP connection.

Each recipient is on its own: a report that fails for one person (a refusal, or a bug)
or a mail the server refuses is said and logged with the report and the user, and the
others still get theirs.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from types import TracebackType
from typing import Any, Self
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ..base.problems import Problem
from ..config import Settings
from ..definitions import ReportDef
from ..i18n import message
from ..runtime.access import Viewer
from ..runtime.report_export import report_xlsx, setting_text
from ..runtime.reports import run_report
from ..runtime.spreadsheet import XLSX_TYPE, file_name
from ..values import to_utc
from .mail import SmtpServer, connect, hang_up, parse_smtp_url

log = logging.getLogger("metacrm.jobs")


@dataclass(frozen=True)
class Recipient:
    id: int
    username: str
    name: str
    email: str | None
    language: str


@dataclass(frozen=True)
class Request:
    """One report to e-mail to one person, run as them with ``args``; ``key`` is how
    the caller knows it again (a subscription's id, a recipient's)."""

    key: Hashable
    report: ReportDef
    viewer: Viewer
    person: Recipient
    args: dict[str, list[str]]


@dataclass
class Deliveries:
    """What became of each request, by key: sent, refused by the report (a ``Problem``:
    the person's own parameters or rights) or failed (anything else: the run, the
    mail, the server)."""

    composed: list[tuple[Request, EmailMessage]] = field(default_factory=list)
    sent: list[Hashable] = field(default_factory=list)
    refused: dict[Hashable, str] = field(default_factory=dict)
    failed: dict[Hashable, str] = field(default_factory=dict)


def claim_due(conn: sa.Connection, table: sa.Table, row: sa.ColumnElement[bool],
              was_due: datetime, **values: Any) -> bool:
    """Whether this process sends the occurrence due at ``was_due``: True for exactly
    one of the processes that read it, the one whose UPDATE moved ``due_at`` on."""
    moved = conn.execute(table.update().where(row, table.c.due_at == was_due).values(**values))
    return moved.rowcount == 1


def sender_of(settings: Settings) -> str:
    host = parse_smtp_url(settings.smtp_url).host if settings.smtp_url else "localhost"
    return settings.mail_from or f"metacrm@{host}"


def compose_each(conn: sa.Connection, requests: Iterable[Request], sender: str,
                 now: datetime) -> Deliveries:
    """Run each request's report as its person and compose its mail; one that fails is
    kept in ``refused`` or ``failed`` and the others go on."""
    done = Deliveries()
    for request in requests:
        try:
            # A savepoint: a database error in one person's run must not abort the
            # transaction the next person's run reads in (PostgreSQL).
            with conn.begin_nested():
                answer = run_report(conn, request.viewer, request.report, request.args,
                                    request.person.language, now)
            mail = compose_report(sender, request.person, request.report, answer, now)
        except Problem as problem:
            done.refused[request.key] = str(problem)
            continue
        except Exception as exc:  # a bug in one report run must not cost the others
            done.failed[request.key] = _failure(request, "could not run or compose", exc)
            continue
        done.composed.append((request, mail))
    return done


def send_each(outbox: Outbox, done: Deliveries) -> None:
    """Send the composed mails through ``outbox``, each on its own."""
    for request, mail in done.composed:
        try:
            outbox.send(mail)
        except Exception as exc:  # the server's refusal, or a mail it cannot take
            done.failed[request.key] = _failure(request, "could not send", exc)
            continue
        done.sent.append(request.key)
    done.composed = []


def _failure(request: Request, what: str, exc: Exception) -> str:
    log.error("metacrm report %s to %s: %s", request.report.name, request.person.username,
              what, exc_info=exc)
    return f"{request.report.name} to {request.person.username}: {type(exc).__name__}: {exc}"


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


class Outbox:
    """All the mails of a task run over one SMTP connection, opened at the first mail
    and closed at the end. A connection that drops mid-run (the server's idle timeout
    while reports run, a restart) is opened again once; after that, or when the server
    cannot be reached at all, the remaining mails fail at once instead of each waiting
    for its own timeout."""

    def __init__(self, server: SmtpServer) -> None:
        self.server = server
        self._smtp: smtplib.SMTP | None = None
        self._reconnected = False
        self._down: Exception | None = None

    def send(self, mail: EmailMessage) -> None:
        """Send ``mail``; raises what refused it (OSError, smtplib.SMTPException…)."""
        if self._down is not None:
            raise self._down
        if self._smtp is None:
            self._smtp = self._open()
        try:
            self._smtp.send_message(mail)
        except smtplib.SMTPServerDisconnected:
            dropped, self._smtp = self._smtp, None
            dropped.close()
            if self._reconnected:
                self._down = smtplib.SMTPServerDisconnected(
                    "the mail server closed the connection again")
                raise
            self._reconnected = True
            self._smtp = self._open()
            self._smtp.send_message(mail)

    def _open(self) -> smtplib.SMTP:
        try:
            return connect(self.server)
        except Exception as exc:
            self._down = exc
            raise

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            hang_up(smtp)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
