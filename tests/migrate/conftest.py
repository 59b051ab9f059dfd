"""Fixtures for migration tests: a fresh database per test, SQLite or PostgreSQL.

With ``METACRM_DATABASE_URL`` set (a PostgreSQL server URL), each test gets
its own database ``metacrm_test_<random>`` on that server, dropped afterwards;
otherwise a SQLite file in the test's ``tmp_path``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from metacrm.db import make_engine, normalize_url


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    server = os.environ.get("METACRM_DATABASE_URL")
    if not server:
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    server_url = sa.make_url(normalize_url(server))
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"metacrm_test_{uuid.uuid4().hex[:12]}"
    quoted = admin.dialect.identifier_preparer.quote(name)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {quoted}")
        yield server_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()
