"""Fixtures for the REST API tests: the database seen directly, users, the
database kind (for the few behaviours that differ between SQLite and PostgreSQL),
and a memo of loaded catalogs that keeps hundreds of fresh apps cheap."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from metacrm.db import make_engine
from sqlalchemy.engine import Engine

ON_POSTGRES = bool(os.environ.get("METACRM_DATABASE_URL"))
ON_SQLITE = not ON_POSTGRES

_CATALOGS: dict[str, Any] = {}


def _bundle_state(paths: Any) -> list[tuple[str, float]]:
    return [(str(f), f.stat().st_mtime) for p in paths for f in sorted(Path(p).rglob("*.yaml"))]


@pytest.fixture
def cached_catalogs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Load each bundle set (with its customizations) once per run, not twice per test.

    Reading the shipped CRM's YAML is most of the cost of a fresh app (migrate, then
    build: each loads the catalog). A Catalog is immutable and the key holds every
    file's modification time, so a memo changes nothing a test can see. Used by this
    folder's modules through ``pytestmark``; if the engine moves ``load_catalog``,
    the patch quietly stops applying and the tests are merely slower.
    """
    from metacrm import catalog_loader

    load = catalog_loader.load_catalog

    def memo(paths: Any, customizations: Any = ()) -> Any:
        stored = list(customizations)
        key = json.dumps([_bundle_state(paths), [str(p) for p in paths], stored],
                         sort_keys=True, default=str)
        if key not in _CATALOGS:
            _CATALOGS[key] = load(paths, stored)
        return _CATALOGS[key]

    for module in ("metacrm.operations", "metacrm.platform"):
        monkeypatch.setattr(f"{module}.load_catalog", memo, raising=False)


@pytest.fixture
def db(db_url: str) -> Iterator[Engine]:
    """An engine on the test's database, to look at rows behind the API's back."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def add_user() -> Callable[..., int]:
    """``add_user(client, "li.na", "李娜")`` creates a user (no API does yet); its id."""
    from metacrm.runtime.bootstrap import ensure_user

    def add(client: Any, username: str, name: str | None = None) -> int:
        platform = client.application.extensions["metacrm"]
        with platform.writing() as conn:
            return ensure_user(conn, platform.compiled, username, name or username)

    return add


@pytest.fixture
def admin_id(db: Engine) -> Callable[[], int]:
    """The id of the built-in admin user every request acts as (after a client exists)."""

    def find() -> int:
        with db.connect() as conn:
            return int(conn.execute(sa.text(
                "SELECT id FROM mc_users WHERE username = 'admin'")).scalar_one())

    return find
