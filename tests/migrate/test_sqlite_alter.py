"""SQLite in-place column edits: exactly the intended change, or nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from metacrm.db import make_engine, writer
from metacrm.migrate.sqlite_alter import SchemaEditError, drop_foreign_keys, rewrite_column

TABLE = """CREATE TABLE "Deal" (
    id INTEGER NOT NULL,
    "Title" VARCHAR(10) DEFAULT 'a, b NOT NULL' NOT NULL,
    amount NUMERIC(10, 2) NULL,
    stage VARCHAR(20) NOT NULL ON CONFLICT ABORT,
    owner_id INTEGER,
    partner_id INTEGER REFERENCES owner (id),
    rank INTEGER DEFAULT -1, -- a comment, with a comma
    CONSTRAINT pk_deal PRIMARY KEY (id),
    CONSTRAINT fk_deal_owner_id_owner FOREIGN KEY(owner_id) REFERENCES owner (id)
)"""


@pytest.fixture
def sqlite(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'alter.db'}")
    with writer(engine).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE owner (id INTEGER PRIMARY KEY)")
        conn.exec_driver_sql(TABLE)
        conn.exec_driver_sql("INSERT INTO owner (id) VALUES (1)")
        conn.exec_driver_sql(
            "INSERT INTO \"Deal\" (id, \"Title\", amount, stage, owner_id) "
            "VALUES (1, 'x', 2.5, 'new', 1)"
        )
    yield engine
    engine.dispose()


def _columns(engine: Engine) -> dict[str, tuple[str, bool]]:
    return {
        c["name"]: (str(c["type"]), c["nullable"]) for c in sa.inspect(engine).get_columns("Deal")
    }


def test_type_and_nullability_edits(sqlite: Engine) -> None:
    with writer(sqlite).begin() as conn:
        rewrite_column(conn, "Deal", "Title", type_sql="TEXT", nullable=True)
        rewrite_column(conn, "Deal", "amount", type_sql="NUMERIC(14, 4)", nullable=False)
        rewrite_column(conn, "Deal", "stage", nullable=True)
        rewrite_column(conn, "Deal", "rank", type_sql="BIGINT", nullable=False)

    columns = _columns(sqlite)
    assert columns["Title"] == ("TEXT", True)
    assert columns["amount"] == ("NUMERIC(14, 4)", False)
    assert columns["stage"] == ("VARCHAR(20)", True)
    assert columns["rank"] == ("BIGINT", False)
    with sqlite.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        row = conn.exec_driver_sql('SELECT "Title", amount, stage, rank FROM "Deal"').one()
        assert tuple(row) == ("x", 2.5, "new", -1)
        sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'Deal'").scalar()
    assert "DEFAULT 'a, b NOT NULL'" in sql  # the string literal was not mistaken for a constraint


def test_other_connections_see_the_edit(sqlite: Engine) -> None:
    with sqlite.connect() as reader:
        reader.exec_driver_sql('SELECT * FROM "Deal"').all()
        with writer(sqlite).begin() as conn:
            rewrite_column(conn, "Deal", "stage", nullable=True)
        reader.commit()
        reader.exec_driver_sql('INSERT INTO "Deal" (id, "Title") VALUES (2, \'y\')')
        reader.commit()


def test_rollback_restores_the_definition(sqlite: Engine) -> None:
    with pytest.raises(RuntimeError), writer(sqlite).begin() as conn:
        rewrite_column(conn, "Deal", "Title", type_sql="VARCHAR(200)")
        raise RuntimeError("a later step failed")

    assert _columns(sqlite)["Title"] == ("VARCHAR(10)", False)


def test_affinity_change_is_refused(sqlite: Engine) -> None:
    with pytest.raises(SchemaEditError, match="affinity"), writer(sqlite).begin() as conn:
        rewrite_column(conn, "Deal", "amount", type_sql="VARCHAR(20)")

    assert _columns(sqlite)["amount"] == ("NUMERIC(10, 2)", True)


def test_drop_foreign_keys_removes_only_that_column_s(sqlite: Engine) -> None:
    with writer(sqlite).begin() as conn:
        drop_foreign_keys(conn, "Deal", "owner_id")
        conn.exec_driver_sql('ALTER TABLE "Deal" DROP COLUMN owner_id')

    fks = sa.inspect(sqlite).get_foreign_keys("Deal")
    assert [f["constrained_columns"] for f in fks] == [["partner_id"]]
    assert "owner_id" not in _columns(sqlite)
