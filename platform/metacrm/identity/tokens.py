"""API tokens: created once and shown once, stored as digests, revocable.

A token is 32 random bytes (URL-safe text) prefixed ``mcrm_`` so that secret
scanners can spot a leaked one. Only its SHA-256 digest is stored: tokens
carry full entropy, so a fast digest is enough (passwords need argon2, tokens
do not). A token stops working the moment it is revoked or its user is
disabled, because both are checked on every request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ..compile.tables import USERS_TABLE
from ..runtime.context import Principal, utcnow
from .principals import principal_query, principals_from_rows

PREFIX = "mcrm_"


@dataclass(frozen=True)
class TokenInfo:
    id: int
    user_id: int
    name: str
    created_at: datetime
    revoked_at: datetime | None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(conn: sa.Connection, metadata: sa.MetaData, user_id: int, name: str
                 ) -> tuple[str, TokenInfo]:
    """A new token (the only time its text exists) and its stored description."""
    tokens = metadata.tables["mc_tokens"]
    token = PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token_id = conn.execute(tokens.insert().values(
        user_id=user_id, name=name, digest=digest(token), created_at=now,
    ).returning(tokens.c.id)).scalar_one()
    return token, TokenInfo(token_id, user_id, name, now, None)


def list_tokens(conn: sa.Connection, metadata: sa.MetaData, user_id: int) -> list[TokenInfo]:
    tokens = metadata.tables["mc_tokens"]
    rows = conn.execute(sa.select(tokens).where(tokens.c.user_id == user_id)
                        .order_by(tokens.c.id)).all()
    return [TokenInfo(r.id, r.user_id, r.name, r.created_at, r.revoked_at) for r in rows]


def revoke_token(conn: sa.Connection, metadata: sa.MetaData, token_id: int) -> bool:
    tokens = metadata.tables["mc_tokens"]
    result = conn.execute(tokens.update().where(tokens.c.id == token_id,
                                                tokens.c.revoked_at.is_(None))
                          .values(revoked_at=utcnow()))
    return result.rowcount == 1


def principal_for_token(conn: sa.Connection, metadata: sa.MetaData, token: str
                        ) -> Principal | None:
    """The caller a live token stands for (one query: token, user and roles), or None."""
    if not token.startswith(PREFIX):
        return None
    tokens = metadata.tables["mc_tokens"]
    rows = conn.execute(principal_query(metadata)
                        .join(tokens, tokens.c.user_id == metadata.tables[USERS_TABLE].c.id)
                        .where(tokens.c.digest == digest(token), tokens.c.revoked_at.is_(None)))
    return next(iter(principals_from_rows(rows).values()), None)
