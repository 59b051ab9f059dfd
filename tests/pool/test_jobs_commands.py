"""``metacrm jobs list`` and ``metacrm jobs run NAME [--dry-run] [--now ISO]``."""

from __future__ import annotations

import os
from typing import Any

import pytest
from click.testing import CliRunner

from metacrm.cli import main

from .conftest import pool_customer

TASK = "customer.no_followup_30_days"


@pytest.fixture
def run_cli(crm, tmp_path):  # type: ignore[no-untyped-def]
    settings = crm.application.extensions["metacrm"].settings
    env = {"METACRM_DATABASE_URL": settings.database_url,
           "METACRM_BUNDLES": os.pathsep.join(settings.bundles),
           "METACRM_SECRET_KEY": "test", "METACRM_INSTANCE_PATH": str(tmp_path / "cli")}

    def run(*args: str) -> Any:
        return CliRunner().invoke(main, ["jobs", *args], env=env, catch_exceptions=False)

    return run


def _held(crm, sales) -> int:  # type: ignore[no-untyped-def]
    customer = pool_customer(crm)
    assert sales["wang"].claim("customer", customer["id"]).status_code == 200
    return int(customer["id"])


def _pool_lines(output: str) -> list[str]:
    """The listing without the approval deadlines' task (the shipped approvals have some)."""
    return [line for line in output.splitlines() if not line.startswith("approvals.deadlines")]


def test_jobs_list_shows_each_task_with_its_interval(run_cli) -> None:
    result = run_cli("list")
    assert result.exit_code == 0, result.output
    assert _pool_lines(result.output) == [
        f"{TASK}  every 1h  next due now (never ticked)  (No follow-up for 30 days)",
        ("housekeeping  every 6h  next due now (never ticked)  (Delete ended web sessions, "
         "old sign-in failures and security events past their retention; undo "
         "customizations left unfinished)")]


def test_a_dry_run_prints_what_it_would_do_and_changes_nothing(crm, sales, run_cli) -> None:
    record_id = _held(crm, sales)
    result = run_cli("run", TASK, "--dry-run", "--now", "2099-01-01T08:00:00+08:00")
    assert result.exit_code == 0, result.output
    assert result.output == (f"{TASK} at 2099-01-01T00:00:00+00:00: would return 1 customer "
                             f"record(s) to the pool: {record_id}\n")
    assert crm.get(f"/api/customer/{record_id}").json["owner"] == sales["wang"].id
    assert "never ticked" in run_cli("list").output


def test_a_run_returns_records_and_the_list_shows_its_result(crm, sales, run_cli) -> None:
    record_id = _held(crm, sales)
    result = run_cli("run", TASK, "--now", "2099-01-01T00:00:00")
    assert result.exit_code == 0, result.output
    assert result.output.endswith(f"returned 1 customer record(s) to the pool: {record_id}\n")
    assert crm.get(f"/api/customer/{record_id}").json["owner"] is None

    again = run_cli("run", TASK, "--now", "2099-01-01T00:00:00")
    assert "returned 0 customer record(s) to the pool\n" in again.output
    listing = _pool_lines(run_cli("list").output)
    assert listing[1].startswith("    last run: started 2099-01-01T00:00:00+00:00, finished ")
    assert listing[1].endswith(': {"returned": 0}')


def test_nothing_is_returned_now_that_is_not_yet_idle(crm, sales, run_cli) -> None:
    record_id = _held(crm, sales)
    result = run_cli("run", TASK)
    assert result.output.endswith("returned 0 customer record(s) to the pool\n")
    assert crm.get(f"/api/customer/{record_id}").json["owner"] == sales["wang"].id


def test_an_unknown_task_or_a_bad_time_is_refused(run_cli) -> None:
    unknown = run_cli("run", "customer.no_followup_30_day")
    assert unknown.exit_code == 1
    assert "no task 'customer.no_followup_30_day'" in unknown.output
    assert f"did you mean '{TASK}'" in unknown.output
    bad = run_cli("run", TASK, "--now", "next tuesday")
    assert bad.exit_code == 2
    assert "'next tuesday' is not a date-time (ISO 8601)" in bad.output
