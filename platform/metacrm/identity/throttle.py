"""Slow down password guessing without letting a guesser lock the owner out.

Failed sign-ins are counted in the database (so every server process sees the
same counts) over a sliding window, three ways:

- per account *and* address: past ``per_account`` failures, that address may not
  try that account again until the window moves on;
- per address: past ``per_address`` failures (any accounts), that address may not
  try at all;
- per account, from every address: past ``per_account`` failures, the account is
  slowed down, never locked: each further password check waits ``first_delay``
  after the account's last failure, doubling with each failure, up to the window.
  Addresses the account has signed in from (within ``KNOWN_FOR``) are not slowed
  down, so that guesses from elsewhere cannot keep the owner out: five wrong
  passwords from anywhere used to lock an account for everyone, its owner
  included, and a locked-out administrator is a denial of service.

A refused attempt checks no password at all, so a refused guesser learns
nothing more. An attempt is counted as a failure before its password is checked
and forgotten if it was right (see ``identity/signin.py``): parallel guesses
cannot get past the limits by all being checked before any is counted. A
successful sign-in clears the failures of the account from that address, and
remembers the address as the account's.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from ..compile.system_tables import system_tables

# How long an address the account signed in from stays exempt from its slow-down.
KNOWN_FOR = timedelta(days=30)


@dataclass(frozen=True)
class Limits:
    per_account: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)
    first_delay: timedelta = timedelta(seconds=15)


@dataclass(frozen=True)
class Wait:
    """An attempt refused for ``seconds``: which ``limit`` it met ("account-address",
    "address" or "account")."""

    seconds: int
    limit: str


def retry_after(conn: sa.Connection, metadata: sa.MetaData, username: str, address: str,
                now: datetime, limits: Limits) -> Wait | None:
    """How long this account and address must wait before trying again (the longest
    of the limits they meet), or None if they may try now."""
    attempts = system_tables(metadata).login_attempts
    account, address = _account(username), address[:64]
    since = now - limits.window
    waits = []
    for limit, conditions, most in (
            ("account-address", (attempts.c.username == account,
                                 attempts.c.address == address), limits.per_account),
            ("address", (attempts.c.address == address,), limits.per_address)):
        times = _recent(conn, attempts, conditions, since, most)
        if len(times) >= most:
            # Allowed again once the oldest of the last `most` failures leaves the window.
            waits.append(Wait(_seconds(times[-1] + limits.window - now), limit))
    if not _known(conn, metadata, account, address, now):
        # At most this many failures matter: the delay stops growing at the window.
        most = limits.per_account + _doublings(limits)
        times = _recent(conn, attempts, (attempts.c.username == account,), since, most)
        if len(times) >= limits.per_account:
            delay = min(limits.first_delay * 2 ** (len(times) - limits.per_account),
                        limits.window)
            if times[0] + delay > now:
                waits.append(Wait(_seconds(times[0] + delay - now), "account"))
    return max(waits, key=lambda w: w.seconds) if waits else None


def _recent(conn: sa.Connection, attempts: sa.Table, conditions: tuple, since: datetime,
            most: int) -> list[datetime]:
    """The times of the last ``most`` failures matching ``conditions``, newest first."""
    return [_aware(at) for at in conn.execute(
        sa.select(attempts.c.at).where(*conditions, attempts.c.at > since)
        .order_by(attempts.c.at.desc()).limit(most)).scalars()]


def _doublings(limits: Limits) -> int:
    ratio = limits.window / limits.first_delay if limits.first_delay else 1
    return max(1, math.ceil(math.log2(max(ratio, 1)))) + 1


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _known(conn: sa.Connection, metadata: sa.MetaData, account: str, address: str,
           now: datetime) -> bool:
    known = system_tables(metadata).signin_addresses
    return conn.execute(sa.select(known.c.last_at).where(
        known.c.username == account, known.c.address == address,
        known.c.last_at > now - KNOWN_FOR)).first() is not None


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
    attempts = system_tables(metadata).login_attempts
    attempt_id = conn.execute(attempts.insert().values(
        username=_account(username), address=address[:64], at=now
    ).returning(attempts.c.id)).scalar_one()
    # Keep the table small: failures older than a day no longer count for anything.
    conn.execute(attempts.delete().where(attempts.c.username == _account(username),
                                         attempts.c.at < now - timedelta(days=1)))
    return int(attempt_id)


def forget_attempt(conn: sa.Connection, metadata: sa.MetaData, attempt_id: int) -> None:
    """An attempt recorded as failed turned out right: it counts for nothing."""
    attempts = system_tables(metadata).login_attempts
    conn.execute(attempts.delete().where(attempts.c.id == attempt_id))


def signed_in_from(conn: sa.Connection, metadata: sa.MetaData, username: str, address: str,
                   now: datetime) -> None:
    """The right password came from ``address``: its failures on the account are
    forgotten (others' are not: a guesser elsewhere stays slowed down), and the
    address is the account's from now on."""
    tables = system_tables(metadata)
    attempts, known = tables.login_attempts, tables.signin_addresses
    account, address = _account(username), address[:64]
    conn.execute(attempts.delete().where(attempts.c.username == account,
                                         attempts.c.address == address))
    # Delete and insert, not an upsert: the same on both databases, and attempts on
    # the account take turns (serialize_attempts), so no other writes this row now.
    conn.execute(known.delete().where(known.c.username == account, known.c.address == address))
    conn.execute(known.insert().values(username=account, address=address, last_at=now))


def purge_failures(conn: sa.Connection, metadata: sa.MetaData, now: datetime, *,
                   keep: timedelta = timedelta(days=1), dry_run: bool = False) -> int:
    """Delete failures older than ``keep`` (they count for nothing any more), and
    addresses not signed in from for KNOWN_FOR: however many names an attacker
    sprays, the tables stay small. How many failures."""
    tables = system_tables(metadata)
    attempts, known = tables.login_attempts, tables.signin_addresses
    old = attempts.c.at < now - keep
    if dry_run:
        return int(conn.execute(sa.select(sa.func.count()).select_from(attempts)
                                .where(old)).scalar_one())
    conn.execute(known.delete().where(known.c.last_at < now - KNOWN_FOR))
    return conn.execute(attempts.delete().where(old)).rowcount
