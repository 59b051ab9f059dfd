"""Run an import: the file's rows through the same writes as the API, in batches.

Each batch is one transaction holding its records and its rows of the import's
log, and the import's ``last_row``: a run killed anywhere leaves whole batches,
and a resumed run starts after ``last_row``, so no row is imported twice. New
records go in with one ``create_records`` per batch (the API's bulk create:
payloads, references, rules, required fields, permissions, assignment rules,
audit trail); a row that fails is taken out and the rest written again.
Updates go through ``update_record``, the API's PATCH. A dry run does all of
it inside a savepoint rolled back at the end of each batch: every check the
writes make, nothing kept but the log.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ..base.context import Context, Principal, utcnow
from ..base.problems import Invalid, Problem
from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..identity.principals import principal_of
from ..platform import Platform
from ..runtime.access import Viewer
from ..runtime.links import link_ids
from ..runtime.operation import Operation
from ..runtime.payload import read_payload
from ..runtime.reads import serialize
from ..runtime.writes import create_records, locking, update_record
from ..values import json_value
from .cells import RowReader
from .mapping import ColumnMapping
from .reading import UnreadableFile, open_sheet
from .store import ImportOptions, empty_counts, read_import

BATCH = 500
Progress = Callable[[dict[str, Any]], None]


class ImportStopped(RuntimeError):
    """Raised by tests (``stop_after``) to stand for a worker killed between batches."""


@dataclass
class Outcome:
    """One row's result, logged as it is."""

    row: int
    action: str
    record_id: int | None = None
    version: int | None = None
    before: dict[str, Any] | None = None
    errors: dict[str, list[Any]] | None = None  # messages; created, updated: _duplicates
    cells: list[Any] | None = None


@dataclass
class Batch:
    """What a batch holds while it runs: the rows to create, and the outcomes."""

    pending: list[tuple[int, list[Any], dict[str, Any]]] = field(default_factory=list)
    pending_keys: set[tuple[Any, ...]] = field(default_factory=set)
    outcomes: list[Outcome] = field(default_factory=list)
    # Likely duplicates a warning rule found for a row to create, by row number.
    warnings: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    # The duplicate keys of the rows to create (see ``duplicate_keys``).
    pending_duplicates: set[tuple[Any, ...]] = field(default_factory=set)


def duplicate_keys(model: EntityModel, values: dict[str, Any]) -> set[tuple[Any, ...]]:
    """What two rows of one batch must share to be possible duplicates of each other
    by the entity's duplicate rules: an exact rule's values, a fuzzy rule's block.
    The check looks at the records in the database only; a row sharing a key with
    a row still to be written has the batch written first, so that it sees it.
    (Read with getattr: a platform without duplicate rules has no such attributes.)"""
    keys: set[tuple[Any, ...]] = set()
    rules = getattr(model.entity, "duplicates", ())
    blocks: Any = model  # block_keys comes with the duplicate rules
    for rule in rules:
        if rule.fields:
            found = tuple(values.get(n) for n in rule.fields)
            if all(v not in (None, "", []) for v in found):
                keys.add((rule.name, found))
        elif rule.fuzzy and values.get(rule.fuzzy):
            keys.add((rule.name, tuple(sorted(blocks.block_keys(
                {rule.fuzzy: values[rule.fuzzy]}).items()))))
    return keys


def duplicate_check(op: Operation, model: EntityModel, values: dict[str, Any]
                    ) -> list[dict[str, Any]]:
    """The one place an import asks for the entity's duplicate rules on a new record
    (runtime/duplicates.py, where the platform has it: its create check, as the API's
    create runs it): a blocking rule raises Conflict with the candidates, a warning
    rule's candidates are returned and logged with the created row. Cleaning needs no
    call here: it is part of read_payload, which every row goes through."""
    try:
        duplicates = importlib.import_module("metacrm.runtime.duplicates")
    except ModuleNotFoundError:  # a platform without duplicate rules
        return []
    found: list[dict[str, Any]] = duplicates.check_new_record(op, model, values)
    return found


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
        batches = 0
        rows: list[tuple[int, list[Any]]] = []
        for number, cells in sheet.rows(start=job["last_row"]):
            rows.append((number, cells))
            if len(rows) >= batch_size:
                _run_batch(platform, model, ctx, options, header, mapping, import_id, rows,
                           counts)
                batches += 1
                if progress:
                    progress({**job, "last_row": number, "counts": counts})
                rows = []
                if stop_after is not None and batches >= stop_after:
                    raise ImportStopped(f"stopped after {batches} batch(es)")
        if rows:
            _run_batch(platform, model, ctx, options, header, mapping, import_id, rows, counts)
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


def _run_batch(platform: Platform, model: EntityModel, ctx: Context, options: ImportOptions,
               header: list[str], mapping: ColumnMapping, import_id: int,
               rows: list[tuple[int, list[Any]]], counts: dict[str, int]) -> None:
    """One transaction: the rows' writes (rolled back in a dry run), their log rows and
    the import's position."""
    compiled, tables = platform.compiled, platform.compiled.tables
    with platform.writing() as conn:
        # Every batch has its own time: an import of an hour is not stamped as one moment.
        ctx = Context(ctx.principal, ctx.locale, utcnow())
        writes = conn.begin_nested() if options.dry_run else None
        viewer = Viewer(compiled, ctx.principal, conn)
        reader = RowReader(conn, compiled, viewer, model, header, mapping)
        batch = Batch()
        for number, cells in rows:
            _one_row(conn, compiled, viewer, reader, model, ctx, options, batch, number, cells)
        _flush(conn, compiled, model, ctx, batch)
        if writes is not None:
            writes.rollback()
        batch.outcomes.sort(key=lambda o: o.row)
        conn.execute(tables.import_rows.insert(), [
            {"import_id": import_id, "row": o.row, "action": o.action,
             "record_id": o.record_id, "version": o.version, "before": o.before,
             "errors": o.errors, "cells": o.cells, "reverted": None}
            for o in batch.outcomes])
        for o in batch.outcomes:
            counts[o.action] += 1
        conn.execute(tables.imports.update().where(tables.imports.c.id == import_id).values(
            last_row=rows[-1][0], counts=dict(counts)))


def _one_row(conn: sa.Connection, compiled: Compiled, viewer: Viewer, reader: RowReader,
             model: EntityModel, ctx: Context, options: ImportOptions, batch: Batch,
             number: int, cells: list[Any]) -> None:
    body, errors = reader.body(cells)
    if errors:
        batch.outcomes.append(_failed(number, cells, errors))
        return
    access = viewer.of(model)
    record_id: int | None = body.pop("id", None)
    key: tuple[Any, ...] | None = None
    if record_id is None and options.match:
        try:
            key = _match_key(model, ctx, options.match, body, access)
        except Invalid as problem:
            batch.outcomes.append(_failed(number, cells, problem.errors))
            return
        if key is not None and key in batch.pending_keys:
            _flush(conn, compiled, model, ctx, batch)  # the earlier row first: then it exists
        if key is not None:
            found = _find(conn, viewer, model, options.match, key)
            if len(found) > 1:
                batch.outcomes.append(_failed(number, cells, {"_row": [
                    f"{len(found)} records match {_shown_key(options.match, key)}: "
                    f"#{', #'.join(map(str, found[:5]))}"]}))
                return
            record_id = found[0] if found else None
    if record_id is not None:
        if options.mode == "create":
            batch.outcomes.append(Outcome(number, "skipped", record_id, errors={
                "_row": [f"already there: {_shown_key(options.match, key)}" if key
                         else "an id is given: use --mode update or upsert"]}))
            return
        batch.outcomes.append(_update(conn, compiled, model, ctx, number, cells, record_id,
                                      body))
        return
    if options.mode == "update":
        batch.outcomes.append(_failed(number, cells, {"_row": [
            f"no record matches {_shown_key(options.match, key)}" if key
            else "no id and no --match: nothing says which record to update"]}))
        return
    try:
        values = read_payload(model, ctx, body, creating=True, access=access, hints=1)
        possible = duplicate_keys(model, values)
        if possible & batch.pending_duplicates:
            _flush(conn, compiled, model, ctx, batch)  # an earlier row may be its twin
        warnings = duplicate_check(Operation(conn, compiled, ctx), model, values)
    except Problem as problem:  # Invalid, or Conflict: a blocking duplicate rule
        batch.outcomes.append(_failed(number, cells, problem.errors))
        return
    if warnings:
        batch.warnings[number] = warnings
    batch.pending.append((number, cells, values))
    batch.pending_duplicates |= possible
    if key is not None:
        batch.pending_keys.add(key)


def _match_key(model: EntityModel, ctx: Context, match: tuple[str, ...],
               body: dict[str, Any], access: Any) -> tuple[Any, ...] | None:
    """The row's values of the --match fields, read as a write reads them (so that
    they compare as stored); None when one of them is empty."""
    if any(body.get(name) in (None, "", []) for name in match):
        return None
    values = read_payload(model, ctx, {n: body[n] for n in match}, creating=False,
                          access=access)
    return tuple(values[n] for n in match)


def _find(conn: sa.Connection, viewer: Viewer, model: EntityModel, match: tuple[str, ...],
          key: tuple[Any, ...]) -> list[int]:
    table = model.table
    statement = sa.select(table.c.id).where(
        table.c.deleted_at.is_(None), *(table.c[n] == v for n, v in zip(match, key,
                                                                        strict=True)))
    scope = viewer.read_condition(model)
    if scope is not None:
        statement = statement.where(scope)
    return list(conn.execute(statement.order_by(table.c.id).limit(6)).scalars())


def _update(conn: sa.Connection, compiled: Compiled, model: EntityModel, ctx: Context,
            number: int, cells: list[Any], record_id: int, body: dict[str, Any]) -> Outcome:
    """PATCH the record with the row's cells (empty cells leave fields as they are),
    keeping the changed fields' earlier values for a revert."""
    savepoint = conn.begin_nested()
    try:
        current = conn.execute(locking(model), {"record_id": record_id}).mappings().first()
        before = serialize(model, current, model.output_columns) if current else {}
        if current is not None:  # a multi-reference's earlier targets, for a revert
            before.update({f.name: link_ids(current[f.name]) for f in model.multi_references})
        record = update_record(conn, compiled, model, ctx, record_id, body, None,
                               check_duplicates=True)
    except Problem as problem:
        savepoint.rollback()
        return _failed(number, cells, problem.errors)
    savepoint.commit()
    version = record.get("version")
    if version == before.get("version"):
        return Outcome(number, "skipped", record_id, version,
                       errors={"_row": ["no change"]})
    changed = {n: json_value(before.get(n)) for n in body
               if n in before and json_value(before.get(n)) != json_value(_sorted(record.get(n)))}
    warnings = record.get("_duplicates")  # a warning rule's, logged as for a created row
    return Outcome(number, "updated", record_id, version, before=changed,
                   errors={"_duplicates": warnings} if warnings else None)


def _flush(conn: sa.Connection, compiled: Compiled, model: EntityModel, ctx: Context,
           batch: Batch) -> None:
    """Create the pending rows with one bulk create; rows it refuses are taken out
    (and logged) and the others created again, until all are in or out."""
    pending = batch.pending
    batch.pending, batch.pending_keys, batch.pending_duplicates = [], set(), set()
    while pending:
        savepoint = conn.begin_nested()
        try:
            created = create_records(conn, compiled, model, ctx, [p[2] for p in pending],
                                     bulk=True)
        except Invalid as problem:
            savepoint.rollback()
            bad = _by_item(problem.errors)
            if not bad:  # an error of the batch as a whole: find its rows one by one
                _one_by_one(conn, compiled, model, ctx, batch, pending)
                return
            for index, errors in sorted(bad.items()):
                number, cells, _ = pending[index]
                batch.outcomes.append(_failed(number, cells, errors))
            pending = [p for i, p in enumerate(pending) if i not in bad]
            continue
        except Problem:
            savepoint.rollback()
            _one_by_one(conn, compiled, model, ctx, batch, pending)
            return
        savepoint.commit()
        for (number, _, _), record in zip(pending, created, strict=True):
            batch.outcomes.append(_created(batch, number, record))
        return


def _one_by_one(conn: sa.Connection, compiled: Compiled, model: EntityModel, ctx: Context,
                batch: Batch, pending: list[tuple[int, list[Any], dict[str, Any]]]) -> None:
    """A unique value taken twice, a hold limit reached: errors no row index names."""
    for number, cells, values in pending:
        savepoint = conn.begin_nested()
        try:
            (record,) = create_records(conn, compiled, model, ctx, [values], bulk=True)
        except Problem as problem:
            savepoint.rollback()
            batch.outcomes.append(_failed(number, cells, {
                k.split(".", 1)[1] if k.startswith("items[") else k: v
                for k, v in problem.errors.items()}))
            continue
        savepoint.commit()
        batch.outcomes.append(_created(batch, number, record))


def _created(batch: Batch, number: int, record: dict[str, Any]) -> Outcome:
    warnings = batch.warnings.get(number)
    return Outcome(number, "created", record["id"], record.get("version", 1),
                   errors={"_duplicates": warnings} if warnings else None)


def _sorted(value: Any) -> Any:
    return sorted(value) if isinstance(value, list) else value


def _by_item(errors: dict[str, list[str]]) -> dict[int, dict[str, list[str]]]:
    """``{"items[3].name": [...]}`` -> ``{3: {"name": [...]}}``."""
    found: dict[int, dict[str, list[str]]] = {}
    for key, messages in errors.items():
        if not key.startswith("items["):
            return {}
        index, _, name = key[len("items["):].partition("].")
        found.setdefault(int(index), {})[name] = messages
    return found


def _failed(number: int, cells: list[Any], errors: dict[str, list[str]]) -> Outcome:
    return Outcome(number, "failed", errors=errors, cells=[json_value(c) for c in cells])


def _shown_key(match: tuple[str, ...], key: tuple[Any, ...] | None) -> str:
    if key is None:
        return ""
    return ", ".join(f"{n} = {json_value(v)}" for n, v in zip(match, key, strict=True))
