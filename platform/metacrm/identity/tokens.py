"""API tokens: created once and shown once, stored as digests, revocable.

A token is 32 random bytes (URL-safe text) prefixed ``mcrm_`` so that secret
scanners can spot a leaked one. Only its SHA-256 digest is stored: tokens
carry full entropy, so a fast digest is enough (passwords need argon2, tokens
do not). A token stops working the moment it is revoked, expires (if it was
given an expiry) or its user is disabled: revoking and disabling move the
credentials version that every request checks (see credentials.py), and the
expiry is compared with each request's time.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from ..base.context import utcnow
from ..compile.system_tables import system_tables
from ..values import to_utc
from .credentials import credentials_changed

PREFIX = "mcrm_"
# A token lives at most this long: an expiry further off is a typo, or no expiry.
MAX_DAYS = 3650


@dataclass(frozen=True)
class TokenInfo:
    id: int
    user_id: int
    name: str
    created_at: datetime
    revoked_at: datetime | None
    expires_at: datetime | None = None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and to_utc(self.expires_at) <= now


class BadExpiry(ValueError):
    """An expiry a token cannot have: ``key`` is the message of ``i18n``."""

    def __init__(self, key: str, **params: object):
        super().__init__(key)
        self.key = key
        self.params = params


def token_expiry(now: datetime, *, expires_at: datetime | None = None,
                 expires_in_days: int | None = None) -> datetime | None:
    """When a new token ends: at ``expires_at``, or ``expires_in_days`` from now, or
    never (None); one of the two at most, in the future, within MAX_DAYS."""
    if expires_at is not None and expires_in_days is not None:
        raise BadExpiry("token_expiry_both")
    if expires_in_days is not None:
        if not 1 <= expires_in_days <= MAX_DAYS:
            raise BadExpiry("token_expiry_days", max=MAX_DAYS)
        return now + timedelta(days=expires_in_days)
    if expires_at is None:
        return None
    if expires_at <= now:
        raise BadExpiry("token_expiry_past")
    if expires_at > now + timedelta(days=MAX_DAYS):
        raise BadExpiry("token_expiry_days", max=MAX_DAYS)
    return expires_at


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(conn: sa.Connection, metadata: sa.MetaData, user_id: int, name: str, *,
                 expires_at: datetime | None = None) -> tuple[str, TokenInfo]:
    """A new token (the only time its text exists) and its stored description; it
    works until revoked, or until ``expires_at`` (see ``token_expiry``)."""
    tokens = system_tables(metadata).tokens
    token = PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token_id = conn.execute(tokens.insert().values(
        user_id=user_id, name=name, digest=digest(token), created_at=now,
        expires_at=expires_at,
    ).returning(tokens.c.id)).scalar_one()
    return token, TokenInfo(token_id, user_id, name, now, None, expires_at)


def list_tokens(conn: sa.Connection, metadata: sa.MetaData, user_id: int) -> list[TokenInfo]:
    tokens = system_tables(metadata).tokens
    rows = conn.execute(sa.select(tokens).where(tokens.c.user_id == user_id)
                        .order_by(tokens.c.id)).all()
    return [TokenInfo(r.id, r.user_id, r.name, r.created_at, r.revoked_at, r.expires_at)
            for r in rows]


def revoke_token(conn: sa.Connection, metadata: sa.MetaData, token_id: int) -> int | None:
    """Revoke a token not yet revoked; the id of its user (None: no such token)."""
    tokens = system_tables(metadata).tokens
    owner = conn.execute(tokens.update().where(tokens.c.id == token_id,
                                               tokens.c.revoked_at.is_(None))
                         .values(revoked_at=utcnow()).returning(tokens.c.user_id)).scalar()
    if owner is not None:
        credentials_changed(conn, metadata)
    return owner
