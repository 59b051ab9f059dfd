"""One approval chain held for a change: its row locked, its tasks and timeline read
once, and every change written in as few statements as it takes (one UPDATE for all
the tasks a decision settles, one INSERT for its events) and mirrored in memory, so
that the answer shows the chain without reading it again.

Every change to a chain's tasks happens with the chain's row locked (decisions,
withdrawals, delegation, the deadline job), so the tasks read after taking the lock
stay true until the transaction ends. The row is locked by a statement of its own,
before the tasks are read: a join locking the chain would, after waiting for another
decision, see that decision's chain but the tasks as they were before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ..base.problems import NotFound
from ..i18n import message
from .operation import Operation

PENDING = "pending"


@dataclass
class Chain:
    row: dict[str, Any]  # the mc_approvals row, as changed so far
    tasks: list[dict[str, Any]] = field(default_factory=list)  # in id order
    events: list[dict[str, Any]] = field(default_factory=list)  # written, in id order
    unwritten: list[dict[str, Any]] = field(default_factory=list)  # events to write

    @property
    def id(self) -> int:
        return self.row["id"]


def load_chain(op: Operation, approval_id: int) -> Chain:
    """Lock the chain's row and read its tasks and timeline (404 if there is none); the
    people they name are read with them, for the names and languages to come."""
    approvals, tasks, events = (op.tables.approvals, op.tables.approval_tasks,
                                op.tables.approval_events)
    row = op.conn.execute(sa.select(approvals).where(approvals.c.id == approval_id)
                          .with_for_update()).mappings().first()
    if row is None:
        raise NotFound(message("no_approval", op.locale, id=approval_id), key="id")
    chain = Chain(dict(row))
    chain.tasks, chain.events = _tasks_and_events(op, tasks, events, approval_id)
    op.directory.load([row["submitter_id"], op.ctx.user_id,
                       *(uid for step in row["steps"] or [] for uid in step["approvers"]),
                       *(t["user_id"] for t in chain.tasks),
                       *(t["on_behalf_of"] for t in chain.tasks),
                       *(e["user_id"] for e in chain.events)])
    return chain


def _tasks_and_events(op: Operation, tasks: sa.Table, events: sa.Table, approval_id: int
                      ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The chain's tasks and events, in one statement (a task's columns, an event's
    put in the same places), each in id order."""
    task_columns = [c.name for c in tasks.c]
    event_columns = [c.name for c in events.c]
    slots = {name: f"c{n}" for n, name in enumerate(task_columns)}
    # An event's column goes to the task column of the same name and type; its kind
    # and time (which tasks do not have) to the slots of "state" and "created_at".
    place = {"kind": slots["state"], "at": slots["created_at"]}
    place.update({name: slots[name] for name in event_columns if name in slots})
    task_part = sa.select(sa.literal_column("0").label("source"),
                          *(tasks.c[name].label(slots[name]) for name in task_columns)
                          ).where(tasks.c.approval_id == approval_id)
    by_slot = {place[name]: events.c[name] for name in event_columns}
    event_part = sa.select(sa.literal_column("1").label("source"), *(
        by_slot[slots[name]].label(slots[name]) if slots[name] in by_slot
        else sa.null().label(slots[name]) for name in task_columns)
    ).where(events.c.approval_id == approval_id)
    union = sa.union_all(task_part, event_part).subquery("chain_parts")
    found_tasks, found_events = [], []
    for part in op.conn.execute(sa.select(union).order_by(union.c.source, union.c[slots["id"]])
                                ).mappings():
        if part["source"] == 0:
            found_tasks.append({name: part[slots[name]] for name in task_columns})
        else:
            found_events.append({name: part[place[name]] for name in event_columns})
    return found_tasks, found_events


def settle_tasks(op: Operation, chain: Chain, states: Mapping[int, str], *,
                 decided: int | None = None, comment: str | None = None) -> None:
    """Give the pending tasks ``states`` (by id) in one statement, all decided now; the
    ``decided`` task also takes the decider's ``comment``."""
    if not states:
        return
    tasks = op.tables.approval_tasks
    now = op.ctx.now
    values: dict[str, Any] = {"state": sa.case(dict(states), value=tasks.c.id),
                              "decided_at": now}
    if decided is not None:
        values["comment"] = sa.case((tasks.c.id == decided, sa.literal(comment, sa.Text)),
                                    else_=tasks.c.comment)
    op.conn.execute(tasks.update().where(tasks.c.id.in_(sorted(states)),
                                         tasks.c.state == PENDING).values(**values))
    for task in chain.tasks:
        if task["id"] in states and task["state"] == PENDING:
            task.update(state=states[task["id"]], decided_at=now)
            if task["id"] == decided:
                task["comment"] = comment


def add_tasks(op: Operation, chain: Chain, rows: list[dict[str, Any]]) -> None:
    """Insert the tasks ``rows`` (one statement) and keep them with their ids."""
    if not rows:
        return
    tasks = op.tables.approval_tasks
    for task_id, row in zip(_insert(op, tasks, rows), rows, strict=True):
        chain.tasks.append({**{c.name: None for c in tasks.c}, **row, "id": task_id})


def add_event(op: Operation, chain: Chain, kind: str, step: str | None,
              comment: str | None) -> None:
    """An event of the chain's timeline, written with the others by ``write_events``."""
    chain.unwritten.append({"approval_id": chain.id, "user_id": op.ctx.user_id, "kind": kind,
                            "step": step, "comment": comment, "at": op.ctx.now})


def write_events(op: Operation, chain: Chain) -> None:
    """Write the chain's new events, in the order they happened, in one statement."""
    if not chain.unwritten:
        return
    ids = _insert(op, op.tables.approval_events, chain.unwritten)
    chain.events.extend({**row, "id": event_id}
                        for event_id, row in zip(ids, chain.unwritten, strict=True))
    chain.unwritten = []


def _insert(op: Operation, table: sa.Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` with one multi-row INSERT; their new ids, in the rows' order.
    (One statement assigns ids in the order of its VALUES on SQLite and PostgreSQL;
    SQLAlchemy's ordered RETURNING would send SQLite one INSERT per row.)"""
    ids = op.conn.execute(table.insert().values(rows).returning(table.c.id)).scalars().all()
    return sorted(ids)


def update_chain(op: Operation, chain: Chain, **values: Any) -> None:
    """Change the chain's row (its version moves on with every change)."""
    approvals = op.tables.approvals
    op.conn.execute(approvals.update().where(approvals.c.id == chain.id).values(
        **values, version=approvals.c.version + 1))
    chain.row.update(values, version=chain.row["version"] + 1)


def pending_of_step(chain: Chain, index: int, *, besides: Iterable[int] = ()) -> list[int]:
    """The ids of the step's tasks still waiting (leaving out ``besides``)."""
    left = set(besides)
    return [t["id"] for t in chain.tasks
            if t["step_index"] == index and t["state"] == PENDING and t["id"] not in left]
