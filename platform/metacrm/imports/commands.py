"""``metacrm import ENTITY FILE`` and ``metacrm imports ...`` (list, resume, revert,
the failed rows): the import run in the foreground with a progress bar."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from ..base.context import Context
from ..base.problems import Problem
from ..config import Settings
from ..errors import DefinitionError
from ..identity.principals import principal_of
from ..identity.users import find_user
from ..platform import Platform
from .jobs import prepare_import
from .mapping import BadMapping, load_mapping_file
from .revert import describe, failed_rows_csv, revert_import
from .run import run_import
from .store import (
    MODES,
    ImportOptions,
    log_rows,
    possible_duplicates,
    read_import,
    warned_rows,
)


@contextmanager
def _platform() -> Iterator[Platform]:
    try:
        platform = Platform.build(Settings.from_env())
    except DefinitionError as exc:
        raise click.ClickException("\n".join(str(d) for d in exc.diagnostics)) from None
    try:
        yield platform
    finally:
        platform.engine.dispose()


def _context(platform: Platform, username: str | None, locale: str) -> Context:
    """As ``username`` with their roles, or (without --as) the platform itself."""
    if username is None:
        return Context.system(locale=locale)
    with platform.reading() as conn:
        user = find_user(conn, platform.compiled.metadata, username)
        principal = principal_of(conn, platform.compiled.metadata, user.id) if user else None
    if principal is None:
        raise click.BadParameter(f"no active user '{username}'", param_hint="--as")
    return Context(principal, locale)


def _fail(problem: Problem) -> None:
    for key, messages in problem.errors.items():
        for text in messages:
            click.echo(f"{key}: {text}", err=True)
    sys.exit(1)


def _run(platform: Platform, import_id: int) -> dict[str, Any]:
    with platform.reading() as conn:
        job = read_import(conn, platform.compiled.tables, import_id) or {}
    bar = click.progressbar(length=job.get("total_rows") or 0, label=f"import #{import_id}",
                            show_pos=True, file=sys.stderr)
    seen = [job.get("counts") and sum(job["counts"].values()) or 0]

    def progress(state: dict[str, Any]) -> None:
        if not bar.length:
            bar.length = state.get("total_rows") or 0
        done = sum(state["counts"].values())
        bar.update(done - seen[0])
        seen[0] = done

    with bar:
        try:
            return run_import(platform, import_id, progress=progress)
        except Problem as problem:
            _fail(problem)
            raise


def _summary(platform: Platform, job: dict[str, Any], shown: int = 20) -> None:
    counts = job["counts"]
    dry = " (dry run: nothing written)" if job["options"].get("dry_run") else ""
    click.echo(f"import #{job['id']} {job['status']}{dry}: {counts['created']} created, "
               f"{counts['updated']} updated, {counts['skipped']} skipped, "
               f"{counts['failed']} failed")
    if job.get("error"):
        click.echo(f"error: {job['error']}", err=True)
    with platform.reading() as conn:
        failed = log_rows(conn, platform.compiled.tables, job["id"], action="failed",
                          limit=shown)
    for row in failed:
        click.echo(f"  row {row['row']}: {describe(row['errors'] or {})}")
    if counts["failed"] > len(failed):
        click.echo(f"  ... and {counts['failed'] - len(failed)} more: "
                   f"`metacrm imports failed {job['id']} -o FILE` writes them all")
    with platform.reading() as conn:
        warned = warned_rows(conn, platform.compiled.tables, job["id"], limit=shown)
    if warned:
        click.echo("possible duplicates (written; check them):")
    for row in warned:
        said = ", ".join(f"#{c['id']} {c.get('title') or ''} ({c.get('label') or c['rule']})"
                         if c.get("id") is not None else str(c.get("message") or c["rule"])
                         for c in possible_duplicates(row))
        click.echo(f"  row {row['row']} (#{row['record_id']}): like {said}")


@click.command("import")
@click.argument("entity")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check every row as the import would write "
              "it; write nothing.")
@click.option("--mode", type=click.Choice(MODES), default="create", show_default=True)
@click.option("--match", default="", metavar="FIELD,...",
              help="Fields that find the record a row updates (update, upsert) or "
                   "duplicates (create: skipped).")
@click.option("--mapping", "mapping_file", type=click.Path(exists=True, dir_okay=False),
              help="YAML or JSON: columns: {column: field}, defaults: {field: value}.")
@click.option("--as", "username", default=None, metavar="USERNAME",
              help="Import as this user, with their roles (default: the platform itself).")
@click.option("--locale", default="en", show_default=True, help="Language of the errors.")
def import_command(entity: str, file: str, dry_run: bool, mode: str, match: str,
                   mapping_file: str | None, username: str | None, locale: str) -> None:
    """Import the rows of FILE (CSV in UTF-8, GBK or UTF-16; XLSX) as ENTITY records."""
    try:
        given = load_mapping_file(mapping_file) if mapping_file else None
    except BadMapping as exc:
        raise click.BadParameter(str(exc), param_hint="--mapping") from None
    options = ImportOptions(mode, tuple(m.strip() for m in match.split(",") if m.strip()),
                            dry_run, locale, as_platform=username is None)
    with _platform() as platform:
        ctx = _context(platform, username, locale)
        try:
            prepared = prepare_import(platform, ctx, entity, file, Path(file).name, options,
                                      given)
        except Problem as problem:
            _fail(problem)
            return
        encoding = f" ({prepared.encoding})" if prepared.encoding else ""
        click.echo(f"{Path(file).name}{encoding}: columns -> fields", err=True)
        for column, name in prepared.mapping.columns.items():
            click.echo(f"  {column} -> {name or '(not imported)'}", err=True)
        job = _run(platform, prepared.import_id)
        _summary(platform, job)
    sys.exit(0 if job["status"] == "done" else 1)


@click.group("imports")
def imports_command() -> None:
    """Imports run before: list, resume one a killed process left, revert, failed rows."""


@imports_command.command("list")
def list_imports() -> None:
    import sqlalchemy as sa

    with _platform() as platform:
        imports = platform.compiled.tables.imports
        with platform.reading() as conn:
            for job in conn.execute(sa.select(imports).order_by(imports.c.id.desc())
                                    .limit(50)).mappings():
                counts = job["counts"]
                dry = " (dry run)" if job["options"].get("dry_run") else ""
                click.echo(f"#{job['id']} {job['entity']} {job['filename']} {job['status']}{dry}: "
                           f"{sum(counts.values())}/{job['total_rows']} rows, "
                           f"{counts['created']} created, {counts['updated']} updated, "
                           f"{counts['skipped']} skipped, {counts['failed']} failed")


@imports_command.command("resume")
@click.argument("import_id", type=int)
def resume_import(import_id: int) -> None:
    """Carry on with an import after its last committed row."""
    with _platform() as platform:
        job = _run(platform, import_id)
        _summary(platform, job)


@imports_command.command("revert")
@click.argument("import_id", type=int)
@click.option("--as", "username", default=None, metavar="USERNAME")
def revert_command(import_id: int, username: str | None) -> None:
    """Send the records the import created to the recycle bin and give those it updated
    their earlier values back (not those changed since)."""
    with _platform() as platform:
        try:
            done = revert_import(platform, _context(platform, username, "en"), import_id)
        except Problem as problem:
            _fail(problem)
            return
        except LookupError:
            raise click.ClickException(f"no import #{import_id}") from None
    click.echo(f"reverted {done['reverted']} record(s); left {len(done['refused'])}")
    for refusal in done["refused"]:
        click.echo(f"  row {refusal['row']} (#{refusal['record_id']}): {refusal['reason']}")


@imports_command.command("failed")
@click.argument("import_id", type=int)
@click.option("--output", "-o", type=click.Path(dir_okay=False), required=True)
def failed_command(import_id: int, output: str) -> None:
    """Write the failed rows as CSV (the file's columns and an error column) to fix and
    import again."""
    with _platform() as platform, Path(output).open("wb") as out:
        try:
            for chunk in failed_rows_csv(platform, import_id):
                out.write(chunk)
        except LookupError:
            raise click.ClickException(f"no import #{import_id}") from None
    click.echo(f"wrote {output}", err=True)


