"""Rows every database needs (the schema state), and the demo organisation:
users with roles, teams and a reporting line, and records through the normal
write path."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..base.context import Context, utcnow
from ..compile.compiled import Compiled
from ..platform import Platform
from .payload import read_payload
from .writes import create_records

ADMIN_USERNAME = "admin"


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    role: str
    team: str | None = None
    manager: str | None = None
    holds_customers: bool = False


DEMO_TEAMS = {"east": "华东销售部 East China sales", "inside_sales": "电话销售部 Inside sales"}
# A sales director over two managers, each with salespeople (a three-level line),
# plus service (a desk and an engineer), finance (a clerk under a manager) and an
# auditor: one login per shipped role.
DEMO_USERS = [
    DemoUser("zhang.wei", "张伟 Zhang Wei", "sales_director"),
    DemoUser("li.na", "李娜 Li Na", "sales_manager", "east", "zhang.wei", True),
    DemoUser("wang.fang", "王芳 Wang Fang", "salesperson", "east", "li.na", True),
    DemoUser("liu.yang", "刘洋 Liu Yang", "salesperson", "east", "li.na", True),
    DemoUser("chen.jing", "陈静 Chen Jing", "sales_manager", "inside_sales", "zhang.wei", True),
    DemoUser("yang.lei", "杨磊 Yang Lei", "salesperson", "inside_sales", "chen.jing", True),
    DemoUser("zhao.min", "赵敏 Zhao Min", "service_agent"),
    DemoUser("wu.hao", "吴昊 Wu Hao", "service_engineer", manager="zhao.min"),
    DemoUser("zhou.qiang", "周强 Zhou Qiang", "finance_manager"),
    DemoUser("emily.chen", "Emily Chen 陈艾米", "finance", manager="zhou.qiang"),
    DemoUser("sun.li", "孙丽 Sun Li", "auditor"),
]


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


def ensure_demo_organisation(conn: sa.Connection, compiled: Compiled) -> dict[str, int]:
    """The demo's users, roles (those the bundles define), teams and reporting line."""
    from ..identity.teams import ensure_team, set_team_members
    from ..identity.users import set_manager, set_roles

    tables = compiled.metadata
    ids = {ADMIN_USERNAME: ensure_user(conn, compiled, ADMIN_USERNAME, "Administrator 管理员",
                                       is_admin=True)}
    for user in DEMO_USERS:
        ids[user.username] = ensure_user(conn, compiled, user.username, user.name)
    roles = compiled.catalog.roles
    if "admin" in roles:
        set_roles(conn, tables, ids[ADMIN_USERNAME], ["admin"])
    for user in DEMO_USERS:
        set_roles(conn, tables, ids[user.username], [user.role] if user.role in roles else [])
        if user.manager:
            set_manager(conn, tables, ids[user.username], ids[user.manager])
    for code, name in DEMO_TEAMS.items():
        team = ensure_team(conn, tables, code, name)
        set_team_members(conn, tables, team, [ids[u.username] for u in DEMO_USERS
                                               if u.team == code])
    return ids


def fill_demo_data(platform: Platform, admin_id: int, owners: Sequence[int],
                   engineers: Sequence[int] = (), scale: float = 1.0) -> dict[str, int]:
    """Fill an empty database with realistic records through the normal write path."""
    from ..demo import fill_demo

    compiled = platform.compiled
    ctx = Context.system(admin_id)

    def create_many(entity: str, rows: list[dict[str, Any]]) -> list[int]:
        model = compiled.models[entity]
        values = [read_payload(model, ctx, row, creating=True) for row in rows]
        with platform.writing() as conn:
            return [r["id"] for r in create_records(conn, compiled, model, ctx, values)]

    return fill_demo(create_many, users=owners, engineers=engineers, scale=scale)


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


def database_is_empty(platform: Platform, entity_names: Callable[[], list[str]]) -> bool:
    compiled = platform.compiled
    with platform.reading() as conn:
        for name in entity_names():
            table = compiled.models[name].table
            if conn.execute(sa.select(table.c.id).limit(1)).first() is not None:
                return False
    return True
