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
from functools import lru_cache
from typing import Any, NamedTuple, cast

import sqlalchemy as sa
from sqlalchemy.sql import visitors

from ..base.problems import NotFound
from ..compile.system_tables import SystemTables
from ..i18n import message
from .fixed_statements import FixedStatement, fixed, insert_together, takes_dml_in_with
from .operation import Operation
from .rows import Row
from .user_directory import UserInfo

PENDING = "pending"


@dataclass
class Chain:
    row: dict[str, Any]  # the mc_approvals row, as changed so far
    tasks: list[dict[str, Any]] = field(default_factory=list)  # in id order
    events: list[dict[str, Any]] = field(default_factory=list)  # written, in id order
    unwritten: list[dict[str, Any]] = field(default_factory=list)  # events to write
    # The chain's record as this operation last read it, after its last change to it.
    record: Row | None = None
    # The decision's row of the record's audit trail, until it is written: with the
    # record's own change when the decision ends the chain (one INSERT), else alone.
    audit: list[dict[str, Any]] = field(default_factory=list)
    # The delegations running now of the people the chain names (its steps' approvers
    # among them), user id -> delegate, read with the chain (approvers.delegated).
    delegations: dict[int, int] | None = None
    # Tasks (in ``tasks`` already, without their ids) and notifications to write.
    new_tasks: list[dict[str, Any]] = field(default_factory=list)
    notices: list[dict[str, Any]] = field(default_factory=list)
    # The tasks settled in memory whose UPDATE goes with the chain's next one (one
    # statement, where the database takes an UPDATE in a WITH): its shape and values.
    unsettled: tuple[int, bool, dict[str, Any]] | None = None

    @property
    def id(self) -> int:
        return self.row["id"]


def load_chain(op: Operation, approval_id: int) -> Chain:
    """Lock the chain's row (404 if there is none), then read its tasks, its timeline
    and the people they and its steps name (names and languages for what follows)."""
    found = _fixed_lock(op.tables).execute(op.conn, {"approval_id": approval_id}).mappings()
    if not found:
        raise NotFound(message("no_approval", op.locale, id=approval_id), key="id")
    row = found[0]
    chain = Chain(row)
    named = {row["submitter_id"], op.ctx.user_id,
             *(uid for step in row["steps"] or [] for uid in step["approvers"])}
    chain.tasks, chain.events, people, chain.delegations = _read_parts(op, approval_id, named)
    op.directory.remember(named | {t["user_id"] for t in chain.tasks}
                          | {t["on_behalf_of"] for t in chain.tasks}
                          | {e["user_id"] for e in chain.events}, people)
    return chain


@lru_cache(maxsize=8)
def lock_statement(tables: SystemTables) -> sa.Select:
    """The chain's row, locked (parameter ``approval_id``), built once per program: a
    statement built per call costs more Python than its round trip."""
    approvals = tables.approvals
    return sa.select(approvals).where(approvals.c.id == sa.bindparam("approval_id")
                                      ).with_for_update()


@lru_cache(maxsize=8)
def _fixed_lock(tables: SystemTables) -> FixedStatement:
    return FixedStatement(lock_statement(tables))


def _read_parts(op: Operation, approval_id: int, named: set[int | None]
                ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[UserInfo],
                           dict[int, int]]:
    """The chain's tasks and events, each in id order, the users ``named`` or named
    by them, and the delegations of the ``named`` running now (to an active delegate,
    the latest one's per user), in one statement (built once per program, see
    ``_parts_statement``)."""
    ids = sorted(uid for uid in named if uid is not None)
    parts = _parts_statement(op.tables, len(ids))
    user_id, name, language, active = parts.user_places
    found_tasks, found_events, people, delegations = [], [], [], {}
    params = {"approval_id": approval_id, "now": op.ctx.now,
              **{f"named_{n}": uid for n, uid in enumerate(ids)}}
    for row in parts.statement.execute(op.conn, params).rows:
        source = row[0]
        if source == 0:
            found_tasks.append(dict(zip(parts.task_columns, row[1:], strict=True)))
        elif source == 1:
            found_events.append({column: row[place] for column, place in parts.event_places})
        elif source == 2:
            people.append(UserInfo(row[user_id], row[name], row[language], bool(row[active])))
        else:
            delegations[row[parts.delegation_places[0]]] = row[parts.delegation_places[1]]
    return found_tasks, found_events, people, delegations


class _Parts(NamedTuple):
    statement: FixedStatement
    task_columns: tuple[str, ...]  # a task's columns, in rows' places 1, 2, ...
    event_places: tuple[tuple[str, int], ...]  # an event's columns and their places
    user_places: tuple[int, int, int, int]  # a user's id, name, language, active flag
    delegation_places: tuple[int, int]  # a delegation's user and delegate


@lru_cache(maxsize=64)
def _parts_statement(tables: SystemTables, count: int) -> _Parts:
    """The union of ``_read_parts``, built once per program and number of users named:
    its rows have a task's columns, an event's, a user's and a delegation's put in
    places of the same type (parameters: ``approval_id``, ``now`` and ``named_<n>``,
    the ``count`` user ids named; one parameter each, as a fixed statement takes)."""
    tasks, events, users = tables.approval_tasks, tables.approval_events, tables.users
    delegations = tables.delegations
    task_columns = tuple(c.name for c in tasks.c)
    slots = {name: f"c{n}" for n, name in enumerate(task_columns)}
    # An event's kind and time go where a task has its state and creation time; a
    # user's name, language and active flag (as a number) to comment, state, step_index.
    event_places = {"kind": "state", "at": "created_at",
                    **{c.name: c.name for c in events.c if c.name in slots}}

    def part(source: int, columns: dict[str, sa.ColumnElement[Any]]) -> sa.Select:
        return sa.select(sa.literal_column(str(source)).label("source"), *(
            columns[name].label(slots[name]) if name in columns
            else sa.null().label(slots[name]) for name in task_columns))

    approval_id = sa.bindparam("approval_id", type_=tasks.c.approval_id.type)
    of_chain = tasks.c.approval_id == approval_id
    named = [sa.bindparam(f"named_{n}", type_=users.c.id.type) for n in range(count)]
    now = sa.bindparam("now", type_=delegations.c.starts_at.type)
    # One IN over the union of every id named: the users are then found by their primary
    # key (an OR of several INs makes PostgreSQL scan the whole users table).
    mentioned = users.c.id.in_(sa.union(
        *(sa.select(uid) for uid in named),
        sa.select(tasks.c.user_id).where(of_chain),
        sa.select(tasks.c.on_behalf_of).where(of_chain),
        sa.select(events.c.user_id).where(events.c.approval_id == approval_id)))
    union = sa.union_all(
        part(0, {name: tasks.c[name] for name in task_columns}).where(of_chain),
        part(1, {place: events.c[name] for name, place in event_places.items()})
        .where(events.c.approval_id == approval_id),
        part(2, {"id": users.c.id, "comment": users.c.name, "state": users.c.language,
                 "step_index": sa.cast(users.c.active, sa.Integer)}).where(mentioned),
        # as approvers.delegated reads them: to an active delegate, running now
        part(3, {"id": delegations.c.id, "user_id": delegations.c.user_id,
                 "on_behalf_of": delegations.c.delegate_id})
        .select_from(delegations.join(users, users.c.id == delegations.c.delegate_id))
        .where(delegations.c.user_id.in_(named), delegations.c.starts_at <= now,
               delegations.c.ends_at > now, delegations.c.revoked_at.is_(None),
               users.c.active.is_(True)),
    ).subquery("chain_parts")
    place = {name: 1 + n for n, name in enumerate(task_columns)}
    return _Parts(FixedStatement(sa.select(union).order_by(union.c.source,
                                                           union.c[slots["id"]])),
                  task_columns,
                  tuple((name, place[spot]) for name, spot in event_places.items()),
                  (place["id"], place["comment"], place["state"], place["step_index"]),
                  (place["user_id"], place["on_behalf_of"]))


def settle_tasks(op: Operation, chain: Chain, states: Mapping[int, str], *,
                 decided: int | None = None, comment: str | None = None) -> None:
    """Give the pending tasks ``states`` (by id) in one statement, all decided now; the
    ``decided`` task also takes the decider's ``comment``. On PostgreSQL the UPDATE is
    sent with the chain's next change (``update_chain``, else ``write_events``): every
    decision changes the chain's row or writes its events right after, reading
    nothing in between."""
    if not states:
        return
    flush_settled(op, chain)
    now = op.ctx.now
    ids = sorted(states)
    params: dict[str, Any] = {"settled_at": now, "decided": decided, "comment": comment}
    for n, task_id in enumerate(ids):
        params[f"task_{n}"], params[f"verdict_{n}"] = task_id, states[task_id]
    chain.unsettled = (len(ids), decided is not None, params)
    if not takes_dml_in_with(op.conn):
        flush_settled(op, chain)
    for task in chain.tasks:
        if task["id"] in states and task["state"] == PENDING:
            task.update(state=states[task["id"]], decided_at=now)
            if task["id"] == decided:
                task["comment"] = comment


def flush_settled(op: Operation, chain: Chain) -> None:
    """Send the UPDATE of the tasks settled in memory, if one waits."""
    if chain.unsettled is not None:
        count, with_comment, params = chain.unsettled
        chain.unsettled = None
        fixed(_settle_statement(op.tables, count, with_comment)).execute(op.conn, params)


@lru_cache(maxsize=64)
def _settle_statement(tables: SystemTables, count: int, with_comment: bool) -> sa.Update:
    """settle_tasks' UPDATE of ``count`` tasks, built once per count: parameters
    ``task_<n>`` and ``verdict_<n>`` per task (id, new state), ``settled_at``, and with
    ``with_comment`` ``decided`` (a task's id) and ``comment``."""
    tasks = tables.approval_tasks
    ids = [sa.bindparam(f"task_{n}", type_=tasks.c.id.type) for n in range(count)]
    values: dict[str, Any] = {
        "state": sa.case(*((tasks.c.id == task_id,
                            sa.bindparam(f"verdict_{n}", type_=tasks.c.state.type))
                           for n, task_id in enumerate(ids))),
        "decided_at": sa.bindparam("settled_at", type_=tasks.c.decided_at.type)}
    if with_comment:
        values["comment"] = sa.case(
            (tasks.c.id == sa.bindparam("decided", type_=tasks.c.id.type),
             sa.bindparam("comment", type_=tasks.c.comment.type)), else_=tasks.c.comment)
    return tasks.update().where(tasks.c.id.in_(ids), tasks.c.state == PENDING).values(**values)


def add_tasks(op: Operation, chain: Chain, rows: list[dict[str, Any]]) -> None:
    """New tasks ``rows``, kept with the chain's at once and written, and given their
    ids, by ``write_events``."""
    tasks = op.tables.approval_tasks
    for row in rows:
        task = {**{c.name: None for c in tasks.c}, **row}
        chain.tasks.append(task)
        chain.new_tasks.append(task)


def add_event(op: Operation, chain: Chain, kind: str, step: str | None,
              comment: str | None) -> None:
    """An event of the chain's timeline, written with the others by ``write_events``."""
    chain.unwritten.append({"approval_id": chain.id, "user_id": op.ctx.user_id, "kind": kind,
                            "step": step, "comment": comment, "at": op.ctx.now})


def write_events(op: Operation, chain: Chain) -> None:
    """Write what the chain's change adds: its new tasks, its events (in the order they
    happened), its audit row if nothing wrote it yet, and its notifications; on
    PostgreSQL in one statement (fixed_statements.insert_together)."""
    tables = op.tables
    flush_settled(op, chain)
    task_ids, event_ids, *_ = insert_together(op.conn, [
        (tables.approval_tasks,
         [{k: v for k, v in task.items() if k != "id"} for task in chain.new_tasks]),
        (tables.approval_events, chain.unwritten), (tables.audit, chain.audit),
        (tables.notifications, chain.notices)])
    for task, task_id in zip(chain.new_tasks, task_ids, strict=True):
        task["id"] = task_id
    chain.events.extend({**row, "id": event_id}
                        for event_id, row in zip(event_ids, chain.unwritten, strict=True))
    chain.new_tasks, chain.unwritten, chain.audit, chain.notices = [], [], [], []


def update_chain(op: Operation, chain: Chain, **values: Any) -> None:
    """Change the chain's row (its version moves on with every change), and the tasks
    settled meanwhile with it (see ``settle_tasks``)."""
    statement, params = _chain_change(op, chain, values)
    fixed(statement).execute(op.conn, params)


def update_chain_and_read(op: Operation, chain: Chain, values: Mapping[str, Any],
                          read: sa.Select, read_params: Mapping[str, Any]
                          ) -> list[dict[str, Any]]:
    """``update_chain`` with ``values``, then the rows of ``read`` (a statement built
    once, e.g. the chain's record, locked, with ``read_params``): on PostgreSQL in one
    statement, the UPDATEs in its WITH (they run to completion whether or not it reads
    them, before the row lock is taken)."""
    if not takes_dml_in_with(op.conn):
        update_chain(op, chain, **values)
        return fixed(read).execute(op.conn, read_params).mappings()
    settling = chain.unsettled
    chain.unsettled = None
    params = {**_chain_params(chain, values),
              **{f"{READ_PREFIX}{name}": value for name, value in read_params.items()}}
    shape = None
    if settling is not None:
        count, with_comment, settled = settling
        shape = (count, with_comment)
        params.update(settled)
    statement = _read_after(op.tables, tuple(sorted(values)), shape, read)
    rows = fixed(statement).execute(op.conn, params).mappings()
    chain.row.update(values, version=chain.row["version"] + 1)
    return rows


def _chain_change(op: Operation, chain: Chain, values: Mapping[str, Any]
                  ) -> tuple[sa.Update, dict[str, Any]]:
    """The UPDATE of the chain's row to ``values`` (with the tasks settled meanwhile)
    and its parameters; the chain in memory changed as it will be."""
    params = _chain_params(chain, values)
    statement = _chain_update(op.tables, tuple(sorted(values)))
    if chain.unsettled is not None:
        count, with_comment, settled = chain.unsettled
        chain.unsettled = None
        statement = _settled_with(statement, _settle_statement(op.tables, count, with_comment))
        params.update(settled)
    chain.row.update(values, version=chain.row["version"] + 1)
    return statement, params


def _chain_params(chain: Chain, values: Mapping[str, Any]) -> dict[str, Any]:
    return {**{f"new_{name}": value for name, value in values.items()}, "chain_id": chain.id}


@lru_cache(maxsize=64)
def _read_after(tables: SystemTables, columns: tuple[str, ...],
                settling: tuple[int, bool] | None, read: sa.Select) -> sa.Select:
    """``WITH settled AS (<tasks' UPDATE>), changed AS (<chain's UPDATE>) <read>``, built
    once per shape (a data-modifying WITH must be at the statement's top level, so
    both sit side by side in front of the read). The read's parameters are renamed
    ``read_<name>``: through Core, a parameter named as a column of the chain's table
    (``record_id``) would be added to the UPDATE's SET."""
    ctes = [] if settling is None else [_settle_statement(tables, *settling).cte("settled")]
    return _prefixed(read).add_cte(*ctes, _chain_update(tables, columns).cte("changed"))


READ_PREFIX = "read_"


def _prefixed(statement: sa.Select) -> sa.Select:
    """A copy of ``statement`` whose named parameters are named ``read_<name>``."""
    def rename(element: Any, **_: Any) -> Any:
        if isinstance(element, sa.BindParameter) and not element.unique:
            return sa.bindparam(f"{READ_PREFIX}{element.key}", element.value,
                                type_=element.type)
        return None
    return cast(sa.Select, visitors.replacement_traverse(
        cast(visitors.ExternallyTraversible, statement), {}, rename))


@lru_cache(maxsize=16)
def _chain_update(tables: SystemTables, columns: tuple[str, ...]) -> sa.Update:
    """UPDATE of the chain's ``columns`` (parameters ``new_<column>``, ``chain_id``: not
    a column's name of the tasks' UPDATE that may go with it), built once per set of
    columns."""
    approvals = tables.approvals
    return approvals.update().where(approvals.c.id == sa.bindparam("chain_id")).values(
        {**{name: sa.bindparam(f"new_{name}", type_=approvals.c[name].type) for name in columns},
         "version": approvals.c.version + 1})


@lru_cache(maxsize=64)
def _settled_with(update: sa.Update, settle: sa.Update) -> sa.Update:
    """``WITH settled AS (<settle>) <update>``: both in one statement (their parameters
    have different names)."""
    return update.add_cte(settle.cte("settled"))


def pending_of_step(chain: Chain, index: int, *, besides: Iterable[int] = ()) -> list[int]:
    """The ids of the step's tasks still waiting (leaving out ``besides``)."""
    left = set(besides)
    return [t["id"] for t in chain.tasks
            if t["step_index"] == index and t["state"] == PENDING and t["id"] not in left]
