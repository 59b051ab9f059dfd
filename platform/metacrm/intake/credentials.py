"""Each intake source acts as its own service principal: a user named
``intake.<source>`` without a password or roles, created with the source's first
token. Its tokens are ordinary API tokens (identity/tokens.py: shown once, stored as
SHA-256 digests, revocation seen at once by every process through the credentials
version), but only the intake endpoint of that source accepts them; on the rest of the
API the user's empty roles grant nothing."""

from __future__ import annotations

import sqlalchemy as sa

from ..base.context import utcnow
from ..compile.tables import USERS_TABLE
from ..identity.tokens import TokenInfo, create_token, list_tokens, revoke_token

PREFIX = "intake."
TOKEN_NAME = "intake"


def service_username(source: str) -> str:
    return PREFIX + source


def service_user_id(conn: sa.Connection, metadata: sa.MetaData, source: str) -> int | None:
    """The id of the source's service user (None before its first token)."""
    users = metadata.tables[USERS_TABLE]
    found = conn.execute(sa.select(users.c.id).where(
        users.c.username == service_username(source))).scalar()
    return int(found) if found is not None else None


def ensure_service_user(conn: sa.Connection, metadata: sa.MetaData, source: str,
                        label: str) -> int:
    found = service_user_id(conn, metadata, source)
    if found is not None:
        return found
    users = metadata.tables[USERS_TABLE]
    return int(conn.execute(users.insert().values(
        username=service_username(source), name=f"Intake: {label}", email=None,
        is_admin=False, created_at=utcnow()).returning(users.c.id)).scalar_one())


def live_tokens(conn: sa.Connection, metadata: sa.MetaData, source: str) -> list[TokenInfo]:
    user_id = service_user_id(conn, metadata, source)
    if user_id is None:
        return []
    now = utcnow()
    return [t for t in list_tokens(conn, metadata, user_id)
            if t.revoked_at is None and not t.expired(now)]


def issue_token(conn: sa.Connection, metadata: sa.MetaData, source: str, label: str, *,
                keep_old: bool = False) -> tuple[str, TokenInfo, int]:
    """A new token for ``source`` (its only appearance in clear) and how many older
    ones were revoked: a rotation revokes them unless ``keep_old`` (to hand the new
    token to the sender before the old one stops working)."""
    user_id = ensure_service_user(conn, metadata, source, label)
    revoked = 0 if keep_old else revoke_tokens(conn, metadata, source)
    token, info = create_token(conn, metadata, user_id, TOKEN_NAME)
    return token, info, revoked


def revoke_tokens(conn: sa.Connection, metadata: sa.MetaData, source: str) -> int:
    """Revoke every live token of ``source``; how many there were."""
    revoked = 0
    for info in live_tokens(conn, metadata, source):
        if revoke_token(conn, metadata, info.id) is not None:
            revoked += 1
    return revoked
