"""Scheduled tasks compiled from the definitions, and their slots in mc_job_slots:
however many processes tick at once, each slot runs once."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from metacrm.jobs.scheduler import run_inline, tick
from metacrm.jobs.tasks import HOUSEKEEPING, Task, compile_tasks
from metacrm.platform import Platform
from metacrm.values import to_utc

from .conftest import pool_customer

TASK = "customer.no_followup_30_days"


def _slot(app: Any, name: str = TASK) -> dict[str, Any] | None:
    platform = app.extensions["metacrm"]
    table = platform.compiled.metadata.tables["mc_job_slots"]
    with platform.reading() as conn:
        row = conn.execute(sa.select(table).where(table.c.name == name)).mappings().first()
    return dict(row) if row else None


class Recorder:
    """A dispatch that only writes down what it was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, datetime]] = []
        self._lock = threading.Lock()

    def __call__(self, task: Task, now: datetime) -> None:
        if task.entity is None:  # the platform's own tasks: not these tests' subject
            return
        with self._lock:
            self.calls.append((task.name, now))


def pool_tick(platform: Platform, now: datetime, dispatch: Any) -> list[str]:
    """``tick``, telling only of the pool's tasks (not housekeeping, approval deadlines)."""
    tasks = compile_tasks(platform.compiled, platform.settings)
    return [name for name in tick(platform, now, dispatch) if tasks[name].entity is not None]


def test_each_return_rule_is_a_task_named_entity_dot_rule(tmp_path) -> None:
    from metacrm.catalog_loader import load_catalog
    from metacrm.compile.compiled import compile_catalog

    from ..conftest import SHIPPED_BUNDLE, write_bundle
    from .conftest import LEADS

    shipped = compile_tasks(compile_catalog(load_catalog([SHIPPED_BUNDLE])))
    assert {n: t.every_seconds for n, t in shipped.items() if n != "approvals.deadlines"} == {
        TASK: 3600, "housekeeping": 21600}
    assert shipped[TASK].label.get("zh") == "超过30天未跟进"
    leads = compile_tasks(compile_catalog(load_catalog([write_bundle(tmp_path, LEADS)])))
    assert {n: t.every_seconds for n, t in leads.items()} == {
        "lead.idle_7_days": 1800, "lead.north_idle_2_days": 86400, "housekeeping": 21600}


def test_a_task_is_due_at_once_then_once_per_interval(crm, at) -> None:
    platform = crm.application.extensions["metacrm"]
    recorder = Recorder()
    start = at()

    assert pool_tick(platform, start, recorder) == [TASK]
    assert pool_tick(platform, start, recorder) == []
    assert pool_tick(platform, start + timedelta(minutes=59), recorder) == []
    assert pool_tick(platform, start + timedelta(hours=1), recorder) == [TASK]
    assert [name for name, _ in recorder.calls] == [TASK, TASK]
    slot = _slot(crm.application)
    assert slot is not None
    assert to_utc(slot["due_at"]) == start + timedelta(hours=2)
    assert to_utc(slot["started_at"]) == start + timedelta(hours=1)


def test_a_scheduler_that_was_away_runs_a_missed_task_once(crm, at) -> None:
    platform = crm.application.extensions["metacrm"]
    recorder = Recorder()
    pool_tick(platform, at(), recorder)
    later = at(days=3)  # 72 slots missed
    assert pool_tick(platform, later, recorder) == [TASK]
    assert pool_tick(platform, later + timedelta(minutes=1), recorder) == []
    assert to_utc(_slot(crm.application)["due_at"]) == later + timedelta(hours=1)


@pytest.mark.parametrize("processes", [2, 4])
def test_schedulers_ticking_at_once_run_each_slot_once(crm, at, processes: int) -> None:
    # Each "process" has its own Platform (engine, connections) on the same database.
    settings = crm.application.extensions["metacrm"].settings
    platforms = [Platform.build(settings) for _ in range(processes)]
    recorder = Recorder()
    rounds = [at(hours=hour) for hour in range(3)]
    barrier = threading.Barrier(processes)
    failures: list[BaseException] = []

    def scheduler(platform: Platform) -> None:
        try:
            for now in rounds:
                barrier.wait(timeout=30)
                pool_tick(platform, now, recorder)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=scheduler, args=(p,)) for p in platforms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for platform in platforms:
        platform.engine.dispose()

    assert not failures, failures
    assert sorted(recorder.calls) == [(TASK, now) for now in rounds]


def test_an_inline_run_records_its_result_in_the_slot(crm, sales, at) -> None:
    platform = crm.application.extensions["metacrm"]
    customer = pool_customer(crm)
    sales["wang"].claim("customer", customer["id"])
    now = at(days=31)

    assert pool_tick(platform, now, run_inline(platform)) == [TASK]

    slot = _slot(crm.application)
    assert slot["result"] == {"returned": 1}
    assert to_utc(slot["started_at"]) == now
    assert to_utc(slot["finished_at"]) >= now
    assert crm.get(f"/api/customer/{customer['id']}").json["owner"] is None


def test_a_failing_task_is_recorded_and_does_not_stop_the_others(leads_app, at, caplog
                                                                  ) -> None:
    platform = leads_app.application.extensions["metacrm"]
    ran: list[str] = []

    def dispatch(task: Task, now: datetime) -> None:
        if task.name == "lead.idle_7_days":
            raise RuntimeError("the database went away")
        if task.name != HOUSEKEEPING.name:
            ran.append(task.name)

    taken = pool_tick(platform, at(), dispatch)

    assert taken == ["lead.idle_7_days", "lead.north_idle_2_days"]
    assert ran == ["lead.north_idle_2_days"]
    assert "lead.idle_7_days failed" in caplog.text


def test_an_error_inside_a_run_is_kept_in_the_slot(leads_app, at, monkeypatch) -> None:
    from metacrm.jobs import tasks

    platform = leads_app.application.extensions["metacrm"]

    def broken(*args: Any, **kwargs: Any) -> list[int]:
        raise RuntimeError("disk full")

    monkeypatch.setattr(tasks, "return_idle", broken)
    pool_tick(platform, at(), run_inline(platform))
    assert _slot(leads_app.application, "lead.idle_7_days")["result"] == {
        "error": "RuntimeError: disk full"}
