"""Small CRM tables for migration tests, built the way the compiler builds them."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine

from metacrm.migrate import AppliedMigration, MigrationPlan, apply_migration, plan_migration

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")
LIVE = sa.text("deleted_at IS NULL")


def metadata() -> sa.MetaData:
    return sa.MetaData(naming_convention=NAMING)


def customer(
    md: sa.MetaData, *extra: Any, name: Any = None, omit: Collection[str] = (), **options: Any
) -> sa.Table:
    """12 columns plus ``extra``; ``name`` replaces the name column's type."""
    return sa.Table(
        "customer",
        md,
        *_without(
            omit,
            [
                sa.Column("id", ID, primary_key=True),
                sa.Column("name", name if name is not None else sa.String(100), nullable=False),
                sa.Column("grade", sa.String(20)),
                sa.Column("stage", sa.String(20)),
                sa.Column("revenue", sa.Numeric(12, 2)),
                sa.Column("employees", sa.Integer),
                sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
                sa.Column("profile", sa.JSON().with_variant(JSONB, "postgresql")),
                sa.Column("founded", sa.Date),
                sa.Column("score", sa.Float),
                sa.Column(
                    "created_at",
                    sa.DateTime(timezone=True),
                    nullable=False,
                    server_default=sa.func.current_timestamp(),
                ),
                sa.Column("deleted_at", sa.DateTime(timezone=True)),
            ],
        ),
        *extra,
        **options,
    )


def contact(md: sa.MetaData, *extra: Any, omit: Collection[str] = ()) -> sa.Table:
    return sa.Table(
        "contact",
        md,
        *_without(
            omit,
            [
                sa.Column("id", ID, primary_key=True),
                sa.Column(
                    "customer_id",
                    ID,
                    sa.ForeignKey("customer.id", ondelete="CASCADE"),
                    nullable=False,
                    index=True,
                ),
                sa.Column("name", sa.String(100), nullable=False),
                sa.Column("email", sa.String(200)),
                sa.Column("deleted_at", sa.DateTime(timezone=True)),
            ],
        ),
        sa.Index(None, "email", unique=True, sqlite_where=LIVE, postgresql_where=LIVE),
        *extra,
    )


def _without(omit: Collection[str], columns: list[sa.Column[Any]]) -> list[sa.Column[Any]]:
    return [c for c in columns if c.name not in omit]


def crm(*customer_extra: Any) -> sa.MetaData:
    md = metadata()
    customer(md, *customer_extra)
    contact(md)
    return md


def migrate(
    engine: Engine, md: sa.MetaData, **options: Any
) -> tuple[MigrationPlan, AppliedMigration]:
    """Plan and apply; fail the test if the plan refuses anything."""
    plan = plan_migration(engine, md, **options)
    assert not plan.refusals, plan.describe()
    return plan, apply_migration(engine, plan)


def insert(engine: Engine, table: str, *rows: dict[str, Any]) -> None:
    with engine.begin() as conn:
        conn.execute(sa.table(table, *(sa.column(k) for k in rows[0])).insert(), list(rows))


def select_all(engine: Engine, table: str, *columns: str) -> list[tuple[Any, ...]]:
    handle = sa.table(table, *(sa.column(c) for c in columns))
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(*handle.c).order_by(handle.c[columns[0]]))]


def columns(engine: Engine, table: str) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in sa.inspect(engine).get_columns(table)}


def indexes(engine: Engine, table: str) -> dict[str, dict[str, Any]]:
    return {i["name"]: i for i in sa.inspect(engine).get_indexes(table)}
