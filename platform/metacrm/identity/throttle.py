"""Slow down password guessing: failed sign-ins are counted per account and per
address over a sliding window, in the database (so every server process sees
the same counts); past the limit, sign-in is refused until the window moves on.

A refused attempt checks no password at all, so a locked-out attacker learns
nothing more. A successful sign-in clears the account's failures (not the
address's: one address trying many accounts stays limited).
"""

from __future__ import annotations

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
    for column, value, limit in ((attempts.c.username, username.lower(), limits.per_account),
                                 (attempts.c.address, address, limits.per_address)):
        times = list(conn.execute(sa.select(attempts.c.at).where(
            column == value, attempts.c.at > since).order_by(attempts.c.at.desc())
            .limit(limit)).scalars())
        if len(times) >= limit:
            # Allowed again once the oldest of the last `limit` failures leaves the window.
            oldest = times[-1] if times[-1].tzinfo else times[-1].replace(tzinfo=UTC)
            waits.append(max(1, int((oldest + limits.window - now).total_seconds()) + 1))
    return max(waits) if waits else None


def record_failure(conn: sa.Connection, metadata: sa.MetaData, username: str, address: str,
                   now: datetime) -> None:
    attempts = metadata.tables["mc_login_attempts"]
    conn.execute(attempts.insert().values(username=username.lower()[:150], address=address[:64],
                                          at=now))
    # Keep the table small: failures older than a day no longer count for anything.
    conn.execute(attempts.delete().where(attempts.c.username == username.lower()[:150],
                                         attempts.c.at < now - timedelta(days=1)))


def clear_failures(conn: sa.Connection, metadata: sa.MetaData, username: str) -> None:
    attempts = metadata.tables["mc_login_attempts"]
    conn.execute(attempts.delete().where(attempts.c.username == username.lower()[:150]))


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
