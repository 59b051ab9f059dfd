"""Fixtures for the REST API tests: the database seen directly, users, and the
database kind (for the few behaviours that differ between SQLite and PostgreSQL)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from metacrm.db import make_engine

ON_POSTGRES = bool(os.environ.get("METACRM_DATABASE_URL"))
ON_SQLITE = not ON_POSTGRES


@pytest.fixture
def cached_catalogs() -> None:
    """Kept for the modules that ask for it: every test now loads and compiles each
    bundle set once per run (tests/conftest.py)."""


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
