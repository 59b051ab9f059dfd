"""Changing a live PostgreSQL schema without locking out its users; the plan says what
each step locks."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from metacrm.migrate import plan_migration
from sqlalchemy.engine import Engine

from .crm_schema import crm, insert, migrate

PG_ONLY = ("PostgreSQL only: SQLite has one write lock for the whole database and no "
           "concurrent index builds (so no INVALID indexes)")


def wechat() -> sa.Column[str]:
    return sa.Column("wechat", sa.String(100))


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


# --- the plan says what it locks ----------------------------------------------------


def test_plan_names_the_lock_of_each_step(filled: Engine) -> None:
    plan = plan_migration(filled, crm(wechat(), sa.Index(None, "grade", "stage")))

    lines = plan.explain()

    assert lines[0] == "add column customer.wechat VARCHAR(100)"
    assert lines[2] == "add index ix_customer_grade_stage on customer (grade, stage)"
    if filled.dialect.name == "sqlite":
        assert lines[1] == lines[3] == (
            "    locks: SQLite: the database's write lock until the migration commits "
            "(readers go on, other writers wait)")
        return
    assert lines[1] == ("    locks: brief ACCESS EXCLUSIVE lock on customer (a catalog change, "
                        "no row written)")
    assert lines[3] == (
        "    locks: SHARE lock on customer for the whole build, and the transaction already "
        "holds ACCESS EXCLUSIVE on it: blocks its reads and writes until the migration commits")


def test_plan_tells_a_rewrite_from_a_catalog_change(pg: Engine) -> None:
    widened = plan_migration(pg, _with_types(crm(), name=sa.String(200)))
    rewritten = plan_migration(pg, _with_types(crm(), employees=sa.BigInteger()))

    assert widened.explain()[1] == ("    locks: brief ACCESS EXCLUSIVE lock on customer (a "
                                    "catalog change, no row rewritten)")
    assert rewritten.explain()[1].startswith(
        "    locks: ACCESS EXCLUSIVE lock on customer while every row is rewritten: blocks its "
        "reads and writes")


def _with_types(md: sa.MetaData, **types: sa.types.TypeEngine[object]) -> sa.MetaData:
    for name, type_ in types.items():
        md.tables["customer"].c[name].type = type_
    return md


# --- invalid indexes ---------------------------------------------------------------


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
