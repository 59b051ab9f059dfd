"""What the command line does, as functions: migrate, prepare a server, export."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import sqlalchemy as sa
import yaml
from flask import Flask
from sqlalchemy.engine import Engine

from .config import Settings
from .db import make_engine, planning_engine
from .errors import DefinitionError
from .platform import Platform
from .plugins import PluginError
from .program import Loader, ProgramCache, read_customizations

if TYPE_CHECKING:
    from .migrate import MigrationTimeouts
    from .runtime.export import Export

Echo = Callable[[str], Any]


def migrate_database(settings: Settings, *, dry_run: bool = False,
                     allow_destructive: bool = False, echo: Echo = print,
                     cache: ProgramCache | None = None, brief: bool = False) -> bool:
    """Plan (and unless ``dry_run``, apply) the migration; False when refused.

    The plan is made and applied under the migration lock (PostgreSQL), after
    undoing any runtime customization a dead process left half-applied. ``brief``
    (serve): the plan's steps are counted, not listed, unless one is refused.
    """
    engine = (planning_engine if dry_run else make_engine)(settings.database_url)
    try:
        return _migrate(engine, settings, dry_run, allow_destructive, echo, cache, brief)
    finally:
        # The CLI exits after this, but a caller that goes on (the test suite) would
        # keep a pooled connection open: on PostgreSQL, a session on the database.
        engine.dispose()


def _migrate(engine: Engine, settings: Settings, dry_run: bool, allow_destructive: bool,
             echo: Echo, cache: ProgramCache | None, brief: bool) -> bool:
    from .migrate import (
        IndexBuildFailed,
        MigrationFailed,
        MigrationRefused,
        apply_migration_on,
        configured_timeouts,
        migration_session,
        plan_migration_in,
    )
    from .runtime.bootstrap import ensure_baseline
    from .runtime.customize import pending_customizations, undo_pending
    from .runtime.derived_refresh import refresh_derived

    try:
        loader = Loader.of(settings, cache)
    except PluginError as exc:
        echo(str(exc))
        return False
    timeouts = configured_timeouts(settings)
    with migration_session(engine) as conn:
        assert conn is not None
        if dry_run:
            for pending in pending_customizations(conn):
                echo(f"customization #{pending} never finished its online migration: "
                     "metacrm migrate undoes it first (what it added shows below as no "
                     "longer defined)")
        else:
            for undone in undo_pending(conn, timeouts):
                echo(f"undid customization #{undone}: its online migration never finished")
        try:
            compiled = loader.load_program(conn)
        except DefinitionError as exc:
            for diagnostic in exc.diagnostics:
                echo(str(diagnostic))
            return False
        plan = plan_migration_in(conn, compiled.metadata, allow_destructive=allow_destructive,
                                 concurrent_indexes=settings.migration_concurrent_indexes)
        if brief and plan.actions and not plan.refusals:
            echo(f"the database needs {len(plan.actions)} change(s) to match the "
                 "definitions: applying them (metacrm migrate --dry-run lists each)")
        else:
            for line in plan.explain() or ["the database is up to date"]:
                echo(line)
        if plan.actions and plan.dialect == "postgresql":
            echo(_limits_note(timeouts, bool(plan.concurrent)))
        if plan.refusals:
            echo("nothing was changed: resolve the refusals above (or pass --allow-destructive)")
            return False
        if dry_run:
            return True
        try:
            applied = apply_migration_on(conn, plan, note="metacrm migrate", timeouts=timeouts)
        except IndexBuildFailed as exc:
            echo(f"{exc}; the other changes were applied: fix the cause and run "
                 "metacrm migrate again to build it")
            return False
        except (MigrationRefused, MigrationFailed) as exc:
            echo(str(exc))
            return False
    with Platform(settings, engine, compiled, loader).writing() as conn:
        ensure_baseline(conn, compiled)
    refresh_derived(engine, compiled, echo)
    if applied.id is not None:
        echo(f"applied migration #{applied.id} ({len(plan.actions)} change(s))")
    return True


def _limits_note(timeouts: MigrationTimeouts, concurrent: bool) -> str:
    def limit(seconds: float | None) -> str:
        return f"{seconds:g} s" if seconds else "no limit"

    text = (f"each statement waits at most {limit(timeouts.lock)} for its lock (tried up to "
            f"{timeouts.attempts} times) and runs at most {limit(timeouts.statement)}")
    if concurrent:
        text += "; indexes marked CONCURRENTLY are built after the transaction commits"
    return text


def prepare_server(settings: Settings, *, demo: bool = False, echo: Echo = print,
                   demo_scale: float = 1.0) -> Flask | None:
    """Migrate, optionally fill the bundle's demo (``demo_scale`` of its records), and
    build the app."""
    from .runtime.bootstrap import database_is_empty
    from .web.app import create_app

    if not migrate_database(settings, echo=echo, brief=True):
        return None
    platform = Platform.build(settings)
    if demo:
        if platform.compiled.catalog.demo is None:
            echo("demo data: no bundle declares a demo organisation (a demo/ folder; see "
                 "docs/demo.md); nothing was added")
        elif database_is_empty(platform):
            echo("filling the database with demo data…")
            try:
                lines = fill_demo(platform, demo_scale, echo)
            except PluginError as exc:
                echo(f"demo data: {exc}")
                return None
            for line in lines:
                echo(line)
        else:
            admin = platform.compiled.catalog.demo.administrator.username
            echo("demo data: the database already has records; left as it is (the demo "
                 "logins were printed when it was filled; `metacrm user password "
                 f"{admin}` sets a new password)")
    if not _has_sign_in(platform):
        echo("nobody can sign in yet: create the first administrator with "
             "`metacrm user create NAME --admin` (or start with --demo)")
    return create_app(settings, platform)


def fill_demo(platform: Platform, scale: float = 1.0,
              progress: Echo | None = None) -> list[str]:
    """Create the bundle's demo organisation and records (``progress`` is told as each
    kind of record starts); the lines that tell how to sign in."""
    import secrets

    from .identity.password_policy import policy_of
    from .identity.tokens import create_token
    from .identity.users import set_password
    from .runtime.bootstrap import (
        ensure_demo_organisation,
        fill_demo_data,
        submit_demo_requests,
    )

    compiled = platform.compiled
    demo = compiled.catalog.demo
    assert demo is not None
    with platform.writing() as conn:
        ids = ensure_demo_organisation(conn, compiled, demo)
    counts = fill_demo_data(platform, demo, ids, scale, progress)
    waiting = submit_demo_requests(platform, demo.requests_per_approval)
    # Random text longer than the policy's minimum (16 characters at least): never a
    # common password either.
    policy = policy_of(platform.settings)
    size = max(12, policy.min_length)
    admin_password, password = secrets.token_urlsafe(size), secrets.token_urlsafe(size)
    admin = demo.administrator.username
    with platform.writing() as conn:
        set_password(conn, compiled.metadata, ids[admin], admin_password, policy)
        for person in demo.people:
            set_password(conn, compiled.metadata, ids[person.username], password, policy)
        token, _ = create_token(conn, compiled.metadata, ids[admin], "demo")
    roles = compiled.catalog.roles
    people = ", ".join(
        f"{p.username} ({' / '.join(roles[r].label.get('en') for r in p.roles)})"
        if p.roles else p.username for p in demo.people)
    return ["demo data: " + ", ".join(f"{n} {c}" for n, c in counts.items())
            + f"; {waiting} request(s) waiting for approval",
            f"demo login: {admin} / {admin_password}",
            f"demo API token (send as 'Authorization: Bearer …'): {token}",
            f"demo users, each with password {password}: {people}"]


def _has_sign_in(platform: Platform) -> bool:

    users = platform.compiled.tables.users
    with platform.reading() as conn:
        return conn.execute(sa.select(users.c.id).where(
            users.c.active.is_(True), users.c.password_hash.is_not(None)).limit(1)
        ).first() is not None


# Customization kinds whose documents are versions of one definition by name.
VERSIONED_KINDS = ("form", "report")


def export_customizations_bundle(settings: Settings, directory: Path) -> int:
    engine = make_engine(settings.database_url)
    with engine.connect() as conn:
        _, stored = read_customizations(conn)
    (directory / "entities").mkdir(parents=True, exist_ok=True)
    manifest = {"bundle": "customizations_export", "version": "1.0.0",
                "label": {"en": "Exported customizations", "zh": "导出的自定义"},
                "requires": [_bundle_name(p) for p in settings.bundles]}
    (directory / "bundle.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True,
                                                          sort_keys=False))
    # A layout or report saved again is a new version of it: only the newest is written,
    # so the bundle names each once (as a bundle must).
    newest = {(kind, document[kind]): cid for cid, document in stored
              for kind in VERSIONED_KINDS if kind in document}
    written = 0
    for cid, document in stored:
        kind = next((k for k in VERSIONED_KINDS if k in document), None)
        if kind is not None:  # in the folder its kind lives in
            if newest[(kind, document[kind])] != cid:
                continue
            (directory / f"{kind}s").mkdir(exist_ok=True)
            path = directory / f"{kind}s" / f"{cid:04d}_{document[kind]}.yaml"
        else:
            target = next(document[k] for k in ("extend", "extend_optionset", "role",
                                                "extend_role") if k in document)
            path = directory / "entities" / f"{cid:04d}_{target}.yaml"
        path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
        written += 1
    return written


def stored_customizations(settings: Settings) -> list[tuple[int, dict[str, Any]]]:
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            return read_customizations(conn)[1]
    finally:
        engine.dispose()


def change_customization(settings: Settings, customization_id: int, *, remove: bool,
                         allow_destructive: bool = False, echo: Echo = print) -> bool:
    """Remove or restore a customization, as the API does; False when refused."""
    from .base.context import Context
    from .base.problems import Problem
    from .runtime.customization_removal import remove_customization, restore_customization

    platform = Platform.build(settings)
    try:
        if remove:
            _, compiled, changes = remove_customization(
                platform, Context.system(), customization_id,
                allow_destructive=allow_destructive)
        else:
            _, compiled, changes = restore_customization(platform, Context.system(),
                                                         customization_id)
    except Problem as problem:
        for messages in problem.listed("en").values():
            for text in messages:  # the API's parameter is this command's option
                echo(text.replace("pass allow_destructive=true", "pass --allow-destructive"))
        return False
    finally:
        platform.engine.dispose()
    for line in changes:
        echo(line)
    echo(f"{'removed' if remove else 'restored'} customization #{customization_id} "
         f"(schema version {compiled.schema_version})")
    return True


def _bundle_name(path: str) -> str:
    manifest = yaml.safe_load((Path(path) / "bundle.yaml").read_text(encoding="utf-8"))
    return str(manifest["bundle"])


def prepare_entity_export(settings: Settings, entity: str, args: dict[str, list[str]]
                          ) -> tuple[Platform, Export]:
    """The platform and a checked export of ``entity`` (list query parameters in
    ``args``), as the platform itself: every record, every field, whatever any role
    may see. Raises a runtime Problem for an unknown entity or a bad query."""
    from .base.context import Context
    from .base.problems import NotFound
    from .errors import did_you_mean
    from .runtime.access import Viewer
    from .runtime.export import prepare_export

    platform = Platform.build(settings)
    compiled = platform.compiled
    ctx = Context.system()
    model = compiled.model(entity)
    if model is None:
        raise NotFound(f"unknown entity '{entity}'{did_you_mean(entity, compiled.models)}",
                       key="entity")
    return platform, prepare_export(Viewer(compiled, ctx.principal), model, args, ctx)


def write_export(platform: Platform, prepared: Export, fmt: str, out: BinaryIO) -> int:
    """Stream the export to ``out`` (batch by batch, one snapshot); the record count.
    An XLSX's labels are in English and its titles those the platform reads (all)."""
    from .base.context import Context
    from .runtime.access import Viewer
    from .runtime.export import encode, export_batches, hold_snapshot
    from .runtime.export_xlsx import xlsx_export

    count = 0

    def counted(batches: Iterator[list[dict[str, Any]]]) -> Iterator[list[dict[str, Any]]]:
        nonlocal count
        for batch in batches:
            count += len(batch)
            yield batch

    with platform.reading() as conn:
        hold_snapshot(conn)
        batches = counted(export_batches(conn, prepared))
        if fmt == "xlsx":
            viewer = Viewer(platform.compiled, Context.system().principal)
            title = prepared.model.entity.plural.get("en")
            out.writelines(xlsx_export(conn, viewer, prepared, batches, "en", title))
        else:
            out.writelines(encode(prepared, batches, fmt))
    return count
