"""``metacrm user ...``: manage users, their roles, teams and manager, and API
tokens from the command line."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

import click
import sqlalchemy as sa

from ..base.context import utcnow
from ..base.problems import Problem
from ..base.words import pad
from ..config import Settings
from ..i18n import message
from ..values import parse_definition_text
from .cli_support import check_roles, defined_roles, existing_user, problem_text, transaction
from .fields import TOKEN_FIELDS, check_object, user_fields
from .password_policy import PasswordPolicy, policy_of
from .profiles import Profile, change_profile, create_profile, get_profile, list_profiles
from .security_events import Actor, record_event, record_profile_change, token_event
from .sessions import end_user_sessions
from .tokens import BadExpiry, TokenInfo, create_token, list_tokens, revoke_token, token_expiry
from .users import get_user, set_active, set_admin, set_password


@click.group("user")
def user_command() -> None:
    """Create and change users, set passwords, issue and revoke API tokens."""


def _policy() -> PasswordPolicy:
    """The server's password policy (METACRM_PASSWORD_MIN_LENGTH)."""
    return policy_of(Settings.from_env())


def _checked(given: dict[str, Any]) -> dict[str, Any]:
    """``given`` checked by the same rules as the REST API."""
    try:
        return check_object({k: v for k, v in given.items() if v is not None},
                            user_fields(_policy()), "en")
    except Problem as exc:
        raise click.ClickException(problem_text(exc)) from None


def _manager_id(conn: sa.Connection, metadata: sa.MetaData, username: str | None
                ) -> int | None:
    return existing_user(conn, metadata, username).id if username else None


@user_command.command("create")
@click.argument("username")
@click.option("--name", default=None, help="Display name (default: the username).")
@click.option("--email", default=None)
@click.option("--phone", default=None)
@click.option("--language", default=None, help="en or zh (default: en).")
@click.option("--admin", is_flag=True, help="An administrator.")
@click.option("--role", "roles", multiple=True, help="A role (repeat for several).")
@click.option("--team", "teams", multiple=True, help="A team code (repeat for several).")
@click.option("--manager", default=None, help="The username of the user's manager.")
@click.option("--password", default=None,
              help="Prompted for when omitted (10+ characters, not a common password).")
@click.option("--no-password", is_flag=True, help="API-token-only user: no web login.")
def create(username: str, name: str | None, email: str | None, phone: str | None,
           language: str | None, admin: bool, roles: tuple[str, ...], teams: tuple[str, ...],
           manager: str | None, password: str | None, no_password: bool) -> None:
    """Create a user."""
    if password is not None and no_password:
        raise click.ClickException("give --password or --no-password, not both")
    changes = _checked({"username": username, "name": name, "email": email, "phone": phone,
                        "language": language})
    if password is None and not no_password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    changes.update(_checked({"password": password}))
    with transaction() as (conn, metadata):
        known = defined_roles(conn)
        check_roles(roles, known)
        changes.update(is_admin=admin, roles=list(roles), teams=list(teams),
                       manager=_manager_id(conn, metadata, manager))
        profile = create_profile(conn, metadata, changes.pop("username"), changes,
                                 known_roles=known, now=utcnow(), policy=_policy())
        record_profile_change(conn, metadata, Actor.command_line(), utcnow(), None, profile)
    roles_said = f", roles: {', '.join(profile.roles)}" if profile.roles else ", no role yet"
    click.echo(f"created user '{profile.username}' (id {profile.id}"
               f"{', admin' if admin else ''}{roles_said})")


@user_command.command("set")
@click.argument("username")
@click.option("--role", "roles", multiple=True, help="Replace the roles (repeat for several).")
@click.option("--add-role", "add_roles", multiple=True, help="Add a role.")
@click.option("--remove-role", "remove_roles", multiple=True, help="Take a role away.")
@click.option("--team", "teams", multiple=True, help="Replace the teams (repeat for several).")
@click.option("--manager", default=None, help="The username of the user's new manager.")
@click.option("--no-manager", is_flag=True, help="At the top of the reporting line.")
@click.option("--name", default=None)
@click.option("--email", default=None, help="An address, or '' for none.")
@click.option("--phone", default=None, help="A number, or '' for none.")
@click.option("--language", default=None, help="en or zh.")
def set_command(username: str, roles: tuple[str, ...], add_roles: tuple[str, ...],
                remove_roles: tuple[str, ...], teams: tuple[str, ...], manager: str | None,
                no_manager: bool, name: str | None, email: str | None, phone: str | None,
                language: str | None) -> None:
    """Change a user's roles, teams, manager or details."""
    if manager is not None and no_manager:
        raise click.ClickException("give --manager or --no-manager, not both")
    changes = _checked({"name": name, "email": email, "phone": phone, "language": language})
    with transaction() as (conn, metadata):
        user = existing_user(conn, metadata, username)
        if roles or add_roles or remove_roles:
            known = defined_roles(conn)
            check_roles(roles + add_roles, known)
            current = set(roles) if roles else set(_profile(conn, metadata, user.id).roles)
            changes["roles"] = sorted((current | set(add_roles)) - set(remove_roles))
        else:
            known = {}
        if teams:
            changes["teams"] = list(teams)
        if manager is not None or no_manager:
            changes["manager"] = _manager_id(conn, metadata, manager)
        if not changes:
            raise click.ClickException("nothing to change: see `metacrm user set --help`")
        before = _profile(conn, metadata, user.id)
        profile = change_profile(conn, metadata, user.id, changes, known_roles=known,
                                 now=utcnow(), policy=_policy())
        record_profile_change(conn, metadata, Actor.command_line(), utcnow(), before, profile)
        _echo_profile(conn, metadata, profile, f"user '{username}' changed")


@user_command.command("show")
@click.argument("username")
def show(username: str) -> None:
    """Show a user: details, roles, teams, manager and tokens."""
    with transaction() as (conn, metadata):
        profile = _profile(conn, metadata, existing_user(conn, metadata, username).id)
        _echo_profile(conn, metadata, profile)
        tokens = list_tokens(conn, metadata, profile.id)
    now = utcnow()
    revoked = sum(1 for t in tokens if t.revoked_at is not None)
    expired = sum(1 for t in tokens if t.revoked_at is None and t.expired(now))
    click.echo(f"  tokens:   {len(tokens) - revoked - expired} active, {revoked} revoked, "
               f"{expired} expired")


def _profile(conn: sa.Connection, metadata: sa.MetaData, user_id: int) -> Profile:
    return get_profile(conn, metadata, user_id)  # type: ignore[return-value]


def _echo_profile(conn: sa.Connection, metadata: sa.MetaData, profile: Profile,
                  heading: str | None = None) -> None:
    boss = get_user(conn, metadata, profile.manager_id) if profile.manager_id else None
    if heading:
        click.echo(heading)
    flags = ", ".join(f for f, on in (("active", profile.active),
                                      ("disabled", not profile.active),
                                      ("administrator", profile.is_admin),
                                      ("no password: API tokens only",
                                       not profile.has_password)) if on)
    click.echo(f"{profile.username} (id {profile.id}): {profile.name}  [{flags}]")
    click.echo(f"  email:    {profile.email or '-'}   phone: {profile.phone or '-'}   "
               f"language: {profile.language}")
    click.echo(f"  roles:    {', '.join(profile.roles) or '-'}")
    click.echo(f"  teams:    {', '.join(profile.teams) or '-'}")
    click.echo(f"  manager:  {boss.username if boss else '-'}")


@user_command.command("list")
def list_command() -> None:
    """List users with their roles."""
    with transaction() as (conn, metadata):
        for user in list_profiles(conn, metadata):
            flags = ", ".join(f for f, on in (("admin", user.is_admin),
                                              ("disabled", not user.active)) if on)
            click.echo(f"{user.id:>5}  {pad(user.username, 24)} {pad(user.name, 24)} "
                       f"{', '.join(user.roles) or '(no role)'}"
                       + (f"  ({flags})" if flags else ""))


@user_command.command("password")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def password_command(username: str, password: str) -> None:
    """Set a user's password; they are signed out everywhere."""
    with transaction() as (conn, metadata):
        user_id = existing_user(conn, metadata, username).id
        set_password(conn, metadata, user_id, password, _policy())
        end_user_sessions(conn, metadata, user_id, utcnow())
        record_event(conn, metadata, "password.changed", Actor.command_line(), utcnow(),
                     target=username)
    click.echo(f"password of '{username}' changed")


def _change_user(username: str, change: Callable[..., None], value: bool, said: str) -> None:
    with transaction() as (conn, metadata):
        before = _profile(conn, metadata, existing_user(conn, metadata, username).id)
        change(conn, metadata, before.id, value)
        record_profile_change(conn, metadata, Actor.command_line(), utcnow(), before,
                              _profile(conn, metadata, before.id))
    click.echo(f"user '{username}' {said}")


def _disable(conn: sa.Connection, metadata: sa.MetaData, user_id: int, active: bool) -> None:
    set_active(conn, metadata, user_id, active)
    # Lookups already refuse a disabled user; ending the sessions also keeps them
    # from coming back if the user is enabled again.
    end_user_sessions(conn, metadata, user_id, utcnow())


@user_command.command("disable")
@click.argument("username")
def disable(username: str) -> None:
    """Disable a user: their sessions and tokens stop working at once."""
    _change_user(username, _disable, False, "disabled")


@user_command.command("enable")
@click.argument("username")
def enable(username: str) -> None:
    """Enable a disabled user."""
    _change_user(username, set_active, True, "enabled")


@user_command.command("admin")
@click.argument("username")
@click.option("--revoke", is_flag=True, help="Take administration rights away.")
def admin_command(username: str, revoke: bool) -> None:
    """Make a user an administrator (or not, with --revoke)."""
    _change_user(username, set_admin, not revoke,
                 "is no longer an administrator" if revoke else "is an administrator")


@user_command.command("token")
@click.argument("username")
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
@click.option("--expires-in-days", type=int, default=None,
              help="The token stops working this many days from now (1-3650).")
@click.option("--expires-at", default=None,
              help="The token stops working at this ISO 8601 date-time (UTC if no offset).")
def token_command(username: str, name: str, expires_in_days: int | None,
                  expires_at: str | None) -> None:
    """Issue an API token (shown once; send it as `Authorization: Bearer <token>`)."""
    now = utcnow()
    try:
        # The command line keeps the lenient reading (no offset: UTC); the API wants RFC 3339.
        expires_at = expires_at and parse_definition_text("datetime", expires_at).isoformat()
    except ValueError:
        pass  # check_object says what is wrong, as for the API
    try:
        given = check_object({k: v for k, v in (("expires_at", expires_at),
                                                ("expires_in_days", expires_in_days))
                              if v is not None}, TOKEN_FIELDS, "en")
        ends = token_expiry(now, **given)
    except Problem as exc:
        raise click.ClickException(problem_text(exc)) from None
    except BadExpiry as exc:
        raise click.ClickException(message(exc.key, "en", **exc.params)) from None
    with transaction() as (conn, metadata):
        token, info = create_token(conn, metadata, existing_user(conn, metadata, username).id,
                                   name, expires_at=ends)
        record_event(conn, metadata, "token.issued", Actor.command_line(), now,
                     target=username, details=token_event(info))
    click.echo(token)
    until = f", valid until {ends:%Y-%m-%d %H:%M} UTC" if ends else ""
    click.echo(f"token #{info.id} for '{username}'{until}: store it now, it is not shown "
               "again", err=True)


@user_command.command("tokens")
@click.argument("username")
def tokens_command(username: str) -> None:
    """List a user's tokens (never their secrets)."""
    with transaction() as (conn, metadata):
        for info in list_tokens(conn, metadata, existing_user(conn, metadata, username).id):
            click.echo(f"#{info.id:<5} {info.name:<20} created {info.created_at:%Y-%m-%d}  "
                       f"{_token_state(info, utcnow())}")


def _token_state(info: TokenInfo, now: datetime) -> str:
    if info.revoked_at:
        return f"revoked {info.revoked_at:%Y-%m-%d}"
    if info.expired(now):
        return f"expired {info.expires_at:%Y-%m-%d %H:%M}"
    return f"active until {info.expires_at:%Y-%m-%d %H:%M}" if info.expires_at else "active"


@user_command.command("revoke")
@click.argument("token_id", type=int)
def revoke(token_id: int) -> None:
    """Revoke a token by its number: it stops working at once."""
    with transaction() as (conn, metadata):
        owner = revoke_token(conn, metadata, token_id)
        if owner is None:
            click.echo(f"no active token #{token_id}", err=True)
            sys.exit(1)
        record_event(conn, metadata, "token.revoked", Actor.command_line(), utcnow(),
                     target_id=owner, details={"token": token_id})
    click.echo(f"token #{token_id} revoked")
