"""Planning: what a plan proposes, how it reads, and that it changes nothing."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from metacrm.migrate import plan_migration

from .crm_schema import ID, LIVE, crm, customer, metadata, migrate


def test_plan_from_nothing_creates_every_table_referenced_first(engine: Engine) -> None:
    plan = plan_migration(engine, crm())

    assert plan.describe() == [
        "create table customer (12 columns)",
        "create table contact (5 columns, 2 indexes)",
    ]
    assert not plan.refusals and not plan.is_empty and not plan.destructive
    assert sa.inspect(engine).get_table_names() == []  # planning only reads


def test_created_tables_have_their_columns_indexes_and_keys(engine: Engine) -> None:
    migrate(engine, crm())

    inspector = sa.inspect(engine)
    assert set(inspector.get_table_names()) == {"customer", "contact", "mc_migrations"}
    assert [c["name"] for c in inspector.get_columns("customer")][:3] == ["id", "name", "grade"]
    indexes = {i["name"]: i for i in inspector.get_indexes("contact")}
    assert indexes["ix_contact_email"]["unique"]
    assert indexes["ix_contact_customer_id"]["column_names"] == ["customer_id"]
    (fk,) = inspector.get_foreign_keys("contact")
    assert fk["name"] == "fk_contact_customer_id_customer"
    assert fk["referred_table"] == "customer" and fk["options"].get("ondelete") == "CASCADE"


def test_second_plan_is_empty(engine: Engine) -> None:
    md = crm()
    _plan, applied = migrate(engine, md)

    again = plan_migration(engine, md)

    assert again.is_empty, again.describe()
    assert again.source_fingerprint == again.target_fingerprint == applied.fingerprint


def test_reflection_noise_of_every_type_compares_equal(engine: Engine) -> None:
    md = metadata()
    sa.Table(
        "sample",
        md,
        sa.Column("id", ID, primary_key=True),
        sa.Column("small", sa.SmallInteger),
        sa.Column("big", sa.BigInteger),
        sa.Column("whole", sa.Numeric(10)),
        sa.Column("free", sa.Numeric),
        sa.Column("real", sa.REAL),
        sa.Column("double", sa.Double),
        sa.Column("txt", sa.Text),
        sa.Column("unbounded", sa.String),
        sa.Column("code", sa.CHAR(3)),
        sa.Column("blob", sa.LargeBinary),
        sa.Column("day", sa.Date),
        sa.Column("at", sa.DateTime),
        sa.Column("at_tz", sa.DateTime(timezone=True)),
        sa.Column("clock", sa.Time),
        sa.Column("flag", sa.Boolean, server_default=sa.false()),
        sa.Column("data", sa.JSON),
        sa.Column("uid", sa.Uuid),
        sa.Column("percent", sa.String(10), server_default="50%"),
    )
    long_name = "a_rather_long_column_name_for_a_customer_field"
    sa.Table(
        "long_names",
        md,
        sa.Column("id", ID, primary_key=True),
        sa.Column(long_name, sa.String(10)),
        sa.Column(long_name + "_2", sa.String(10)),
        sa.Index(None, long_name, long_name + "_2"),  # 100+ characters: PostgreSQL truncates
    )
    migrate(engine, md)

    assert plan_migration(engine, md).is_empty


def test_tables_that_reference_each_other(engine: Engine) -> None:
    md = crm(sa.Column("main_contact_id", ID, sa.ForeignKey("contact.id", use_alter=True)))

    migrate(engine, md)

    fks = sa.inspect(engine).get_foreign_keys("customer")
    assert [f["referred_table"] for f in fks] == ["contact"]
    assert plan_migration(engine, md).is_empty


def test_describes_each_kind_of_change(engine: Engine) -> None:
    migrate(engine, crm())
    md = metadata()
    customer(
        md,
        sa.Column("wechat", sa.String(100)),
        sa.Index(None, "grade", "stage"),
        sa.Index(None, "name", unique=True, sqlite_where=LIVE, postgresql_where=LIVE),
        name=sa.String(200),
    )
    sa.Table(
        "contact",
        md,
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
    )

    assert plan_migration(engine, md).describe() == [
        "drop index ix_contact_email on contact",
        "add column customer.wechat VARCHAR(100)",
        "widen column customer.name VARCHAR(100) -> VARCHAR(200)",
        "add index ix_customer_grade_stage on customer (grade, stage)",
        "add unique index ix_customer_name on customer (name) where deleted_at IS NULL",
    ]


def test_history_and_internal_tables_are_not_proposed_for_dropping(engine: Engine) -> None:
    md = metadata()
    # AUTOINCREMENT makes SQLite keep its own sqlite_sequence table.
    sa.Table(
        "counter", md, sa.Column("id", sa.Integer, primary_key=True), sqlite_autoincrement=True
    )
    migrate(engine, md)
    with engine.begin() as conn:
        conn.execute(sa.table("counter", sa.column("id")).insert().values(id=1))

    assert plan_migration(engine, md).is_empty
