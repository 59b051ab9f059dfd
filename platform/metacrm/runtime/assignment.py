"""Assignment rules: a new record nobody holds goes to a member of a team, in
turn (round robin) or to whoever holds the fewest (least loaded).

The first rule whose conditions the record meets decides; a rule whose team
does not exist or has no member able to take more records is passed over, and
a record no rule places stays unowned (in the pool, if the entity has one).
Members are active users of the team whose roles may read the entity (and the
record: a role's `where` may leave it out), skipped once they reach their roles'
hold limit. Round robin remembers the last member
per rule in the database (locked while choosing), so that several server
processes share one turn.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ..base.context import Context
from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..compile.policy import EntityPolicy
from ..definitions import AssignmentRuleDef
from ..identity.principals import principals_of
from .conditions import record_matches, where_admits
from .holdings import counts_towards_limit, held_counts, lock_user, owner_column


def assign_owners(conn: sa.Connection, compiled: Compiled, model: EntityModel, ctx: Context,
                  records: list[dict[str, Any]]) -> None:
    """Give each of ``records`` (all without an owner) to a team member, in place."""
    owner = owner_column(model)
    rules = model.entity.assignment
    if owner is None or not rules or not records:
        return
    for rule in rules:
        matching = [r for r in records if r.get(owner) is None
                    and record_matches(model, r, rule.when)]
        if matching:
            _assign(conn, compiled, model, rule, owner, matching)


def _assign(conn: sa.Connection, compiled: Compiled, model: EntityModel,
            rule: AssignmentRuleDef, owner: str, records: list[dict[str, Any]]) -> None:
    members = team_members(conn, compiled, rule.team)
    if not members:
        return
    principals = principals_of(conn, compiled.metadata, members)
    policies = {uid: compiled.policy.entity(p.roles, p.admin, model.name)
                for uid, p in principals.items()}
    # A member whose roles may not read the entity could not even see what they were
    # given (as a transfer refuses such a target): they take no turn.
    members = [uid for uid in members if uid in policies and policies[uid].allows("read")]
    limits = {uid: policies[uid].hold_limit for uid in members}
    for uid in members:  # in id order, so that concurrent assignments cannot deadlock
        if limits.get(uid) is not None:
            lock_user(conn, compiled, uid)
    held = held_counts(conn, compiled, model, members)
    state = compiled.tables.assignment_state
    key = f"{model.name}.{rule.name}"
    last = None
    if rule.method == "round_robin":
        last = _last_assigned(conn, state, key)
    for record in records:
        counts = counts_towards_limit(model, record)
        able = [uid for uid in members
                if (not counts or limits.get(uid) is None or held[uid] < (limits[uid] or 0))
                and _may_read(conn, compiled, model, record, uid, policies[uid])]
        if not able:
            return
        if rule.method == "least_loaded":
            chosen = min(able, key=lambda uid: (held[uid], uid))
        else:
            later = [uid for uid in able if last is None or uid > last]
            chosen = later[0] if later else able[0]
            last = chosen
        record[owner] = chosen
        held[chosen] += 1 if counts else 0
    if rule.method == "round_robin" and last is not None:
        _remember(conn, state, key, last)


def _may_read(conn: sa.Connection, compiled: Compiled, model: EntityModel,
              record: dict[str, Any], user_id: int, policy: EntityPolicy) -> bool:
    """Whether the member could read the record once they hold it: their read grants'
    scopes all take in what the user holds, so only the grants' ``where`` decides (a
    role for leads only is not given a signed customer)."""
    reaches = policy.reach("read")
    if policy.unrestricted or any(not reach.where for reach in reaches):
        return True
    return where_admits(conn, compiled, model, record, reaches, user_id)


def team_members(conn: sa.Connection, compiled: Compiled, code: str) -> list[int]:
    """Active members of the team with ``code``, by id."""
    tables = compiled.tables
    teams, members, users = tables.teams, tables.team_members, tables.users
    return list(conn.execute(
        sa.select(users.c.id)
        .join(members, members.c.user_id == users.c.id)
        .join(teams, teams.c.id == members.c.team_id)
        .where(teams.c.code == code, users.c.active.is_(True))
        .order_by(users.c.id)).scalars())


def _last_assigned(conn: sa.Connection, state: sa.Table, key: str) -> int | None:
    """The rule's last assignee, its state row locked until commit."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(state).values(rule=key, last_user_id=None)
                 .on_conflict_do_nothing(index_elements=[state.c.rule]))
    return conn.execute(sa.select(state.c.last_user_id).where(state.c.rule == key)
                        .with_for_update()).scalar()


def _remember(conn: sa.Connection, state: sa.Table, key: str, user_id: int) -> None:
    conn.execute(state.update().where(state.c.rule == key).values(last_user_id=user_id))
