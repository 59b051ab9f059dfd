"""``metacrm team ...`` and ``metacrm roles``: teams and their members, and the
roles the definitions define, from the command line."""

from __future__ import annotations

import click

from ..base.words import pad
from ..definitions import LANGUAGES
from .cli_support import defined_roles, existing_team, existing_user, transaction
from .profiles import list_profiles
from .teams import add_team_members, create_team, delete_team, list_teams, remove_team_members


@click.group("team")
def team_command() -> None:
    """Create teams and choose their members (team scopes and assignment use them)."""


@team_command.command("create")
@click.argument("code")
@click.option("--name", default=None, help="Display name (default: the code).")
def create(code: str, name: str | None) -> None:
    """Create a team; CODE is how definitions and `--team` options name it."""
    with transaction() as (conn, metadata):
        team_id = create_team(conn, metadata, code, name or code)
    click.echo(f"created team '{code}' (id {team_id})")


@team_command.command("list")
def list_command() -> None:
    """List teams with their members."""
    with transaction() as (conn, metadata):
        names = {p.id: p.username for p in list_profiles(conn, metadata)}
        for team in list_teams(conn, metadata):
            members = ", ".join(names.get(uid, f"#{uid}") for uid in team.members)
            click.echo(f"{team.code:<20} {pad(team.name, 30)} {members or '(no members)'}")


@team_command.command("add")
@click.argument("code")
@click.argument("usernames", nargs=-1, required=True)
def add(code: str, usernames: tuple[str, ...]) -> None:
    """Add users to a team."""
    with transaction() as (conn, metadata):
        team = existing_team(conn, metadata, code)
        ids = [existing_user(conn, metadata, name).id for name in usernames]
        add_team_members(conn, metadata, team.id, ids)
    click.echo(f"team '{code}': added {', '.join(usernames)}")


@team_command.command("remove")
@click.argument("code")
@click.argument("usernames", nargs=-1, required=True)
def remove(code: str, usernames: tuple[str, ...]) -> None:
    """Take users out of a team."""
    with transaction() as (conn, metadata):
        team = existing_team(conn, metadata, code)
        ids = [existing_user(conn, metadata, name).id for name in usernames]
        outside = [name for name, uid in zip(usernames, ids, strict=True)
                   if uid not in team.members]
        if outside:
            raise click.ClickException(f"not in team '{code}': {', '.join(outside)}")
        remove_team_members(conn, metadata, team.id, ids)
    click.echo(f"team '{code}': removed {', '.join(usernames)}")


@team_command.command("delete")
@click.argument("code")
def delete(code: str) -> None:
    """Delete a team (its members stay users)."""
    with transaction() as (conn, metadata):
        delete_team(conn, metadata, existing_team(conn, metadata, code).id)
    click.echo(f"team '{code}' deleted")


@click.command("roles")
@click.option("--language", default="en", help="Labels in en or zh.")
def roles_command(language: str) -> None:
    """List the roles the definitions define (assign them with `metacrm user set --role`)."""
    if language not in LANGUAGES:
        raise click.ClickException(f"--language must be one of {', '.join(LANGUAGES)}")
    roles = defined_roles()
    if not roles:
        click.echo("no roles are defined: add roles/*.yaml to a bundle")
    for name, role in sorted(roles.items()):
        admin = "  (administrator)" if role.admin else ""
        click.echo(f"{name:<20} {role.label.get(language)}{admin}")
        if role.help:
            click.echo(f"{'':<20} {role.help.get(language)}")
