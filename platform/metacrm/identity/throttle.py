"""Slow down password guessing: failed sign-ins are counted per account and per
address over a sliding window, in the database (so every server process sees
the same counts); past the limit, sign-in is refused until the window moves on.

A refused attempt checks no password at all, so a locked-out attacker learns
nothing more. An attempt is counted as a failure before its password is checked
and forgotten if it was right (see ``identity/signin.py``): parallel guesses
cannot get past the limit by all being checked before any is counted. A
successful sign-in clears the account's failures (not the address's: one
address trying many accounts stays limited).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa


@dataclass(frozen=True)
class Limits:
    per_account: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)


def retry_after(conn: sa.Connection, metadata: sa.MetaData, username: str, address: str,
                now: datetime, limits: Limits) -> int | None:
    """Seconds until this account and address may try again, or None if they may now."""
    attempts = metadata.tables["mc_login_attempts"]
    since = now - limits.window
    waits = []
    for column, value, limit in ((attempts.c.username, _account(username), limits.per_account),
                                 (attempts.c.address, address[:64], limits.per_address)):
        times = list(conn.execute(sa.select(attempts.c.at).where(
            column == value, attempts.c.at > since).order_by(attempts.c.at.desc())
            .limit(limit)).scalars())
        if len(times) >= limit:
            # Allowed again once the oldest of the last `limit` failures leaves the window.
            oldest = times[-1] if times[-1].tzinfo else times[-1].replace(tzinfo=UTC)
            waits.append(max(1, int((oldest + limits.window - now).total_seconds()) + 1))
    return max(waits) if waits else None


def serialize_attempts(conn: sa.Connection, username: str, address: str) -> None:
    """Make attempts on one account, or from one address, take turns until this
    transaction ends: counting the failures and recording the new attempt must not
    interleave with another attempt's, or parallel guesses would all find room
    under the limit. SQLite already runs one writer at a time (BEGIN IMMEDIATE);
    PostgreSQL takes a transaction-scoped advisory lock per account, then per
    address, always in that order, so that two attempts never wait on each other
    in a circle. The two kinds of key are hashed apart, so that a username that
    reads like an address never shares a lock with it."""
    if conn.dialect.name != "postgresql":
        return
    for key in (f"signin:{_account(username)}", f"signin-address:{address[:64]}"):
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(key)})


def _lock_key(text: str) -> int:
    """A signed 64-bit advisory lock key for ``text``."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big", signed=True)


def _account(username: str) -> str:
    # Names are counted without regard to case, as attackers would try them.
    return username.lower()[:150]


def record_failure(conn: sa.Connection, metadata: sa.MetaData, username: str, address: str,
                   now: datetime) -> int:
    """Count an attempt as failed (until it proves otherwise); its id."""
    attempts = metadata.tables["mc_login_attempts"]
    attempt_id = conn.execute(attempts.insert().values(
        username=_account(username), address=address[:64], at=now
    ).returning(attempts.c.id)).scalar_one()
    # Keep the table small: failures older than a day no longer count for anything.
    conn.execute(attempts.delete().where(attempts.c.username == _account(username),
                                         attempts.c.at < now - timedelta(days=1)))
    return int(attempt_id)


def forget_attempt(conn: sa.Connection, metadata: sa.MetaData, attempt_id: int) -> None:
    """An attempt recorded as failed turned out right: it counts for nothing."""
    attempts = metadata.tables["mc_login_attempts"]
    conn.execute(attempts.delete().where(attempts.c.id == attempt_id))


def clear_failures(conn: sa.Connection, metadata: sa.MetaData, username: str) -> None:
    attempts = metadata.tables["mc_login_attempts"]
    conn.execute(attempts.delete().where(attempts.c.username == _account(username)))


def purge_failures(conn: sa.Connection, metadata: sa.MetaData, now: datetime, *,
                   keep: timedelta = timedelta(days=1), dry_run: bool = False) -> int:
    """Delete failures older than ``keep`` (they count for nothing any more): however
    many names an attacker sprays, the table stays small."""
    attempts = metadata.tables["mc_login_attempts"]
    old = attempts.c.at < now - keep
    if dry_run:
        return int(conn.execute(sa.select(sa.func.count()).select_from(attempts)
                                .where(old)).scalar_one())
    return conn.execute(attempts.delete().where(old)).rowcount
