"""A user's whole profile (details, roles, teams, manager) read and changed as one.

The REST API and the ``metacrm user`` commands both change users through
``create_profile`` and ``change_profile``: every reference (roles, teams,
manager, members) is checked first and all problems are reported together,
then the changes are applied in the caller's transaction. Taking access away
takes effect at once: disabling a user ends their sessions, and a new password
ends every session but the one that set it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field  # "field" is a Finding attribute
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..compile.system_tables import system_tables
from ..i18n import message, suggestion
from .credentials import credentials_changed
from .password_policy import PasswordPolicy
from .sessions import end_user_sessions
from .teams import set_team_members
from .tokens import digest
from .users import UserError, create_user, set_manager, set_password, set_roles

# Plain columns of mc_users a change may set directly.
COLUMNS = ("username", "name", "email", "phone", "language", "active", "is_admin")
# Everything a change may hold.
CHANGEABLE = (*COLUMNS, "password", "manager", "roles", "teams")
CONFLICT_KEYS = frozenset(("username_taken", "team_taken"))


@dataclass(frozen=True)
class Profile:
    id: int
    username: str
    name: str
    email: str | None
    phone: str | None
    language: str
    active: bool
    is_admin: bool
    manager_id: int | None
    created_at: datetime
    has_password: bool
    teams: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    """One problem with a change: a message key of ``i18n`` for one field."""

    field: str
    key: str
    params: Mapping[str, object] = dataclass_field(default_factory=dict)
    # (word, choices): a "did you mean" hint, made in the reader's language
    suggest: tuple[str, tuple[str, ...]] | None = None

    def text(self, lang: str) -> str:
        hint = suggestion(self.suggest[0], self.suggest[1], lang) if self.suggest else ""
        return message(self.key, lang, hint=hint, **self.params)


class ProfileError(UserError):
    """A change refers to something that does not exist, or would break a rule."""

    def __init__(self, findings: Iterable[Finding]):
        self.findings = tuple(findings)
        super().__init__("; ".join(f"{f.field}: {f.text('en')}" for f in self.findings))

    @property
    def conflict(self) -> bool:
        """Only clashes with existing names (HTTP 409, not 422)."""
        return all(f.key in CONFLICT_KEYS for f in self.findings)

    def errors(self, lang: str) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for finding in self.findings:
            found.setdefault(finding.field, []).append(finding.text(lang))
        return found


def list_profiles(conn: sa.Connection, metadata: sa.MetaData, *, text: str | None = None,
                  team: str | None = None, role: str | None = None,
                  active: bool | None = None, ids: Collection[int] | None = None
                  ) -> list[Profile]:
    """Users ordered by id, narrowed by a name/username fragment, a team code,
    a role name, the active flag and ids; each with their teams and roles."""
    tables = system_tables(metadata)
    users, roles, teams = tables.users, tables.user_roles, tables.teams
    members = tables.team_members
    conditions: list[sa.ColumnElement] = []
    if text:
        fragment = text.lower()
        conditions.append(sa.or_(
            sa.func.lower(users.c.name).contains(fragment, autoescape=True),
            sa.func.lower(users.c.username).contains(fragment, autoescape=True)))
    if team is not None:
        conditions.append(users.c.id.in_(
            sa.select(members.c.user_id).join(teams, teams.c.id == members.c.team_id)
            .where(teams.c.code == team)))
    if role is not None:
        conditions.append(users.c.id.in_(sa.select(roles.c.user_id)
                                         .where(roles.c.role == role)))
    if active is not None:
        conditions.append(users.c.active.is_(active))
    if ids is not None:
        conditions.append(users.c.id.in_(sorted(set(ids))))
    rows = conn.execute(sa.select(users).where(*conditions).order_by(users.c.id)).all()
    if not rows:
        return []
    # Roles and teams of exactly these users, by the same conditions (not a list of
    # ids, which could be long).
    chosen = sa.select(users.c.id).where(*conditions).scalar_subquery()
    role_names: dict[int, list[str]] = {}
    for user_id, name in conn.execute(sa.select(roles.c.user_id, roles.c.role)
                                      .where(roles.c.user_id.in_(chosen))
                                      .order_by(roles.c.role)):
        role_names.setdefault(user_id, []).append(name)
    team_codes: dict[int, list[str]] = {}
    for user_id, code in conn.execute(
            sa.select(members.c.user_id, teams.c.code)
            .join(teams, teams.c.id == members.c.team_id)
            .where(members.c.user_id.in_(chosen)).order_by(teams.c.code)):
        team_codes.setdefault(user_id, []).append(code)
    return [Profile(row.id, row.username, row.name, row.email, row.phone, row.language,
                    bool(row.active), bool(row.is_admin), row.manager_id, row.created_at,
                    bool(row.password_hash), tuple(team_codes.get(row.id, ())),
                    tuple(role_names.get(row.id, ()))) for row in rows]


def get_profile(conn: sa.Connection, metadata: sa.MetaData, user_id: int) -> Profile | None:
    found = list_profiles(conn, metadata, ids=[user_id])
    return found[0] if found else None


def create_profile(conn: sa.Connection, metadata: sa.MetaData, username: str,
                   changes: Mapping[str, Any], *, known_roles: Collection[str],
                   now: datetime, policy: PasswordPolicy) -> Profile:
    """A new user with ``changes`` applied (see ``change_profile``)."""
    findings = check_changes(conn, metadata, {"username": username, **changes},
                             known_roles=known_roles)
    if findings:
        raise ProfileError(findings)
    user = create_user(conn, metadata, username, changes.get("name") or username)
    _apply(conn, metadata, user.id, {k: v for k, v in changes.items() if k != "name"}, now,
           keep_session=None, policy=policy)
    return get_profile(conn, metadata, user.id)  # type: ignore[return-value]


def change_profile(conn: sa.Connection, metadata: sa.MetaData, user_id: int,
                   changes: Mapping[str, Any], *, known_roles: Collection[str],
                   now: datetime, policy: PasswordPolicy,
                   keep_session: str | None = None) -> Profile:
    """Apply ``changes`` (keys of CHANGEABLE; values already well-formed) to a user.

    ``roles`` and ``teams`` replace the user's; ``manager`` is a user id or None.
    ``keep_session`` is the session key that a password change does not end; a new
    password must pass ``policy`` (WeakPassword otherwise).
    Raises ProfileError listing every reference that does not hold.
    """
    findings = check_changes(conn, metadata, changes, known_roles=known_roles,
                             user_id=user_id)
    if findings:
        raise ProfileError(findings)
    _apply(conn, metadata, user_id, changes, now, keep_session=keep_session, policy=policy)
    return get_profile(conn, metadata, user_id)  # type: ignore[return-value]


def check_changes(conn: sa.Connection, metadata: sa.MetaData, changes: Mapping[str, Any], *,
                  known_roles: Collection[str], user_id: int | None = None) -> list[Finding]:
    """Everything in ``changes`` that names what does not exist or is taken."""
    users = system_tables(metadata).users
    findings: list[Finding] = []
    username = changes.get("username")
    if username is not None:
        taken = conn.execute(sa.select(users.c.id).where(users.c.username == username)
                             ).scalar()
        if taken is not None and taken != user_id:
            findings.append(Finding("username", "username_taken", {"username": username}))
    choices = tuple(sorted(known_roles))
    for name in changes.get("roles") or ():
        if name not in known_roles:
            findings.append(Finding("roles", "unknown_role", {"name": name}, (name, choices)))
    if changes.get("teams"):
        findings += [Finding("teams", "unknown_team", {"code": code}, (code, codes))
                     for code, codes in _unknown_teams(conn, metadata, changes["teams"])]
    manager = changes.get("manager")
    if manager is not None:
        if manager == user_id:
            findings.append(Finding("manager", "own_manager"))
        elif missing_users(conn, metadata, [manager]):
            findings.append(Finding("manager", "unknown_user", {"id": manager}))
    return findings


def missing_users(conn: sa.Connection, metadata: sa.MetaData, user_ids: Iterable[int]
                  ) -> list[int]:
    """The ids among ``user_ids`` that no user has."""
    users = system_tables(metadata).users
    wanted = set(user_ids)
    found = set(conn.execute(sa.select(users.c.id).where(users.c.id.in_(sorted(wanted))))
                .scalars()) if wanted else set()
    return sorted(wanted - found)


def team_ids(conn: sa.Connection, metadata: sa.MetaData, codes: Iterable[str]
             ) -> dict[str, int]:
    teams = system_tables(metadata).teams
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = conn.execute(sa.select(teams.c.code, teams.c.id).where(teams.c.code.in_(wanted)))
    return {code: team_id for code, team_id in rows}


def set_user_teams(conn: sa.Connection, metadata: sa.MetaData, user_id: int,
                   codes: Iterable[str]) -> None:
    """Make the user a member of exactly these teams (codes checked by the caller)."""
    members = system_tables(metadata).team_members
    conn.execute(members.delete().where(members.c.user_id == user_id))
    credentials_changed(conn, metadata)  # whom team scopes reach
    ids = team_ids(conn, metadata, codes)
    if ids:
        conn.execute(members.insert(), [{"team_id": team_id, "user_id": user_id}
                                        for team_id in sorted(ids.values())])


def end_other_sessions(conn: sa.Connection, metadata: sa.MetaData, user_id: int,
                       keep_session: str | None, now: datetime) -> int:
    """Sign the user out everywhere except the session ``keep_session`` (the one that
    changed the password, which stays signed in)."""
    if keep_session is None:
        return end_user_sessions(conn, metadata, user_id, now)
    sessions = system_tables(metadata).sessions
    return conn.execute(sessions.update().where(
        sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None),
        sessions.c.digest != digest(keep_session)).values(revoked_at=now)).rowcount


def _unknown_teams(conn: sa.Connection, metadata: sa.MetaData, codes: Iterable[str]
                   ) -> list[tuple[str, tuple[str, ...]]]:
    wanted = list(dict.fromkeys(codes))
    found = team_ids(conn, metadata, wanted)
    missing = [code for code in wanted if code not in found]
    if not missing:
        return []
    teams = system_tables(metadata).teams
    every = tuple(conn.execute(sa.select(teams.c.code)).scalars())
    return [(code, every) for code in missing]


def _apply(conn: sa.Connection, metadata: sa.MetaData, user_id: int,
           changes: Mapping[str, Any], now: datetime, *, keep_session: str | None,
           policy: PasswordPolicy) -> None:
    users = system_tables(metadata).users
    values = {key: changes[key] for key in COLUMNS if key in changes}
    if values:
        conn.execute(users.update().where(users.c.id == user_id).values(**values))
        if values.keys() & {"active", "is_admin", "name", "username"}:
            # (names too: what a process keeps per version includes how users are
            # named, runtime/people.py)
            credentials_changed(conn, metadata)
    if changes.get("password") is not None:
        set_password(conn, metadata, user_id, changes["password"], policy)
        end_other_sessions(conn, metadata, user_id, keep_session, now)
    if "manager" in changes:
        try:
            set_manager(conn, metadata, user_id, changes["manager"])
        except UserError:
            # Self and unknown managers were checked above: what is left is a loop.
            raise ProfileError([Finding("manager", "manager_cycle")]) from None
    if "roles" in changes:
        set_roles(conn, metadata, user_id, list(changes["roles"]))
    if "teams" in changes:
        set_user_teams(conn, metadata, user_id, changes["teams"])
    if changes.get("active") is False:
        end_user_sessions(conn, metadata, user_id, now)


def set_members(conn: sa.Connection, metadata: sa.MetaData, team_id: int,
                user_ids: Collection[int]) -> None:
    """Replace a team's members, refusing ids that are no user's."""
    missing = missing_users(conn, metadata, user_ids)
    if missing:
        raise ProfileError([Finding("members", "unknown_user", {"id": uid})
                            for uid in missing])
    set_team_members(conn, metadata, team_id, list(user_ids))
