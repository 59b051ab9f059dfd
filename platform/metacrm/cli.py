"""The ``metacrm`` command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .catalog_loader import load_catalog
from .config import Settings
from .errors import DefinitionError
from .identity.commands import user_command


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
    bundles = paths or Settings.from_env().bundles
    try:
        catalog = load_catalog(bundles)
    except DefinitionError as exc:
        _fail_on_definitions(exc)
        return
    fields = sum(len(e.fields) for e in catalog.entities.values())
    click.echo(f"ok: {len(catalog.bundles)} bundle(s), {len(catalog.entities)} entities, "
               f"{fields} fields, {len(catalog.optionsets)} option sets")


@main.command()
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing.")
@click.option("--allow-destructive", is_flag=True,
              help="Also drop columns/tables and narrow types that the definitions removed.")
def migrate(dry_run: bool, allow_destructive: bool) -> None:
    """Plan and apply the schema changes the definitions need."""
    from .operations import migrate_database

    ok = migrate_database(Settings.from_env(), dry_run=dry_run,
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
    click.echo(f"metacrm is running at http://{host}:{port}/  (API: http://{host}:{port}/api/, "
               f"OpenAPI: http://{host}:{port}/api/openapi.json)")
    app.run(host=host, port=port, threaded=True, use_reloader=False)


@main.command()
def worker() -> None:
    """Run an RQ worker for background jobs (needs METACRM_REDIS_URL)."""
    settings = Settings.from_env()
    if not settings.redis_url:
        click.echo("METACRM_REDIS_URL is not set: without Redis, background jobs run inside "
                   "the server process and no worker is needed.", err=True)
        sys.exit(1)
    from redis import Redis
    from rq import Queue, Worker

    connection = Redis.from_url(settings.redis_url)
    Worker([Queue("metacrm", connection=connection)], connection=connection).work()


@main.command("export-customizations")
@click.argument("directory", type=click.Path(file_okay=False))
def export_customizations(directory: str) -> None:
    """Write the runtime customizations as a bundle of `extend` files."""
    from .operations import export_customizations_bundle

    written = export_customizations_bundle(Settings.from_env(), Path(directory))
    click.echo(f"wrote {written} customization file(s) to {directory}")


main.add_command(user_command)
