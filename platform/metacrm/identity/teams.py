"""Teams: named groups of users (a sales team, a service desk). Team scopes and
assignment rules use them; a user may belong to several."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..base.context import utcnow
from ..compile.system_tables import system_tables
from .credentials import credentials_changed
from .users import UserError

CODE = re.compile(r"^[a-z0-9](?:[a-z0-9-]|_(?!_))*$")


@dataclass(frozen=True)
class Team:
    id: int
    code: str
    name: str
    members: tuple[int, ...]


def _tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    tables = system_tables(metadata)
    return tables.teams, tables.team_members


def create_team(conn: sa.Connection, metadata: sa.MetaData, code: str, name: str) -> int:
    teams, _ = _tables(metadata)
    if not CODE.match(code) or len(code) > 40:
        raise UserError(f"team code '{code}' must be lower case letters, digits, '-' or '_' "
                        "(at most 40), as assignment rules name it")
    if conn.execute(sa.select(teams.c.id).where(teams.c.code == code)).first():
        raise UserError(f"team '{code}' already exists")
    return int(conn.execute(teams.insert().values(code=code, name=name or code,
                                                  created_at=utcnow())
                            .returning(teams.c.id)).scalar_one())


def ensure_team(conn: sa.Connection, metadata: sa.MetaData, code: str, name: str) -> int:
    found = find_team(conn, metadata, code)
    return found.id if found else create_team(conn, metadata, code, name)


def find_team(conn: sa.Connection, metadata: sa.MetaData, code: str) -> Team | None:
    teams, _ = _tables(metadata)
    row = conn.execute(sa.select(teams).where(teams.c.code == code)).first()
    return _with_members(conn, metadata, [row])[0] if row else None


def get_team(conn: sa.Connection, metadata: sa.MetaData, team_id: int) -> Team | None:
    teams, _ = _tables(metadata)
    row = conn.execute(sa.select(teams).where(teams.c.id == team_id)).first()
    return _with_members(conn, metadata, [row])[0] if row else None


def list_teams(conn: sa.Connection, metadata: sa.MetaData) -> list[Team]:
    teams, _ = _tables(metadata)
    return _with_members(conn, metadata, conn.execute(sa.select(teams).order_by(teams.c.code))
                         .all())


def _with_members(conn: sa.Connection, metadata: sa.MetaData, rows: Sequence[sa.Row[Any]]
                  ) -> list[Team]:
    _, members = _tables(metadata)
    ids = [row.id for row in rows]
    found: dict[int, list[int]] = {i: [] for i in ids}
    for team_id, user_id in conn.execute(sa.select(members.c.team_id, members.c.user_id)
                                         .where(members.c.team_id.in_(ids))
                                         .order_by(members.c.user_id)):
        found[team_id].append(user_id)
    return [Team(row.id, row.code, row.name, tuple(found[row.id])) for row in rows]


def rename_team(conn: sa.Connection, metadata: sa.MetaData, team_id: int, name: str) -> None:
    teams, _ = _tables(metadata)
    conn.execute(teams.update().where(teams.c.id == team_id).values(name=name))


def set_team_members(conn: sa.Connection, metadata: sa.MetaData, team_id: int,
                     user_ids: list[int]) -> None:
    _, members = _tables(metadata)
    conn.execute(members.delete().where(members.c.team_id == team_id))
    credentials_changed(conn, metadata)  # whom team scopes reach
    if user_ids:
        conn.execute(members.insert(), [{"team_id": team_id, "user_id": uid}
                                        for uid in sorted(set(user_ids))])


def add_team_members(conn: sa.Connection, metadata: sa.MetaData, team_id: int,
                     user_ids: list[int]) -> None:
    current = get_team(conn, metadata, team_id)
    if current is not None:
        set_team_members(conn, metadata, team_id, list(current.members) + user_ids)


def remove_team_members(conn: sa.Connection, metadata: sa.MetaData, team_id: int,
                        user_ids: list[int]) -> None:
    _, members = _tables(metadata)
    conn.execute(members.delete().where(members.c.team_id == team_id,
                                        members.c.user_id.in_(user_ids)))
    credentials_changed(conn, metadata)


def user_teams(conn: sa.Connection, metadata: sa.MetaData, user_id: int) -> list[str]:
    teams, members = _tables(metadata)
    return list(conn.execute(sa.select(teams.c.code).join(members, members.c.team_id == teams.c.id)
                             .where(members.c.user_id == user_id).order_by(teams.c.code))
                .scalars())


def delete_team(conn: sa.Connection, metadata: sa.MetaData, team_id: int) -> None:
    teams, members = _tables(metadata)
    conn.execute(members.delete().where(members.c.team_id == team_id))
    conn.execute(teams.delete().where(teams.c.id == team_id))
    credentials_changed(conn, metadata)
