"""Changing a live PostgreSQL schema without locking out its users."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .crm_schema import crm, insert, migrate

PG_ONLY = "PostgreSQL only: SQLite has no concurrent index builds, so no INVALID indexes"


@pytest.fixture
def filled(engine: Engine) -> Engine:
    migrate(engine, crm())
    insert(engine, "customer", *({"id": i, "name": f"c{i}", "grade": "A"} for i in (1, 2, 3)))
    return engine


@pytest.fixture
def pg(filled: Engine) -> Engine:
    if filled.dialect.name != "postgresql":
        pytest.skip(PG_ONLY)
    return filled


def index_state(engine: Engine, name: str) -> str | None:
    """'valid', 'INVALID', or None when there is no such index in the test's schema."""
    with engine.connect() as conn:
        valid = conn.execute(sa.text(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = :name AND c.relnamespace = current_schema()::regnamespace"),
            {"name": name}).scalar()
    return None if valid is None else ("valid" if valid else "INVALID")


def test_an_invalid_index_left_behind_is_dropped_and_built_again(pg: Engine) -> None:
    autocommit = pg.connect().execution_options(isolation_level="AUTOCOMMIT")
    with autocommit as conn, pytest.raises(sa.exc.IntegrityError):  # as a failed build leaves it
        conn.exec_driver_sql("CREATE UNIQUE INDEX CONCURRENTLY ix_customer_grade "
                             "ON customer (grade)")
    assert index_state(pg, "ix_customer_grade") == "INVALID"
    with pg.begin() as conn:
        conn.exec_driver_sql("UPDATE customer SET grade = 'G' || id")

    plan, _ = migrate(pg, crm(sa.Index(None, "grade", unique=True)))

    assert plan.describe() == ["drop index ix_customer_grade on customer",
                               "add unique index ix_customer_grade on customer (grade)"]
    assert index_state(pg, "ix_customer_grade") == "valid"
