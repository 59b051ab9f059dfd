"""Changing a live PostgreSQL schema without locking out its users: indexes built
concurrently, outside the transaction, and removed again when the build fails; the
plan says what each step locks; a table that stays locked is a clear, harmless error."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from metacrm.migrate import (
    IndexBuildFailed,
    MigrationLockTimeout,
    MigrationTimeouts,
    apply_migration,
    migration_history,
    plan_migration,
)

from .crm_schema import columns, crm, insert, migrate, select_all

PG_ONLY = ("PostgreSQL only: SQLite has no concurrent index builds and no lock timeouts; "
           "its migrations run in one transaction that holds the database's write lock")


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


def wait_for_backend(engine: Engine, query_start: str, *, waiting: bool = True) -> None:
    """Until another session of this database runs a statement starting with
    ``query_start`` (and, with ``waiting``, waits for a lock in it)."""
    deadline = time.monotonic() + 60
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            found = conn.execute(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND query LIKE :start "
                "AND (NOT :waiting OR wait_event_type = 'Lock')"),
                {"start": query_start + "%", "waiting": waiting}).scalar()
            conn.rollback()
            if found:
                return
            time.sleep(0.05)
    raise AssertionError(f"no session ran {query_start!r} within a minute")


@pytest.fixture
def open_writer(pg: Engine) -> Iterator[sa.Connection]:
    """A transaction that has written a customer row and stays open."""
    conn = pg.connect()
    conn.execute(sa.text("INSERT INTO customer (id, name, grade) VALUES (10, 'open', 'B')"))
    yield conn
    conn.rollback()
    conn.close()


# --- the plan says what it locks ----------------------------------------------------


def test_plan_names_the_lock_of_each_step(filled: Engine) -> None:
    md = crm(wechat(), sa.Index(None, "grade", "stage"))
    plan = plan_migration(filled, md, concurrent_indexes=True)

    lines = plan.explain()

    assert lines[0] == "add column customer.wechat VARCHAR(100)"
    assert lines[2] == "add index ix_customer_grade_stage on customer (grade, stage)"
    if filled.dialect.name == "sqlite":
        assert lines[1] == lines[3] == (
            "    locks: SQLite: the database's write lock until the migration commits "
            "(readers go on, other writers wait)")
        assert not plan.concurrent  # SQLite builds every index in the transaction
        return
    assert lines[1] == ("    locks: brief ACCESS EXCLUSIVE lock on customer (a catalog change, "
                        "no row written)")
    assert lines[3].startswith("    locks: built CONCURRENTLY after the transaction: no lock "
                               "that blocks reads or writes of customer")
    assert plan.statements()[-1].startswith("CREATE INDEX CONCURRENTLY ix_customer_grade_stage")


def test_plan_says_an_index_built_in_the_transaction_blocks_the_table(pg: Engine) -> None:
    plan = plan_migration(pg, crm(wechat(), sa.Index(None, "grade", "stage")))

    assert plan.explain()[3] == (
        "    locks: SHARE lock on customer for the whole build, and the transaction already "
        "holds ACCESS EXCLUSIVE on it: blocks its reads and writes until the migration commits")
    assert not plan.concurrent
    assert plan.statements()[-1].startswith("CREATE INDEX ix_customer_grade_stage")


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


# --- concurrent builds --------------------------------------------------------------


def test_writes_go_on_while_an_index_is_built_concurrently(pg: Engine,
                                                           open_writer: sa.Connection) -> None:
    plan = plan_migration(pg, crm(sa.Index(None, "grade", "stage")), concurrent_indexes=True)
    assert plan.concurrent == plan.actions
    done: list[object] = []
    builder = threading.Thread(target=lambda: done.append(apply_migration(pg, plan)))
    builder.start()
    # The build waits for the open transaction, as CREATE INDEX CONCURRENTLY does...
    wait_for_backend(pg, "CREATE INDEX CONCURRENTLY")

    with pg.begin() as conn:  # ...and meanwhile another writer is not held up
        conn.exec_driver_sql("SET LOCAL lock_timeout = '30s'")  # fail, not hang, if it were
        conn.execute(sa.text("INSERT INTO customer (id, name, grade) VALUES (11, 'new', 'C')"))
        conn.execute(sa.text("UPDATE customer SET stage = 'won' WHERE id = 1"))

    open_writer.commit()
    builder.join(120)
    assert done and index_state(pg, "ix_customer_grade_stage") == "valid"
    assert [r[0] for r in select_all(pg, "customer", "id")] == [1, 2, 3, 10, 11]
    assert migration_history(pg)[0].actions == (
        "add index ix_customer_grade_stage on customer (grade, stage)",)


def test_a_failed_unique_build_is_removed_and_says_which_values_collide(pg: Engine) -> None:
    def unique() -> sa.Index:
        return sa.Index(None, "grade", unique=True)  # every customer has grade A
    plan = plan_migration(pg, crm(wechat(), unique()), concurrent_indexes=True)

    with pytest.raises(IndexBuildFailed) as failed:
        apply_migration(pg, plan, note="deploy")

    assert failed.value.reason == ("more than one row holds the same value: grade 'A' (3 rows); "
                                   "make them unique first")
    assert index_state(pg, "ix_customer_grade") is None  # not even an INVALID leftover
    assert "wechat" in columns(pg, "customer")  # the transaction's part stays, recorded
    assert migration_history(pg)[0].actions == ("add column customer.wechat VARCHAR(100)",)
    assert plan_migration(pg, crm(wechat(), unique())).describe() == [
        "add unique index ix_customer_grade on customer (grade)"]


def test_an_invalid_index_left_behind_is_dropped_and_built_again(pg: Engine) -> None:
    autocommit = pg.connect().execution_options(isolation_level="AUTOCOMMIT")
    with autocommit as conn, pytest.raises(sa.exc.IntegrityError):  # as a failed build leaves it
        conn.exec_driver_sql("CREATE UNIQUE INDEX CONCURRENTLY ix_customer_grade "
                             "ON customer (grade)")
    assert index_state(pg, "ix_customer_grade") == "INVALID"
    with pg.begin() as conn:
        conn.exec_driver_sql("UPDATE customer SET grade = 'G' || id")

    plan, _ = migrate(pg, crm(sa.Index(None, "grade", unique=True)), concurrent_indexes=True)

    assert plan.describe() == ["drop index ix_customer_grade on customer",
                               "add unique index ix_customer_grade on customer (grade)"]
    assert index_state(pg, "ix_customer_grade") == "valid"


# --- lock timeout -------------------------------------------------------------------


def test_a_table_locked_too_long_is_a_clear_error_and_changes_nothing(
        pg: Engine, open_writer: sa.Connection) -> None:
    open_writer.exec_driver_sql("LOCK TABLE customer IN ACCESS SHARE MODE")  # a long reader
    before = migration_history(pg)
    plan = plan_migration(pg, crm(wechat(), sa.Index(None, "stage")), concurrent_indexes=True)
    tried = _count_statements(pg, "ALTER TABLE")

    with pytest.raises(MigrationLockTimeout) as failed:
        apply_migration(pg, plan, timeouts=MigrationTimeouts(lock=0.1, attempts=3))

    assert str(failed.value) == (
        "migration rolled back, nothing was changed: 'add column customer.wechat VARCHAR(100)' "
        "failed: could not lock table customer: other transactions held it longer than the "
        "migration lock timeout (0.1 s, 3 times); try again when it is less busy, or raise "
        "METACRM_MIGRATION_LOCK_TIMEOUT")
    assert len(tried) == 3
    assert "wechat" not in columns(pg, "customer")
    assert index_state(pg, "ix_customer_stage") is None
    assert migration_history(pg) == before
    open_writer.rollback()
    apply_migration(pg, plan, timeouts=MigrationTimeouts(lock=0.1, attempts=3))
    assert "wechat" in columns(pg, "customer")


def test_migration_timeouts_hold_for_its_own_transaction_only(pg: Engine) -> None:
    seen: list[str] = []
    plan = plan_migration(pg, crm(wechat()))
    sa.event.listen(pg, "before_cursor_execute", _show_timeouts_after_alter(seen))

    apply_migration(pg, plan, timeouts=MigrationTimeouts(lock=1.5, statement=90))

    assert seen[-2:] == ["SHOW lock_timeout=1500ms", "SHOW statement_timeout=90s"]
    with pg.connect() as conn:  # the pooled connection is back to the server's defaults
        assert conn.exec_driver_sql("SHOW lock_timeout").scalar() == "0"
        assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "0"


def _show_timeouts_after_alter(seen: list[str]):  # type: ignore[no-untyped-def]
    def hook(conn, cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("ALTER TABLE") and not seen:
            for name in ("lock_timeout", "statement_timeout"):
                cursor.execute(f"SHOW {name}")
                seen.append(f"SHOW {name}={cursor.fetchone()[0]}")
    return hook


def _count_statements(engine: Engine, start: str) -> list[str]:
    seen: list[str] = []

    def hook(conn, cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith(start):
            seen.append(statement)
    sa.event.listen(engine, "before_cursor_execute", hook)
    return seen
