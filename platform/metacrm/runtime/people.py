"""The people a record scope reaches, looked up once per request.

A scope such as "own and subordinates'" could stay a subquery inside each
statement, but the database then plans the list without knowing that the
subquery yields one or a few users, and may sort a whole table where an index
on (owner, updated_at) would read fifty rows. Looking the users up first and
writing their ids into the statement lets it plan for exactly those users.

A caller read under a known credentials version (a token's or a session's, see
identity/credentials.py) may have them kept per version for the database
(``KeptPeople``, one per platform): every change of a manager or of a team's
members moves that version, so a list costs no look-up until the line or a team
changes. The names users are shown by (a report's rows by salesperson) are kept the
same way: a change of a user's name moves the version too.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import sqlalchemy as sa

from ..compile.compiled import Compiled
from .sqlfunctions import among

# Beyond this many users a literal list stops paying off (and SQLite caps the
# number of bound parameters); the scope then stays a subquery.
MAX_LITERAL_IDS = 1000
# (version, scope, user) entries kept per program; when full, the cache starts again.
MAX_KEPT = 4096
# (version, user) names kept per program, likewise.
MAX_KEPT_NAMES = 65536


class KeptPeople:
    """The people of scopes already looked up in one database, by (credentials version,
    scope, user): each entry was read after its version was, so it is as new as that
    version or newer, and no request reads an older version once a change has moved
    it. At most MAX_KEPT entries: when full, it starts again."""

    def __init__(self, limit: int = MAX_KEPT):
        self._limit = limit
        self._entries: dict[tuple[int, str, int], list[int] | None] = {}
        # the name each user is shown by, by (credentials version, user): a name's
        # change moves the version too (identity/profiles.py)
        self.names: dict[tuple[int, int], str] = {}

    def get(self, key: tuple[int, str, int]) -> tuple[bool, list[int] | None]:
        """(whether ``key`` is kept, its people)."""
        entries = self._entries
        try:
            return True, entries[key]
        except KeyError:
            return False, None

    def put(self, key: tuple[int, str, int], found: list[int] | None) -> None:
        if len(self._entries) >= self._limit:
            self._entries = {}
        self._entries[key] = found

    def put_names(self, version: int, found: dict[int, str]) -> None:
        if len(self.names) + len(found) > MAX_KEPT_NAMES:
            self.names = {}
        self.names.update(((version, user), name) for user, name in found.items())


class People:
    def __init__(self, compiled: Compiled, conn: sa.Connection,
                 credentials: int | None = None, kept: KeptPeople | None = None):
        self._compiled = compiled
        self._conn = conn
        self._found: dict[tuple[str, int], list[int] | None] = {}
        self._kept = kept if credentials is not None else None
        self._credentials = credentials or 0
        self.dialect = conn.dialect.name

    def of(self, scope: str, user_id: int) -> list[int] | None:
        """The users whose records ``scope`` reaches for ``user_id``; None if too many."""
        key = (scope, user_id)
        if key in self._found:
            return self._found[key]
        if self._kept is None:
            return self._look_up(scope, user_id)
        version_key = (self._credentials, scope, user_id)
        known, found = self._kept.get(version_key)
        if known:
            self._found[key] = found
            return found
        found = self._look_up(scope, user_id)
        self._kept.put(version_key, found)
        return found

    def names(self, ids: Iterable[int]) -> dict[int, str]:
        """Each of ``ids`` with the name they are shown by (their name, else their
        username; an unknown id is left out), kept while the credentials version holds:
        a report by salesperson names hundreds of people on every run."""
        wanted = set(ids)
        found: dict[int, str] = {}
        if self._kept is not None:
            kept, version = self._kept.names, self._credentials
            for user in wanted:
                name = kept.get((version, user))
                if name is not None:
                    found[user] = name
            wanted.difference_update(found)
        if wanted:
            read = user_names(self._conn, self._compiled.tables.users, wanted)
            if self._kept is not None:
                self._kept.put_names(self._credentials, read)
            found.update(read)
        return found

    def _look_up(self, scope: str, user_id: int) -> list[int] | None:
        key = (scope, user_id)
        if key not in self._found:
            tables = self._compiled.tables
            statement = (_people_below(tables.users, MAX_LITERAL_IDS + 1)
                         if scope == "subordinates"
                         else _people_beside(tables.team_members, MAX_LITERAL_IDS + 1))
            found = self._conn.execute(statement, {"user_id": user_id}).scalars()
            ids = sorted(set(found) | {user_id})
            self._found[key] = ids if len(ids) <= MAX_LITERAL_IDS else None
        return self._found[key]


def subordinates(compiled: Compiled, user_id: int) -> sa.Select:
    """The user and everyone below them in the reporting line, as a subquery."""
    return _people_below(compiled.tables.users, None).params(user_id=user_id)


def team_mates(compiled: Compiled, user_id: int) -> sa.Select:
    """Everyone who shares a team with the user, as a subquery."""
    members = compiled.tables.team_members
    return _people_beside(members, None).params(user_id=user_id)


# Both statements yield each user once, so a LIMIT counts users: a list People.of gets
# cut short holds more than MAX_LITERAL_IDS distinct users and is refused there, never
# used with people missing from the scope. They are built once per table and limit (a
# request pays only for running one), with the user as a bound parameter.

@lru_cache(maxsize=8)
def _people_below(users: sa.Table, limit: int | None) -> sa.Select:
    """The user and everyone below them in the reporting line (a recursive query;
    UNION rather than UNION ALL, so that even a cycle in the data ends)."""
    tree = (sa.select(users.c.id.label("id")).where(users.c.id == sa.bindparam("user_id"))
            .cte("reports", recursive=True, nesting=True))
    below = users.alias("below")
    tree = tree.union(sa.select(below.c.id).where(below.c.manager_id == tree.c.id))
    return sa.select(tree.c.id).limit(limit)


@lru_cache(maxsize=8)
def _people_beside(members: sa.Table, limit: int | None) -> sa.Select:
    """Everyone who shares a team with the user, each once (however many teams they
    share: the LIMIT must count people, not memberships)."""
    mine, theirs = members.alias("my_teams"), members.alias("team_mates")
    return (sa.select(theirs.c.user_id)
            .join(mine, mine.c.team_id == theirs.c.team_id)
            .where(mine.c.user_id == sa.bindparam("user_id")).distinct()
            .limit(limit))


def user_names(conn: sa.Connection, users: sa.Table, ids: set[int]) -> dict[int, str]:
    """Each of ``ids`` with the name they are shown by, read in one statement."""
    if not ids:
        return {}
    rows = conn.execute(sa.select(users.c.id, users.c.name, users.c.username)
                        .where(among(conn.dialect.name, users.c.id, ids))).all()
    return {user: name or username for user, name, username in rows}
