"""E-mail the notifications (the task ``notifications.mail``, when METACRM_SMTP_URL is
set): each notification not yet e-mailed goes to its user's address, through one SMTP
connection per batch, retried on failure and given up after five attempts.

Across processes a notification is sent once: a batch is claimed by a conditional
UPDATE (``emailed_at`` set, the attempt counted, only where ``emailed_at`` is still
NULL) and committed before anything is sent; a failure hands it back (``emailed_at``
NULL again, with the error). A process that dies while sending leaves its batch
claimed: at most once rather than twice.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import sqlalchemy as sa

from ..compile.compiled import Compiled
from ..values import to_utc

MAX_ATTEMPTS = 5
# Attempt n + 1 waits until the notification is RETRY_AFTER[n] old: a server that is
# down for a while is not hammered every minute.
RETRY_AFTER = (timedelta(0), timedelta(minutes=1), timedelta(minutes=5),
               timedelta(minutes=30), timedelta(hours=2))
# Older ones are never e-mailed: someone who adds an address gets no flood of old news.
MAX_AGE = timedelta(days=2)
BATCH = 50
TIMEOUT = 30.0  # seconds per SMTP operation
Transaction = Callable[[], AbstractContextManager[sa.Connection]]


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    ssl: bool = False  # smtps://: TLS from the first byte
    starttls: bool = False  # smtp://...?starttls=1: upgrade the plain connection
    timeout: float = TIMEOUT


def parse_smtp_url(url: str) -> SmtpServer:
    """``smtp://user:pass@host:587?starttls=1`` or ``smtps://user:pass@host:465``;
    ValueError saying what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError(f"METACRM_SMTP_URL: expected smtp:// or smtps://, got '{parts.scheme}:'")
    if not parts.hostname:
        raise ValueError("METACRM_SMTP_URL: no host (e.g. smtp://mail.example.com:587)")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    unknown = sorted(set(query) - {"starttls", "timeout"})
    if unknown:
        raise ValueError(f"METACRM_SMTP_URL: unknown option(s) {', '.join(unknown)} "
                         "(known: starttls, timeout)")
    secure = parts.scheme == "smtps"
    try:
        port = parts.port or (465 if secure else 25)
        timeout = float(query.get("timeout", TIMEOUT))
    except ValueError as exc:
        raise ValueError(f"METACRM_SMTP_URL: {exc}") from None
    if not 0 < timeout <= 600:  # also refuses nan and inf, which sockets reject later
        raise ValueError(f"METACRM_SMTP_URL: timeout must be between 0 and 600 seconds, "
                         f"got {query['timeout']}")
    return SmtpServer(parts.hostname, port,
                      unquote(parts.username) if parts.username else None,
                      unquote(parts.password) if parts.password else None,
                      ssl=secure,
                      starttls=query.get("starttls", "0").lower() in ("1", "true", "yes"),
                      timeout=timeout)


@dataclass
class MailRun:
    sent: int = 0
    failed: int = 0  # will be tried again
    gave_up: int = 0  # failed the last attempt
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "failed": self.failed, "gave_up": self.gave_up}


def send_notifications(transaction: Transaction, compiled: Compiled, smtp_url: str,
                       sender: str | None, now: datetime) -> MailRun:
    """Send every notification due at ``now``, a batch at a time."""
    server = parse_smtp_url(smtp_url)
    sender = sender or f"metacrm@{server.host}"
    now = to_utc(now)
    run = MailRun()
    while True:
        with transaction() as conn:
            batch = claim_batch(conn, compiled, now)
        if not batch:
            return run
        results = deliver(server, sender, batch)
        with transaction() as conn:
            record_results(conn, compiled, batch, results, run)
        # A failure waits for a later run: `now` stands still within this one, so the
        # same messages would be claimed again at once and spend every attempt.
        if len(batch) < BATCH or any(error for error in results.values()):
            return run


def _due(compiled: Compiled, now: datetime) -> list[sa.ColumnElement[bool]]:
    table = compiled.tables.notifications
    users = compiled.tables.users
    waited = sa.or_(*(sa.and_(table.c.email_attempts == attempts,
                              table.c.created_at <= now - RETRY_AFTER[attempts])
                      for attempts in range(MAX_ATTEMPTS)))
    return [table.c.emailed_at.is_(None), table.c.email_attempts < MAX_ATTEMPTS,
            table.c.created_at >= now - MAX_AGE, waited,
            users.c.email.is_not(None), users.c.email != "", users.c.active.is_(True)]


def count_due(conn: sa.Connection, compiled: Compiled, now: datetime) -> int:
    table = compiled.tables.notifications
    users = compiled.tables.users
    return conn.execute(sa.select(sa.func.count()).select_from(
        table.join(users, users.c.id == table.c.user_id)).where(
        *_due(compiled, to_utc(now)))).scalar_one()


def claim_batch(conn: sa.Connection, compiled: Compiled, now: datetime) -> list[dict[str, Any]]:
    """Up to BATCH due notifications, claimed for this process (with their addresses)."""
    table = compiled.tables.notifications
    users = compiled.tables.users
    rows = conn.execute(
        sa.select(table.c.id, table.c.title, table.c.body, table.c.email_attempts,
                  users.c.email, users.c.name)
        .join(users, users.c.id == table.c.user_id).where(*_due(compiled, now))
        .order_by(table.c.id).limit(BATCH)
        # Rows another process is claiming are skipped rather than waited for.
        .with_for_update(of=table, skip_locked=True)).mappings().all()
    if not rows:
        return []
    claimed = set(conn.execute(table.update().where(
        table.c.id.in_([row["id"] for row in rows]), table.c.emailed_at.is_(None),
        table.c.email_attempts < MAX_ATTEMPTS)
        .values(emailed_at=now, email_attempts=table.c.email_attempts + 1)
        .returning(table.c.id)).scalars())
    return [{**row, "email_attempts": row["email_attempts"] + 1} for row in rows
            if row["id"] in claimed]


def deliver(server: SmtpServer, sender: str, batch: Sequence[Mapping[str, Any]]
            ) -> dict[int, str | None]:
    """Send each message of ``batch`` over one connection; {id: None, or the error}."""
    try:
        smtp = connect(server)
    except (OSError, smtplib.SMTPException) as exc:
        return {item["id"]: _error(exc) for item in batch}
    results: dict[int, str | None] = {}
    try:
        for item in batch:
            try:
                smtp.send_message(compose(sender, item))
                results[item["id"]] = None
            except smtplib.SMTPServerDisconnected as exc:
                # The connection is gone: the rest fail with it, to be tried again.
                for rest in batch:
                    results.setdefault(rest["id"], _error(exc))
                break
            except (OSError, smtplib.SMTPException, ValueError) as exc:
                results[item["id"]] = _error(exc)
    finally:
        hang_up(smtp)
    return results


def connect(server: SmtpServer) -> smtplib.SMTP:
    if server.ssl:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(server.host, server.port, timeout=server.timeout,
                                              context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
        if server.starttls:
            smtp.starttls(context=ssl.create_default_context())
    if server.username:
        smtp.login(server.username, server.password or "")
    return smtp


def hang_up(smtp: smtplib.SMTP) -> None:
    """Say goodbye to the server, or just close when it is already gone."""
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def compose(sender: str, item: Mapping[str, Any]) -> EmailMessage:
    message = EmailMessage()
    # A title or name holding a line break would otherwise be refused as a header.
    message["Subject"] = _one_line(item["title"])
    message["From"] = sender
    message["To"] = formataddr((_one_line(item["name"] or ""), item["email"]))
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(f"{item['title']}\n\n{item['body']}\n" if item["body"]
                        else f"{item['title']}\n")
    return message


def record_results(conn: sa.Connection, compiled: Compiled, batch: Sequence[Mapping[str, Any]],
                   results: Mapping[int, str | None], run: MailRun) -> None:
    """Keep what happened: sent ones stay claimed; a failure is handed back for the
    next attempt, with its error (or kept, given up, after the last attempt)."""
    table = compiled.tables.notifications
    sent = [item["id"] for item in batch if item["id"] in results and results[item["id"]] is None]
    if sent:
        run.sent += len(sent)
        conn.execute(table.update().where(table.c.id.in_(sent)).values(email_error=None))
    for item in batch:
        error = results.get(item["id"], "not sent")
        if error is None:
            continue
        last = item["email_attempts"] >= MAX_ATTEMPTS
        run.gave_up += last
        run.failed += not last
        run.errors.append(error)
        conn.execute(table.update().where(table.c.id == item["id"]).values(
            emailed_at=None,
            email_error=(f"gave up after {MAX_ATTEMPTS} attempts: " if last else "") + error))


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]


def _one_line(text: str) -> str:
    return " ".join(text.split())
