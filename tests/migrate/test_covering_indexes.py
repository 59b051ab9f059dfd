"""An index's ``include:`` fields: carried in the index on PostgreSQL (with deleted_at,
which every read of the engine asks about), ignored by SQLite, and an index whose
``include:`` changes is built again by the next migration."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine

from metacrm.catalog_loader import load_catalog
from metacrm.compile.tables import compile_tables
from metacrm.migrate import plan_migration

from ..conftest import write_bundle
from .crm_schema import migrate

DEAL = """
entity: deal
fields:
  name: {type: string}
  stage: {type: choice, options: [open, won]}
  amount: {type: money}
  owner: {type: user}
indexes:
  - fields: [stage, created_at]
    include: [%s]
"""


def _tables(tmp_path: Path, include: str) -> sa.MetaData:
    bundle = write_bundle(tmp_path / include.replace(", ", "_"),
                          {"entities/deal.yaml": DEAL % include})
    return compile_tables(load_catalog([bundle]))


def _index(metadata: sa.MetaData) -> sa.Index:
    (index,) = [i for i in metadata.tables["deal"].indexes
                if i.name == "ix_deal_stage_created_at"]
    return index


def test_included_fields_and_deleted_at_are_carried_on_postgresql(tmp_path: Path) -> None:
    index = _index(_tables(tmp_path, "amount, owner"))

    ddl = str(sa.schema.CreateIndex(index).compile(dialect=postgresql.dialect()))

    assert ddl == ("CREATE INDEX ix_deal_stage_created_at ON deal (stage, created_at) "
                   "INCLUDE (amount, owner, deleted_at)")


def test_a_covering_index_is_what_the_database_then_holds(engine: Engine,
                                                          tmp_path: Path) -> None:
    migrate(engine, _tables(tmp_path, "amount, owner"))

    found = {i["name"]: i for i in sa.inspect(engine).get_indexes("deal")}
    index = found["ix_deal_stage_created_at"]
    assert index["column_names"] == ["stage", "created_at"]
    if engine.dialect.name == "postgresql":
        assert index["dialect_options"]["postgresql_include"] == [
            "amount", "owner", "deleted_at"]
    assert plan_migration(engine, _tables(tmp_path, "amount, owner")).is_empty


def test_changing_what_an_index_includes_builds_it_again(engine: Engine,
                                                         tmp_path: Path) -> None:
    migrate(engine, _tables(tmp_path, "amount"))

    plan = plan_migration(engine, _tables(tmp_path, "amount, owner"))

    if engine.dialect.name != "postgresql":  # SQLite's index holds the keys only
        assert plan.is_empty, plan.describe()
        return
    assert [line.split(" on ")[0] for line in plan.describe()] == [
        "drop index ix_deal_stage_created_at", "add index ix_deal_stage_created_at"]
    migrate(engine, _tables(tmp_path, "amount, owner"))
    (index,) = [i for i in sa.inspect(engine).get_indexes("deal")
                if i["name"] == "ix_deal_stage_created_at"]
    assert index["dialect_options"]["postgresql_include"] == ["amount", "owner", "deleted_at"]
