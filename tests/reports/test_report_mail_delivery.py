"""Delivering the report mails of a run (scheduled and subscribed alike): a report that
fails for one person is logged and said, the others still get theirs, and a failed
subscription is tried again ten minutes later; all the mails of a run go over one SMTP
connection, opened again once if it drops."""

from __future__ import annotations

import logging
import smtplib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from metacrm.jobs import report_delivery
from metacrm.jobs.tasks import REPORTS, run_and_record
from metacrm.platform import Platform

from ..workflows.test_notification_mail import sink  # noqa: F401 - the fixture "sink"
from .test_scheduled_reports import MONDAY_EIGHT, _mailing, org  # noqa: F401 - "org"

FIRST_SEEN = datetime(2026, 2, 27, tzinfo=UTC)


def _subscribe(mailing: Platform, ids: dict[str, int], *names: str) -> None:
    """Daily subscriptions to won_by_month at 00:00 UTC, due on Monday's occurrence."""
    table = mailing.compiled.tables.report_subscriptions
    with mailing.writing() as conn:
        conn.execute(table.insert(), [
            {"user_id": ids[name], "report": "won_by_month", "every": "day", "at": "00:00",
             "query": "period=all", "due_at": MONDAY_EIGHT, "created_at": FIRST_SEEN}
            for name in names])


def _subscriptions(mailing: Platform, ids: dict[str, int]) -> dict[str, tuple[Any, Any]]:
    table = mailing.compiled.tables.report_subscriptions
    names = {user_id: name for name, user_id in ids.items()}
    with mailing.reading() as conn:
        rows = conn.execute(sa.select(table.c.user_id, table.c.due_at, table.c.last_sent_at))
        return {names[r.user_id]: (_utc(r.due_at), _utc(r.last_sent_at)) for r in rows}


def _utc(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None else None


def _addresses(received: Any) -> list[str]:
    return sorted(m["To"].addresses[0].addr_spec for m in received.messages)


def test_a_report_failing_for_one_person_does_not_cost_the_others(
        org, sink, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
        caplog: pytest.LogCaptureFixture) -> None:
    received, port = sink
    ids = org["ids"]
    mailing = _mailing(org["client"], port)
    run_and_record(mailing, REPORTS, FIRST_SEEN)  # the schedule is first due on Monday
    _subscribe(mailing, ids, "ann", "bob")
    real_run = report_delivery.run_report

    def run_report(conn: Any, viewer: Any, *args: Any) -> Any:
        if viewer.principal.user_id == ids["bob"]:  # a bug, not a refusal
            raise RuntimeError("boom")
        return real_run(conn, viewer, *args)

    monkeypatch.setattr(report_delivery, "run_report", run_report)
    with caplog.at_level(logging.ERROR, logger="metacrm.jobs"):
        done = run_and_record(mailing, REPORTS, MONDAY_EIGHT)
    assert done.result["sent"] == {"weekly_won": 2}  # ann and dora; bob failed
    assert done.result["subscriptions"] == {"won_by_month": 1}  # ann's; bob's failed
    assert done.result["failed"] == 2
    assert done.result["errors"] == [
        "weekly_won to bob: RuntimeError: boom",
        "won_by_month to bob: RuntimeError: boom (to retry)"]
    assert "2 failed, last error: won_by_month to bob" in done.summary
    assert _addresses(received) == ["ann@example.com", "ann@example.com",
                                    "dora@example.com"]
    logged = [r.getMessage() for r in caplog.records]
    assert "metacrm report weekly_won to bob: could not run or compose" in logged
    assert "metacrm report won_by_month to bob: could not run or compose" in logged
    # bob's subscription is handed back, due ten minutes later, never sent; ann's is
    # sent and due tomorrow
    retry = MONDAY_EIGHT + timedelta(minutes=10)
    tomorrow = MONDAY_EIGHT + timedelta(days=1)
    assert _subscriptions(mailing, ids) == {"ann": (tomorrow, MONDAY_EIGHT),
                                            "bob": (retry, None)}
    # the report fixed, the next run sends bob his subscription; the schedule's
    # occurrence is not sent again (to anyone)
    monkeypatch.setattr(report_delivery, "run_report", real_run)
    again = run_and_record(mailing, REPORTS, retry)
    assert again.result["sent"] == {} and again.result["subscriptions"] == {
        "won_by_month": 1}
    assert "errors" not in again.result
    assert _addresses(received) == ["ann@example.com", "ann@example.com",
                                    "bob@example.com", "dora@example.com"]
    assert _subscriptions(mailing, ids) == {"ann": (tomorrow, MONDAY_EIGHT),
                                            "bob": (tomorrow, retry)}


def _counted_connections(monkeypatch: pytest.MonkeyPatch, *, drop_after_each: bool = False
                         ) -> list[smtplib.SMTP]:
    """The SMTP connections the task opens (each dropped by the server after one mail,
    if asked)."""
    opened: list[smtplib.SMTP] = []
    real_connect = report_delivery.connect

    def connect(server: Any) -> smtplib.SMTP:
        smtp = real_connect(server)
        opened.append(smtp)
        if drop_after_each:
            send = smtp.send_message

            def send_then_drop(mail: Any) -> Any:
                try:
                    return send(mail)
                finally:
                    smtp.close()

            smtp.send_message = send_then_drop  # type: ignore[method-assign]
        return smtp

    monkeypatch.setattr(report_delivery, "connect", connect)
    return opened


def test_the_mails_of_a_run_share_one_smtp_connection(
        org, sink, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    received, port = sink
    mailing = _mailing(org["client"], port)
    run_and_record(mailing, REPORTS, FIRST_SEEN)
    _subscribe(mailing, org["ids"], "ann", "bob", "dora")
    opened = _counted_connections(monkeypatch)
    done = run_and_record(mailing, REPORTS, MONDAY_EIGHT)
    assert done.result["sent"] == {"weekly_won": 3}
    assert done.result["subscriptions"] == {"won_by_month": 3}
    assert len(received.messages) == 6 and len(opened) == 1
    # nothing due: no connection at all
    run_and_record(mailing, REPORTS, MONDAY_EIGHT + timedelta(minutes=1))
    assert len(opened) == 1


def test_a_dropped_connection_is_opened_again_once(
        org, sink, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    received, port = sink
    mailing = _mailing(org["client"], port)
    run_and_record(mailing, REPORTS, FIRST_SEEN)
    opened = _counted_connections(monkeypatch, drop_after_each=True)
    done = run_and_record(mailing, REPORTS, MONDAY_EIGHT)
    # the first mail, then the second over a new connection; the third finds the server
    # gone again and is not sent (nor a third connection opened)
    assert len(opened) == 2 and len(received.messages) == 2
    assert done.result["sent"] == {"weekly_won": 2}
    (error,) = done.result["errors"]
    assert error.startswith("weekly_won to dora: SMTPServerDisconnected")
