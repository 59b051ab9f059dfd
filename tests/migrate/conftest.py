"""Fixtures for migration tests: a fresh, empty database per test, SQLite or PostgreSQL.

With ``METACRM_DATABASE_URL`` set (a PostgreSQL server URL), the run creates
its own database ``metacrm_test_<random>`` on that server and drops it at the
end; each test gets a fresh schema in it, made the connection's default
(``search_path``), which is as empty as a new database and much cheaper.
Without it, each test gets a SQLite file in its ``tmp_path``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from metacrm.db import make_engine, normalize_url
from sqlalchemy.engine import Engine


@pytest.fixture(scope="session")
def server_database() -> Iterator[sa.URL | None]:
    """This run's own PostgreSQL database, or None when testing on SQLite."""
    server = os.environ.get("METACRM_DATABASE_URL")
    if not server:
        yield None
        return
    server_url = sa.make_url(normalize_url(server))
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"metacrm_test_{uuid.uuid4().hex[:12]}"
    quoted = admin.dialect.identifier_preparer.quote(name)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {quoted}")
        yield server_url.set(database=name)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
        admin.dispose()


@pytest.fixture
def db_url(server_database: sa.URL | None, tmp_path: Path) -> Iterator[str]:
    if server_database is None:
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server_database, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        url = server_database.update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()
