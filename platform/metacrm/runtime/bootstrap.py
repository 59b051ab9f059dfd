"""Rows every database needs (the schema state), and a bundle's demo organisation:
the users, roles, teams and reporting line its ``demo/`` definition declares, and
records made by the plugin it names, through the normal write path."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..base.context import Context, utcnow
from ..compile.compiled import Compiled
from ..definitions import DemoDef
from ..platform import Platform
from ..plugins import DemoPerson, DemoRequest, demo_generator
from .payload import read_payload
from .writes import create_records


def ensure_baseline(conn: sa.Connection, compiled: Compiled) -> None:
    """Create the schema state row if missing."""
    state = compiled.tables.schema_state
    if conn.execute(sa.select(state.c.id).where(state.c.id == 1)).first() is None:
        conn.execute(state.insert().values(id=1, version=0))


def ensure_user(conn: sa.Connection, compiled: Compiled, username: str, name: str,
                email: str | None = None, *, is_admin: bool = False) -> int:
    users = compiled.tables.users
    found = conn.execute(sa.select(users.c.id).where(users.c.username == username)).scalar()
    if found is not None:
        return int(found)
    return int(conn.execute(users.insert().values(
        username=username, name=name, email=email or f"{username}@example.com",
        is_admin=is_admin, created_at=utcnow()).returning(users.c.id)).scalar_one())


def ensure_demo_organisation(conn: sa.Connection, compiled: Compiled, demo: DemoDef
                             ) -> dict[str, int]:
    """The demo's users with their roles, teams and reporting line; ids by username."""
    from ..identity.teams import ensure_team, set_team_members
    from ..identity.users import set_manager, set_roles

    tables = compiled.metadata
    admin = demo.administrator
    ids = {admin.username: ensure_user(conn, compiled, admin.username, admin.name,
                                       is_admin=True)}
    for person in demo.people:
        ids[person.username] = ensure_user(conn, compiled, person.username, person.name)
    for person in (admin, *demo.people):
        set_roles(conn, tables, ids[person.username], list(person.roles))
        if person.manager:
            set_manager(conn, tables, ids[person.username], ids[person.manager])
    for code, name in demo.teams.items():
        team = ensure_team(conn, tables, code, name)
        set_team_members(conn, tables, team, [ids[p.username] for p in demo.people
                                               if p.team == code])
    return ids


def fill_demo_data(platform: Platform, demo: DemoDef, ids: Mapping[str, int],
                   scale: float = 1.0, progress: Callable[[str], Any] | None = None
                   ) -> Mapping[str, int]:
    """Have the demo's generator plugin fill an empty database with records, written
    through the normal write path by the platform on the administrator's behalf."""
    generate = demo_generator(demo.generator)
    compiled = platform.compiled
    ctx = Context.system(ids[demo.administrator.username])
    started: set[str] = set()

    def create_many(entity: str, rows: list[dict[str, Any]],
                    created: Sequence[datetime] | None = None) -> list[int]:
        model = compiled.models[entity]
        if progress is not None and entity not in started:
            started.add(entity)
            progress(f"  {model.entity.plural.get('en')}…")
        values = [read_payload(model, ctx, row, creating=True) for row in rows]
        moments = list(created) if created is not None else [ctx.now] * len(rows)
        if len(moments) != len(rows):
            raise ValueError(f"create_many({entity!r}): {len(moments)} moments for "
                             f"{len(rows)} rows")
        # One write per moment, the earliest first: ids then follow the history.
        ids: dict[int, int] = {}
        with platform.writing() as conn:
            for moment, indexes in _by_moment(moments):
                written = create_records(conn, compiled, model, replace(ctx, now=moment),
                                         [values[i] for i in indexes])
                ids.update(zip(indexes, (r["id"] for r in written), strict=True))
        return [ids[i] for i in range(len(rows))]

    people = tuple(DemoPerson(ids[p.username], p.username, p.roles, p.holds_records)
                   for p in demo.people)
    return generate(DemoRequest(create_many, people, scale))


def _by_moment(moments: Sequence[datetime]) -> list[tuple[datetime, list[int]]]:
    """Row indexes grouped by moment, in time order."""
    groups: dict[datetime, list[int]] = {}
    for index, moment in enumerate(moments):
        groups.setdefault(moment, []).append(index)
    return sorted(groups.items())


def submit_demo_requests(platform: Platform, per_chain: int = 2) -> int:
    """Put a few records in front of their approval chains, as their owners would, so
    that the demo's inboxes are not empty; how many were submitted."""
    from ..base.problems import Problem
    from ..identity.principals import principals_of
    from .operation import Operation
    from .workflow import fire

    compiled = platform.compiled
    submitted = 0
    for entity, workflow in compiled.workflows.items():
        model = compiled.models[entity]
        owner = model.entity.owned_by
        if owner is None or model.entity.fields[owner].type != "user":
            continue
        for transition in workflow.transitions.values():
            if not transition.definition.approval:
                continue
            table = model.table
            with platform.reading() as conn:
                rows = conn.execute(sa.select(table.c.id, table.c[owner]).where(
                    table.c[workflow.field].in_(transition.definition.sources),
                    table.c[owner].is_not(None), table.c.deleted_at.is_(None))
                    .order_by(table.c.id).limit(per_chain)).all()
                people = principals_of(conn, compiled.metadata, [r[1] for r in rows])
            for record_id, holder in rows:
                if holder not in people:
                    continue
                ctx = Context(people[holder])
                try:
                    with platform.writing() as conn:
                        fire(Operation(conn, compiled, ctx, platform.plugins), model,
                             record_id, transition.name, None, None)
                    submitted += 1
                except Problem:
                    continue  # this record is not ready for it (a guard, a missing field)
    return submitted


def database_is_empty(platform: Platform) -> bool:
    """Whether no entity holds a record (live or deleted)."""
    compiled = platform.compiled
    with platform.reading() as conn:
        for name in compiled.models:
            table = compiled.models[name].table
            if conn.execute(sa.select(table.c.id).limit(1)).first() is not None:
                return False
    return True
