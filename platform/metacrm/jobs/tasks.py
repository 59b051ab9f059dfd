"""The periodic tasks a compiled program asks for, and running one of them.

Each return rule of an entity's pool is a task named ``<entity>.<rule>`` that
runs every ``every_seconds``. ``run_task`` is the entry point RQ calls by its
dotted path (``metacrm.jobs.tasks.run_task``): a worker rebuilds everything it
needs from the environment, as any other metacrm process does.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..compile.compiled import Compiled
from ..config import Settings
from ..definitions import Label, ReturnRuleDef
from ..errors import did_you_mean
from ..platform import Platform
from ..runtime.context import utcnow
from ..runtime.pool import return_idle
from ..values import to_utc
from .slots import ensure_slots, record_run, slots_table


@dataclass(frozen=True)
class Task:
    name: str
    entity: str
    rule: str
    every_seconds: int
    label: Label


class UnknownTask(LookupError):
    """A task name that the definitions do not produce."""


def compile_tasks(compiled: Compiled) -> dict[str, Task]:
    """Every periodic task of the program, by name (pure: reads the catalog only)."""
    tasks = {}
    for entity in compiled.catalog.entities.values():
        for rule in entity.pool.return_rules if entity.pool else ():
            name = f"{entity.name}.{rule.name}"
            tasks[name] = Task(name, entity.name, rule.name, rule.every_seconds, rule.label)
    return tasks


def find_task(compiled: Compiled, name: str) -> Task:
    tasks = compile_tasks(compiled)
    if name not in tasks:
        known = ", ".join(sorted(tasks)) or "none"
        raise UnknownTask(f"no task '{name}'{did_you_mean(name, tasks)} (the tasks: {known})")
    return tasks[name]


def perform(platform: Platform, task: Task, now: datetime, *, dry_run: bool = False
            ) -> list[int]:
    """Do what ``task`` does at ``now``, in one transaction; the ids of the records
    it returned to the pool (would return, with ``dry_run``)."""
    compiled = platform.compiled
    model = compiled.models[task.entity]
    rule = _rule(model.entity.pool.return_rules if model.entity.pool else (), task)
    with platform.writing() as conn:
        return return_idle(conn, compiled, model, rule, now, dry_run=dry_run)


def run_and_record(platform: Platform, task: Task, now: datetime) -> list[int]:
    """Perform ``task`` and keep its result (or its error) in the task's slot; the ids
    of the records it returned."""
    started = time.monotonic()
    try:
        ids = perform(platform, task, now)
    except Exception as exc:
        _record(platform, task, now, started, {"error": f"{type(exc).__name__}: {exc}"})
        raise
    _record(platform, task, now, started, {"returned": len(ids)})
    return ids


def run_task(name: str, now: str | None = None) -> dict[str, Any]:
    """The RQ job: run task ``name`` as of ``now`` (ISO 8601; default: this moment)."""
    platform = Platform.build(Settings.from_env())
    try:
        task = find_task(platform.compiled, name)
        ids = run_and_record(platform, task, parse_time(now) if now else utcnow())
        return {"returned": len(ids)}
    finally:
        platform.engine.dispose()


def parse_time(text: str) -> datetime:
    """An ISO 8601 date-time; without an offset it is taken as UTC."""
    return to_utc(datetime.fromisoformat(text))


def _rule(rules: tuple[ReturnRuleDef, ...], task: Task) -> ReturnRuleDef:
    for rule in rules:
        if rule.name == task.rule:
            return rule
    raise UnknownTask(f"'{task.entity}' has no return rule '{task.rule}' any more")


def _record(platform: Platform, task: Task, now: datetime, started: float,
            result: Mapping[str, Any]) -> None:
    # Finished "now plus the time it took": a run at a simulated time stays consistent.
    finished = now + timedelta(seconds=time.monotonic() - started)
    table = slots_table(platform.compiled.metadata)
    with platform.writing() as conn:
        ensure_slots(conn, table, [task.name], now)  # a run by hand before any tick
        record_run(conn, table, task.name, now, finished, result)
