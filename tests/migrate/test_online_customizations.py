"""A runtime customization that indexes a big table keeps its readers and writers
going (PostgreSQL): the columns first, the index concurrently, the customization
stored last; whatever fails leaves nothing behind, even when the process dies."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from metacrm import db
from metacrm.operations import migrate_database
from metacrm.web.app import create_app

from ..conftest import SHIPPED_BUNDLE, admin_client, write_bundle

WECHAT = {"extend": "customer", "fields": {"wechat": {"type": "string", "indexed": True}}}
UNIQUE_CITY = {"extend": "customer", "fields": {"qq": {"type": "string"}},
               "indexes": [{"fields": ["city"], "unique": True}]}


@pytest.fixture
def pg_url(db_url: str) -> str:
    if db.is_sqlite(db_url):
        pytest.skip("PostgreSQL only: on SQLite a customization is one transaction, which "
                    "holds the database's write lock (readers go on), as before")
    return db_url


def platform_of(client) -> Any:  # type: ignore[no-untyped-def]
    return client.application.extensions["metacrm"]


def customer_columns(client) -> set[str]:  # type: ignore[no-untyped-def]
    return {c["name"] for c in sa.inspect(platform_of(client).engine).get_columns("customer")}


def rows(client, sql: str) -> list[tuple[Any, ...]]:  # type: ignore[no-untyped-def]
    with platform_of(client).engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(sql)]


def customer_indexes(client) -> list[tuple[str, bool]]:  # type: ignore[no-untyped-def]
    """(name, valid) of every index of customer in the test's schema, INVALID ones too."""
    return rows(client, "SELECT c.relname, i.indisvalid FROM pg_index i "
                        "JOIN pg_class c ON c.oid = i.indexrelid "
                        "WHERE i.indrelid = 'customer'::regclass ORDER BY 1")


def statements_of(client) -> list[tuple[str, bool]]:  # type: ignore[no-untyped-def]
    """Every statement the app runs from now on, and whether it ran in autocommit."""
    seen: list[tuple[str, bool]] = []

    def hook(conn, cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append((statement, bool(conn.connection.dbapi_connection.autocommit)))
    sa.event.listen(platform_of(client).engine, "before_cursor_execute", hook)
    return seen


def test_an_indexed_field_is_built_concurrently_outside_the_transaction(crm, pg_url) -> None:
    seen = statements_of(crm)

    response = crm.post("/api/meta/customizations", json=WECHAT)

    assert response.status_code == 201, response.json
    builds = [(s, auto) for s, auto in seen if s.startswith("CREATE INDEX")]
    assert builds == [("CREATE INDEX CONCURRENTLY ix_customer_wechat ON customer (wechat)",
                       True)]
    assert ("ix_customer_wechat", True) in customer_indexes(crm)
    created = crm.post("/api/customer", json={"name": "星河", "wechat": "xinghe"})
    assert created.status_code == 201, created.json
    assert [c["name"] for c in crm.get("/api/customer?wechat=xinghe").json["items"]] == ["星河"]
    assert rows(crm, "SELECT actions FROM mc_migrations ORDER BY id DESC LIMIT 1") == [(
        ["add column customer.wechat VARCHAR(255)",
         "add index ix_customer_wechat on customer (wechat)"],)]
    assert rows(crm, "SELECT id FROM mc_pending_customizations") == []


def test_a_unique_index_the_data_cannot_take_is_refused_and_leaves_nothing(crm) -> None:
    """On both databases: on SQLite the transaction rolls back; on PostgreSQL the
    INVALID index is dropped, then the column the first step added."""
    for name in ("甲", "乙"):
        crm.post("/api/customer", json={"name": name, "city": "上海"})

    response = crm.post("/api/meta/customizations", json=UNIQUE_CITY)

    assert response.status_code == 409
    assert response.json["errors"]["_request"] == [(
        "the data cannot take this change, nothing was changed: 'add unique index "
        "uq_customer_city on customer (city) where deleted_at IS NULL' failed: more than one "
        "row holds the same value (among rows where deleted_at IS NULL): city '上海' (2 rows); "
        "make them unique first")]
    assert "qq" not in customer_columns(crm)
    if not db.is_sqlite(platform_of(crm).settings.database_url):
        assert not [n for n, _valid in customer_indexes(crm) if n == "uq_customer_city"]
        assert rows(crm, "SELECT id FROM mc_pending_customizations") == []
    assert crm.get("/api/meta/customizations").json == {"schema_version": 0, "items": []}
    assert crm.post("/api/customer", json={"name": "丙", "qq": "1"}).status_code == 422


@pytest.fixture
def busy(make_settings, pg_url):  # type: ignore[no-untyped-def]
    """The CRM with a 0.1 s migration lock timeout, and a reader holding customer."""
    settings = replace(make_settings(SHIPPED_BUNDLE), migration_lock_timeout=0.1)
    assert migrate_database(settings, echo=lambda line: None)
    app = create_app(settings)
    reader = app.extensions["metacrm"].engine.connect()
    reader.exec_driver_sql("LOCK TABLE customer IN ACCESS SHARE MODE")  # a long report
    yield admin_client(app), reader, settings
    reader.close()
    app.extensions["metacrm"].engine.dispose()


def test_a_busy_table_refuses_the_customization_clearly_after_retrying(busy) -> None:
    crm, reader, _settings = busy
    seen = statements_of(crm)

    response = crm.post("/api/meta/customizations", json=WECHAT)

    assert response.status_code == 409
    assert response.json["errors"]["_request"] == [(
        "the table is busy, nothing was changed: could not lock table customer: other "
        "transactions held it longer than the migration lock timeout (0.1 s, 3 times); try "
        "again when it is less busy, or raise METACRM_MIGRATION_LOCK_TIMEOUT")]
    assert len([s for s, _ in seen if s.startswith("ALTER TABLE customer ADD COLUMN")]) == 3
    assert "wechat" not in customer_columns(crm)
    assert crm.get("/api/meta/customizations").json["items"] == []
    reader.rollback()  # the report ends
    assert crm.post("/api/meta/customizations", json=WECHAT).status_code == 201


def test_metacrm_migrate_on_a_busy_table_says_so_and_changes_nothing(busy, tmp_path) -> None:
    crm, _reader, settings = busy
    wine = write_bundle(tmp_path / "wine", {"entities/customer.yaml": """
        extend: customer
        fields:
          liquor_license: {type: string, indexed: true}
        """}, name="wine", requires=("crm",))
    printed: list[str] = []

    assert not migrate_database(replace(settings, bundles=(SHIPPED_BUNDLE, str(wine))),
                                echo=printed.append)

    assert printed[:4] == [
        "add column customer.liquor_license VARCHAR(255)",
        "    locks: brief ACCESS EXCLUSIVE lock on customer (a catalog change, no row written)",
        "add index ix_customer_liquor_license on customer (liquor_license)",
        ("    locks: built CONCURRENTLY after the transaction: no lock that blocks reads or "
         "writes of customer (SHARE UPDATE EXCLUSIVE; it first waits for transactions already "
         "running, then scans the table twice)")]
    assert printed[4] == ("each statement waits at most 0.1 s for its lock (tried up to 3 "
                          "times) and runs at most 600 s; indexes marked CONCURRENTLY are built "
                          "after the transaction commits")
    assert "could not lock table customer" in printed[-1]
    assert "liquor_license" not in customer_columns(crm)


@pytest.fixture
def half_done(crm, pg_url, monkeypatch):  # type: ignore[no-untyped-def]
    """The CRM after a customization's process died while its index was being built."""
    def die(*_args: object) -> None:
        raise KeyboardInterrupt("the worker was killed mid-build")
    monkeypatch.setattr("metacrm.runtime.customize.build_concurrently", die)
    with pytest.raises(KeyboardInterrupt):
        crm.post("/api/meta/customizations", json=WECHAT)
    monkeypatch.undo()
    return crm


def test_a_customization_left_half_done_by_a_dead_process_is_undone(half_done) -> None:
    crm = half_done
    assert "wechat" in customer_columns(crm)  # step 1 happened, and nothing else
    assert crm.get("/api/meta/customizations").json["items"] == []
    assert rows(crm, "SELECT id FROM mc_pending_customizations") == [(1,)]

    from metacrm.jobs.tasks import HOUSEKEEPING, perform
    outcome = perform(platform_of(crm), HOUSEKEEPING, datetime.now(UTC))

    assert outcome.summary.endswith("; undid unfinished customization(s) #1")
    assert outcome.result["unfinished_customizations"] == 1
    assert "wechat" not in customer_columns(crm)
    assert rows(crm, "SELECT id FROM mc_pending_customizations") == []
    assert crm.post("/api/meta/customizations", json=WECHAT).status_code == 201


def test_the_next_start_undoes_a_half_done_customization(half_done) -> None:
    crm = half_done
    printed: list[str] = []
    settings = platform_of(crm).settings
    migrate_database(settings, dry_run=True, echo=printed.append)
    assert printed[0] == ("customization #1 never finished its online migration: metacrm "
                          "migrate undoes it first (what it added shows below as no longer "
                          "defined)")
    assert "wechat" in customer_columns(crm)
    printed.clear()

    assert migrate_database(settings, echo=printed.append)

    assert printed[0] == "undid customization #1: its online migration never finished"
    assert "wechat" not in customer_columns(crm)
