"""One batch of an import's rows, in one transaction: each row read as a request
body, found by its --match key or not, then updated (the API's PATCH, the changed
fields' earlier values kept for a revert) or held to be created with the batch's
other new records (imports/creating.py); then the rows' log and the import's
position. A dry run does the writes inside a savepoint rolled back at the end.

The --match keys of the whole batch are looked up with one statement; a key seen a
second time in the batch is looked up again as the row comes (an earlier row of the
batch may have created or changed its record)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..base.context import Context, utcnow
from ..base.problems import Invalid, Problem
from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..platform import Platform
from ..runtime.access import Viewer
from ..runtime.inserts import append_rows
from ..runtime.links import link_ids
from ..runtime.payload import read_payload
from ..runtime.reads import serialize
from ..runtime.stored_rows import locking
from ..runtime.writes import update_record
from ..values import json_value
from .cells import RowReader
from .creating import Creates, DuplicateCheck
from .mapping import ColumnMapping
from .outcomes import Outcome, failed, shown_key
from .store import ImportOptions

Rows = list[tuple[int, list[Any]]]


class _Every(set[tuple[Any, ...]]):
    """Every key: each one is looked up as its row comes."""

    def __contains__(self, key: object) -> bool:
        return True



class Batch:
    """What one batch works with while its rows are read and written."""

    def __init__(self, conn: sa.Connection, compiled: Compiled, model: EntityModel,
                 ctx: Context, options: ImportOptions, reader: RowReader,
                 check: DuplicateCheck | None):
        self.conn, self.compiled, self.model, self.ctx = conn, compiled, model, ctx
        self.options, self.reader = options, reader
        self.viewer = reader.viewer
        self.access = self.viewer.of(model)
        self.outcomes: list[Outcome] = []
        self.creates = Creates(conn, compiled, model, ctx, self.outcomes, check)
        self.matches: dict[tuple[Any, ...], list[int]] = {}
        self.seen: set[tuple[Any, ...]] = set()

    def run(self, rows: Rows) -> None:
        if any(f.to == self.model.name for f in self.model.entity.fields.values()
               if f.type in ("reference", "multi_reference")):
            # A row may name a record an earlier row of the batch wrote: each row's
            # cells are read when its turn comes, its key looked up then.
            self.seen = _Every()
            for number, cells in rows:
                self._read(number, cells)
        else:
            self.reader.look_up([cells for _, cells in rows])
            bodies = [(number, cells, self.reader.body(cells)) for number, cells in rows]
            if self.options.match:
                self._find_all([body for _, _, (body, errors) in bodies if not errors])
            for number, cells, (body, errors) in bodies:
                if errors:
                    self.outcomes.append(failed(number, cells, errors))
                else:
                    self.row(number, cells, body)
        self.creates.flush()
        self.outcomes.sort(key=lambda o: o.row)

    def _read(self, number: int, cells: list[Any]) -> None:
        body, errors = self.reader.body(cells)
        if errors:
            self.outcomes.append(failed(number, cells, errors))
        else:
            self.row(number, cells, body)

    def _find_all(self, bodies: list[dict[str, Any]]) -> None:
        keys = set()
        for body in bodies:
            if body.get("id") is None:
                try:
                    key = self._match_key(body)
                except Invalid:
                    continue
                if key is not None:
                    keys.add(key)
        self.matches = _find(self.conn, self.viewer, self.model, self.options.match, keys)

    def row(self, number: int, cells: list[Any], body: dict[str, Any]) -> None:
        options = self.options
        record_id: int | None = body.pop("id", None)
        key: tuple[Any, ...] | None = None
        if record_id is None and options.match:
            try:
                key = self._match_key(body)
            except Invalid as problem:
                self.outcomes.append(failed(number, cells, problem.errors))
                return
            if key is not None and key in self.creates.keys:
                self.creates.flush()  # the earlier row first: then it exists
            if key is not None:
                if key in self.seen:  # an earlier row of the batch may have written it
                    found = _find(self.conn, self.viewer, self.model, options.match,
                                  {key}).get(key, [])
                else:
                    found = self.matches.get(key, [])
                self.seen.add(key)
                if len(found) > 1:
                    self.outcomes.append(failed(number, cells, {"_row": [
                        f"{len(found)} records match {shown_key(options.match, key)}: "
                        f"#{', #'.join(map(str, found[:5]))}"]}))
                    return
                record_id = found[0] if found else None
        if record_id is not None:
            if options.mode == "create":
                self.outcomes.append(Outcome(number, "skipped", record_id, errors={
                    "_row": [f"already there: {shown_key(options.match, key)}" if key
                             else "an id is given: use --mode update or upsert"]}))
                return
            self.creates.look_up()  # the rows to create are checked against the
            # database as it was when they were read
            self.outcomes.append(self._update(number, cells, record_id, body))
            return
        if options.mode == "update":
            self.outcomes.append(failed(number, cells, {"_row": [
                f"no record matches {shown_key(options.match, key)}" if key
                else "no id and no --match: nothing says which record to update"]}))
            return
        try:
            values = read_payload(self.model, self.ctx, body, creating=True,
                                  access=self.access, hints=1)
            self.creates.add(number, cells, values, key)
        except Problem as problem:  # Invalid, or Conflict: a blocking duplicate rule
            self.outcomes.append(failed(number, cells, problem.errors))

    def _match_key(self, body: dict[str, Any]) -> tuple[Any, ...] | None:
        """The row's values of the --match fields, read as a write reads them (so that
        they compare as stored); None when one of them is empty."""
        match = self.options.match
        if any(body.get(name) in (None, "", []) for name in match):
            return None
        values = read_payload(self.model, self.ctx, {n: body[n] for n in match},
                              creating=False, access=self.access)
        return tuple(values[n] for n in match)

    def _update(self, number: int, cells: list[Any], record_id: int, body: dict[str, Any]
                ) -> Outcome:
        """PATCH the record with the row's cells (empty cells leave fields as they are),
        keeping the changed fields' earlier values for a revert."""
        conn, model = self.conn, self.model
        savepoint = conn.begin_nested()
        try:
            current = conn.execute(locking(model), {"record_id": record_id}).mappings().first()
            before = serialize(model, current, model.output_columns) if current else {}
            if current is not None:  # a multi-reference's earlier targets, for a revert
                before.update({f.name: link_ids(current[f.name])
                               for f in model.multi_references})
            record = update_record(conn, self.compiled, model, self.ctx, record_id, body, None,
                                   check_duplicates=True)
        except Problem as problem:
            savepoint.rollback()
            return failed(number, cells, problem.errors)
        savepoint.commit()
        version = record.get("version")
        if version == before.get("version"):
            return Outcome(number, "skipped", record_id, version,
                           errors={"_row": ["no change"]})
        changed = {n: json_value(before.get(n)) for n in body if n in before
                   and json_value(before.get(n)) != json_value(_sorted(record.get(n)))}
        warnings = record.get("_duplicates")  # a warning rule's, logged as for a created row
        return Outcome(number, "updated", record_id, version, before=changed,
                       errors={"_duplicates": warnings} if warnings else None)


def _find(conn: sa.Connection, viewer: Viewer, model: EntityModel, match: tuple[str, ...],
          keys: set[tuple[Any, ...]]) -> dict[tuple[Any, ...], list[int]]:
    """The live records (at most 6, by id) each key matches, among those the importer
    may read; one statement for all the keys."""
    if not keys:
        return {}
    table = model.table
    columns = [table.c[n] for n in match]
    wanted = sorted(keys, key=repr)
    ranked = (sa.select(table.c.id, *columns, sa.func.row_number().over(
        partition_by=columns, order_by=table.c.id).label("n"))
        .where(table.c.deleted_at.is_(None),
               columns[0].in_([k[0] for k in wanted]) if len(columns) == 1
               else sa.tuple_(*columns).in_(wanted)))
    scope = viewer.read_condition(model)
    if scope is not None:
        ranked = ranked.where(scope)
    sub = ranked.subquery()
    found: dict[tuple[Any, ...], list[int]] = {}
    for row in conn.execute(sa.select(sub).where(sub.c.n <= 6).order_by(sub.c.id)):
        found.setdefault(tuple(row[1:1 + len(columns)]), []).append(row[0])
    return found


def _sorted(value: Any) -> Any:
    return sorted(value) if isinstance(value, list) else value


def run_batch(platform: Platform, model: EntityModel, ctx: Context, options: ImportOptions,
              header: list[str], mapping: ColumnMapping, import_id: int, rows: Rows,
              counts: dict[str, int], check: DuplicateCheck | None) -> None:
    """One transaction: the rows' writes (rolled back in a dry run), their log rows and
    the import's position. ``check``: a replaced duplicate check, asked row by row
    (None: the entity's duplicate rules, a batch at a time)."""
    compiled, tables = platform.compiled, platform.compiled.tables
    with platform.writing() as conn:
        # Every batch has its own time: an import of an hour is not stamped as one moment.
        ctx = Context(ctx.principal, ctx.locale, utcnow())
        writes = conn.begin_nested() if options.dry_run else None
        viewer = Viewer(compiled, ctx.principal, conn)
        reader = RowReader(conn, compiled, viewer, model, header, mapping)
        batch = Batch(conn, compiled, model, ctx, options, reader, check)
        batch.run(rows)
        if writes is not None:
            writes.rollback()
        append_rows(conn, tables.import_rows, [
            {"import_id": import_id, "row": o.row, "action": o.action,
             "record_id": o.record_id, "version": o.version, "before": o.before,
             "errors": o.errors, "cells": o.cells, "reverted": None}
            for o in batch.outcomes])
        for o in batch.outcomes:
            counts[o.action] += 1
        conn.execute(tables.imports.update().where(tables.imports.c.id == import_id).values(
            last_row=rows[-1][0], counts=dict(counts)))

