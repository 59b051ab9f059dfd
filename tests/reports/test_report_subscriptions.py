"""Report subscriptions: a person subscribes themselves to a report by e-mail (every
day, week or month, with the parameters they ran it with) from the report page or the
API, changes it and unsubscribes; the scheduled-reports task sends it once per
occurrence, run AS them (their records only, their language), with the XLSX attached;
someone who may no longer run the report, or has no address, is skipped and said."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from python_calamine import CalamineWorkbook

from metacrm.jobs.tasks import REPORTS, perform, run_and_record
from metacrm.platform import Platform

from ..conftest import create_as_platform, token_for
from ..workflows.test_notification_mail import sink  # noqa: F401 - the fixture "sink"
from .conftest import sales_bundle

FOR_DIRECTORS = """
report: director_only
entity: deal
roles: [director]
measures: [{name: deals, aggregate: count}]
"""
# Thursday 2026-03-05, 07:00 UTC; the sales bundle's reports keep time in UTC.
THURSDAY = datetime(2026, 3, 5, 7, 0, tzinfo=UTC)


@pytest.fixture
def org(make_client, tmp_path: Path) -> dict[str, Any]:
    client = make_client(sales_bundle(tmp_path / "b", **{"reports/d.yaml": FOR_DIRECTORS}))
    app = client.application
    tokens = {name: token_for(app, name, roles=(role,)) for name, role in (
        ("ann", "seller"), ("bob", "seller"), ("dora", "director"), ("eve", "seller"))}
    people = {}
    for name, token in tokens.items():
        person = app.test_client()
        person.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        people[name] = person
    ids = {name: c.get("/api/users/me").get_json()["id"] for name, c in people.items()}
    platform = app.extensions["metacrm"]
    users = platform.compiled.tables.users
    with platform.writing() as conn:
        for name, language in (("ann", "zh"), ("bob", "en"), ("dora", "en")):
            conn.execute(users.update().where(users.c.id == ids[name]).values(
                email=f"{name}@example.com", language=language))
        conn.execute(users.update().where(users.c.id == ids["eve"]).values(email=None))
    for owner, amount in (("ann", "100.10"), ("ann", "0.20"), ("bob", "5000.00")):
        create_as_platform(client, "deal", name=f"{owner} {amount}", stage="won",
                           source="web", amount=amount, closed_on="2026-01-10",
                           owner=ids[owner])
    return {"client": client, "people": people, "ids": ids}


def _mailing(client: Any, port: int) -> Platform:
    plat = client.application.extensions["metacrm"]
    return Platform(replace(plat.settings, smtp_url=f"smtp://127.0.0.1:{port}",
                            mail_from="crm@example.com"), plat.engine, plat.compiled,
                    plat.loader)


def test_a_user_subscribes_changes_and_unsubscribes(org) -> None:
    ann = org["people"]["ann"]
    url = "/api/reports/won_by_month/subscription"
    assert ann.get(url).status_code == 404
    made = ann.put(url, json={"every": "week", "day": "friday", "at": "07:30",
                              "query": "period=this_year"})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["every"] == "week" and made.get_json()["day"] == "friday"
    assert made.get_json()["query"] == "period=this_year"
    changed = ann.put(url, json={"every": "month", "day": 3, "at": "09:00"})
    assert changed.status_code == 200 and changed.get_json()["day"] == 3
    assert [s["report"] for s in ann.get("/api/report-subscriptions").get_json()["items"]] \
        == ["won_by_month"]
    # private: bob sees none of ann's
    assert org["people"]["bob"].get("/api/report-subscriptions").get_json()["items"] == []
    assert ann.delete(url).status_code == 204
    assert ann.get(url).status_code == 404 and ann.delete(url).status_code == 404


def test_what_cannot_be_subscribed_is_refused_with_reasons(org) -> None:
    ann, eve = org["people"]["ann"], org["people"]["eve"]
    url = "/api/reports/won_by_month/subscription"
    for body, key in [({"every": "hourly"}, "every"), ({"every": "week", "day": "fri"}, "day"),
                      ({"every": "month", "day": 31}, "day"),
                      ({"every": "day", "at": "25:00"}, "at"),
                      ({"every": "day", "query": "period=someday"}, "query"),
                      ({"every": "day", "colour": "red"}, "colour")]:
        answer = ann.put(url, json=body)
        assert answer.status_code == 422 and key in answer.get_json()["errors"], body
    # an unknown rhythm is the one error: no second guess about its day
    assert list(ann.put(url, json={"every": "hourly", "day": "fri"}).get_json()["errors"]) \
        == ["every"]
    # weekly without a day is on Mondays, as the definition's own schedule is
    weekly = ann.put(url, json={"every": "week", "at": "08:00"})
    assert weekly.status_code in (200, 201), weekly.get_json()
    # no e-mail address on the account: said so
    refused = eve.put(url, json={"every": "day"})
    assert refused.status_code == 422 and "e-mail" in refused.get_json()["errors"]["email"][0]
    # a report the seller may not run does not exist for her
    assert ann.put("/api/reports/director_only/subscription",
                   json={"every": "day"}).status_code == 404
    assert ann.put("/api/reports/nothing/subscription", json={"every": "day"}).status_code \
        == 404


def _sheet(mail: Any) -> list[list[Any]]:
    (part,) = list(mail.iter_attachments())
    return CalamineWorkbook.from_filelike(io.BytesIO(part.get_content())
                                          ).get_sheet_by_index(0).to_python()


def test_the_task_sends_each_subscription_once_run_as_its_owner(org, sink) -> None:  # noqa: F811
    received, port = sink
    people, client = org["people"], org["client"]
    for name in ("ann", "bob", "dora"):
        assert people[name].put("/api/reports/won_by_month/subscription", json={
            "every": "day", "at": "08:00", "query": "period=all"}).status_code == 201
    mailing = _mailing(client, port)
    # made "now" (the test's clock): first due at the next 08:00 after it, not at once
    subscriptions = mailing.compiled.tables.report_subscriptions
    with mailing.writing() as conn:
        conn.execute(subscriptions.update().values(due_at=datetime(2026, 3, 5, 8, 0,
                                                                   tzinfo=UTC)))
    assert run_and_record(mailing, REPORTS, THURSDAY).result["sent"] == {}
    assert received.messages == []
    dry = perform(mailing, REPORTS, datetime(2026, 3, 5, 8, 0, tzinfo=UTC), dry_run=True)
    assert "would e-mail won_by_month to 3 subscriber(s)" in dry.summary
    assert received.messages == []
    done = run_and_record(mailing, REPORTS, datetime(2026, 3, 5, 8, 0, tzinfo=UTC))
    assert done.result["subscriptions"] == {"won_by_month": 3}
    by_address = {m["To"].addresses[0].addr_spec: m for m in received.messages}
    assert sorted(by_address) == ["ann@example.com", "bob@example.com", "dora@example.com"]
    # ann: her two deals, in Chinese; bob: his one; dora (director): all three
    ann = by_address["ann@example.com"]
    assert ann["Subject"] == "按月成交 — 2026-03-05"
    assert _sheet(ann)[-1][:2] == ["合计", 2]
    assert Decimal(str(_sheet(ann)[-1][2])) == Decimal("100.30")
    assert _sheet(by_address["bob@example.com"])[-1][:3] == ["Total", 1, 5000]
    assert _sheet(by_address["dora@example.com"])[-1][1] == 3
    # once: another process at the same moment sends nothing; tomorrow's is next
    again = run_and_record(mailing, REPORTS, datetime(2026, 3, 5, 8, 0, 30, tzinfo=UTC))
    assert "subscriptions" not in again.result and len(received.messages) == 3
    with mailing.reading() as conn:
        due = conn.execute(sa.select(subscriptions.c.due_at)).scalars().all()
    assert {d.replace(tzinfo=UTC) for d in due} == {datetime(2026, 3, 6, 8, 0, tzinfo=UTC)}


def test_who_may_no_longer_read_it_is_skipped_and_said(org, sink) -> None:  # noqa: F811
    received, port = sink
    client, ids = org["client"], org["ids"]
    assert org["people"]["ann"].put("/api/reports/won_by_month/subscription", json={
        "every": "day"}).status_code == 201
    plat = client.application.extensions["metacrm"]
    roles = plat.compiled.tables.user_roles
    subscriptions = plat.compiled.tables.report_subscriptions
    with plat.writing() as conn:  # ann loses her role since she subscribed
        conn.execute(roles.delete().where(roles.c.user_id == ids["ann"]))
        conn.execute(subscriptions.update().values(due_at=THURSDAY))
    done = run_and_record(_mailing(client, port), REPORTS, THURSDAY)
    assert done.result["subscriptions_skipped"] == [
        "ann (won_by_month): may not run the report"]
    assert received.messages == []


def test_the_report_page_subscribes_with_its_parameters_and_unsubscribes(org) -> None:
    bob = org["people"]["bob"]  # his pages speak English (ann's: Chinese)
    page = bob.get("/reports/won_by_month?period=last_year").get_data(as_text=True)
    assert "E-mail me this report" in page
    assert 'name="query" value="period=last_year"' in page
    made = bob.post("/reports/won_by_month/subscription", data={
        "every": "week", "weekday": "tuesday", "month_day": "1", "at": "07:15",
        "query": "period=last_year", "action": "subscribe"})
    assert made.status_code == 303
    assert made.headers["Location"].endswith("/reports/won_by_month?period=last_year")
    saved = bob.get("/api/reports/won_by_month/subscription").get_json()
    assert (saved["every"], saved["day"], saved["at"], saved["query"]) == (
        "week", "tuesday", "07:15", "period=last_year")
    page = bob.get("/reports/won_by_month").get_data(as_text=True)
    assert "E-mailed to you every Tuesday at 07:15" in page and "Unsubscribe" in page
    refused = bob.post("/reports/won_by_month/subscription", data={
        "every": "week", "weekday": "tuesday", "at": "7 am", "action": "subscribe"})
    assert refused.status_code == 422 and "HH:MM" in refused.get_data(as_text=True)
    gone = bob.post("/reports/won_by_month/subscription", data={"action": "unsubscribe"})
    assert gone.status_code == 303
    assert bob.get("/api/reports/won_by_month/subscription").status_code == 404
    # in Chinese for ann
    page = org["people"]["ann"].get("/reports/won_by_month").get_data(as_text=True)
    assert "通过电子邮件订阅此报表" in page and "每周" in page
