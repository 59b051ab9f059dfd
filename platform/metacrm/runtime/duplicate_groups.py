"""The duplicates list of an entity: groups of live records its ``duplicates:`` rules
say are one, among the records the caller may read (GET /api/<entity>/duplicates and
the page /<entity>/duplicates, each group one merge away).

Exact rules group by their fields' values (GROUP BY ... HAVING count > 1, served by
the index the rule's first field has). Fuzzy rules look only at blocks of more than
one record and cluster each block's records whose names score at least the rule's
threshold (single linkage: A like B and B like C make one group).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..compile.models import EntityModel
from ..definitions import DuplicateRuleDef, block_column
from .duplicates import MAX_BLOCK
from .operation import Operation

MAX_GROUPS = 50
MAX_GROUP_SIZE = 20


def list_duplicate_groups(op: Operation, model: EntityModel, *, rule: str | None = None,
                          limit: int = MAX_GROUPS) -> list[dict[str, Any]]:
    """Up to ``limit`` groups (largest first within a rule), each
    ``{rule, label, action, records: [{id, title}], value?}``."""
    viewer = op.viewer
    viewer.of(model).require("read", op.ctx)
    scope = viewer.read_condition(model)
    groups: list[dict[str, Any]] = []
    for each in model.entity.duplicates:
        if rule is not None and each.name != rule:
            continue
        room = limit - len(groups)
        if room <= 0:
            break
        found = (_similar_groups(op, model, each, scope, room) if each.fuzzy
                 else _same_groups(op, model, each, scope, room))
        lang = op.locale
        groups.extend({"rule": each.name, "label": each.label.get(lang),
                       "action": each.action, **group} for group in found)
    return groups


def _where(model: EntityModel, scope: sa.ColumnElement | None) -> list[sa.ColumnElement]:
    return [model.table.c.deleted_at.is_(None), *([scope] if scope is not None else [])]


def _title(model: EntityModel) -> sa.ColumnElement:
    title = model.entity.title
    return model.table.c[title] if title and title in model.table.c else sa.null()


def _same_groups(op: Operation, model: EntityModel, rule: DuplicateRuleDef,
                 scope: sa.ColumnElement | None, limit: int) -> list[dict[str, Any]]:
    table = model.table
    columns = [table.c[name] for name in rule.fields]
    count = sa.func.count().label("n")
    keys = op.conn.execute(
        sa.select(*columns, count)
        .where(*_where(model, scope), *(c.isnot(None) for c in columns),
               *(c != "" for c in columns if isinstance(c.type, sa.String)))
        .group_by(*columns).having(sa.func.count() > 1)
        .order_by(count.desc(), *columns).limit(limit)).all()
    groups = []
    for key in keys:
        values = dict(zip(rule.fields, key[:-1], strict=True))
        rows = op.conn.execute(
            sa.select(table.c.id, _title(model))
            .where(*_where(model, scope), *(table.c[n] == v for n, v in values.items()))
            .order_by(table.c.id).limit(MAX_GROUP_SIZE)).all()
        groups.append({"value": values, "count": key[-1],
                       "records": [{"id": r[0], "title": r[1], "score": 100} for r in rows]})
    return groups


def _similar_groups(op: Operation, model: EntityModel, rule: DuplicateRuleDef,
                    scope: sa.ColumnElement | None, limit: int) -> list[dict[str, Any]]:
    table = model.table
    name = rule.fuzzy or ""
    block = table.c[block_column(name)]
    count = sa.func.count().label("n")
    blocks = op.conn.execute(
        sa.select(block, count).where(*_where(model, scope), block.isnot(None))
        .group_by(block).having(sa.func.count() > 1)
        .order_by(count.desc(), block).limit(limit * 4)).scalars().all()
    groups: list[dict[str, Any]] = []
    for each in blocks:
        rows = op.conn.execute(
            sa.select(table.c.id, _title(model), table.c[name])
            .where(*_where(model, scope), block == each)
            .order_by(table.c.id).limit(MAX_BLOCK)).all()
        keys = [model.match_key(name, row[2]) for row in rows]
        clusters, best = _clusters(keys, rule.threshold)
        for members in clusters:
            if len(members) < 2:
                continue
            groups.append({"count": len(members), "records": [
                {"id": rows[i][0], "title": rows[i][1], "score": best.get(i, 100)}
                for i in members[:MAX_GROUP_SIZE]]})
            if len(groups) >= limit:
                return groups
    return groups


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
                                           score_cutoff=threshold, limit=None):
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
