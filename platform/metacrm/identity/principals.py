"""A user as the permission engine sees them: id, admin flag and role names."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from ..base.context import Principal
from ..compile.system_tables import system_tables


def principal_query(metadata: sa.MetaData) -> sa.Select:
    """Users with their roles, one row per role (or one row with none); active only."""
    tables = system_tables(metadata)
    users, roles = tables.users, tables.user_roles
    return (sa.select(users.c.id, users.c.is_admin, roles.c.role)
            .select_from(users.outerjoin(roles, roles.c.user_id == users.c.id))
            .where(users.c.active.is_(True)))


def principals_from_rows(rows: Iterable[sa.Row]) -> dict[int, Principal]:
    found: dict[int, tuple[bool, set[str]]] = {}
    for row in rows:
        _, names = found.setdefault(row.id, (bool(row.is_admin), set()))
        if row.role:
            names.add(row.role)
    return {uid: Principal(uid, frozenset(names), admin) for uid, (admin, names) in found.items()}


def principals_of(conn: sa.Connection, metadata: sa.MetaData, user_ids: Iterable[int]
                  ) -> dict[int, Principal]:
    """The active users among ``user_ids``, as principals."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    users = system_tables(metadata).users
    return principals_from_rows(conn.execute(principal_query(metadata)
                                             .where(users.c.id.in_(ids))))


def principal_of(conn: sa.Connection, metadata: sa.MetaData, user_id: int) -> Principal | None:
    return principals_of(conn, metadata, [user_id]).get(user_id)
