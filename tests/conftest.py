"""Shared fixtures: a fresh database per test, small bundles in tmp_path, apps.

Tests run on SQLite by default. With ``METACRM_DATABASE_URL`` set (a
PostgreSQL server URL, as CI sets it) each test gets a database of its own on
that server, dropped after it. A test's app starts on a copy of a database
migrated once per run for the same bundles (tests/databases.py).
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from metacrm.config import Settings, default_bundle_path
from metacrm.db import normalize_url
from metacrm.program import ProgramCache

from .databases import MigratedTemplates, ServerDatabases, new_database_name

SHIPPED_BUNDLE = default_bundle_path()


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id still, with its cheapest parameters: tests create and sign in many
    people, and a quarter of a second per hash would prove nothing more."""
    from argon2 import PasswordHasher

    from metacrm.identity import users

    monkeypatch.setattr(users, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8,
                                                         parallelism=1))


@pytest.fixture(scope="session")
def program_cache() -> ProgramCache:
    """Each bundle set (with its customizations) loaded and compiled once per run.

    Every fresh app loads the definitions twice (migrate, then build) and compiles
    them; for hundreds of tests that is most of the suite's time. The engine takes
    the cache as an argument (metacrm.program.ProgramCache), keyed by every file's
    modification time, so reusing it changes nothing a test can see.
    """
    return ProgramCache()


@pytest.fixture(scope="session")
def server_databases() -> Iterator[ServerDatabases | None]:
    """The PostgreSQL server the run makes its databases on, or None on SQLite."""
    server = os.environ.get("METACRM_DATABASE_URL")
    if not server:
        yield None
        return
    databases = ServerDatabases(sa.make_url(normalize_url(server)))
    yield databases
    databases.dispose()


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory, program_cache: ProgramCache,
                       server_databases: ServerDatabases | None) -> Iterator[MigratedTemplates]:
    """A database migrated once per bundle set, copied for each test (tests/databases.py)."""
    templates = MigratedTemplates(tmp_path_factory.mktemp("templates"), program_cache,
                                  server_databases)
    yield templates
    templates.drop_all()


@pytest.fixture
def db_url(server_databases: ServerDatabases | None, tmp_path: Path) -> Iterator[str]:
    """An empty database for one test: a SQLite file, or a PostgreSQL database of its
    own (dropped after the test)."""
    if server_databases is None:
        yield f"sqlite:///{tmp_path / 'metacrm.db'}"
        return
    name = new_database_name()
    server_databases.create_empty(name)
    try:
        yield server_databases.url(name)
    finally:
        server_databases.drop(name)


def write_bundle(root: Path, files: dict[str, str], name: str = "test",
                 requires: tuple[str, ...] = ()) -> Path:
    """A bundle folder with ``bundle.yaml`` and the given files (dedented)."""
    root.mkdir(parents=True, exist_ok=True)
    if "bundle.yaml" not in files:
        required = f"requires: [{', '.join(requires)}]\n" if requires else ""
        (root / "bundle.yaml").write_text(f"bundle: {name}\nversion: 1.0.0\n{required}")
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture
def make_settings(tmp_path: Path, db_url: str) -> Callable[..., Settings]:
    def make(*bundles: Path | str) -> Settings:
        return Settings(
            database_url=db_url, redis_url=os.environ.get("METACRM_REDIS_URL"),
            bundles=tuple(str(b) for b in bundles) or (SHIPPED_BUNDLE,),
            secret_key="test", instance_path=str(tmp_path / "instance"),
            schema_check_interval=0.0,
        )
    return make


@pytest.fixture
def make_client(make_settings: Callable[..., Settings],  # type: ignore[no-untyped-def]
                program_cache: ProgramCache, migrated_templates: MigratedTemplates):
    """A migrated database and a Flask test client for the given bundles (the test's
    empty database becomes a copy of one migrated for the same bundles earlier)."""
    from metacrm.operations import migrate_database
    from metacrm.web.app import create_app

    apps = []

    def make(*bundles: Path | str):  # type: ignore[no-untyped-def]
        settings = make_settings(*bundles)
        if not migrated_templates.restore(settings):
            assert migrate_database(settings, echo=lambda line: None, cache=program_cache)
        app = create_app(settings, cache=program_cache)
        apps.append(app)
        return admin_client(app)

    yield make
    for app in apps:
        app.extensions["metacrm"].engine.dispose()


ADMIN = "admin"


def admin_token(app) -> str:  # type: ignore[no-untyped-def]
    """An API token of the administrator ``admin`` (created if missing)."""
    return token_for(app, ADMIN, admin=True)


def token_for(app, username: str, *, admin: bool = False, roles: tuple[str, ...] = (),
              team: str | None = None, manager: str | None = None) -> str:  # type: ignore[no-untyped-def]
    """Create (or reuse) ``username`` with the given roles, team and manager; a new token."""
    from metacrm.identity.teams import add_team_members, ensure_team
    from metacrm.identity.tokens import create_token
    from metacrm.identity.users import find_user, set_manager, set_roles
    from metacrm.runtime.bootstrap import ensure_user

    platform = app.extensions["metacrm"]
    metadata = platform.compiled.metadata
    with platform.writing() as conn:
        uid = ensure_user(conn, platform.compiled, username, username, is_admin=admin)
        if roles:
            set_roles(conn, metadata, uid, list(roles))
        if team:
            add_team_members(conn, metadata, ensure_team(conn, metadata, team, team), [uid])
        if manager:
            boss = find_user(conn, metadata, manager)
            assert boss is not None, f"create {manager} first"
            set_manager(conn, metadata, uid, boss.id)
        token, _ = create_token(conn, metadata, uid, "tests")
    return token


def create_as_platform(client, entity: str, **values: Any) -> int:  # type: ignore[no-untyped-def]
    """Create a record as the platform itself does (a data import, the demo): it may set
    what no client may, such as a workflow's state. The new record's id."""
    from metacrm.base.context import Context
    from metacrm.runtime.payload import read_payload
    from metacrm.runtime.writes import create_records

    platform = client.application.extensions["metacrm"]
    compiled = platform.compiled
    model = compiled.models[entity]
    ctx = Context.system()
    with platform.writing() as conn:
        (record,) = create_records(conn, compiled, model, ctx,
                                   [read_payload(model, ctx, values, creating=True)])
    return int(record["id"])


def admin_client(app):  # type: ignore[no-untyped-def]
    """A test client of ``app`` acting as the administrator."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {admin_token(app)}"
    return client


@pytest.fixture
def crm(make_client):  # type: ignore[no-untyped-def]
    """The shipped CRM on a fresh database."""
    return make_client(SHIPPED_BUNDLE)
