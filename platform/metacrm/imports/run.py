"""Run an import: the file's rows through the same writes as the API, in batches.

Each batch (imports/batch.py) is one transaction holding its records and its rows
of the import's log, and the import's ``last_row``: a run killed anywhere leaves
whole batches, and a resumed run starts after ``last_row``, so no row is imported
twice. New records go in with one ``create_records`` per batch (the API's bulk
create: payloads, references, rules, required fields, permissions, assignment
rules, audit trail; imports/creating.py); a row that fails is taken out and the
rest written again. Updates go through ``update_record``, the API's PATCH. A dry
run does all of it inside a savepoint rolled back at the end of each batch: every
check the writes make, nothing kept but the log. This module runs the batches,
keeps the import's state and decides who it runs as.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from ..base.context import Context, Principal, utcnow
from ..base.problems import Problem
from ..collector import collected_per_batch
from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..identity.principals import principal_of
from ..platform import Platform
from ..runtime.access import Viewer
from ..runtime.duplicates import check_new_record
from ..runtime.operation import Operation
from .batch import run_batch
from .mapping import ColumnMapping
from .reading import UnreadableFile, open_sheet
from .store import ImportOptions, empty_counts, read_import

BATCH = 500
Progress = Callable[[dict[str, Any]], None]


class ImportStopped(RuntimeError):
    """Raised by tests (``stop_after``) to stand for a worker killed between batches."""


def duplicate_check(op: Operation, model: EntityModel, values: dict[str, Any]
                    ) -> list[dict[str, Any]]:
    """The one place an import asks for the entity's duplicate rules on a new record
    (runtime/duplicates.py: its create check, as the API's create runs it): a
    blocking rule raises Conflict with the candidates, a warning rule's candidates
    are returned and logged with the created row. The rules themselves are checked a
    batch at a time (imports/creating.py), with the answers this gives row by row; a
    replacement of this function (a test, a plugin) is asked row by row. Cleaning
    needs no call here: it is part of read_payload, which every row goes through."""
    found: list[dict[str, Any]] = check_new_record(op, model, values)
    return found


_RULES_CHECK = duplicate_check


def import_context(conn: sa.Connection, compiled: Compiled, job: dict[str, Any]) -> Context:
    """Who the import runs as: its user with their roles now, or the platform."""
    options = ImportOptions.from_dict(job["options"])
    if options.as_platform or job["user_id"] is None:
        return Context(Principal(job["user_id"], system=True), options.locale, utcnow())
    principal = principal_of(conn, compiled.metadata, job["user_id"])
    if principal is None:
        raise Problem(f"user #{job['user_id']} is no longer active")
    return Context(principal, options.locale, utcnow())


def check_allowed(compiled: Compiled, model: EntityModel, ctx: Context,
                  options: ImportOptions) -> None:
    """Import is an operation of its own, besides create and update, that a role must
    grant (Forbidden says which is missing)."""
    access = Viewer(compiled, ctx.principal).of(model)
    access.require("import", ctx)
    if options.mode in ("create", "upsert"):
        access.require("create", ctx)
    if options.mode in ("update", "upsert"):
        access.require("update", ctx)


def run_import(platform: Platform, import_id: int, *, progress: Progress | None = None,
               stop_after: int | None = None, batch_size: int = BATCH) -> dict[str, Any]:
    """Run (or resume) import ``import_id`` to its end; returns its final row.
    ``stop_after``: stop after that many batches, as a killed worker would (tests)."""
    compiled, tables = platform.compiled, platform.compiled.tables
    with platform.writing() as conn:
        job = read_import(conn, tables, import_id)
        if job is None:
            raise LookupError(f"no import #{import_id}")
        if job["status"] in ("done", "reverted"):
            return job
        ctx = import_context(conn, compiled, job)
        conn.execute(tables.imports.update().where(tables.imports.c.id == import_id)
                     .values(status="running", error=None))
    model = compiled.models[job["entity"]]
    options = ImportOptions.from_dict(job["options"])
    try:
        check_allowed(compiled, model, ctx, options)
        sheet = open_sheet(job["path"], job["filename"])
        if job["total_rows"] is None:
            total = sum(1 for _ in sheet.rows())
            with platform.writing() as conn:
                conn.execute(tables.imports.update().where(tables.imports.c.id == import_id)
                             .values(total_rows=total))
            job["total_rows"] = total
        mapping = ColumnMapping.from_dict(job["mapping"])
        header = job["header"]
        counts = dict(job["counts"]) or empty_counts()
        check = None if duplicate_check is _RULES_CHECK else duplicate_check
        batches = 0
        rows: list[tuple[int, list[Any]]] = []
        with collected_per_batch() as after_batch:
            for number, cells in sheet.rows(start=job["last_row"]):
                rows.append((number, cells))
                if len(rows) >= batch_size:
                    run_batch(platform, model, ctx, options, header, mapping, import_id,
                              rows, counts, check)
                    after_batch()
                    batches += 1
                    if progress:
                        progress({**job, "last_row": number, "counts": counts})
                    rows = []
                    if stop_after is not None and batches >= stop_after:
                        raise ImportStopped(f"stopped after {batches} batch(es)")
            if rows:
                run_batch(platform, model, ctx, options, header, mapping, import_id, rows,
                          counts, check)
                if progress:
                    progress({**job, "last_row": rows[-1][0], "counts": counts})
    except ImportStopped:
        raise
    except (Problem, UnreadableFile, OSError) as exc:
        text = "; ".join(m for ms in exc.errors.values() for m in ms) \
            if isinstance(exc, Problem) else str(exc)
        _finish(platform, import_id, "failed", text)
        raise
    except Exception as exc:
        _finish(platform, import_id, "failed", f"{type(exc).__name__}: {exc}")
        raise
    return _finish(platform, import_id, "done", None)


def _finish(platform: Platform, import_id: int, status: str, error: str | None
            ) -> dict[str, Any]:
    tables = platform.compiled.tables
    with platform.writing() as conn:
        conn.execute(tables.imports.update().where(tables.imports.c.id == import_id)
                     .values(status=status, error=error, finished_at=utcnow()))
        return read_import(conn, tables, import_id) or {}
