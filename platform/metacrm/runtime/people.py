"""The people a record scope reaches, looked up once per request.

A scope such as "own and subordinates'" could stay a subquery inside each
statement, but the database then plans the list without knowing that the
subquery yields one or a few users, and may sort a whole table where an index
on (owner, updated_at) would read fifty rows. Looking the users up first and
writing their ids into the statement lets it plan for exactly those users.
"""

from __future__ import annotations

import sqlalchemy as sa

from ..compile.compiled import Compiled
from ..compile.tables import USERS_TABLE

# Beyond this many users a literal list stops paying off (and SQLite caps the
# number of bound parameters); the scope then stays a subquery.
MAX_LITERAL_IDS = 1000


class People:
    def __init__(self, compiled: Compiled, conn: sa.Connection):
        self._compiled = compiled
        self._conn = conn
        self._found: dict[tuple[str, int], list[int] | None] = {}

    def of(self, scope: str, user_id: int) -> list[int] | None:
        """The users whose records ``scope`` reaches for ``user_id``; None if too many."""
        key = (scope, user_id)
        if key not in self._found:
            statement = subordinates(self._compiled, user_id) if scope == "subordinates" \
                else team_mates(self._compiled, user_id)
            # Both statements yield each user once, so the LIMIT counts users: a list
            # cut short by it holds more than MAX_LITERAL_IDS distinct users and is
            # refused below, never used with people missing from the scope.
            found = self._conn.execute(statement.limit(MAX_LITERAL_IDS + 1)).scalars()
            ids = sorted(set(found) | {user_id})
            self._found[key] = ids if len(ids) <= MAX_LITERAL_IDS else None
        return self._found[key]


def subordinates(compiled: Compiled, user_id: int) -> sa.Select:
    """The user and everyone below them in the reporting line (a recursive query;
    UNION rather than UNION ALL, so that even a cycle in the data ends)."""
    users = compiled.metadata.tables[USERS_TABLE]
    tree = (sa.select(users.c.id.label("id")).where(users.c.id == user_id)
            .cte("reports", recursive=True, nesting=True))
    below = users.alias("below")
    tree = tree.union(sa.select(below.c.id).where(below.c.manager_id == tree.c.id))
    return sa.select(tree.c.id)


def team_mates(compiled: Compiled, user_id: int) -> sa.Select:
    """Everyone who shares a team with the user, each once (however many teams they
    share: a LIMIT on this statement must count people, not memberships)."""
    members = compiled.metadata.tables["mc_team_members"]
    mine, theirs = members.alias("my_teams"), members.alias("team_mates")
    return (sa.select(theirs.c.user_id)
            .join(mine, mine.c.team_id == theirs.c.team_id)
            .where(mine.c.user_id == user_id).distinct())
