"""The ``metacrm`` command line."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import click

from .config import Settings
from .errors import DefinitionError
from .identity.commands import user_command
from .identity.security_commands import security_command
from .identity.team_commands import roles_command, team_command
from .imports.commands import import_command, imports_command
from .intake.commands import intake_command
from .jobs.commands import jobs_command
from .plugins import PluginError
from .program import Loader


@click.group()
def main() -> None:
    """metacrm: a CRM compiled from YAML definitions."""


def _fail_on_definitions(exc: DefinitionError) -> None:
    for diagnostic in exc.diagnostics:
        click.echo(str(diagnostic))
    click.echo(f"{len(exc.diagnostics)} error(s)", err=True)
    sys.exit(1)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(file_okay=False))
def check(paths: tuple[str, ...]) -> None:
    """Validate bundle folders (default: the configured bundles)."""
    settings = Settings.from_env()
    try:
        catalog = Loader.of(replace(settings, bundles=paths or settings.bundles)).catalog()
    except PluginError as exc:
        click.echo(str(exc))
        sys.exit(1)
    except DefinitionError as exc:
        _fail_on_definitions(exc)
        return
    fields = sum(len(e.fields) for e in catalog.entities.values())
    counts = [(len(catalog.bundles), "bundle"), (len(catalog.entities), "entity"),
              (fields, "field"), (len(catalog.optionsets), "option set"),
              (len(catalog.roles), "role"), (len(catalog.workflows), "workflow"),
              (len(catalog.approvals), "approval"), (len(catalog.forms), "form"),
              (len(catalog.reports), "report"), (len(catalog.dashboards), "dashboard")]
    click.echo("ok: " + ", ".join(_counted(n, noun) for n, noun in counts))


def _counted(number: int, noun: str) -> str:
    if number == 1:
        return f"1 {noun}"
    return f"{number} {noun[:-1] + 'ies' if noun.endswith('y') else noun + 's'}"


@main.command()
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing.")
@click.option("--allow-destructive", is_flag=True,
              help="Also drop columns/tables and narrow types that the definitions removed.")
def migrate(dry_run: bool, allow_destructive: bool) -> None:
    """Plan and apply the schema changes the definitions need."""
    from .operations import migrate_database

    try:
        # migrate signs nothing: a dry run must not leave a secret key behind.
        settings = Settings.from_env(keep_secret=not dry_run)
    except ValueError as exc:  # e.g. a timeout that is not a number of seconds
        click.echo(str(exc))
        sys.exit(1)
    ok = migrate_database(settings, dry_run=dry_run,
                          allow_destructive=allow_destructive, echo=click.echo)
    sys.exit(0 if ok else 1)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--demo", is_flag=True, help="Fill an empty database with demo data first.")
def serve(host: str, port: int, demo: bool) -> None:
    """Migrate, then serve the CRM (embedded setup; use gunicorn in production)."""
    from .operations import prepare_server

    settings = Settings.from_env()
    app = prepare_server(settings, demo=demo, echo=click.echo)
    if app is None:
        sys.exit(1)
    from werkzeug.serving import make_server

    try:  # bound before saying it runs: a port in use is said as such
        server = make_server(host, port, app, threaded=True)
    except OSError as exc:
        click.echo(f"cannot serve at {host}:{port}: {exc.strerror or exc} (another server "
                   "there? pick another port with --port)", err=True)
        sys.exit(1)
    click.echo(f"metacrm is running at http://{host}:{port}/  (API: http://{host}:{port}/api/ "
               f"with a token or a signed-in session, described at "
               f"http://{host}:{port}/api/openapi.json)")
    from .jobs.scheduler import start_in_process

    scheduler = start_in_process(app.extensions["metacrm"])  # without Redis only
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if scheduler is not None:
            scheduler.stop()


@main.command()
def worker() -> None:
    """Run an RQ worker for background jobs, and the scheduler that enqueues the
    periodic ones (needs METACRM_REDIS_URL)."""
    settings = Settings.from_env()
    if not settings.redis_url:
        click.echo("METACRM_REDIS_URL is not set: without Redis, background jobs run inside "
                   "the server process and no worker is needed.", err=True)
        sys.exit(1)
    from redis import Redis
    from rq import Queue, Worker

    from .jobs.scheduler import QUEUE, Scheduler, enqueue_on
    from .platform import Platform

    connection = Redis.from_url(settings.redis_url)
    # Every worker ticks; the job slots in the database let one of them enqueue each run.
    scheduler = Scheduler(Platform.build(settings), enqueue_on(settings.redis_url)).start()
    try:
        Worker([Queue(QUEUE, connection=connection)], connection=connection).work()
    finally:
        scheduler.stop()


@main.command("export-customizations")
@click.argument("directory", type=click.Path(file_okay=False))
def export_customizations(directory: str) -> None:
    """Write the runtime customizations as a bundle of `extend` files."""
    from .operations import export_customizations_bundle

    written = export_customizations_bundle(Settings.from_env(), Path(directory))
    click.echo(f"wrote {written} customization file(s) to {directory}")



@main.group()
def customizations() -> None:
    """Runtime customizations: list, remove and restore them (as the API does)."""


@customizations.command("list")
def list_customizations() -> None:
    from .operations import stored_customizations

    for cid, document in stored_customizations(Settings.from_env()):
        kind = next((k for k in ("extend", "extend_optionset", "role", "extend_role")
                     if k in document), "?")
        click.echo(f"#{cid} {kind} {document.get(kind)}")


@customizations.command("remove")
@click.argument("customization_id", type=int)
@click.option("--allow-destructive", is_flag=True,
              help="Also drop the columns only it defined, with their values.")
def remove_customization_command(customization_id: int, allow_destructive: bool) -> None:
    """Remove customization ID (kept, marked: `restore` brings it back)."""
    from .operations import change_customization

    sys.exit(0 if change_customization(Settings.from_env(), customization_id, remove=True,
                                       allow_destructive=allow_destructive,
                                       echo=click.echo) else 1)


@customizations.command("restore")
@click.argument("customization_id", type=int)
def restore_customization_command(customization_id: int) -> None:
    """Bring removed customization ID back under its number."""
    from .operations import change_customization

    sys.exit(0 if change_customization(Settings.from_env(), customization_id, remove=False,
                                       echo=click.echo) else 1)


@main.command("duplicate-keys")
@click.argument("entities", nargs=-1)
def duplicate_keys(entities: tuple[str, ...]) -> None:
    """Fill the block keys of fuzzy duplicate rules for records that lack them.

    Writes keep them; run this once after adding a fuzzy rule to an entity with
    records (all entities with rules when none is named)."""
    from .platform import Platform
    from .runtime.duplicate_groups import fill_block_keys

    platform = Platform.build(Settings.from_env())
    try:
        models = platform.compiled.models
        unknown = [e for e in entities if e not in models]
        if unknown:
            raise click.BadParameter(f"unknown entity: {', '.join(unknown)}",
                                     param_hint="ENTITIES")
        for name in entities or tuple(models):
            if not models[name].blocked_fields:
                continue
            with platform.writing() as conn:
                count = fill_block_keys(conn, models[name])
            click.echo(f"{name}: {count} record(s) given block keys")
    finally:
        platform.engine.dispose()


@main.command("export")
@click.argument("entity")
@click.argument("filters", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "xlsx"]), default="csv",
              show_default=True, help="CSV (UTF-8 with BOM, for Excel), JSON lines or an "
              "Excel workbook (labels, typed cells).")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="The file to write (default: standard output).")
def export(entity: str, filters: tuple[str, ...], fmt: str, output: str | None) -> None:
    """Export every record of ENTITY matching FILTERS.

    FILTERS are list query parameters written key=value, as in the API:
    grade=A annual_revenue__gte=1000000 q=星河 sort=-annual_revenue fields=name,phone.
    Runs as the platform itself: all records and all fields, whatever roles say.
    """
    from .base.context import utcnow
    from .base.problems import Problem
    from .identity.security_events import Actor, export_event, record_event
    from .operations import prepare_entity_export, write_export

    args: dict[str, list[str]] = {}
    for item in filters:
        key, equals, value = item.partition("=")
        if not equals or not key:
            raise click.BadParameter(f"'{item}' is not key=value", param_hint="FILTERS")
        args.setdefault(key, []).append(value)
    try:
        platform, prepared = prepare_entity_export(Settings.from_env(), entity, args)
    except Problem as problem:
        for key, messages in problem.errors.items():
            for text in messages:
                click.echo(f"{key}: {text}", err=True)
        sys.exit(1)
    with platform.writing() as conn:
        record_event(conn, platform.compiled.metadata, "export", Actor.command_line(), utcnow(),
                     details=export_event(entity, fmt, args))
    try:
        if output is None:
            count = write_export(platform, prepared, fmt, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        else:
            # Written aside and renamed at the end: a failed export leaves no half file.
            partial = Path(f"{output}.part")
            with partial.open("wb") as out:
                count = write_export(platform, prepared, fmt, out)
            partial.replace(output)
    finally:
        platform.engine.dispose()
    click.echo(f"exported {count} {entity} record(s)" + (f" to {output}" if output else ""),
               err=True)


main.add_command(user_command)
main.add_command(jobs_command)
main.add_command(import_command)
main.add_command(imports_command)
main.add_command(team_command)
main.add_command(roles_command)
main.add_command(security_command)
main.add_command(intake_command)
