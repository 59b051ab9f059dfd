"""``metacrm user ...``: manage users and API tokens from the command line."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
import sqlalchemy as sa

from ..compile.tables import add_system_tables
from ..config import Settings
from ..db import make_engine, writer
from .tokens import create_token, list_tokens, revoke_token
from .users import (
    UserError,
    create_user,
    find_user,
    list_users,
    set_active,
    set_admin,
    set_password,
)


@contextmanager
def _transaction() -> Iterator[tuple[sa.Connection, sa.MetaData]]:
    metadata = sa.MetaData()
    add_system_tables(metadata)
    engine = make_engine(Settings.from_env().database_url)
    try:
        with writer(engine).begin() as conn:
            if not sa.inspect(conn).has_table("mc_tokens"):
                raise click.ClickException("the database is not migrated: run `metacrm migrate`")
            yield conn, metadata
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()


def _existing(conn: sa.Connection, metadata: sa.MetaData, username: str):  # type: ignore[no-untyped-def]
    user = find_user(conn, metadata, username)
    if user is None:
        raise click.ClickException(f"no user '{username}' (see `metacrm user list`)")
    return user


@click.group("user")
def user_command() -> None:
    """Create users, set passwords, issue and revoke API tokens."""


@user_command.command("create")
@click.argument("username")
@click.option("--name", default="", help="Display name (default: the username).")
@click.option("--email", default=None)
@click.option("--admin", is_flag=True, help="An administrator.")
@click.option("--password", default=None, help="Prompted for when omitted (8+ characters).")
@click.option("--no-password", is_flag=True, help="API-token-only user: no web login.")
def create(username: str, name: str, email: str | None, admin: bool, password: str | None,
           no_password: bool) -> None:
    """Create a user."""
    if password is None and not no_password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _transaction() as (conn, metadata):
        user = create_user(conn, metadata, username, name, email=email, password=password,
                           is_admin=admin)
    click.echo(f"created user '{user.username}' (id {user.id}{', admin' if admin else ''})")


@user_command.command("list")
def list_command() -> None:
    """List users."""
    with _transaction() as (conn, metadata):
        for user in list_users(conn, metadata):
            flags = ", ".join(f for f, on in (("admin", user.is_admin),
                                              ("disabled", not user.active)) if on)
            click.echo(f"{user.id:>5}  {user.username:<24} {user.name}"
                       + (f"  ({flags})" if flags else ""))


@user_command.command("password")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def password_command(username: str, password: str) -> None:
    """Set a user's password."""
    with _transaction() as (conn, metadata):
        set_password(conn, metadata, _existing(conn, metadata, username).id, password)
    click.echo(f"password of '{username}' changed")


def _change_user(username: str, change: Callable[..., None], value: bool, said: str) -> None:
    with _transaction() as (conn, metadata):
        change(conn, metadata, _existing(conn, metadata, username).id, value)
    click.echo(f"user '{username}' {said}")


@user_command.command("disable")
@click.argument("username")
def disable(username: str) -> None:
    """Disable a user: their tokens stop working at once."""
    _change_user(username, set_active, False, "disabled")


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
def token_command(username: str, name: str) -> None:
    """Issue an API token (shown once; send it as `Authorization: Bearer <token>`)."""
    with _transaction() as (conn, metadata):
        token, info = create_token(conn, metadata, _existing(conn, metadata, username).id, name)
    click.echo(token)
    click.echo(f"token #{info.id} for '{username}': store it now, it is not shown again",
               err=True)


@user_command.command("tokens")
@click.argument("username")
def tokens_command(username: str) -> None:
    """List a user's tokens (never their secrets)."""
    with _transaction() as (conn, metadata):
        for info in list_tokens(conn, metadata, _existing(conn, metadata, username).id):
            state = f"revoked {info.revoked_at:%Y-%m-%d}" if info.revoked_at else "active"
            click.echo(f"#{info.id:<5} {info.name:<20} created {info.created_at:%Y-%m-%d}  "
                       f"{state}")


@user_command.command("revoke")
@click.argument("token_id", type=int)
def revoke(token_id: int) -> None:
    """Revoke a token by its number: it stops working at once."""
    with _transaction() as (conn, metadata):
        if not revoke_token(conn, metadata, token_id):
            click.echo(f"no active token #{token_id}", err=True)
            sys.exit(1)
    click.echo(f"token #{token_id} revoked")
