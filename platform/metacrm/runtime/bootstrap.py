"""Rows every database needs: the schema state, the built-in admin user, demo users."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from ..compile.compiled import Compiled
from ..compile.tables import USERS_TABLE
from ..platform import SCHEMA_STATE, Platform
from .context import Context, utcnow
from .payload import read_payload
from .writes import create_records

ADMIN_USERNAME = "admin"
DEMO_USERS = [
    ("zhang.wei", "张伟 Zhang Wei"), ("li.na", "李娜 Li Na"), ("wang.fang", "王芳 Wang Fang"),
    ("liu.yang", "刘洋 Liu Yang"), ("chen.jing", "陈静 Chen Jing"),
    ("yang.lei", "杨磊 Yang Lei"), ("zhao.min", "赵敏 Zhao Min"),
    ("emily.chen", "Emily Chen 陈艾米"),
]


def ensure_baseline(conn: sa.Connection, compiled: Compiled) -> int:
    """Create the schema state row and the admin user if missing; the admin's id."""
    state = compiled.metadata.tables[SCHEMA_STATE]
    if conn.execute(sa.select(state.c.id).where(state.c.id == 1)).first() is None:
        conn.execute(state.insert().values(id=1, version=0))
    return ensure_user(conn, compiled, ADMIN_USERNAME, "Administrator 管理员")


def ensure_user(conn: sa.Connection, compiled: Compiled, username: str, name: str,
                email: str | None = None) -> int:
    users = compiled.metadata.tables[USERS_TABLE]
    found = conn.execute(sa.select(users.c.id).where(users.c.username == username)).scalar()
    if found is not None:
        return int(found)
    return int(conn.execute(users.insert().values(
        username=username, name=name, email=email or f"{username}@example.com",
        created_at=utcnow()).returning(users.c.id)).scalar_one())


def fill_demo_data(platform: Platform, admin_id: int, scale: float = 1.0) -> dict[str, int]:
    """Fill an empty database with realistic records through the normal write path."""
    from ..demo import fill_demo

    compiled = platform.compiled
    with platform.writing() as conn:
        users = [ensure_user(conn, compiled, u, n) for u, n in DEMO_USERS]
    ctx = Context(user_id=admin_id)

    def create_many(entity: str, rows: list[dict[str, Any]]) -> list[int]:
        model = compiled.models[entity]
        values = [read_payload(model, ctx, row, creating=True) for row in rows]
        with platform.writing() as conn:
            return [r["id"] for r in create_records(conn, compiled, model, ctx, values)]

    return fill_demo(create_many, users=users, scale=scale)


def database_is_empty(platform: Platform, entity_names: Callable[[], list[str]]) -> bool:
    compiled = platform.compiled
    with platform.reading() as conn:
        for name in entity_names():
            table = compiled.models[name].table
            if conn.execute(sa.select(table.c.id).limit(1)).first() is not None:
                return False
    return True
