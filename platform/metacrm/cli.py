"""The ``metacrm`` command line."""

from __future__ import annotations

import sys

import click

from .catalog_loader import load_catalog
from .config import Settings
from .errors import DefinitionError


@click.group()
def main() -> None:
    """metacrm: a CRM compiled from YAML definitions."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(file_okay=False))
def check(paths: tuple[str, ...]) -> None:
    """Validate bundle folders (default: the configured bundles)."""
    bundles = paths or Settings.from_env().bundles
    try:
        catalog = load_catalog(bundles)
    except DefinitionError as exc:
        for diagnostic in exc.diagnostics:
            click.echo(str(diagnostic))
        click.echo(f"{len(exc.diagnostics)} error(s)", err=True)
        sys.exit(1)
    fields = sum(len(e.fields) for e in catalog.entities.values())
    click.echo(f"ok: {len(catalog.bundles)} bundle(s), {len(catalog.entities)} entities, "
               f"{fields} fields, {len(catalog.optionsets)} option sets")
