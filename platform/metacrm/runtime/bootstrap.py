"""Rows every database needs (the schema state), and the demo organisation:
users with roles, teams and a reporting line, and records through the normal
write path."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..compile.compiled import Compiled
from ..compile.tables import USERS_TABLE
from ..platform import SCHEMA_STATE, Platform
from .context import Context, utcnow
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
# plus service, finance and an auditor: one login per shipped role.
DEMO_USERS = [
    DemoUser("zhang.wei", "张伟 Zhang Wei", "sales_director"),
    DemoUser("li.na", "李娜 Li Na", "sales_manager", "east", "zhang.wei", True),
    DemoUser("wang.fang", "王芳 Wang Fang", "salesperson", "east", "li.na", True),
    DemoUser("liu.yang", "刘洋 Liu Yang", "salesperson", "east", "li.na", True),
    DemoUser("chen.jing", "陈静 Chen Jing", "sales_manager", "inside_sales", "zhang.wei", True),
    DemoUser("yang.lei", "杨磊 Yang Lei", "salesperson", "inside_sales", "chen.jing", True),
    DemoUser("zhao.min", "赵敏 Zhao Min", "service_agent"),
    DemoUser("emily.chen", "Emily Chen 陈艾米", "finance"),
    DemoUser("sun.li", "孙丽 Sun Li", "auditor"),
]


def ensure_baseline(conn: sa.Connection, compiled: Compiled) -> None:
    """Create the schema state row if missing."""
    state = compiled.metadata.tables[SCHEMA_STATE]
    if conn.execute(sa.select(state.c.id).where(state.c.id == 1)).first() is None:
        conn.execute(state.insert().values(id=1, version=0))


def ensure_user(conn: sa.Connection, compiled: Compiled, username: str, name: str,
                email: str | None = None, *, is_admin: bool = False) -> int:
    users = compiled.metadata.tables[USERS_TABLE]
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


def fill_demo_data(platform: Platform, admin_id: int, owners: list[int],
                   scale: float = 1.0) -> dict[str, int]:
    """Fill an empty database with realistic records through the normal write path."""
    from ..demo import fill_demo

    compiled = platform.compiled
    ctx = Context.system(admin_id)

    def create_many(entity: str, rows: list[dict[str, Any]]) -> list[int]:
        model = compiled.models[entity]
        values = [read_payload(model, ctx, row, creating=True) for row in rows]
        with platform.writing() as conn:
            return [r["id"] for r in create_records(conn, compiled, model, ctx, values)]

    return fill_demo(create_many, users=owners, scale=scale)


def database_is_empty(platform: Platform, entity_names: Callable[[], list[str]]) -> bool:
    compiled = platform.compiled
    with platform.reading() as conn:
        for name in entity_names():
            table = compiled.models[name].table
            if conn.execute(sa.select(table.c.id).limit(1)).first() is not None:
                return False
    return True
