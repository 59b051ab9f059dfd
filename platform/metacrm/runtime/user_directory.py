"""The users one operation names (approvers, submitters, whoever is told something):
their names, languages and whether they are active, read in one query for all of
them and kept for the operation, rather than one look-up per name or notification."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import sqlalchemy as sa


class UserInfo(NamedTuple):
    id: int
    name: str
    language: str
    active: bool


class UserDirectory:
    def __init__(self, conn: sa.Connection, users: sa.Table):
        self._conn = conn
        self._users = users
        self._found: dict[int, UserInfo | None] = {}  # None: no such user

    def load(self, ids: Iterable[int | None]) -> None:
        """Read the users of ``ids`` not read yet, in one query."""
        missing = sorted({uid for uid in ids if uid is not None} - set(self._found))
        if not missing:
            return
        users = self._users
        for uid in missing:
            self._found[uid] = None
        for row in self._conn.execute(sa.select(
                users.c.id, users.c.name, users.c.language, users.c.active)
                .where(users.c.id.in_(missing))):
            self._found[row.id] = UserInfo(row.id, row.name, row.language, bool(row.active))

    def remember(self, looked_for: Iterable[int | None], found: Iterable[UserInfo]) -> None:
        """Users read by another query: ``found`` of those ``looked_for``."""
        for uid in looked_for:
            if uid is not None:
                self._found.setdefault(uid, None)
        for user in found:
            self._found[user.id] = user

    def get(self, ids: Iterable[int | None]) -> dict[int, UserInfo]:
        """The users of ``ids`` that exist, by id, in id order."""
        wanted = sorted({uid for uid in ids if uid is not None})
        self.load(wanted)
        return {uid: found for uid in wanted if (found := self._found[uid]) is not None}

    def name(self, user_id: int | None) -> str:
        found = self.get([user_id]).get(user_id) if user_id is not None else None
        return found.name if found else ""
