"""What people see of approval chains: their inbox of tasks, the chains they submitted,
and one chain in full (steps, tasks, timeline, what the caller may do now), shown only
to those who may see it.

Lists are keyset pages, newest first, built to stay fast however many tasks the
system holds: one indexed query for the page, then a fixed number of batched lookups
(the chains, the people named, one query per entity for the records' titles), never
one query per row. A page over several states is one statement whose branches each
read one state's slice of the (user, state, id) index in id order, merged by the
database; a single state is a plain range scan of that index. Chains "submitted by
me" use (submitter, state, id) the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from ..base.context import Context
from ..base.problems import NotFound
from ..compile.compiled import Compiled
from ..i18n import message
from ..values import to_utc
from .approval_state import Chain
from .notifications import encode_cursor
from .operation import Operation
from .rows import Row

TASK_STATES = ("pending", "approved", "rejected", "skipped", "cancelled", "delegated")
CHAIN_STATES = ("pending", "approved", "rejected", "withdrawn")
# What "state=" asks for: the waiting ones, the finished ones, the tasks I handed on
# to someone else (my tasks only), or all.
STATE_FILTERS = ("pending", "done", "delegated", "all")
TASK_COLUMNS = ("id", "approval_id", "step", "state", "on_behalf_of", "created_at",
                "decided_at", "escalated_at")
CHAIN_COLUMNS = ("id", "approval", "entity", "record_id", "state", "steps", "current",
                 "submitter_id", "submitted_at", "finished_at")


def states_for(kind: str, wanted: str) -> tuple[str, ...]:
    """The task (kind "assigned") or chain ("submitted") states a filter stands for."""
    every = TASK_STATES if kind == "assigned" else CHAIN_STATES
    if wanted in ("pending", "delegated"):
        return (wanted,)
    return every if wanted == "all" else tuple(s for s in every if s != "pending")


def inbox(op: Operation, wanted: str, limit: int, after: int | None) -> dict[str, Any]:
    """The caller's tasks in ``wanted`` states, newest first."""
    compiled, ctx = op.compiled, op.ctx
    rows = newest_first(op.conn, op.tables.approval_tasks, TASK_COLUMNS,
                        "user_id", ctx.user_id, states_for("assigned", wanted), after, limit)
    page = rows[:limit]
    chains = _chains(op, {row["approval_id"] for row in page})
    names = people(op, [c["submitter_id"] for c in chains.values()]
                   + [row["on_behalf_of"] for row in page])
    titles = record_titles(op, [(c["entity"], c["record_id"]) for c in chains.values()])
    items = []
    for row in page:
        chain = chains[row["approval_id"]]
        items.append({
            "id": chain["id"], "task_id": row["id"], **_about(compiled, chain, ctx, titles),
            "step": row["step"], "step_label": step_label(compiled, chain["approval"],
                                                          row["step"], ctx.locale),
            "submitter": names.get(chain["submitter_id"]),
            "submitted_at": _time(chain["submitted_at"]), "state": row["state"],
            "chain_state": chain["state"], "on_behalf_of": names.get(row["on_behalf_of"]),
            "assigned_at": _time(row["created_at"]), "decided_at": _time(row["decided_at"]),
            "escalated_at": _time(row["escalated_at"])})
    return {"items": items, "next_cursor": encode_cursor("assigned", page[-1]["id"])
            if len(rows) > limit else None}


def submitted(op: Operation, wanted: str, limit: int, after: int | None) -> dict[str, Any]:
    """The chains the caller submitted in ``wanted`` states, newest first."""
    compiled, ctx = op.compiled, op.ctx
    rows = newest_first(op.conn, op.tables.approvals, CHAIN_COLUMNS,
                        "submitter_id", ctx.user_id, states_for("submitted", wanted), after,
                        limit)
    page = rows[:limit]
    names = people(op, [ctx.user_id])
    titles = record_titles(op, [(row["entity"], row["record_id"]) for row in page])
    items = []
    for row in page:
        step = current_step(row)
        items.append({
            "id": row["id"], **_about(compiled, row, ctx, titles), "state": row["state"],
            "step": step, "step_label": step_label(compiled, row["approval"], step,
                                                   ctx.locale) if step else None,
            "submitter": names.get(row["submitter_id"]),
            "submitted_at": _time(row["submitted_at"]),
            "finished_at": _time(row["finished_at"])})
    return {"items": items, "next_cursor": encode_cursor("submitted", page[-1]["id"])
            if len(rows) > limit else None}


def newest_first(conn: sa.Connection, table: sa.Table, columns: tuple[str, ...], owner: str,
                 owner_id: int | None, states: tuple[str, ...], after: int | None, limit: int
                 ) -> Sequence[Row]:
    """Up to ``limit`` + 1 rows of ``owner_id`` in ``states``, newest (highest id) first,
    below id ``after``."""
    statement = page_statement(table, columns, owner, states, after is not None)
    values: dict[str, Any] = {"owner_id": owner_id, "size": limit + 1}
    if after is not None:
        values["after"] = after
    return conn.execute(statement, values).mappings().all()


@lru_cache(maxsize=64)
def page_statement(table: sa.Table, columns: tuple[str, ...], owner: str,
                   states: tuple[str, ...], paged: bool) -> sa.Select:
    """The page query, with its values as bound parameters (built once: building the
    merged form costs more than running it).

    An index on (owner, state, id) gives one state's rows in id order, but not
    several states' together: ``state IN (...) ORDER BY id`` would sort all of the
    owner's rows. So each state is its own branch, ordered and limited by the index,
    and the database merges at most len(states) * (limit + 1) rows."""
    size = sa.bindparam("size", type_=sa.Integer)

    def branch(state: str) -> sa.Select:
        where = [table.c[owner] == sa.bindparam("owner_id"), table.c.state == state]
        if paged:
            where.append(table.c.id < sa.bindparam("after"))
        return (sa.select(*(table.c[name] for name in columns)).where(*where)
                .order_by(table.c.id.desc()).limit(size))

    if len(states) == 1:
        return branch(states[0])
    # Subqueries, since SQLite takes no ORDER BY or LIMIT on a compound's own members.
    parts = [branch(state).subquery(f"state_{n}") for n, state in enumerate(states)]
    merged = sa.union_all(*(sa.select(part) for part in parts)).subquery("merged")
    return sa.select(merged).order_by(merged.c.id.desc()).limit(size)


def visible_chain(op: Operation, approval_id: int) -> Row:
    """The chain, if the caller may see it: its submitter, anyone holding (or having
    handed on) a task of it, administrators, and whoever may read its record. To
    anyone else it does not exist (404), as a record outside one's scope."""
    approvals = op.tables.approvals
    row = op.conn.execute(sa.select(approvals).where(approvals.c.id == approval_id)
                          ).mappings().first()
    if row is None or not _may_see(op, row):
        raise NotFound(message("no_approval", op.locale, id=approval_id), key="id")
    return row


def _may_see(op: Operation, row: Row) -> bool:
    return _takes_part(op, row) or _reaches(op, row, "read")


def require_visible(op: Operation, chain: Chain) -> None:
    """404 for a caller who may not see the chain (as visible_chain), with its tasks
    already read."""
    ctx = op.ctx
    row = chain.row
    if row["submitter_id"] == ctx.user_id or op.compiled.policy.administers(ctx.principal) \
            or any(ctx.user_id in (t["user_id"], t["on_behalf_of"]) for t in chain.tasks) \
            or _reaches(op, row, "read"):
        return
    raise NotFound(message("no_approval", op.locale, id=chain.id), key="id")


def may_comment(op: Operation, row: Row, tasks: Sequence[Row] | None = None) -> bool:
    """Whether the caller may comment on the chain: its submitter and approvers may
    (``tasks``: the chain's, when already read), and so may whoever's role grants
    ``comment`` on its record. Reading the record is not enough: a comment tells the
    chain's people (the read-only auditor does not)."""
    compiled, ctx = op.compiled, op.ctx
    if tasks is not None:
        if compiled.policy.administers(ctx.principal) or row["submitter_id"] == ctx.user_id or any(
                ctx.user_id in (t["user_id"], t["on_behalf_of"]) for t in tasks):
            return True
    elif _takes_part(op, row):
        return True
    return _reaches(op, row, "comment")


def _takes_part(op: Operation, row: Row) -> bool:
    """The chain's submitter, anyone who holds or held a task of it (or on whose
    behalf one was given), and administrators."""
    ctx = op.ctx
    if row["submitter_id"] == ctx.user_id or op.compiled.policy.administers(ctx.principal):
        return True
    tasks = op.tables.approval_tasks
    return op.conn.execute(sa.select(tasks.c.id).where(
        tasks.c.approval_id == row["id"],
        sa.or_(tasks.c.user_id == ctx.user_id, tasks.c.on_behalf_of == ctx.user_id))
        .limit(1)).first() is not None


def _reaches(op: Operation, row: Row, operation: str) -> bool:
    """Whether the caller's roles allow ``operation`` on the chain's (live) record."""
    ref = (row["entity"], row["record_id"])
    return ref in readable_records(op, [ref], operation)


def readable_records(op: Operation, refs: Iterable[tuple[str, int]], operation: str = "read"
                     ) -> set[tuple[str, int]]:
    """Which of the chains' records the caller's roles allow ``operation`` on (within
    scope, live): an approver needs no grant on the entity, so their inbox may hold
    records they cannot open. One query per entity."""
    by_entity: dict[str, set[int]] = defaultdict(set)
    for entity, record_id in refs:
        by_entity[entity].add(record_id)
    found: set[tuple[str, int]] = set()
    for entity, ids in by_entity.items():
        model = op.compiled.models.get(entity)
        if model is None or not (access := op.viewer.of(model)).allows(operation):
            continue
        table, scope = model.table, access.condition(operation)
        found.update((entity, record_id) for record_id in op.conn.execute(
            sa.select(table.c.id).where(table.c.id.in_(ids), table.c.deleted_at.is_(None),
                                        *([scope] if scope is not None else []))).scalars())
    return found


def detail(op: Operation, approval_id: int, chain: Chain | None = None) -> dict[str, Any]:
    """One chain as its page shows it (404 for whoever may not see it); ``chain``: the
    chain as this operation holds it (locked, and changed), not read again."""
    conn, compiled, ctx = op.conn, op.compiled, op.ctx
    row: Row
    tasks: Sequence[Row]
    events: Sequence[Row]
    if chain is not None:
        require_visible(op, chain)
        row, tasks, events = chain.row, chain.tasks, chain.events
    else:
        row = visible_chain(op, approval_id)
        tasks_table = op.tables.approval_tasks
        events_table = op.tables.approval_events
        tasks = conn.execute(sa.select(tasks_table).where(
            tasks_table.c.approval_id == approval_id).order_by(tasks_table.c.id)
            ).mappings().all()
        events = conn.execute(sa.select(events_table).where(
            events_table.c.approval_id == approval_id).order_by(events_table.c.id)
            ).mappings().all()
    steps = row["steps"] or []
    names = people(op, [row["submitter_id"]]
                   + [uid for step in steps for uid in step["approvers"]]
                   + [t["user_id"] for t in tasks] + [t["on_behalf_of"] for t in tasks]
                   + [e["user_id"] for e in events])
    titles = record_titles(op, [(row["entity"], row["record_id"])], known={
        (row["entity"], row["record_id"]): chain.record} if chain and chain.record else None)
    lang = ctx.locale
    pending = row["state"] == "pending"
    mine = [t for t in tasks if t["user_id"] == ctx.user_id and t["state"] == "pending"
            and t["step_index"] == row["current"]]
    withdraw = pending and (row["submitter_id"] == ctx.user_id
                            or compiled.policy.administers(ctx.principal))
    return {
        "id": row["id"], **_about(compiled, row, ctx, titles), "state": row["state"],
        "step": current_step(row) if pending else None,
        "submitter": names.get(row["submitter_id"]),
        "submitted_at": _time(row["submitted_at"]), "finished_at": _time(row["finished_at"]),
        "steps": [{"name": step["name"],
                   "label": step_label(compiled, row["approval"], step["name"], lang),
                   "decide": step["decide"], "status": _status(row, index),
                   "approvers": [names.get(uid) or {"id": uid, "name": None}
                                 for uid in step["approvers"]]}
                  for index, step in enumerate(steps)],
        "tasks": [{"id": t["id"], "step": t["step"],
                   "step_label": step_label(compiled, row["approval"], t["step"], lang),
                   "user": names.get(t["user_id"]), "on_behalf_of": names.get(t["on_behalf_of"]),
                   "state": t["state"], "assigned_at": _time(t["created_at"]),
                   "decided_at": _time(t["decided_at"]), "comment": t["comment"],
                   "reminded_at": _time(t["reminded_at"]),
                   "escalated_at": _time(t["escalated_at"])} for t in tasks],
        "timeline": [_event(compiled, row, e, tasks, names, lang) for e in events],
        "may": {"approve": bool(pending and mine), "reject": bool(pending and mine),
                "delegate": bool(pending and mine), "withdraw": withdraw,
                "comment": may_comment(op, row, tasks)},
    }


def _status(row: Row, index: int) -> str:
    """done, current or waiting while the chain runs; once it ended, the step where it
    ended has the chain's outcome (rejected, withdrawn) and later ones were not reached."""
    current, state = row["current"], row["state"]
    if state == "approved" or index < current:
        return "done"
    if state == "pending":
        return "current" if index == current else "waiting"
    return state if index == current else "not_reached"


def _event(compiled: Compiled, row: Row, event: Row, tasks: Sequence[Row],
           names: Mapping[int, dict[str, Any]], lang: str) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": event["id"], "kind": event["kind"], "step": event["step"],
        "step_label": step_label(compiled, row["approval"], event["step"], lang)
        if event["step"] else None,
        "user": names.get(event["user_id"]), "comment": event["comment"],
        "at": _time(event["at"])}
    if event["kind"] in ("delegate", "escalate"):
        # Whom it went to: the tasks given at that moment on behalf of the event's user
        # (who handed the task on, or whose task was escalated).
        at = _time(event["at"])
        found["to"] = [names.get(t["user_id"]) for t in tasks
                       if t["on_behalf_of"] == event["user_id"] and t["step"] == event["step"]
                       and _time(t["created_at"]) == at]
    return found


def _chains(op: Operation, ids: Iterable[int]) -> dict[int, Row]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    approvals = op.tables.approvals
    columns = [approvals.c[name] for name in (
        "id", "approval", "entity", "record_id", "state", "submitter_id", "submitted_at")]
    return {row["id"]: row for row in op.conn.execute(
        sa.select(*columns).where(approvals.c.id.in_(wanted))).mappings()}


def people(op: Operation, ids: Iterable[int | None]) -> dict[int, dict[str, Any]]:
    """{id: {"id", "name"}} for the users named, in one query."""
    return {uid: {"id": uid, "name": user.name} for uid, user in op.directory.get(ids).items()}


def record_titles(op: Operation, refs: Iterable[tuple[str, int]],
                  known: Mapping[tuple[str, int], Row] | None = None
                  ) -> dict[tuple[str, int], str]:
    """Each record's title (its entity's ``title`` field), one query per entity. A
    title field hidden from the caller, or an entity without one, gives "<Label> #id".
    ``known``: records as this operation last read them (not read again)."""
    known = known or {}
    compiled, ctx, viewer = op.compiled, op.ctx, op.viewer
    by_entity: dict[str, set[int]] = defaultdict(set)
    for entity, record_id in refs:
        by_entity[entity].add(record_id)
    found: dict[tuple[str, int], str] = {}
    for entity, ids in by_entity.items():
        model = compiled.models.get(entity)
        if model is None:
            continue
        label = model.entity.label.get(ctx.locale)
        title = model.entity.title
        values: dict[int, Any] = {}
        if title and title in model.table.c and (
                compiled.policy.administers(ctx.principal) or title not in viewer.of(model).hidden):
            table = model.table
            values = {record_id: known[(entity, record_id)][title] for record_id in ids
                      if (entity, record_id) in known}
            if len(values) < len(ids):
                values.update(op.conn.execute(sa.select(table.c.id, table.c[title]).where(
                    table.c.id.in_(sorted(ids - set(values))))).all())
        for record_id in ids:
            value = values.get(record_id)
            found[(entity, record_id)] = str(value) if value not in (None, "") else (
                f"{label} #{record_id}")
    return found


def _about(compiled: Compiled, chain: Row, ctx: Context,
           titles: Mapping[tuple[str, int], str]) -> dict[str, Any]:
    """What a chain is: its approval (name, label) and its record (entity, id, title)."""
    approval = compiled.approvals.get(chain["approval"])
    model = compiled.models.get(chain["entity"])
    return {"approval": chain["approval"],
            "label": approval.definition.label.get(ctx.locale) if approval
            else chain["approval"],
            "entity": chain["entity"],
            "entity_label": model.entity.label.get(ctx.locale) if model else chain["entity"],
            "record_id": chain["record_id"],
            "title": titles.get((chain["entity"], chain["record_id"]),
                                f"{chain['entity']} #{chain['record_id']}")}


def step_label(compiled: Compiled, approval_name: str, step: str, lang: str) -> str:
    approval = compiled.approvals.get(approval_name)
    found = approval.definition.step(step) if approval else None
    return (found.label.get(lang) if found else "") or step


def current_step(row: Row) -> str | None:
    """The name of the step a chain waits at (None once it has none)."""
    steps = row["steps"] or []
    return steps[row["current"]]["name"] if 0 <= row["current"] < len(steps) else None


def _time(value: datetime | None) -> datetime | None:
    return to_utc(value) if value is not None else None
