"""Scheduled reports: a report's ``schedule:`` e-mails it every day, week or month to
users and the users of roles, each run AS the recipient (their records only, their
language) with the XLSX attached; sent once per occurrence, checked by `metacrm check`
with file:line."""

from __future__ import annotations

import io
import os
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from python_calamine import CalamineWorkbook

from metacrm.catalog_loader import load_catalog
from metacrm.definitions.reports import ScheduleDef
from metacrm.errors import DefinitionError
from metacrm.jobs.report_mail import next_time
from metacrm.jobs.tasks import REPORTS, compile_tasks, perform, run_and_record
from metacrm.platform import Platform

from ..conftest import create_as_platform, token_for
from ..workflows.test_notification_mail import sink  # noqa: F401 - the fixture "sink"
from .conftest import sales_bundle

WEEKLY = """
report: weekly_won
entity: deal
label: {en: Won deals, zh: 赢单汇总}
filters: {stage: won}
rows: {field: source, label: {en: Source, zh: 来源}}
measures:
  - {name: deals, aggregate: count, label: {en: Deals, zh: 商机数}}
  - {name: amount, aggregate: sum, field: amount, label: {en: Amount, zh: 金额}}
parameters:
  period: {field: closed_on, default: this_year}
time_zone: Asia/Shanghai
schedule:
  every: week
  day: monday
  at: "08:00"
  recipients: {roles: [seller], users: [dora, ghost]}
  parameters: {period: all}
"""
# Monday 2026-03-02 08:00 in Shanghai is 00:00 UTC.
MONDAY_EIGHT = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


@pytest.fixture
def org(make_client, tmp_path: Path) -> dict[str, Any]:
    client = make_client(sales_bundle(tmp_path / "b", **{"reports/weekly.yaml": WEEKLY}))
    app = client.application
    people = {name: token_for(app, name, roles=(role,)) for name, role in (
        ("ann", "seller"), ("bob", "seller"), ("cid", "seller"), ("dora", "director"))}
    ids = {name: client.get("/api/users/me", headers={"Authorization": f"Bearer {t}"}
                            ).get_json()["id"] for name, t in people.items()}
    platform = app.extensions["metacrm"]
    users = platform.compiled.tables.users
    with platform.writing() as conn:
        for name, language in (("ann", "zh"), ("bob", "en"), ("dora", "en"), ("cid", "en")):
            conn.execute(users.update().where(users.c.id == ids[name]).values(
                email=f"{name}@example.com" if name != "cid" else None, language=language))
    for owner, source, amount in (("ann", "web", "1250000.10"), ("ann", "fair", "0.20"),
                                  ("bob", "web", "5000.00")):
        create_as_platform(client, "deal", name=f"{owner} {source}", stage="won",
                           source=source, amount=amount, closed_on="2025-06-01",
                           owner=ids[owner])
    return {"client": client, "ids": ids}


def _mailing(client: Any, port: int) -> Platform:
    plat = client.application.extensions["metacrm"]
    return Platform(replace(plat.settings, smtp_url=f"smtp://127.0.0.1:{port}",
                            mail_from="crm@example.com"), plat.engine, plat.compiled,
                    plat.loader)


def _attachment(mail: Any) -> tuple[str, list[list[Any]]]:
    (part,) = list(mail.iter_attachments())
    data = part.get_content()
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    return part.get_filename(), sheet.to_python()


def test_each_recipient_gets_the_report_run_as_them(org, sink) -> None:  # noqa: F811
    received, port = sink
    mailing = _mailing(org["client"], port)
    # first seen: due at its next time (Monday 08:00 Shanghai), nothing sent at once
    first = run_and_record(mailing, REPORTS, datetime(2026, 2, 27, 3, 0, tzinfo=UTC))
    assert first.result["sent"] == {} and received.messages == []
    assert "no scheduled report was due" in first.summary
    assert run_and_record(mailing, REPORTS, datetime(2026, 3, 1, 23, 59, tzinfo=UTC)
                          ).result["sent"] == {}
    done = run_and_record(mailing, REPORTS, MONDAY_EIGHT)
    assert done.result["sent"] == {"weekly_won": 3}  # ann, bob, dora
    assert done.result["skipped"]["weekly_won"] == ["ghost: no such active user",
                                                    "cid: no e-mail address"]
    by_address = {m["To"].addresses[0].addr_spec: m for m in received.messages}
    assert sorted(by_address) == ["ann@example.com", "bob@example.com", "dora@example.com"]
    # ann (a seller, in Chinese): her two deals only, exact to the cent
    ann = by_address["ann@example.com"]
    assert ann["Subject"] == "赢单汇总 — 2026-03-02"
    text = ann.get_body(("plain",)).get_content()
    assert "附件是为您运行的报表" in text and "Period: 全部时间" in text
    name, sheet = _attachment(ann)
    assert name == "赢单汇总-2026-03-02.xlsx"
    assert sheet[0][0] == "赢单汇总" and sheet[4][:3] == ["来源", "商机数", "金额"]
    assert sheet[-1][0] == "合计" and sheet[-1][1] == 2
    assert Decimal(str(sheet[-1][2])) == Decimal("1250000.30")
    # bob: his one deal; dora (director): everyone's
    _, bob = _attachment(by_address["bob@example.com"])
    assert bob[-1][:3] == ["Total", 1, 5000]
    _, dora = _attachment(by_address["dora@example.com"])
    assert dora[-1][1] == 3 and Decimal(str(dora[-1][2])) == Decimal("1255000.30")
    # once per occurrence: a second run (another process, a minute later) sends nothing
    assert run_and_record(mailing, REPORTS, MONDAY_EIGHT).result["sent"] == {}
    assert run_and_record(mailing, REPORTS, datetime(2026, 3, 2, 0, 1, tzinfo=UTC)
                          ).result["sent"] == {}
    assert len(received.messages) == 3
    slots = mailing.compiled.metadata.tables["mc_job_slots"]
    with mailing.reading() as conn:
        due = conn.execute(sa.select(slots.c.due_at).where(
            slots.c.name == "report:weekly_won")).scalar_one()
    assert due.replace(tzinfo=UTC) == datetime(2026, 3, 9, 0, 0, tzinfo=UTC)  # next Monday


def test_a_dry_run_says_to_whom_and_sends_nothing(org, sink) -> None:  # noqa: F811
    received, port = sink
    mailing = _mailing(org["client"], port)
    run_and_record(mailing, REPORTS, datetime(2026, 2, 27, tzinfo=UTC))
    outcome = perform(mailing, REPORTS, MONDAY_EIGHT, dry_run=True)
    assert outcome.summary.startswith("would e-mail weekly_won to 3 recipient(s)")
    assert received.messages == []
    assert run_and_record(mailing, REPORTS, MONDAY_EIGHT).result["sent"] == {"weekly_won": 3}


def test_the_task_exists_with_smtp_and_a_schedule(org) -> None:
    plat = org["client"].application.extensions["metacrm"]
    assert REPORTS.name not in compile_tasks(plat.compiled, plat.settings)  # no SMTP
    mailing = replace(plat.settings, smtp_url="smtp://127.0.0.1:25")
    assert REPORTS.name in compile_tasks(plat.compiled, mailing)


@pytest.mark.parametrize(("every", "on", "after", "expected"), [
    ("day", None, datetime(2026, 3, 2, 0, 0, tzinfo=UTC), datetime(2026, 3, 3, 0, 0)),
    ("day", None, datetime(2026, 3, 1, 23, 0, tzinfo=UTC), datetime(2026, 3, 2, 0, 0)),
    ("week", "friday", datetime(2026, 3, 2, 0, 0, tzinfo=UTC), datetime(2026, 3, 6, 0, 0)),
    ("month", 1, datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 31, 16, 0)),
    ("month", 28, datetime(2026, 2, 28, 1, tzinfo=UTC), datetime(2026, 3, 28, 0, 0)),
])
def test_the_next_time_is_in_the_reports_time_zone(every, on, after, expected) -> None:
    # 08:00 in Shanghai (UTC+8) is 00:00 UTC; April 1st 00:00 local is March 31st 16:00 UTC
    at = (0, 0) if every == "month" and on == 1 else (8, 0)
    schedule = ScheduleDef(every, at, on)
    assert next_time(schedule, "Asia/Shanghai", after) == expected.replace(tzinfo=UTC)


def _diagnostics(tmp_path: Path, schedule: str) -> list[str]:
    report = WEEKLY.split("schedule:")[0] + "schedule:\n" + schedule
    bundle = sales_bundle(tmp_path / "b", **{"reports/weekly.yaml": report})
    try:
        load_catalog([bundle])
    except DefinitionError as exc:
        return [str(d).replace(str(bundle) + "/", "") for d in exc.diagnostics]
    return []


@pytest.mark.parametrize(("schedule", "expected"), [
    ("  every: week\n  day: mondy\n  recipients: {roles: [seller]}\n",
     "reports/weekly.yaml:14:8: report 'weekly_won': schedule: day: 'mondy' is not a weekday"),
    ("  every: month\n  day: 31\n  recipients: {roles: [seller]}\n",
     "reports/weekly.yaml:14:8: report 'weekly_won': schedule: day: '31' is not a day of the "
     "month from 1 to 28"),
    ("  every: day\n  recipients: {roles: [sellers]}\n",
     "reports/weekly.yaml:14:24: report 'weekly_won': schedule: unknown role 'sellers' "
     "(did you mean 'seller'?)"),
    ("  every: day\n  recipients: {users: [ann]}\n  parameters: {perod: all}\n",
     "reports/weekly.yaml:15:16: report 'weekly_won': schedule: unknown parameter 'perod' "
     "(did you mean 'period'?)"),
    ("  every: day\n  recipients: {users: [ann]}\n  parameters: {period: someday}\n",
     "reports/weekly.yaml:15:16: report 'weekly_won': schedule: parameter 'period': "
     "'someday' is not a period"),
    ("  every: hourly\n  recipients: {users: [ann]}\n",
     "reports/weekly.yaml:13:10: schedule.every: unknown value 'hourly'"),
    ("  every: day\n  at: '25:00'\n  recipients: {users: [ann]}\n",
     "reports/weekly.yaml:14:7: schedule.at: '25:00' does not match"),
])
def test_check_says_what_is_wrong_with_a_schedule(tmp_path: Path, schedule: str,
                                                  expected: str) -> None:
    found = _diagnostics(tmp_path, schedule)
    assert any(d.startswith(expected) for d in found), found


def test_a_schedule_to_a_role_that_may_not_see_a_field_is_refused(tmp_path: Path) -> None:
    report = WEEKLY.replace("rows: {field: source", "rows: {field: secret")
    bundle = sales_bundle(tmp_path / "b", **{"reports/weekly.yaml": report})
    with pytest.raises(DefinitionError) as exc:
        load_catalog([bundle])
    (found,) = [str(d).replace(str(bundle) + "/", "") for d in exc.value.diagnostics]
    assert found == ("reports/weekly.yaml:16:24: report 'weekly_won': field 'secret' of "
                     "'deal' is hidden from role 'seller', which the schedule sends it to")


REDIS_URL = os.environ.get("METACRM_REDIS_URL")


@pytest.mark.skipif(not REDIS_URL, reason="needs Redis: set METACRM_REDIS_URL")
def test_with_redis_a_worker_sends_the_due_reports(org, sink, monkeypatch,  # noqa: F811
                                                   tmp_path: Path) -> None:
    from redis import Redis
    from rq import Queue, SimpleWorker

    from metacrm.jobs.scheduler import enqueue_on, tick

    received, port = sink
    mailing = _mailing(org["client"], port)
    settings = mailing.settings
    # what a worker process finds in its environment: this test's database and SMTP
    for key, value in (("DATABASE_URL", settings.database_url),
                       ("BUNDLES", os.pathsep.join(settings.bundles)),
                       ("SECRET_KEY", "test"), ("INSTANCE_PATH", str(tmp_path / "worker")),
                       ("SMTP_URL", settings.smtp_url or ""), ("MAIL_FROM", "crm@example.com")):
        monkeypatch.setenv(f"METACRM_{key}", value)
    queue_name = f"metacrm-test-{uuid.uuid4().hex[:8]}"
    connection = Redis.from_url(REDIS_URL or "")
    try:
        run_and_record(mailing, REPORTS, datetime(2026, 2, 27, tzinfo=UTC))  # first seen
        assert REPORTS.name in tick(mailing, MONDAY_EIGHT, enqueue_on(REDIS_URL or "",
                                                                      queue_name))
        queue = Queue(queue_name, connection=connection)
        SimpleWorker([queue], connection=connection).work(burst=True)
        assert sorted(m["To"].addresses[0].addr_spec for m in received.messages) == [
            "ann@example.com", "bob@example.com", "dora@example.com"]
    finally:
        Queue(queue_name, connection=connection).delete(delete_jobs=True)
