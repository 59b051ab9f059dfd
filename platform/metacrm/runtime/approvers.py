"""Who approves: the users an approval step (or its escalation) names, resolved from
roles, usernames, the reporting line or a field of the record; whose tasks go to a
delegate while they are away (delegation periods: list, create, revoke); and which
tasks stand for the same approver once one of them decides."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..base.problems import Conflict, Invalid, NotFound
from ..compile.system_tables import SystemTables
from ..definitions import ApproverDef
from ..i18n import message
from ..values import to_utc
from .operation import Operation
from .rows import Row

MAX_DELEGATIONS = 500  # listed at once; a user has a handful


def resolve_approvers(op: Operation, approver: ApproverDef, record: Row,
                      anchor: int | None) -> list[int]:
    """Active users ``approver`` names, in id order. ``anchor`` is whom "manager"
    counts up from: the submitter for a step, the approver for an escalation."""
    conn, tables = op.conn, op.tables
    users = tables.users
    active = users.c.active.is_(True)
    if approver.kind == "role":
        roles = tables.user_roles
        statement = (sa.select(users.c.id).join(roles, roles.c.user_id == users.c.id)
                     .where(roles.c.role == approver.role, active))
    elif approver.kind == "users":
        statement = sa.select(users.c.id).where(users.c.username.in_(approver.users), active)
    elif approver.kind == "field":
        holder = record.get(approver.field or "")
        if holder is None:
            return []
        statement = sa.select(users.c.id).where(users.c.id == holder, active)
    else:
        found = _manager(conn, users, anchor, approver.levels)
        if found is None:
            return []
        statement = sa.select(users.c.id).where(users.c.id == found, active)
    return sorted(set(conn.execute(statement).scalars()))


def _manager(conn: sa.Connection, users: sa.Table, user_id: int | None, levels: int
             ) -> int | None:
    current = user_id
    for _ in range(levels):
        if current is None:
            return None
        current = conn.execute(sa.select(users.c.manager_id).where(users.c.id == current)
                               ).scalar()
    return current


def delegated(op: Operation, user_ids: Iterable[int], *, submitter_id: int | None = None,
              running: Mapping[int, int] | None = None) -> list[tuple[int, int | None]]:
    """(assignee, on behalf of) for each user: their delegate while a delegation of
    theirs runs (one level: a delegate's own delegation is not followed), else
    themselves. A delegation never hands the submitter a task of their own request,
    nor gives anyone a second task of the step: then the approver keeps the task.
    ``running``: the delegations running now of (at least) these users, user ->
    delegate, already read in this transaction (approval_state.load_chain)."""
    ids = sorted(set(user_ids))
    if not ids:
        return []
    if running is not None:
        delegate = dict(running)
    else:
        delegations, users, now = op.tables.delegations, op.tables.users, op.ctx.now
        rows = op.conn.execute(
            sa.select(delegations.c.user_id, delegations.c.delegate_id)
            .join(users, users.c.id == delegations.c.delegate_id)
            .where(delegations.c.user_id.in_(ids), delegations.c.starts_at <= now,
                   delegations.c.ends_at > now, delegations.c.revoked_at.is_(None),
                   users.c.active.is_(True))
            .order_by(delegations.c.id)).all()
        delegate = {row.user_id: row.delegate_id for row in rows}
    assigned: list[tuple[int, int | None]] = []
    for uid in ids:
        to = delegate.get(uid)
        taken = {a for a, _ in assigned} | set(ids)
        if to is None or to == submitter_id or to in taken:
            assigned.append((uid, None))
        else:
            assigned.append((to, uid))
    return assigned


def stand_ins(tasks: Iterable[Mapping[str, Any]], task: Mapping[str, Any]) -> list[int]:
    """``task`` was just approved: the ids of the other pending tasks of its step (of
    the chain's ``tasks``) that stand for the same approver, and are done too. They are
    the task it was escalated from, the tasks escalated from it, and the other
    escalations (or the delegate) of the same holder, so that in an all-of step anyone
    of them decides that approver's share."""
    holder = task["on_behalf_of"]
    return [t["id"] for t in tasks
            if t["step_index"] == task["step_index"] and t["state"] == "pending"
            and t["id"] != task["id"]
            and (t["on_behalf_of"] == task["user_id"] or (holder is not None and (
                t["user_id"] == holder or t["on_behalf_of"] == holder)))]


def list_delegations(op: Operation, user_id: int | None) -> list[dict[str, Any]]:
    """The user's delegations, newest first (running, planned, ended and revoked)."""
    delegations = op.tables.delegations
    rows = op.conn.execute(_delegation_select(op.tables).where(delegations.c.user_id == user_id)
                           .order_by(delegations.c.id.desc()).limit(MAX_DELEGATIONS)).mappings()
    return [delegation_json(row, op.ctx.now) for row in rows]


def create_delegation(op: Operation, user_id: int | None, delegate_id: int,
                      starts_at: datetime, ends_at: datetime) -> dict[str, Any]:
    """While ``starts_at`` <= now < ``ends_at``, tasks given to ``user_id`` go to
    ``delegate_id``. Periods of one user do not overlap: with the user's row locked,
    two requests at once cannot both pass that check."""
    conn, ctx, lang = op.conn, op.ctx, op.locale
    users, delegations = op.tables.users, op.tables.delegations
    if ends_at <= starts_at:
        raise Invalid({"ends_at": [message("delegation_order", lang)]})
    if ends_at <= ctx.now:
        raise Invalid({"ends_at": [message("delegation_past", lang)]})
    if delegate_id == user_id:
        raise Invalid({"delegate": [message("delegate_self", lang)]})
    delegate = conn.execute(sa.select(users.c.id).where(
        users.c.id == delegate_id, users.c.active.is_(True))).first()
    if delegate is None:
        raise Invalid({"delegate": [message("user_expected", lang)]})
    owner = conn.execute(sa.select(users.c.id, users.c.name).where(users.c.id == user_id)
                         .with_for_update()).first()
    if owner is None:
        raise Invalid({"user": [message("user_expected", lang)]})
    clash = conn.execute(sa.select(delegations).where(
        delegations.c.user_id == user_id, delegations.c.revoked_at.is_(None),
        delegations.c.starts_at < ends_at, delegations.c.ends_at > starts_at)
        .order_by(delegations.c.id)).first()
    if clash is not None:
        raise Conflict(message("delegation_overlap", lang, user=owner.name, id=clash.id,
                               starts=to_utc(clash.starts_at).isoformat(),
                               ends=to_utc(clash.ends_at).isoformat()))
    new_id = conn.execute(delegations.insert().values(
        user_id=user_id, delegate_id=delegate_id, starts_at=starts_at, ends_at=ends_at,
        created_at=ctx.now).returning(delegations.c.id)).scalar_one()
    return find_delegation(op, new_id) or {}


def revoke_delegation(op: Operation, delegation_id: int, *, admin: bool) -> None:
    """End a delegation now (its own user or an administrator); tasks it already
    handed over stay with the delegate. Another user's is 404, as a missing one."""
    conn, ctx, delegations = op.conn, op.ctx, op.tables.delegations
    row = conn.execute(sa.select(delegations).where(delegations.c.id == delegation_id)
                       .with_for_update()).first()
    if row is None or (row.user_id != ctx.user_id and not admin):
        raise NotFound(message("no_delegation", ctx.locale, id=delegation_id), key="id")
    if row.revoked_at is None and to_utc(row.ends_at) > ctx.now:
        conn.execute(delegations.update().where(delegations.c.id == delegation_id)
                     .values(revoked_at=ctx.now))


def find_delegation(op: Operation, delegation_id: int) -> dict[str, Any] | None:
    delegations = op.tables.delegations
    row = op.conn.execute(_delegation_select(op.tables).where(
        delegations.c.id == delegation_id)).mappings().first()
    return delegation_json(row, op.ctx.now) if row else None


def _delegation_select(tables: SystemTables) -> sa.Select:
    delegations, users = tables.delegations, tables.users
    owner, delegate = users.alias("owner"), users.alias("delegate")
    return (sa.select(delegations, owner.c.name.label("user_name"),
                      delegate.c.name.label("delegate_name"))
            .join(owner, owner.c.id == delegations.c.user_id)
            .join(delegate, delegate.c.id == delegations.c.delegate_id))


def delegation_json(row: Mapping[Any, Any], now: datetime) -> dict[str, Any]:
    starts, ends = to_utc(row["starts_at"]), to_utc(row["ends_at"])
    revoked = row["revoked_at"]
    return {"id": row["id"], "user": {"id": row["user_id"], "name": row["user_name"]},
            "delegate": {"id": row["delegate_id"], "name": row["delegate_name"]},
            "starts_at": starts, "ends_at": ends, "created_at": row["created_at"],
            "revoked_at": revoked,
            "running": revoked is None and starts <= now < ends}
