"""The credentials version: one counter that every change of who a token or user
stands for moves, in the transaction of the change: tokens, a user's active and
admin flags, roles and name, and whom a user's team and line scopes reach
(managers, team memberships).

Processes keep the principals of tokens they have seen in memory
(``PrincipalCache``) and check this one number on each request instead of
reading the token, the user and the roles again. A revoked token, a disabled
user, a changed admin flag or role is therefore refused or seen at once, by
every process, as long as the change goes through the functions that call
``credentials_changed`` (every one in identity/ does). A principal carries the
version it was read under, and what is kept per version (the people a scope
reaches and the names users are shown by, runtime/people.py) is good for it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ..base.context import Principal
from ..compile.system_tables import system_tables
from ..runtime.fixed_statements import FixedStatement
from ..values import to_utc
from .principals import principals_from_rows

# A row of mc_sequences, the platform's counters; an autonumber's counter is named
# "<entity>.<field>", so a name without a dot is never one of theirs.
COUNTER = "credentials"
# Principals kept per process: far more tokens than callers of one server at once.
MAX_CACHED = 4096


def credentials_changed(conn: sa.Connection, metadata: sa.MetaData) -> None:
    """Move the credentials version (call in the transaction that changes a token, a
    user's active or admin flag, their roles, their manager or a team's members)."""
    sequences = system_tables(metadata).sequences
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(sequences).values(name=COUNTER, value=1)
    conn.execute(statement.on_conflict_do_update(
        index_elements=[sequences.c.name], set_={"value": sequences.c.value + 1}))


def credentials_version(metadata: sa.MetaData) -> sa.ScalarSelect:
    """The credentials version, as a scalar subquery (NULL before its first move)."""
    sequences = system_tables(metadata).sequences
    return sa.select(sequences.c.value).where(sequences.c.name == COUNTER).scalar_subquery()


@dataclass(frozen=True)
class _Entry:
    version: int
    principal: Principal
    expires_at: datetime | None


class PrincipalCache:
    """The principals of live tokens, each valid while the credentials version it was
    read under is still the database's. One cheap statement per request (the version)
    instead of the token, user and roles join."""

    def __init__(self, metadata: sa.MetaData, limit: int = MAX_CACHED):
        tables = system_tables(metadata)
        sequences, tokens = tables.sequences, tables.tokens
        users, roles = tables.users, tables.user_roles
        # Read on every request: sent to the driver directly where it can be.
        self._version = FixedStatement(
            sa.select(sequences.c.value).where(sequences.c.name == COUNTER))
        # Expiry is not a condition here: it is kept with the principal and compared
        # with the request's time, since time passes without any version moving.
        self._principal = (
            sa.select(users.c.id, users.c.is_admin, roles.c.role, tokens.c.expires_at)
            .select_from(users.join(tokens, tokens.c.user_id == users.c.id)
                         .outerjoin(roles, roles.c.user_id == users.c.id))
            .where(tokens.c.digest == sa.bindparam("digest"), tokens.c.revoked_at.is_(None),
                   users.c.active.is_(True)))
        self._limit = limit
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def version(self, conn: sa.Connection) -> int:
        row = self._version.execute(conn).first()
        return int(row[0] or 0) if row else 0

    def principal(self, conn: sa.Connection, token_digest: str, now: datetime
                  ) -> Principal | None:
        """The caller a live token (by its digest) stands for at ``now``, or None.
        The version is read before the token: a change committed between the two
        reads moves the version past the one the entry is kept under."""
        version = self.version(conn)
        entry = self._entries.get(token_digest)
        if entry is None or entry.version != version:
            rows = conn.execute(self._principal, {"digest": token_digest}).all()
            if not rows:
                self._entries.pop(token_digest, None)
                return None
            principal = replace(next(iter(principals_from_rows(rows).values())),
                                credentials=version)
            entry = _Entry(version, principal, rows[0].expires_at)
            with self._lock:
                if len(self._entries) >= self._limit:
                    self._entries.clear()
                self._entries[token_digest] = entry
        if entry.expires_at is not None and to_utc(entry.expires_at) <= now:
            return None
        return entry.principal
