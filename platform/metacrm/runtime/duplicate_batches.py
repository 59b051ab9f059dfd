"""The duplicate check of many new records at once (an import's batch, a bulk create:
POST /api/<entity>/bulk), with the answer the one-record check
(duplicates.check_new_record) gives each of them as if the earlier ones had been
written first.

The records in the database are read once for the batch: one statement per exact
rule (every value of the batch, at most MAX_CANDIDATES * 4 records per value, as the
one-record check reads them) and one per fuzzy rule and 50 blocks (the first
MAX_BLOCK records of every block the batch touches); fuzzy scores are computed by
rapidfuzz as one matrix per block for the whole batch (fuzzy_scores.py). The earlier
rows of the batch are compared with the same keys and limits: a row sees an earlier
row as the one-record check would see it once written (ids after the database's, so
last in id order). Which earlier rows count is the caller's (``accepted``): for an import, a
row refused later is no twin of anyone; a bulk create, refused as a whole, counts
every item (``all_or_nothing``).

Ids, titles and readability of earlier rows are known only once they are written
(``warnings``): the candidates are kept as row indexes until then. A bulk create
refused by a blocking rule (``refuse_blocked``) names an earlier item by its index
(``request_item``) and the title it was sent with.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import sqlalchemy as sa

from ..cleaning.keys import block_key
from ..definitions import DuplicateRuleDef
from .duplicates import (
    MAX_BLOCK,
    MAX_CANDIDATES,
    Candidate,
    DuplicateFound,
    Scored,
    _candidates,
    _readable,
    _title,
    block_records,
    blocked_errors,
)
from .fuzzy_scores import BlockScores
from .operation import Operation

MAX_SAME = MAX_CANDIDATES * 4


@dataclass
class Looked:
    """What the database holds for one row, by rule name: the exact rules' records
    (id order) and the fuzzy rules' whole block (id order; its match keys beside)."""

    same: dict[str, list[Scored]] = field(default_factory=dict)
    block: dict[str, tuple[list[tuple[int, Any, bool]], list[str]]] = field(
        default_factory=dict)


@dataclass
class Verdict:
    """A row's duplicates: ``errors`` when a blocking rule matched (the row is
    refused); ``found``, every matching rule's candidates by rule (the warnings of a
    written row, the blocking ones of a refused row): database rows as Scored,
    earlier rows of the batch as ("row", index, score); ``earlier``, those rows."""

    errors: dict[str, list[str]] | None
    found: dict[str, list[Any]]
    earlier: set[int]


def look_up(op: Operation, model: Any, rows: Sequence[Mapping[str, Any]]) -> list[Looked]:
    """The database's candidates of every row (values as read_payload returns them)."""
    looked = [Looked() for _ in rows]
    for rule in model.entity.duplicates:
        if rule.fuzzy:
            _blocks(op, model, rule, rows, looked)
        else:
            _exact(op, model, rule, rows, looked)
    return looked


def _wanted(rule: DuplicateRuleDef, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
    found = tuple([values.get(name) for name in rule.fields])
    for value in found:
        if value is None or value == "":
            return None
    return found


def _exact(op: Operation, model: Any, rule: DuplicateRuleDef,
           rows: Sequence[Mapping[str, Any]], looked: list[Looked]) -> None:
    wanted = {w for values in rows if (w := _wanted(rule, values)) is not None}
    if not wanted:
        return
    table = model.table
    columns = [table.c[name] for name in rule.fields]
    match = (columns[0].in_([w[0] for w in wanted]) if len(columns) == 1
             else sa.tuple_(*columns).in_(sorted(wanted, key=repr)))
    ranked = (sa.select(table.c.id, _title(model).label("title"),
                        _readable(op, model).label("readable"), *columns,
                        sa.func.row_number().over(partition_by=columns,
                                                  order_by=table.c.id).label("n"))
              .where(table.c.deleted_at.is_(None), match).subquery())
    statement = (sa.select(ranked).where(ranked.c.n <= MAX_SAME)
                 .order_by(ranked.c.id))
    by_value: dict[tuple[Any, ...], list[Scored]] = {}
    for row in op.conn.execute(statement):
        value = tuple(row[3:3 + len(columns)])  # after id, title, readable
        by_value.setdefault(value, []).append((row[0], row[1], bool(row[2]), 100))
    for values, found in zip(rows, looked, strict=True):
        w = _wanted(rule, values)
        found.same[rule.name] = list(by_value.get(w, [])) if w is not None else []


def _key_and_block(model: Any, rule: DuplicateRuleDef, values: Mapping[str, Any]
                   ) -> tuple[str, str | None]:
    key = model.match_key(rule.fuzzy or "", values.get(rule.fuzzy or ""))
    return key, block_key(key)


def _blocks(op: Operation, model: Any, rule: DuplicateRuleDef,
            rows: Sequence[Mapping[str, Any]], looked: list[Looked]) -> None:
    name = rule.fuzzy or ""
    blocks = [_key_and_block(model, rule, values)[1] for values in rows]
    wanted = sorted({b for b in blocks if b is not None})
    if not wanted:
        return
    table = model.table
    read = block_records(op.conn, model, name, wanted,
                         [_title(model), _readable(op, model), table.c[name]],
                         [table.c.deleted_at.is_(None)])
    by_block = {block: ([(row[0], row[1], bool(row[2])) for row in rows],
                        [model.match_key(name, row[3]) for row in rows])
                for block, rows in read.items()}
    for block, found in zip(blocks, looked, strict=True):
        found.block[rule.name] = by_block[block] if block is not None else ([], [])


def verdicts(op: Operation, model: Any, rows: Sequence[Mapping[str, Any]],
             looked: Sequence[Looked], accepted: Sequence[bool], *,
             all_or_nothing: bool = False) -> list[Verdict]:
    """Each row's duplicates among the database's records and the earlier rows that
    ``accepted`` lets in and that are not refused here themselves (in row order).
    ``all_or_nothing`` (a bulk create): a row refused here still counts for the later
    ones, so that the refusal names every twin of the request, as it always has."""
    rules = model.entity.duplicates
    keys: dict[str, list[Any]] = {
        rule.name: [_key_and_block(model, rule, v) if rule.fuzzy else _wanted(rule, v)
                    for v in rows] for rule in rules}
    # A fuzzy rule's rows scored a block at a time (fuzzy_scores.py).
    scores = {rule.name: BlockScores(keys[rule.name], [
        found.block.get(rule.name, ([], []))[1] for found in looked], rule.threshold)
        for rule in rules if rule.fuzzy}
    # The earlier rows let in so far, by rule and exact value or block.
    taken: dict[str, dict[Any, list[int]]] = {rule.name: {} for rule in rules}
    result: list[Verdict] = []
    for index in range(len(rows)):
        found: dict[str, list[Any]] = {}
        earlier: set[int] = set()
        blocking: list[DuplicateRuleDef] = []
        for rule in rules:
            mine = keys[rule.name][index]
            if not rule.fuzzy:
                twins = taken[rule.name].get(mine, []) if mine is not None else []
                database = looked[index].same.get(rule.name, [])
                hits: list[Any] = [*database, *[("row", j, 100) for j in islice(
                    twins, max(0, MAX_SAME - len(database)))]][:MAX_SAME] if twins \
                    else database[:MAX_SAME]
            else:
                block = mine[1]
                records = looked[index].block.get(rule.name, ([], []))[0]
                twins = taken[rule.name].get(block, []) if block is not None else []
                hits = []
                if block is not None:
                    for score, at in scores[rule.name].scored(
                            index, block, max(0, MAX_BLOCK - len(records))):
                        hits.append((*records[at], round(score)) if at < len(records)
                                    else ("row", twins[at - len(records)], round(score)))
            if hits:
                found[rule.name] = hits
                earlier.update(h[1] for h in hits if h[0] == "row")
                if rule.action == "block":
                    blocking.append(rule)
        errors = blocked_errors(model, blocking, op.locale) if blocking else None
        if accepted[index] and (errors is None or all_or_nothing):
            for rule in rules:
                mine = keys[rule.name][index]
                at = mine[1] if rule.fuzzy else mine
                if at is not None:
                    taken[rule.name].setdefault(at, []).append(index)
                    if rule.fuzzy:
                        scores[rule.name].take(index, at)
        result.append(Verdict(errors, found, earlier))
    return result


def written(op: Operation, model: Any, found: Sequence[Verdict], ids: Mapping[int, int]
            ) -> dict[int, tuple[Any, bool]]:
    """The titles and readability of the batch's rows that are candidates of later
    rows, by record id, read once they are written (one statement)."""
    wanted = sorted({ids[j] for verdict in found for j in verdict.earlier if j in ids})
    if not wanted:
        return {}
    table = model.table
    statement = sa.select(table.c.id, _title(model), _readable(op, model)).where(
        table.c.id.in_(wanted))
    return {row[0]: (row[1], bool(row[2])) for row in op.conn.execute(statement)}


def warnings(op: Operation, model: Any, verdict: Verdict, ids: Mapping[int, int],
             shown: Mapping[int, tuple[Any, bool]], *, request_items: bool = False
             ) -> list[dict[str, Any]]:
    """A written row's warning candidates as check_new_record answers them; ``ids``:
    the earlier rows' record ids by row index, ``shown`` their titles and readability
    (``written``); ``request_items``: an earlier row also names its index."""

    def earlier(index: int) -> tuple[int | None, Any, bool]:
        return (ids[index], *shown[ids[index]])

    return [c.as_json(model, op.locale) for rule in model.entity.duplicates
            if rule.name in verdict.found
            for c in _listed(op, model, rule, verdict.found[rule.name], earlier,
                             request_items)]


def refuse_blocked(op: Operation, model: Any, rows: Sequence[Mapping[str, Any]],
                   found: Sequence[Verdict]) -> None:
    """Refuse a bulk create (all or nothing) when a blocking rule matched any item:
    DuplicateFound, with each item's errors at ``items[<n>].<field>`` and its blocking
    candidates marked ``"item": n``; an earlier item is named by ``request_item`` and
    the title the caller sent (it has no id)."""
    title = model.entity.title

    def earlier(index: int) -> tuple[int | None, Any, bool]:
        return None, rows[index].get(title) if title else None, True

    errors: dict[str, list[str]] = {}
    candidates: list[dict[str, Any]] = []
    for index, verdict in enumerate(found):
        if verdict.errors is None:
            continue
        errors.update({f"items[{index}].{k}": v for k, v in verdict.errors.items()})
        candidates += [{**c.as_json(model, op.locale), "item": index}
                       for rule in model.entity.duplicates
                       if rule.action == "block" and rule.name in verdict.found
                       for c in _listed(op, model, rule, verdict.found[rule.name],
                                        earlier, True)]
    if errors:
        raise DuplicateFound(errors, candidates)


def _listed(op: Operation, model: Any, rule: DuplicateRuleDef, hits: Sequence[Any],
            earlier: Callable[[int], tuple[int | None, Any, bool]], request_items: bool
            ) -> list[Candidate]:
    """One rule's hits in the one-record check's order (an exact rule's by id, a fuzzy
    rule's best first, then by id; an earlier row after the database's records) and
    limits; ``earlier`` gives an earlier row's id, title and readability."""
    def order(hit: Any) -> tuple[Any, ...]:
        place = (1, hit[1]) if hit[0] == "row" else (0, hit[0])
        return (-hit[-1], *place) if rule.fuzzy else place

    ranked = sorted(hits, key=order)
    rows: list[Scored] = [(*earlier(h[1]), h[2]) if h[0] == "row" else h for h in ranked]
    items = [h[1] if h[0] == "row" and request_items else None for h in ranked]
    return _candidates(model, rule, rows, op, items)
