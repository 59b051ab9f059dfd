"""Without Redis the server process ticks in a daemon thread and runs due tasks
inline; the thread starts only when asked and stops cleanly."""

from __future__ import annotations

import dataclasses
import importlib
import sys
import threading
import time
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from metacrm.jobs.scheduler import Scheduler, run_inline, start_in_process

from .conftest import pool_customer

TASK = "customer.no_followup_30_days"


def _wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _scheduler_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "metacrm-scheduler" and t.is_alive()]


def _slot_result(platform) -> object:  # type: ignore[no-untyped-def]
    table = platform.compiled.metadata.tables["mc_job_slots"]
    with platform.reading() as conn:
        return conn.execute(sa.select(table.c.result).where(table.c.name == TASK)).scalar()


def test_creating_the_app_starts_no_thread(crm) -> None:
    assert _scheduler_threads() == []


def test_the_thread_runs_due_tasks_and_stops_cleanly(crm, sales, at) -> None:
    platform = crm.application.extensions["metacrm"]
    customer = pool_customer(crm)
    sales["wang"].claim("customer", customer["id"])

    scheduler = Scheduler(platform, run_inline(platform), interval=0.05,
                          clock=lambda: at(days=31)).start()
    try:
        _wait_for(lambda: _slot_result(platform) is not None)
        _wait_for(lambda: scheduler.ticks >= 3)  # ticking goes on; the slot is not due again
    finally:
        scheduler.stop()

    assert not scheduler.running and _scheduler_threads() == []
    assert _slot_result(platform) == {"returned": 1}
    assert crm.get(f"/api/customer/{customer['id']}").json["owner"] is None
    history = crm.get(f"/api/customer/{customer['id']}/history").json["items"]
    assert [h["action"] for h in history].count("return") == 1


def test_stopping_does_not_wait_for_the_next_tick(crm) -> None:
    platform = crm.application.extensions["metacrm"]
    with Scheduler(platform, run_inline(platform), interval=3600) as scheduler:
        _wait_for(lambda: scheduler.ticks >= 1)
        started = time.monotonic()
    assert time.monotonic() - started < 5
    assert not scheduler.running


def test_a_failing_tick_is_logged_and_the_thread_goes_on(crm, caplog) -> None:
    platform = crm.application.extensions["metacrm"]

    def broken_clock():  # type: ignore[no-untyped-def]
        raise RuntimeError("clock broke")

    with Scheduler(platform, run_inline(platform), interval=0.01, clock=broken_clock) as s:
        _wait_for(lambda: s.ticks >= 2)
    assert "tick failed" in caplog.text


def test_the_server_runs_jobs_only_without_redis_and_when_allowed(crm) -> None:
    platform = crm.application.extensions["metacrm"]
    base = platform.settings
    for redis_url, run_jobs in (("redis://127.0.0.1:6379/0", True), (None, False)):
        platform.settings = dataclasses.replace(base, redis_url=redis_url, run_jobs=run_jobs)
        assert start_in_process(platform) is None
    platform.settings = dataclasses.replace(base, redis_url=None, run_jobs=True)
    try:
        scheduler = start_in_process(platform)
        assert scheduler is not None and scheduler.running
        scheduler.stop()
        assert not scheduler.running
    finally:
        platform.settings = base


def test_the_gunicorn_app_starts_the_thread(crm, monkeypatch: pytest.MonkeyPatch,
                                            tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = crm.application.extensions["metacrm"].settings
    monkeypatch.setenv("METACRM_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("METACRM_BUNDLES", ":".join(settings.bundles))
    monkeypatch.setenv("METACRM_INSTANCE_PATH", str(tmp_path / "wsgi"))
    monkeypatch.setenv("METACRM_SECRET_KEY", "test")
    monkeypatch.setenv("METACRM_RUN_JOBS", "1")
    monkeypatch.delenv("METACRM_REDIS_URL", raising=False)
    monkeypatch.delitem(sys.modules, "metacrm.wsgi", raising=False)
    wsgi = importlib.import_module("metacrm.wsgi")
    try:
        assert wsgi.scheduler is not None and wsgi.scheduler.running
        _wait_for(lambda: wsgi.scheduler.ticks >= 1)
    finally:
        wsgi.scheduler.stop()
        wsgi.app.extensions["metacrm"].engine.dispose()
        sys.modules.pop("metacrm.wsgi", None)
    assert not wsgi.scheduler.running
