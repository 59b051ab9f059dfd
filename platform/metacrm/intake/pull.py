"""Pull-style intake sources: a plugin hook yields the leads a system has had since a
cursor; a scheduled job (``intake.<source>``, jobs/tasks.py) stores each one as the
endpoint would and keeps the cursor for the next run.

A source's hook (``pull: {hook: <plugin>.<hook>}``) is called with a ``PullRequest``
and returns an iterable of ``Pulled`` (a lead and the cursor reached with it) or of
plain lead dicts. A lead that is refused is logged and counted, never fatal; the
cursor still moves past it (it would be refused again). If the hook itself fails (the
other system is away), the run stops there: the cursor stays at the last lead handled
and the next run carries on from it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ..definitions.intake import IntakeDef
from ..platform import Platform
from ..plugins import find_hook
from .credentials import ensure_service_user
from .receive import CREATED, EXISTING, receive_lead, source_context
from .tables import cursors_table

TASK_PREFIX = "intake."
log = logging.getLogger("metacrm.intake")


@dataclass(frozen=True)
class PullRequest:
    """What a pull hook is given: the source's ``options`` from its definition, the
    ``cursor`` where the last run stopped (None the first time) and a logger."""

    source: str
    options: Mapping[str, Any]
    cursor: str | None
    log: logging.Logger = log


@dataclass(frozen=True)
class Pulled:
    """One lead as the other system has it, and the cursor to resume after it."""

    lead: Mapping[str, Any]
    cursor: str | None = None


@dataclass
class PullRun:
    created: int = 0
    existing: int = 0
    failed: int = 0
    cursor: str | None = None
    error: str | None = None
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"created": self.created, "existing": self.existing,
                                 "failed": self.failed, "cursor": self.cursor}
        if self.error:
            found["error"] = self.error
        return found

    @property
    def summary(self) -> str:
        text = (f"created {self.created} lead(s), {self.existing} already there, "
                f"{self.failed} refused; cursor {self.cursor!r}")
        return text + (f"; stopped: {self.error}" if self.error else "")


PullHook = Callable[[PullRequest], Iterable[Pulled | Mapping[str, Any]]]


def read_cursor(conn: sa.Connection, metadata: sa.MetaData, source: str) -> str | None:
    table = cursors_table(metadata)
    return conn.execute(sa.select(table.c.cursor).where(table.c.source == source)).scalar()


def _save(conn: sa.Connection, metadata: sa.MetaData, source: str, run: PullRun,
          now: datetime) -> None:
    table = cursors_table(metadata)
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    values = {"cursor": run.cursor, "pulled_at": now, "result": run.as_dict()}
    conn.execute(dialect.insert(table).values(source=source, **values)
                 .on_conflict_do_update(index_elements=[table.c.source], set_=values))


def pull_source(platform: Platform, source: IntakeDef, now: datetime) -> PullRun:
    """Ask the source's hook for what is new since its cursor and store each lead."""
    assert source.pull is not None
    compiled = platform.compiled
    metadata = compiled.metadata
    hook = cast(PullHook, find_hook(platform.plugins, source.pull.hook))
    with platform.writing() as conn:
        user_id = ensure_service_user(conn, metadata, source.name,
                                      source.label.get("en") or source.name)
        run = PullRun(cursor=read_cursor(conn, metadata, source.name))
    ctx = source_context(user_id)
    request = PullRequest(source.name, source.pull.options, run.cursor)
    index = 0
    try:
        for item in hook(request):
            lead, cursor = (item.lead, item.cursor) if isinstance(item, Pulled) else (item, None)
            outcome = receive_lead(platform.writing, compiled, source, index,
                                   dict(lead) if isinstance(lead, Mapping) else lead, ctx)
            if outcome.result == CREATED:
                run.created += 1
            elif outcome.result == EXISTING:
                run.existing += 1
            else:
                run.failed += 1
                problem = f"lead {index} ({outcome.external_id or 'no id'}): {outcome.errors}"
                run.problems.append(problem)
                log.warning("intake %s: refused %s", source.name, problem)
            if cursor is not None:
                run.cursor = cursor
            index += 1
    except Exception as exc:  # the other system's failure: carry on next run
        run.error = f"{type(exc).__name__}: {exc}"
        log.warning("intake %s: pull stopped after %d lead(s): %s", source.name, index,
                    run.error)
    with platform.writing() as conn:
        _save(conn, metadata, source.name, run, now)
    return run
