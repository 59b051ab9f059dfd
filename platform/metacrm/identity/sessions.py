"""Web sessions kept on the server: signing in makes one, signing out or
disabling the user ends it at once.

The browser holds a random session key (in Flask's signed cookie); the
database holds its SHA-256 digest, the user, a CSRF token for the session's
forms and API calls, and when it was last seen. A session ends after
``idle`` without requests or at ``expires_at``, whichever comes first.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from ..base.context import Principal
from ..compile.system_tables import system_tables
from .credentials import credentials_version
from .principals import principal_query, principals_from_rows
from .tokens import digest

SEEN_RESOLUTION = timedelta(minutes=5)  # seen_at is refreshed at most this often


@dataclass(frozen=True)
class Session:
    key: str  # the secret the browser holds; only its digest is stored
    csrf: str
    user_id: int


@dataclass(frozen=True)
class ActiveSession:
    id: int
    principal: Principal
    csrf: str
    # seen_at is older than SEEN_RESOLUTION: refresh it (see ``mark_seen``)
    needs_refresh: bool


def start_session(conn: sa.Connection, metadata: sa.MetaData, user_id: int, now: datetime, *,
                  lifetime: timedelta, address: str | None, user_agent: str | None) -> Session:
    sessions = system_tables(metadata).sessions
    key, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    conn.execute(sessions.insert().values(
        user_id=user_id, digest=digest(key), csrf=csrf, created_at=now, seen_at=now,
        expires_at=now + lifetime, address=(address or "")[:64] or None,
        user_agent=(user_agent or "")[:300] or None))
    return Session(key, csrf, user_id)


def session_principal(conn: sa.Connection, metadata: sa.MetaData, key: str, now: datetime,
                      idle: timedelta) -> ActiveSession | None:
    """The signed-in caller for a session key, or None when it has ended."""
    tables = system_tables(metadata)
    sessions, users = tables.sessions, tables.users
    live = (sessions.c.digest == digest(key), sessions.c.revoked_at.is_(None),
            sessions.c.expires_at > now, sessions.c.seen_at > now - idle)
    rows = conn.execute(principal_query(metadata)
                        .add_columns(sessions.c.csrf, sessions.c.seen_at, sessions.c.id,
                                     credentials_version(metadata).label("credentials"))
                        .join(sessions, sessions.c.user_id == users.c.id).where(*live)).all()
    if not rows:
        return None
    first = rows[0]
    # Read with the caller, in the same statement: good for what is kept per version.
    principal = replace(next(iter(principals_from_rows(rows).values())),
                        credentials=int(first.credentials or 0))
    return ActiveSession(first.id, principal, first.csrf,
                         _aware(first.seen_at) < now - SEEN_RESOLUTION)


def mark_seen(conn: sa.Connection, metadata: sa.MetaData, session_id: int,
              now: datetime) -> None:
    """Keep an active session from ending for idleness (a write, so done rarely)."""
    sessions = system_tables(metadata).sessions
    conn.execute(sessions.update().where(sessions.c.id == session_id).values(seen_at=now))


def end_session(conn: sa.Connection, metadata: sa.MetaData, key: str, now: datetime) -> None:
    sessions = system_tables(metadata).sessions
    conn.execute(sessions.update().where(sessions.c.digest == digest(key),
                                         sessions.c.revoked_at.is_(None))
                 .values(revoked_at=now))


def end_user_sessions(conn: sa.Connection, metadata: sa.MetaData, user_id: int,
                      now: datetime) -> int:
    """Sign a user out everywhere (a password change, an administrator's decision)."""
    sessions = system_tables(metadata).sessions
    return conn.execute(sessions.update().where(sessions.c.user_id == user_id,
                                                sessions.c.revoked_at.is_(None))
                        .values(revoked_at=now)).rowcount


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def purge_sessions(conn: sa.Connection, metadata: sa.MetaData, now: datetime,
                   idle: timedelta, *, dry_run: bool = False) -> int:
    """Delete sessions that have ended (revoked, expired or idle); how many."""
    sessions = system_tables(metadata).sessions
    ended = sa.or_(sessions.c.revoked_at.is_not(None), sessions.c.expires_at <= now,
                   sessions.c.seen_at <= now - idle)
    if dry_run:
        return int(conn.execute(sa.select(sa.func.count()).select_from(sessions)
                                .where(ended)).scalar_one())
    return conn.execute(sessions.delete().where(ended)).rowcount
