"""Users of the CRM: create, find, set passwords (argon2), enable and disable."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..base.context import utcnow
from ..compile.system_tables import system_tables
from .credentials import credentials_changed
from .password_policy import PasswordPolicy, Refusal

# argon2id with the library's defaults (memory-hard; tuned by argon2-cffi to
# current guidance). One hasher per process: it holds only parameters.
_HASHER = PasswordHasher()


class UserError(ValueError):
    """A user operation cannot be done; the message says why."""


class WeakPassword(UserError):
    """A password the policy refuses (too short, or a common one)."""

    def __init__(self, refusal: Refusal):
        super().__init__(refusal.text("en"))
        self.refusal = refusal


@dataclass(frozen=True)
class User:
    id: int
    username: str
    name: str
    email: str | None
    active: bool
    is_admin: bool
    language: str

    @classmethod
    def from_row(cls, row: Any) -> User:
        return cls(row.id, row.username, row.name, row.email, bool(row.active),
                   bool(row.is_admin), row.language)


def users_table(metadata: sa.MetaData) -> sa.Table:
    return system_tables(metadata).users


def create_user(conn: sa.Connection, metadata: sa.MetaData, username: str, name: str, *,
                email: str | None = None, is_admin: bool = False,
                language: str = "en") -> User:
    """A new user without a password (``set_password`` gives one)."""
    users = users_table(metadata)
    username = username.strip()
    if not username:
        raise UserError("a username is required")
    if conn.execute(sa.select(users.c.id).where(users.c.username == username)).first():
        raise UserError(f"user '{username}' already exists")
    values: dict[str, Any] = {"username": username, "name": name or username, "email": email,
                              "is_admin": is_admin, "language": language,
                              "created_at": utcnow()}
    user_id = conn.execute(users.insert().values(**values).returning(users.c.id)).scalar_one()
    return get_user(conn, metadata, user_id)  # type: ignore[return-value]


def get_user(conn: sa.Connection, metadata: sa.MetaData, user_id: int) -> User | None:
    users = users_table(metadata)
    row = conn.execute(sa.select(users).where(users.c.id == user_id)).first()
    return User.from_row(row) if row else None


def find_user(conn: sa.Connection, metadata: sa.MetaData, username: str) -> User | None:
    users = users_table(metadata)
    row = conn.execute(sa.select(users).where(users.c.username == username)).first()
    return User.from_row(row) if row else None


def set_password(conn: sa.Connection, metadata: sa.MetaData, user_id: int,
                 password: str, policy: PasswordPolicy) -> None:
    """Set the user's password; WeakPassword if the policy refuses it."""
    users = users_table(metadata)
    conn.execute(users.update().where(users.c.id == user_id)
                 .values(password_hash=hash_password(password, policy)))


def set_active(conn: sa.Connection, metadata: sa.MetaData, user_id: int, active: bool) -> None:
    users = users_table(metadata)
    conn.execute(users.update().where(users.c.id == user_id).values(active=active))
    credentials_changed(conn, metadata)


def set_admin(conn: sa.Connection, metadata: sa.MetaData, user_id: int, is_admin: bool) -> None:
    users = users_table(metadata)
    conn.execute(users.update().where(users.c.id == user_id).values(is_admin=is_admin))
    credentials_changed(conn, metadata)


def hash_password(password: str, policy: PasswordPolicy) -> str:
    """The argon2id hash of a password the policy accepts (every way of setting one
    comes through here, so none can skip the policy); WeakPassword otherwise."""
    refusal = policy.refusal(password)
    if refusal is not None:
        raise WeakPassword(refusal)
    return _HASHER.hash(password)


def check_password(conn: sa.Connection, metadata: sa.MetaData, username: str,
                   password: str) -> User | None:
    """The active user with this username and password, or None."""
    users = users_table(metadata)
    row = conn.execute(sa.select(users).where(users.c.username == username)).first()
    if row is None or not row.active or not row.password_hash:
        _HASHER.hash(password)  # same work either way: timing does not reveal users
        return None
    try:
        _HASHER.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return User.from_row(row)


def user_roles(conn: sa.Connection, metadata: sa.MetaData, user_id: int) -> list[str]:
    roles = system_tables(metadata).user_roles
    return list(conn.execute(sa.select(roles.c.role).where(roles.c.user_id == user_id)
                             .order_by(roles.c.role)).scalars())


def set_roles(conn: sa.Connection, metadata: sa.MetaData, user_id: int,
              names: list[str]) -> None:
    """Replace the user's roles (names are checked against the definitions by callers)."""
    roles = system_tables(metadata).user_roles
    conn.execute(roles.delete().where(roles.c.user_id == user_id))
    credentials_changed(conn, metadata)
    if names:
        conn.execute(roles.insert(), [{"user_id": user_id, "role": name}
                                      for name in sorted(set(names))])


def set_manager(conn: sa.Connection, metadata: sa.MetaData, user_id: int,
                manager_id: int | None) -> None:
    """Put the user under ``manager_id`` in the reporting line (None: at the top).
    A manager may not be the user or anyone below them: the line has no loops."""
    users = users_table(metadata)
    if manager_id is not None:
        if manager_id == user_id:
            raise UserError("a user cannot be their own manager")
        if conn.execute(sa.select(users.c.id).where(users.c.id == manager_id)).first() is None:
            raise UserError(f"no user with id {manager_id}")
        above: int | None = manager_id
        seen = set()
        while above is not None and above not in seen:
            if above == user_id:
                raise UserError("the reporting line would go round in a circle: the new "
                                "manager reports (directly or not) to this user")
            seen.add(above)
            above = conn.execute(sa.select(users.c.manager_id).where(users.c.id == above)
                                 ).scalar()
    conn.execute(users.update().where(users.c.id == user_id).values(manager_id=manager_id))
    credentials_changed(conn, metadata)  # whom the line above reaches
