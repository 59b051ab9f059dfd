"""Deadlines of approval steps, run by the job ``approvals.deadlines`` at a given time:
a waiting task reminds its holder once, then is escalated once (to the holder's
manager, or the step's escalate_to), the holder still able to decide; several
processes running the job at once do each thing once."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime

import sqlalchemy as sa

from metacrm.catalog_loader import load_catalog
from metacrm.compile.compiled import compile_catalog
from metacrm.jobs.tasks import DEADLINES, compile_tasks, perform, run_and_record

from ..conftest import write_bundle
from .approvals_support import (
    TIMED,
    kinds,
    later,
    platform_of,
    submitted_deal,
    table,
    tasks_of,
    timed_fixture,  # noqa: F401 - the fixture "timed"
    told,
)
from .conftest import DEALS


def _run(crm, now: datetime) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return run_and_record(platform_of(crm), DEADLINES, now).result


def test_the_job_exists_when_a_step_has_a_deadline(tmp_path) -> None:
    catalog = load_catalog([write_bundle(tmp_path / "t", TIMED)])
    timed_tasks = compile_tasks(compile_catalog(catalog))
    assert timed_tasks[DEADLINES.name].every_seconds == 300
    plain = compile_tasks(compile_catalog(load_catalog([write_bundle(tmp_path / "p", DEALS)])))
    assert DEADLINES.name not in plain


def test_a_waiting_task_reminds_its_holder_once(timed) -> None:
    crm, rep, boss = timed["crm"], timed["rep"], timed["boss"]
    _, chain = submitted_deal(rep, name="星河 ERP")
    assert _run(crm, later(hours=0.5)) == {"reminded": 0, "escalated": 0, "unescalated": 0}
    preview = perform(platform_of(crm), DEADLINES, later(hours=1.1), dry_run=True)
    assert preview.result == {"reminders": 1, "escalations": 0}
    assert _run(crm, later(hours=1.1))["reminded"] == 1
    reminder = told(boss)[0]
    assert (reminder["kind"], reminder["title"], reminder["approval_id"]) == (
        "approval_reminder",
        "Reminder: Deal approval (Manager) — 星河 ERP waits for your decision", chain)
    assert tasks_of(crm, chain)[0]["reminded_at"] is not None
    assert _run(crm, later(hours=5))["reminded"] == 0
    assert kinds(boss).count("approval_reminder") == 1
    timeline = boss.get(f"/api/approvals/{chain}").json["timeline"]
    assert (timeline[-1]["kind"], timeline[-1]["user"]["name"]) == ("remind", "boss")
    # A decided task is not reminded.
    _, decided = submitted_deal(rep, name="decided")
    boss.post(f"/api/approvals/{decided}/approve")
    assert _run(crm, later(hours=2))["reminded"] == 0


def test_an_overdue_task_goes_to_the_holders_manager_too(timed) -> None:
    crm, rep, boss, director = timed["crm"], timed["rep"], timed["boss"], timed["director"]
    _, chain = submitted_deal(rep, name="星河 ERP")
    assert _run(crm, later(hours=23)) == {"reminded": 1, "escalated": 0, "unescalated": 0}
    assert _run(crm, later(days=1.01)) == {"reminded": 0, "escalated": 1, "unescalated": 0}
    assert [(t["user_id"], t["on_behalf_of"], t["state"], t["escalated_at"] is not None)
            for t in tasks_of(crm, chain)] == [(boss.id, None, "pending", True),
                                                (director.id, boss.id, "pending", False)]
    escalated = told(director)[0]
    assert (escalated["kind"], escalated["title"]) == (
        "approval_escalated", "Escalated to you: Deal approval (Manager) — 星河 ERP")
    assert escalated["body"].startswith("boss has not decided since ")
    away = told(boss)[0]
    assert (away["kind"], away["body"]) == (
        "approval_escalated_away", "It also went to director; you may still decide.")
    event = boss.get(f"/api/approvals/{chain}").json["timeline"][-1]
    assert (event["kind"], event["user"]["name"], event["to"]) == (
        "escalate", "boss", [{"id": director.id, "name": "director"}])
    assert _run(crm, later(days=3))["escalated"] == 0  # once
    inbox = director.get("/api/approvals").json["items"]
    assert [(i["id"], i["on_behalf_of"]["name"]) for i in inbox] == [(chain, "boss")]
    decided = director.post(f"/api/approvals/{chain}/approve")
    assert decided.json["state"] == "approved"
    assert [t["state"] for t in decided.json["tasks"]] == ["skipped", "approved"]


def test_the_holder_may_still_decide_after_escalation(timed) -> None:
    crm, rep, boss, director = timed["crm"], timed["rep"], timed["boss"], timed["director"]
    _, chain = submitted_deal(rep)
    _run(crm, later(days=1.01))
    assert boss.post(f"/api/approvals/{chain}/approve").json["state"] == "approved"
    assert [t["state"] for t in tasks_of(crm, chain)] == ["approved", "skipped"]
    assert director.post(f"/api/approvals/{chain}/approve").status_code == 409


def test_escalating_to_a_role_in_an_all_of_step(timed) -> None:
    """Finance escalates to finance_lead; the lead's approval counts for the finance
    approver it was escalated from. The lead gets one task of the step, not two."""
    crm, rep, boss, fin1, fin2, lead = (timed[k] for k in (
        "crm", "rep", "boss", "fin1", "fin2", "lead"))
    _, chain = submitted_deal(rep, amount="250000")
    boss.post(f"/api/approvals/{chain}/approve")
    assert _run(crm, later(days=2.01)) == {"reminded": 2, "escalated": 1, "unescalated": 1}
    finance = [(t["user_id"], t["on_behalf_of"]) for t in tasks_of(crm, chain)
               if t["step"] == "finance"]
    assert finance == [(fin1.id, None), (fin2.id, None), (lead.id, fin1.id)]
    assert lead.post(f"/api/approvals/{chain}/approve").json["state"] == "pending"
    assert [t["state"] for t in tasks_of(crm, chain) if t["step"] == "finance"] == [
        "skipped", "pending", "approved"]
    assert fin2.post(f"/api/approvals/{chain}/approve").json["state"] == "approved"


def test_an_escalation_with_nobody_above_is_not_tried_again(timed) -> None:
    crm, boss, director = timed["crm"], timed["boss"], timed["director"]
    _, chain = submitted_deal(boss)  # the director approves; nobody is above them
    assert _run(crm, later(days=1.01))["unescalated"] == 1
    assert [(t["user_id"], t["escalated_at"] is not None) for t in tasks_of(crm, chain)] == [
        (director.id, True)]
    assert _run(crm, later(days=2))["unescalated"] == 0


def test_several_processes_running_the_job_at_once_remind_and_escalate_once(timed) -> None:
    crm, rep, other = timed["crm"], timed["rep"], timed["other"]
    chains = [submitted_deal(rep if n % 2 else other, name=f"deal {n}")[1] for n in range(6)]
    moment = later(days=1.01)
    barrier = threading.Barrier(3)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait(timeout=30)
            results.append(_run(crm, moment))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sum(r["reminded"] for r in results) == 6
    assert sum(r["escalated"] for r in results) == 6
    notifications = table(crm, "mc_notifications")
    with platform_of(crm).reading() as conn:
        sent = Counter(conn.execute(sa.select(notifications.c.kind, notifications.c.approval_id)
                                    .where(notifications.c.approval_id.in_(chains))).all())
    for chain in chains:
        assert sent[("approval_reminder", chain)] == 1
        assert sent[("approval_escalated", chain)] == 1
        assert sent[("approval_escalated_away", chain)] == 1
        assert [t["state"] for t in tasks_of(crm, chain)] == ["pending", "pending"]
