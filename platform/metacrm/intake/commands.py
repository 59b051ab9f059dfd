"""``metacrm intake ...``: the intake sources the definitions declare, their tokens
(issued, rotated, revoked) and a pull run by hand."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
import sqlalchemy as sa

from ..base.context import utcnow
from ..config import Settings
from ..definitions.intake import IntakeDef
from ..errors import DefinitionError, did_you_mean
from ..identity.security_events import Actor, record_event, token_event
from ..platform import Platform
from .credentials import issue_token, live_tokens, revoke_tokens, service_username
from .pull import pull_source
from .tables import CURSORS_TABLE, cursors_table


@contextmanager
def _platform() -> Iterator[Platform]:
    try:
        platform = Platform.build(Settings.from_env())
    except DefinitionError as exc:
        raise click.ClickException("\n".join(str(d) for d in exc.diagnostics)) from None
    try:
        with platform.reading() as conn:
            if not sa.inspect(conn).has_table(CURSORS_TABLE):
                raise click.ClickException("the database is not migrated: run `metacrm migrate`")
        yield platform
    finally:
        platform.engine.dispose()


def _source(platform: Platform, name: str) -> IntakeDef:
    sources = platform.compiled.catalog.intakes
    if name not in sources:
        known = ", ".join(sorted(sources)) or "none"
        raise click.ClickException(f"no intake source '{name}'{did_you_mean(name, sources)} "
                                   f"(the sources: {known})")
    return sources[name]


@click.group("intake")
def intake_command() -> None:
    """Leads from outside systems: sources, their tokens, pulls (docs/intake.md)."""


@intake_command.command("list")
def list_sources() -> None:
    """Each source: its entity, live tokens, and where its pulls stand."""
    with _platform() as platform:
        metadata = platform.compiled.metadata
        with platform.reading() as conn:
            cursors = {row.source: row for row in conn.execute(
                sa.select(cursors_table(metadata)))}
            for name, source in sorted(platform.compiled.catalog.intakes.items()):
                tokens = len(live_tokens(conn, metadata, name))
                kind = f"pull {source.pull.hook} every {source.pull.every_seconds}s" \
                    if source.pull else f"POST /api/intake/{name}"
                line = (f"{name}: {source.entity}, {kind}, {tokens} live token(s), at most "
                        f"{source.rate_limit.requests} request(s) per "
                        f"{source.rate_limit.per_seconds}s")
                if name in cursors:
                    row = cursors[name]
                    line += f"; last pull {row.pulled_at:%Y-%m-%d %H:%M}, cursor {row.cursor!r}"
                click.echo(line)


@intake_command.command("token")
@click.argument("source")
@click.option("--keep-old", is_flag=True,
              help="Keep the source's other tokens working (default: a rotation revokes them).")
def token_command(source: str, keep_old: bool) -> None:
    """Issue a token for SOURCE (shown once); older ones are revoked unless --keep-old."""
    now = utcnow()
    with _platform() as platform:
        found = _source(platform, source)
        metadata = platform.compiled.metadata
        with platform.writing() as conn:
            token, info, revoked = issue_token(conn, metadata, source,
                                               found.label.get("en") or source, keep_old=keep_old)
            record_event(conn, metadata, "token.issued", Actor.command_line(), now,
                         target=service_username(source), details=token_event(info))
    click.echo(token)
    click.echo(f"token #{info.id} for intake source '{source}' (POST /api/intake/{source}, "
               f"Authorization: Bearer <token>); {revoked} older token(s) revoked. Store it "
               "now, it is not shown again", err=True)


@intake_command.command("revoke")
@click.argument("source")
def revoke_command(source: str) -> None:
    """Revoke every token of SOURCE: its deliveries are refused (401) at once."""
    with _platform() as platform:
        _source(platform, source)
        metadata = platform.compiled.metadata
        with platform.writing() as conn:
            revoked = revoke_tokens(conn, metadata, source)
            if revoked:
                record_event(conn, metadata, "token.revoked", Actor.command_line(), utcnow(),
                             target=service_username(source), details={"tokens": revoked})
    click.echo(f"revoked {revoked} token(s) of intake source '{source}'")


@intake_command.command("pull")
@click.argument("source")
def pull_command(source: str) -> None:
    """Run SOURCE's pull now (as its scheduled job does) and say what it stored."""
    with _platform() as platform:
        found = _source(platform, source)
        if found.pull is None:
            raise click.ClickException(f"intake source '{source}' is not a pull source: it "
                                       f"receives POST /api/intake/{source}")
        run = pull_source(platform, found, utcnow())
    for problem in run.problems:
        click.echo(f"refused {problem}", err=True)
    click.echo(run.summary)
    if run.error:
        raise SystemExit(1)
