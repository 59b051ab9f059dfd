"""E-mail of notifications (the job ``notifications.mail``, only when METACRM_SMTP_URL is
set), against a local SMTP sink: each notification of a user with an address is sent
once, however many processes run the job; failures are retried later, given up after
five attempts."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from metacrm.jobs.mail import compose, parse_smtp_url
from metacrm.jobs.tasks import MAIL, compile_tasks, run_and_record
from metacrm.platform import Platform

from .approvals_support import (
    later,
    platform_of,
    set_user,
    submitted_deal,
    table,
    timed_fixture,  # noqa: F401 - the fixture "timed"
)


class Sink:
    """Keeps every message it is sent."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.recipients: list[list[str]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.original_content or envelope.content,
                                          policy=email.policy.default)
        with self._lock:
            self.messages.append(parsed)  # type: ignore[arg-type]
            self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Login:
    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str,
                 data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"crm", b"s3cret/:@")
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def sink() -> Iterator[tuple[Sink, int]]:
    handler = Sink()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def _mailing(crm: Any, url: str) -> Platform:
    """The test's platform, configured to send through ``url``."""
    plat = platform_of(crm)
    return Platform(replace(plat.settings, smtp_url=url, mail_from="crm@example.com"),
                    plat.engine, plat.compiled, plat.loader)


def _rows(crm: Any) -> list[dict[str, Any]]:
    notifications = table(crm, "mc_notifications")
    with platform_of(crm).reading() as conn:
        return [dict(r) for r in conn.execute(sa.select(notifications).order_by(
            notifications.c.id)).mappings()]


def test_notifications_go_once_to_users_with_an_address(timed, sink) -> None:
    crm, rep, boss, director = timed["crm"], timed["rep"], timed["boss"], timed["director"]
    received, port = sink
    set_user(crm, boss, email="boss@example.com", language="zh")
    set_user(crm, director, email=None)
    submitted_deal(rep, name="星河 ERP")
    submitted_deal(timed["boss"], name="nobody to mail")  # the director has no address
    mailing = _mailing(crm, f"smtp://127.0.0.1:{port}")
    done = run_and_record(mailing, MAIL, later())
    assert done.result == {"sent": 1, "failed": 0, "gave_up": 0}
    [message] = received.messages
    assert received.recipients == [["boss@example.com"]]
    assert message["Subject"] == "待您审批：商机审批（经理审批）— 星河 ERP"
    assert message["From"] == "crm@example.com"
    assert message["To"].addresses[0].username == "boss"
    assert "星河 ERP" in message.get_content()
    rows = {r["user_id"]: r for r in _rows(crm)}
    assert rows[boss.id]["emailed_at"] is not None and rows[boss.id]["email_attempts"] == 1
    assert rows[director.id]["emailed_at"] is None and rows[director.id]["email_attempts"] == 0
    assert run_and_record(mailing, MAIL, later()).result["sent"] == 0  # once
    assert len(received.messages) == 1


def test_a_server_that_is_down_is_retried_later_then_given_up(timed, sink) -> None:
    crm, rep, boss = timed["crm"], timed["rep"], timed["boss"]
    received, port = sink
    set_user(crm, boss, email="boss@example.com")
    submitted_deal(rep)
    down = _mailing(crm, f"smtp://127.0.0.1:{_free_port()}?timeout=5")
    start = later()
    assert run_and_record(down, MAIL, start).result == {"sent": 0, "failed": 1, "gave_up": 0}
    [row] = _rows(crm)
    assert (row["emailed_at"], row["email_attempts"]) == (None, 1)
    assert "ConnectionRefusedError" in row["email_error"]
    assert run_and_record(down, MAIL, start).result["failed"] == 0  # not at once again
    for attempt, minutes in ((2, 2), (3, 6), (4, 31)):
        assert run_and_record(down, MAIL, start + timedelta(minutes=minutes)).result[
            "failed"] == 1, attempt
    assert run_and_record(down, MAIL, start + timedelta(hours=3)).result == {
        "sent": 0, "failed": 0, "gave_up": 1}
    [row] = _rows(crm)
    assert row["email_attempts"] == 5 and row["email_error"].startswith(
        "gave up after 5 attempts: ")
    up = _mailing(crm, f"smtp://127.0.0.1:{port}")
    assert run_and_record(up, MAIL, start + timedelta(hours=4)).result["sent"] == 0
    assert received.messages == []


def test_a_server_down_during_a_backlog_costs_one_attempt_per_run(
        timed, sink, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batch after batch of old messages would each be claimed again at once within a
    run (its time stands still): the run stops at the first failure instead of
    spending every attempt of the backlog."""
    from metacrm.jobs import mail

    monkeypatch.setattr(mail, "BATCH", 1)
    crm, rep, boss = timed["crm"], timed["rep"], timed["boss"]
    set_user(crm, boss, email="boss@example.com")
    submitted_deal(rep)
    submitted_deal(rep)
    down = _mailing(crm, f"smtp://127.0.0.1:{_free_port()}?timeout=5")
    assert run_and_record(down, MAIL, later() + timedelta(hours=3)).result == {
        "sent": 0, "failed": 1, "gave_up": 0}
    assert sorted(row["email_attempts"] for row in _rows(crm)) == [0, 1]


def test_a_failed_attempt_is_sent_when_the_server_is_back(timed, sink) -> None:
    crm, rep, boss = timed["crm"], timed["rep"], timed["boss"]
    received, port = sink
    set_user(crm, boss, email="boss@example.com")
    submitted_deal(rep)
    start = later()
    run_and_record(_mailing(crm, f"smtp://127.0.0.1:{_free_port()}"), MAIL, start)
    sent = run_and_record(_mailing(crm, f"smtp://127.0.0.1:{port}"), MAIL,
                          start + timedelta(minutes=2))
    assert sent.result["sent"] == 1 and len(received.messages) == 1
    [row] = _rows(crm)
    assert (row["email_attempts"], row["email_error"]) == (2, None)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_signing_in_to_the_smtp_server(timed) -> None:
    crm, rep, boss = timed["crm"], timed["rep"], timed["boss"]
    handler = Sink()
    port = _free_port()
    # Plain text (no TLS) is enough for a sink on the loopback interface.
    controller = Controller(handler, hostname="127.0.0.1", port=port, authenticator=_Login(),
                            auth_required=True, auth_require_tls=False)
    controller.start()
    try:
        set_user(crm, boss, email="boss@example.com")
        submitted_deal(rep)
        start = later()
        wrong = _mailing(crm, f"smtp://crm:wrong@127.0.0.1:{port}")
        assert run_and_record(wrong, MAIL, start).result["failed"] == 1
        assert "535" in _rows(crm)[0]["email_error"]
        right = _mailing(crm, f"smtp://crm:s3cret%2F%3A%40@127.0.0.1:{port}")
        assert run_and_record(right, MAIL, start + timedelta(minutes=2)).result["sent"] == 1
        assert len(handler.messages) == 1
    finally:
        controller.stop()


def test_several_processes_mailing_at_once_send_each_notification_once(timed, sink) -> None:
    crm, rep, other, boss = timed["crm"], timed["rep"], timed["other"], timed["boss"]
    received, port = sink
    set_user(crm, boss, email="boss@example.com")
    for n in range(60):  # more than one batch
        submitted_deal(rep if n % 2 else other, name=f"deal {n}")
    mailing = _mailing(crm, f"smtp://127.0.0.1:{port}")
    moment = later()
    barrier = threading.Barrier(3)
    results: list[dict[str, int]] = []

    def work() -> None:
        barrier.wait(timeout=30)
        results.append(run_and_record(mailing, MAIL, moment).result)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sum(r["sent"] for r in results) == 60
    subjects = [m["Subject"] for m in received.messages]
    assert len(subjects) == len(set(subjects)) == 60


def test_old_notifications_are_not_mailed(timed, sink) -> None:
    crm, rep, boss = timed["crm"], timed["rep"], timed["boss"]
    received, port = sink
    submitted_deal(rep)
    set_user(crm, boss, email="boss@example.com")  # an address added three days later
    result = run_and_record(_mailing(crm, f"smtp://127.0.0.1:{port}"), MAIL, later(days=3))
    assert result.result["sent"] == 0 and received.messages == []


def test_the_mail_task_runs_only_when_smtp_is_configured(timed) -> None:
    plat = platform_of(timed["crm"])
    assert MAIL.name not in compile_tasks(plat.compiled, plat.settings)
    configured = replace(plat.settings, smtp_url="smtp://127.0.0.1:25")
    assert compile_tasks(plat.compiled, configured)[MAIL.name].every_seconds == 60


def test_smtp_urls() -> None:
    server = parse_smtp_url("smtp://user%40corp:p%3Ass@mail.example.com:587?starttls=1")
    assert (server.host, server.port, server.username, server.password, server.ssl,
            server.starttls) == ("mail.example.com", 587, "user@corp", "p:ss", False, True)
    secure = parse_smtp_url("smtps://mail.example.com")
    assert (secure.port, secure.ssl, secure.starttls, secure.username) == (465, True, False, None)
    assert parse_smtp_url("smtp://localhost").port == 25
    for bad, says in (("http://mail", "smtp:// or smtps://"), ("smtp://", "no host"),
                      ("smtp://mail?tls=1", "unknown option"), ("smtp://mail:port", "port"),
                      ("smtp://mail?timeout=-1", "timeout"),
                      ("smtp://mail?timeout=nan", "timeout")):
        with pytest.raises(ValueError, match=says):
            parse_smtp_url(bad)


def test_a_line_break_in_a_title_never_becomes_a_header() -> None:
    message = compose("crm@example.com", {"title": "Deal\r\nBcc: spy@example.com",
                                          "body": None, "name": "Eve\nX",
                                          "email": "eve@example.com"})
    assert message["Subject"] == "Deal Bcc: spy@example.com"
    assert message["Bcc"] is None
