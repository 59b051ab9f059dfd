"""The duplicates list of an entity: groups of live records its ``duplicates:`` rules
say are one, among the records the caller may read (GET /api/<entity>/duplicates and
the page /<entity>/duplicates, each group one merge away), a page at a time.

Exact rules group by their fields' values (GROUP BY ... HAVING count > 1); fuzzy rules
look only at blocks of more than one record and cluster each block's records whose
names score at least the rule's threshold (single linkage: A like B and B like C make
one group; a page's blocks are read 50 to a statement, duplicates.block_records).
Groups come in the rules' order, then by value (or block), so that a page continues
where the last one stopped (keyset paging, the cursor carrying the rule and
the value): no page re-reads what the pages before it read. Each page reads at most
SCAN_WINDOW index entries per rule: when duplicates are sparse a page may hold fewer
groups than asked, and ``next_cursor`` goes on from where the window ended. So a page
costs the same on the first and the millionth record.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from ..base.problems import BadQuery
from ..compile.models import EntityModel
from ..definitions import DuplicateRuleDef, block_column
from ..values import json_value
from .duplicates import block_records
from .operation import Operation

MAX_GROUPS = 50
MAX_GROUP_SIZE = 20
# Index entries (values of a rule's fields, or block keys) one page reads per rule.
SCAN_WINDOW = 20_000


@dataclass(frozen=True)
class Position:
    """Where a page starts: in ``rule``, after the value ``after`` (an exact rule's
    values, a fuzzy rule's block key; None: from the start), and for a fuzzy rule the
    clusters of that block already given (``given``; None: all of them)."""

    rule: str
    after: tuple[Any, ...] | None = None
    given: int | None = None

    def encode(self) -> str:
        payload = {"r": self.rule, "a": None if self.after is None else
                   [json_value(v) for v in self.after], "g": self.given}
        raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_position(model: EntityModel, raw: str) -> Position:
    """The position a cursor carries; ValueError says why one is refused."""
    try:
        payload = json.loads(base64.urlsafe_b64decode((raw + "=" * (-len(raw) % 4)).encode()))
        rule, after, given = payload["r"], payload["a"], payload["g"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise ValueError("not a cursor of this list: pass back 'next_cursor' unchanged") \
            from None
    found = next((r for r in model.entity.duplicates if r.name == rule), None)
    width = len(found.fields) if found and found.fields else 1
    if found is None or not (after is None or (
            isinstance(after, list) and len(after) == width
            and all(isinstance(v, str | int | float) for v in after))) \
            or not (given is None or (isinstance(given, int) and given >= 0)):
        raise ValueError("the cursor is damaged or the rules changed: start again "
                         "without 'cursor'")
    if after is not None and found.fields:
        table = model.table
        try:
            after = [None if v is None else _typed(table.c[n], v)
                     for n, v in zip(found.fields, after, strict=True)]
        except (ValueError, TypeError):
            raise ValueError("the cursor is damaged: pass back 'next_cursor' unchanged") \
                from None
    return Position(rule, None if after is None else tuple(after), given)


def group_cursor(model: EntityModel, raw: str | None, rule: str | None) -> Position | None:
    """Where a page of the duplicates list starts (``cursor``); 400 for a cursor that
    is not one (or is another rule's, when ``rule`` is given), as the lists answer."""
    if not raw:
        return None
    try:
        start = decode_position(model, raw)
    except ValueError as problem:
        raise BadQuery({"cursor": [str(problem)]}) from None
    if rule is not None and start.rule != rule:
        raise BadQuery({"cursor": ["the cursor belongs to another rule: keep 'rule' the "
                                  "same between pages"]})
    return start

def _typed(column: sa.Column, value: Any) -> Any:
    """A cursor's JSON value as the column holds it (dates and decimals travel as text)."""
    try:
        python = column.type.python_type
    except NotImplementedError:
        return value
    if python is datetime:
        return datetime.fromisoformat(value)
    if python is date:
        return date.fromisoformat(value)
    if python is Decimal:
        return Decimal(value)
    return value


def list_duplicate_groups(op: Operation, model: EntityModel, *, rule: str | None = None,
                          limit: int = MAX_GROUPS, start: Position | None = None
                          ) -> tuple[list[dict[str, Any]], Position | None]:
    """Up to ``limit`` groups from ``start`` on, each ``{rule, label, action, count,
    records: [{id, title, score}], value?}``, and where the next page starts (None: no
    more)."""
    viewer = op.viewer
    viewer.of(model).require("read", op.ctx)
    scope = viewer.read_condition(model)
    rules = [r for r in model.entity.duplicates if rule is None or r.name == rule]
    if start is not None:
        names = [r.name for r in rules]
        rules = rules[names.index(start.rule):] if start.rule in names else []
    groups: list[dict[str, Any]] = []
    lang = op.locale
    for each in rules:
        here = start if start is not None and start.rule == each.name else Position(each.name)
        room = limit - len(groups)
        if room <= 0:
            return groups, here
        found, following = (_similar_groups(op, model, each, scope, room, here) if each.fuzzy
                            else _same_groups(op, model, each, scope, room, here))
        groups.extend({"rule": each.name, "label": each.label.get(lang),
                       "action": each.action, **group} for group in found)
        if following is not None:
            return groups, following
    return groups, None


def _where(model: EntityModel, scope: sa.ColumnElement | None) -> list[sa.ColumnElement]:
    return [model.table.c.deleted_at.is_(None), *([scope] if scope is not None else [])]


def _title(model: EntityModel) -> sa.ColumnElement:
    title = model.entity.title
    return model.table.c[title] if title and title in model.table.c else sa.null()


def _after(columns: Sequence[sa.ColumnElement], after: tuple[Any, ...] | None, *,
           inclusive: bool = False) -> list[sa.ColumnElement]:
    """The values after ``after`` in the order (columns...); the first column's bound
    repeated alone so that the database range-scans its index."""
    if after is None:
        return []
    row, point = sa.tuple_(*columns), _point(columns, after)
    return [columns[0] >= after[0], row >= point if inclusive else row > point]


def _point(columns: Sequence[sa.ColumnElement], values: tuple[Any, ...]) -> sa.Tuple:
    return sa.tuple_(*(sa.literal(v, type_=c.type) for c, v in zip(columns, values,
                                                                    strict=True)))


def _window_end(op: Operation, columns: Sequence[sa.ColumnElement],
                where: list[sa.ColumnElement]
                ) -> tuple[Any, ...] | None:
    """The last value of the next SCAN_WINDOW index entries (None: fewer are left, the
    window reaches the end)."""
    row = op.conn.execute(sa.select(*columns).where(*where).order_by(*columns)
                          .offset(SCAN_WINDOW - 1).limit(1)).first()
    return None if row is None else tuple(row)


def _same_groups(op: Operation, model: EntityModel, rule: DuplicateRuleDef,
                 scope: sa.ColumnElement | None, limit: int, start: Position
                 ) -> tuple[list[dict[str, Any]], Position | None]:
    table = model.table
    columns = [table.c[name] for name in rule.fields]
    where = [*_where(model, scope), *(c.isnot(None) for c in columns),
             *(c != "" for c in columns if isinstance(c.type, sa.String)),
             *_after(columns, start.after)]
    end = _window_end(op, columns, where)
    within = [*where, *([sa.tuple_(*columns) <= _point(columns, end)]
                        if end is not None else [])]
    count = sa.func.count().label("n")
    keys = op.conn.execute(
        sa.select(*columns, count).where(*within)
        .group_by(*columns).having(sa.func.count() > 1)
        .order_by(*columns).limit(limit)).all()
    members = _members(op, model, columns, scope, [tuple(key[:-1]) for key in keys])
    groups = [{"value": dict(zip(rule.fields, key[:-1], strict=True)), "count": key[-1],
               "records": [{"id": i, "title": t, "score": 100}
                           for i, t in members.get(tuple(key[:-1]), [])]}
              for key in keys]
    if len(keys) >= limit:
        return groups, Position(rule.name, tuple(keys[-1][:-1]))
    return groups, None if end is None else Position(rule.name, end)


def _members(op: Operation, model: EntityModel, columns: Sequence[sa.ColumnElement],
             scope: sa.ColumnElement | None, keys: list[tuple[Any, ...]]
             ) -> dict[tuple[Any, ...], list[tuple[int, Any]]]:
    """The first MAX_GROUP_SIZE records (id, title) of each group, by id: one query for
    a page's groups, however large a group is."""
    if not keys:
        return {}
    table = model.table
    matches = (columns[0].in_([k[0] for k in keys]) if len(columns) == 1
               else sa.tuple_(*columns).in_(keys))
    rank = sa.func.row_number().over(partition_by=list(columns), order_by=table.c.id)
    ranked = (sa.select(table.c.id, _title(model).label("title"), *columns,
                        rank.label("rank"))
              .where(*_where(model, scope), matches).subquery())
    rows = op.conn.execute(sa.select(ranked).where(ranked.c.rank <= MAX_GROUP_SIZE)
                           .order_by(ranked.c.id)).all()
    found: dict[tuple[Any, ...], list[tuple[int, Any]]] = {}
    for row in rows:
        found.setdefault(tuple(row[2:-1]), []).append((row[0], row[1]))
    return found


def _similar_groups(op: Operation, model: EntityModel, rule: DuplicateRuleDef,
                    scope: sa.ColumnElement | None, limit: int, start: Position
                    ) -> tuple[list[dict[str, Any]], Position | None]:
    table = model.table
    name = rule.fuzzy or ""
    block = table.c[block_column(name)]
    resume = start.after is not None and start.given is not None
    where = [*_where(model, scope), block.isnot(None),
             *_after([block], start.after, inclusive=resume)]
    end = _window_end(op, [block], where)
    within = [*where, *([block <= end[0]] if end is not None else [])]
    count = sa.func.count().label("n")
    # At most limit * 4 blocks a page: a block of similar sounds may hold no group.
    blocks = op.conn.execute(
        sa.select(block, count).where(*within).group_by(block)
        .having(sa.func.count() > 1).order_by(block).limit(limit * 4)).scalars().all()
    groups: list[dict[str, Any]] = []
    read = block_records(op.conn, model, name, blocks, [_title(model), table.c[name]],
                         _where(model, scope))
    for each in blocks:
        rows = read[each]
        keys = [model.match_key(name, row[2]) for row in rows]
        clusters, best = _clusters(keys, rule.threshold)
        skip = start.given if resume and start.after == (each,) else 0
        for index, members in enumerate(clusters[skip or 0:], start=skip or 0):
            if len(groups) >= limit:
                return groups, Position(rule.name, (each,), index)
            groups.append({"count": len(members), "records": [
                {"id": rows[i][0], "title": rows[i][1], "score": best.get(i, 100)}
                for i in members[:MAX_GROUP_SIZE]]})
    if len(blocks) >= limit * 4:
        return groups, Position(rule.name, (blocks[-1],))
    return groups, None if end is None else Position(rule.name, end)


def _clusters(keys: list[str], threshold: int) -> tuple[list[list[int]], dict[int, int]]:
    """Indexes of ``keys`` in groups of keys at least ``threshold`` alike (single
    linkage, by union-find), and each later member's best score."""
    from rapidfuzz import fuzz, process

    parent = list(range(len(keys)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    best: dict[int, int] = {}
    for i, key in enumerate(keys):
        for _, score, j in process.extract(key, keys[i + 1:], scorer=fuzz.ratio,
                                           score_cutoff=max(0.0, threshold - 0.5),
                                           limit=None):
            if round(score) < threshold:  # alike as a create counts it: the rounded score
                continue
            parent[root(i + 1 + j)] = root(i)
            best[i + 1 + j] = max(best.get(i + 1 + j, 0), round(score))
    clusters: dict[int, list[int]] = {}
    for i in range(len(keys)):
        clusters.setdefault(root(i), []).append(i)
    return [members for members in clusters.values() if len(members) > 1], best


def fill_block_keys(conn: sa.Connection, model: EntityModel, batch: int = 1000) -> int:
    """Write the block keys of the records that have none (records written before a
    fuzzy rule was added, or loaded behind the engine's back); how many were written.
    Block keys are not fields: nothing is audited, versions stay."""
    columns = model.blocked_fields
    if not columns:
        return 0
    table = model.table
    missing = sa.or_(*(sa.and_(table.c[column].is_(None), table.c[name].isnot(None))
                       for column, name in columns.items()))
    done, last = 0, 0
    while True:
        rows = conn.execute(sa.select(table.c.id, *(table.c[n] for n in set(columns.values())))
                            .where(missing, table.c.id > last).order_by(table.c.id)
                            .limit(batch)).mappings().all()
        if not rows:
            return done
        for row in rows:
            keys = model.block_keys(dict(row))
            conn.execute(table.update().where(table.c.id == row["id"]).values(keys))
        done += len(rows)
        last = rows[-1]["id"]
