"""``metacrm jobs ...``: list the scheduled tasks and run one by hand."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import click
import sqlalchemy as sa

from ..base.context import utcnow
from ..config import Settings
from ..errors import DefinitionError
from ..platform import Platform
from ..values import to_utc
from .slots import SLOTS_TABLE, read_slots, slots_table
from .tasks import UnknownTask, compile_tasks, find_task, parse_time, perform, run_and_record


@contextmanager
def _platform() -> Iterator[Platform]:
    try:
        platform = Platform.build(Settings.from_env())
    except DefinitionError as exc:
        raise click.ClickException("\n".join(str(d) for d in exc.diagnostics)) from None
    try:
        with platform.reading() as conn:
            if not sa.inspect(conn).has_table(SLOTS_TABLE):
                raise click.ClickException("the database is not migrated: run `metacrm migrate`")
        yield platform
    finally:
        platform.engine.dispose()


@click.group("jobs")
def jobs_command() -> None:
    """Scheduled background jobs (the pool's return rules, approval deadlines, e-mail,
    housekeeping): list them, run one now."""


@jobs_command.command("list")
def list_jobs() -> None:
    """Each task with its interval, when it is next due and what its last run did."""
    with _platform() as platform:
        tasks = compile_tasks(platform.compiled, platform.settings)
        with platform.reading() as conn:
            slots = read_slots(conn, slots_table(platform.compiled.metadata))
    for name, task in sorted(tasks.items()):
        slot = slots.get(name)
        due = _time(slot["due_at"]) if slot else "now (never ticked)"
        click.echo(f"{name}  every {_duration(task.every_seconds)}  next due {due}  "
                   f"({task.label.get('en')})")
        if slot and slot["finished_at"] is not None:
            click.echo(f"    last run: started {_time(slot['started_at'])}, finished "
                       f"{_time(slot['finished_at'])}: {json.dumps(slot['result'])}")
        elif slot and slot["started_at"] is not None:
            click.echo(f"    started {_time(slot['started_at'])}, not finished yet")


@jobs_command.command("run")
@click.argument("name")
@click.option("--dry-run", is_flag=True, help="Show what it would do; change nothing.")
@click.option("--now", "now_text", default=None, metavar="ISO-DATETIME",
              help="Run as of this time instead of now (e.g. 2025-03-01T09:00:00+08:00; "
                   "without an offset: UTC).")
def run_job(name: str, dry_run: bool, now_text: str | None) -> None:
    """Run task NAME now (e.g. customer.no_followup_30_days, housekeeping) and print what
    it did."""
    try:
        now = parse_time(now_text) if now_text else utcnow()
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--now") from None
    with _platform() as platform:
        try:
            task = find_task(platform.compiled, name, platform.settings)
        except UnknownTask as exc:
            raise click.ClickException(str(exc)) from None
        outcome = (perform(platform, task, now, dry_run=True) if dry_run
                   else run_and_record(platform, task, now))
    click.echo(f"{name} at {_time(now)}: {outcome.summary}")


def _time(value: datetime) -> str:
    return to_utc(value).isoformat(timespec="seconds")


def _duration(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
