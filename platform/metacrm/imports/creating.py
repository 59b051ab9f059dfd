"""The new records of an import's batch: held while the batch is read, then created
with one bulk create (the API's: references, rules, required fields, permissions,
autonumbers, assignment rules, audit trail: one INSERT of each kind for them all).

Each row is checked against the entity's duplicate rules as if the earlier rows
were written already (runtime/duplicate_batches.py: one statement per rule for the
batch, the earlier rows compared in Python). A row the bulk create refuses (its
item's errors) is taken out, and the others checked and created again, so that no
row sees a twin that was never written. An error of the batch as a whole (a unique
value taken twice, a hold limit reached) makes the rows go in one at a time, each
checked against the database as it is then.

A replaced ``duplicate_check`` (imports/run.py: a test, a plugin) is asked row by
row as the row is read, and a row that may be the twin of a row still held has the
held rows written first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..base.context import Context
from ..base.problems import Invalid, Problem
from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..runtime import duplicate_batches as twins
from ..runtime.duplicates import check_new_record
from ..runtime.operation import Operation
from ..runtime.writes import create_records
from .outcomes import Outcome, by_item, created, failed, item_errors

DuplicateCheck = Callable[[Operation, EntityModel, dict[str, Any]], list[dict[str, Any]]]


@dataclass
class Held:
    """A row to create: its values (read as a write reads them) and its --match key."""

    number: int
    cells: list[Any]
    values: dict[str, Any]
    key: tuple[Any, ...] | None
    looked: twins.Looked | None = None  # the database's candidates, once read
    warnings: list[dict[str, Any]] | None = None  # a replaced check's answer


def duplicate_keys(model: EntityModel, values: dict[str, Any]) -> set[tuple[Any, ...]]:
    """What two rows must share to be possible duplicates of each other by the
    entity's duplicate rules: an exact rule's values, a fuzzy rule's block."""
    keys: set[tuple[Any, ...]] = set()
    for rule in model.entity.duplicates:
        if rule.fields:
            found = tuple(values.get(n) for n in rule.fields)
            if all(v not in (None, "", []) for v in found):
                keys.add((rule.name, found))
        elif rule.fuzzy and values.get(rule.fuzzy):
            keys.add((rule.name, tuple(sorted(model.block_keys(
                {rule.fuzzy: values[rule.fuzzy]}).items()))))
    return keys


class Creates:
    """The rows of one batch waiting to be created, and how they are written."""

    def __init__(self, conn: sa.Connection, compiled: Compiled, model: EntityModel,
                 ctx: Context, outcomes: list[Outcome], check: DuplicateCheck | None):
        self.conn, self.compiled, self.model, self.ctx = conn, compiled, model, ctx
        self.outcomes, self.check = outcomes, check
        self.op = Operation(conn, compiled, ctx)
        self.held: list[Held] = []
        self.keys: set[tuple[Any, ...]] = set()  # the held rows' --match keys
        self._twins: set[tuple[Any, ...]] = set()  # with a replaced check: duplicate keys

    def add(self, number: int, cells: list[Any], values: dict[str, Any],
            key: tuple[Any, ...] | None) -> None:
        """Hold a row to create; with a replaced check, check it now (Problem: the row
        is refused)."""
        row = Held(number, cells, values, key)
        if self.check is not None:
            possible = duplicate_keys(self.model, values)
            if possible & self._twins:
                self.flush()  # an earlier row may be its twin: write it first
            row.warnings = self.check(self.op, self.model, values)
            self._twins |= possible
        self.held.append(row)
        if key is not None:
            self.keys.add(key)

    def look_up(self) -> None:
        """Read the database's duplicate candidates of the rows held so far, before a
        write of the batch (an update) changes what the database holds."""
        waiting = [row for row in self.held if row.looked is None]
        if self.check is None and waiting:
            for row, looked in zip(waiting, twins.look_up(
                    self.op, self.model, [row.values for row in waiting]), strict=True):
                row.looked = looked

    def flush(self) -> None:
        """Create the held rows; each ends as an outcome (created or failed)."""
        self.look_up()
        held = self.held
        self.held, self.keys, self._twins = [], set(), set()
        if not held:
            return
        refused: dict[int, dict[str, list[str]]] = {}
        while True:
            verdicts = self._verdicts(held, refused)
            chosen = [i for i, v in enumerate(verdicts) if i not in refused and v.errors is None]
            savepoint = self.conn.begin_nested()
            try:
                records = create_records(self.conn, self.compiled, self.model, self.ctx,
                                         [held[i].values for i in chosen], bulk=True
                                         ) if chosen else []
            except Invalid as problem:
                savepoint.rollback()
                bad = by_item(problem.errors)
                if not bad:  # an error of the batch as a whole: find its rows one by one
                    self._one_by_one(held, refused)
                    return
                refused.update({chosen[index]: errors for index, errors in bad.items()})
                continue
            except Problem:
                savepoint.rollback()
                self._one_by_one(held, refused)
                return
            savepoint.commit()
            break
        ids = {i: record["id"] for i, record in zip(chosen, records, strict=True)}
        shown = twins.written(self.op, self.model, verdicts, ids)
        made = dict(zip(chosen, records, strict=True))
        for index, row in enumerate(held):
            errors = refused.get(index) or verdicts[index].errors
            if errors:
                self.outcomes.append(failed(row.number, row.cells, errors))
            elif self.check is not None:
                self.outcomes.append(created(row.number, made[index], row.warnings))
            else:
                self.outcomes.append(created(row.number, made[index], twins.warnings(
                    self.op, self.model, verdicts[index], ids, shown)))

    def _verdicts(self, held: list[Held], refused: dict[int, Any]) -> list[twins.Verdict]:
        if self.check is not None:  # checked as they were read
            return [twins.Verdict(None, {}, set()) for _ in held]
        return twins.verdicts(self.op, self.model, [row.values for row in held],
                              [row.looked or twins.Looked() for row in held],
                              [i not in refused for i in range(len(held))])

    def _one_by_one(self, held: list[Held], refused: dict[int, dict[str, list[str]]]) -> None:
        """A unique value taken twice, a hold limit reached: errors no row index names.
        Each row is created alone, checked for duplicates against the database as the
        earlier rows left it."""
        for index, row in enumerate(held):
            if index in refused:
                self.outcomes.append(failed(row.number, row.cells, refused[index]))
                continue
            savepoint = self.conn.begin_nested()
            try:
                warnings = row.warnings if self.check is not None else check_new_record(
                    self.op, self.model, row.values)
                (record,) = create_records(self.conn, self.compiled, self.model, self.ctx,
                                           [row.values], bulk=True)
            except Problem as problem:
                savepoint.rollback()
                self.outcomes.append(failed(row.number, row.cells, item_errors(problem.errors)))
                continue
            savepoint.commit()
            self.outcomes.append(created(row.number, record, warnings))
