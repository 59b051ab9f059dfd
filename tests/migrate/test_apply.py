"""Applying: what the database holds afterwards, and all-or-nothing failure."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from metacrm.db import writer
from metacrm.migrate import (
    MigrationFailed,
    PlanOutdated,
    apply_migration,
    apply_migration_in,
    migration_history,
    plan_migration,
    plan_migration_in,
)

from .crm_schema import (
    ID,
    LIVE,
    columns,
    contact,
    crm,
    customer,
    indexes,
    insert,
    metadata,
    migrate,
    select_all,
)


@pytest.fixture
def filled(engine: Engine) -> Engine:
    """The CRM tables with three customers and two contacts."""
    migrate(engine, crm())
    insert(engine, "customer", *({"id": i, "name": f"c{i}", "grade": "A"} for i in (1, 2, 3)))
    insert(
        engine,
        "contact",
        {"id": 1, "customer_id": 1, "name": "x", "email": "x@a.cn"},
        {"id": 2, "customer_id": 2, "name": "y", "email": "y@a.cn"},
    )
    return engine


def test_add_nullable_column_keeps_every_row(filled: Engine) -> None:
    plan, _ = migrate(filled, crm(sa.Column("wechat", sa.String(100))))

    assert plan.describe() == ["add column customer.wechat VARCHAR(100)"]
    assert columns(filled, "customer")["wechat"]["nullable"]
    assert select_all(filled, "customer", "id", "name", "wechat") == [
        (1, "c1", None),
        (2, "c2", None),
        (3, "c3", None),
    ]


def test_add_not_null_column_with_server_default_fills_existing_rows(filled: Engine) -> None:
    level = sa.Column("level", sa.Integer, nullable=False, server_default=sa.text("3"))
    note = sa.Column("tag", sa.String(10), nullable=False, server_default="50%")

    plan, _ = migrate(filled, crm(level, note))

    assert plan.describe() == [
        "add column customer.level INTEGER NOT NULL DEFAULT 3",
        "add column customer.tag VARCHAR(10) NOT NULL DEFAULT '50%'",
    ]
    assert select_all(filled, "customer", "id", "level", "tag") == [
        (1, 3, "50%"),
        (2, 3, "50%"),
        (3, 3, "50%"),
    ]
    assert not columns(filled, "customer")["level"]["nullable"]


def test_add_reference_column_with_its_foreign_key(filled: Engine) -> None:
    md = metadata()
    customer(md)
    contact(md, sa.Column("manager_id", ID, sa.ForeignKey("contact.id", ondelete="SET NULL")))

    plan, _ = migrate(filled, md)

    assert plan.describe() == [
        "add column contact.manager_id "
        + ("INTEGER" if filled.dialect.name == "sqlite" else "BIGINT")
        + " REFERENCES contact (id)"
    ]
    fks = sa.inspect(filled).get_foreign_keys("contact")
    (fk,) = (f for f in fks if f["constrained_columns"] == ["manager_id"])
    assert fk["referred_table"] == "contact" and fk["referred_columns"] == ["id"]
    if filled.dialect.name != "sqlite":  # SQLite reports no name for a column constraint
        assert fk["name"] == "fk_contact_manager_id_contact"
    with pytest.raises(sa.exc.IntegrityError), filled.begin() as conn:
        conn.execute(sa.text("UPDATE contact SET manager_id = 99 WHERE id = 1"))
    with filled.begin() as conn:  # ON DELETE SET NULL
        conn.execute(sa.text("UPDATE contact SET manager_id = 1 WHERE id = 2"))
        conn.execute(sa.text("DELETE FROM contact WHERE id = 1"))
    assert select_all(filled, "contact", "id", "manager_id") == [(2, None)]


def test_add_index(filled: Engine) -> None:
    plan, _ = migrate(filled, crm(sa.Index(None, "grade", "stage")))

    assert plan.describe() == ["add index ix_customer_grade_stage on customer (grade, stage)"]
    index = indexes(filled, "customer")["ix_customer_grade_stage"]
    assert index["column_names"] == ["grade", "stage"] and not index["unique"]


def test_unique_partial_index_applies_to_live_rows_only(filled: Engine) -> None:
    unique = sa.Index(None, "name", unique=True, sqlite_where=LIVE, postgresql_where=LIVE)

    migrate(filled, crm(unique))

    assert indexes(filled, "customer")["ix_customer_name"]["unique"]
    with filled.begin() as conn:  # a deleted record may share the name
        conn.execute(sa.text("UPDATE customer SET deleted_at = CURRENT_TIMESTAMP WHERE id = 3"))
        conn.execute(sa.text("INSERT INTO customer (id, name) VALUES (4, 'c3')"))
    with pytest.raises(sa.exc.IntegrityError), filled.begin() as conn:
        conn.execute(sa.text("INSERT INTO customer (id, name) VALUES (5, 'c1')"))


def test_unique_column_on_existing_table_becomes_a_unique_index(filled: Engine) -> None:
    plan, _ = migrate(filled, crm(sa.Column("code", sa.String(20), unique=True)))

    assert plan.describe()[-1] == "add unique index uq_customer_code on customer (code)"
    assert plan_migration(filled, crm(sa.Column("code", sa.String(20), unique=True))).is_empty


@pytest.mark.parametrize(
    ("column", "old", "new", "after"),
    [
        ("name", sa.String(100), sa.String(200), {"length": 200}),
        ("name", sa.String(100), sa.Text(), {"length": None}),
        ("employees", sa.Integer(), sa.BigInteger(), {}),
        ("revenue", sa.Numeric(12, 2), sa.Numeric(14, 4), {"precision": 14, "scale": 4}),
    ],
)
def test_widen_column(
    filled: Engine, column: str, old: object, new: object, after: dict[str, object]
) -> None:
    md = metadata()
    table = customer(md)
    table.c[column].type = new
    contact(md)

    plan, _ = migrate(filled, md)

    old_sql, new_sql = (t.compile(dialect=filled.dialect) for t in (old, new))  # type: ignore[attr-defined]
    assert plan.describe() == [f"widen column customer.{column} {old_sql} -> {new_sql}"]
    reflected = columns(filled, "customer")[column]["type"]
    assert reflected.compile(dialect=filled.dialect) == new_sql
    assert {k: getattr(reflected, k) for k in after} == after
    assert select_all(filled, "customer", "id", "name")[0] == (1, "c1")
    assert plan_migration(filled, md).is_empty


def test_nullability_can_be_lifted_and_set_again(filled: Engine) -> None:
    md = metadata()
    table = customer(md)
    table.c.name.nullable = True
    contact(md)
    plan, _ = migrate(filled, md)
    assert plan.describe() == ["allow NULL in column customer.name"]
    insert(filled, "customer", {"id": 9, "name": None})
    assert columns(filled, "customer")["name"]["nullable"]

    with filled.begin() as conn:
        conn.execute(sa.text("DELETE FROM customer WHERE id = 9"))
    plan, _ = migrate(filled, crm())

    assert plan.describe() == ["set column customer.name NOT NULL"]
    assert not columns(filled, "customer")["name"]["nullable"]
    with pytest.raises(sa.exc.IntegrityError):
        insert(filled, "customer", {"id": 9, "name": None})


def test_failed_migration_rolls_back_everything(filled: Engine) -> None:
    insert(filled, "customer", {"id": 4, "name": "c1"})  # a duplicate name
    md = metadata()
    customer(
        md,
        sa.Column("wechat", sa.String(100)),
        sa.Index(None, "name", unique=True),  # fails: two customers are called c1
        name=sa.String(200),
    )
    contact(md)
    sa.Table(
        "deal",
        md,
        sa.Column("id", ID, primary_key=True),
        sa.Column("customer_id", ID, sa.ForeignKey("customer.id")),
    )
    before = migration_history(filled)
    plan = plan_migration(filled, md)
    assert plan.describe() == [
        "create table deal (2 columns)",
        "add column customer.wechat VARCHAR(100)",
        "widen column customer.name VARCHAR(100) -> VARCHAR(200)",
        "add unique index ix_customer_name on customer (name)",
    ]

    with pytest.raises(MigrationFailed, match="ix_customer_name"):
        apply_migration(filled, plan)

    inspector = sa.inspect(filled)
    assert "deal" not in inspector.get_table_names()
    assert "wechat" not in columns(filled, "customer")
    assert columns(filled, "customer")["name"]["type"].length == 100
    assert "ix_customer_name" not in indexes(filled, "customer")
    assert migration_history(filled) == before
    assert len(select_all(filled, "customer", "id")) == 4
    assert plan_migration(filled, md).describe() == plan.describe()  # nothing half-done


def test_outdated_plan_is_not_applied(filled: Engine) -> None:
    first = plan_migration(filled, crm(sa.Column("wechat", sa.String(100))))
    migrate(filled, crm(sa.Column("qq", sa.String(20))))

    with pytest.raises(PlanOutdated):
        apply_migration(filled, first)

    assert "wechat" not in columns(filled, "customer")


def test_empty_plan_runs_and_records_nothing(filled: Engine) -> None:
    before = migration_history(filled)

    applied = apply_migration(filled, plan_migration(filled, crm()))

    assert applied.id is None and applied.actions == ()
    assert migration_history(filled) == before


def test_migration_commits_or_rolls_back_with_the_callers_transaction(filled: Engine) -> None:
    md = crm(sa.Column("wechat", sa.String(100)))
    before = migration_history(filled)

    with pytest.raises(RuntimeError), writer(filled).begin() as conn:
        apply_migration_in(conn, plan_migration_in(conn, md), note="customization #1")
        conn.execute(sa.text("INSERT INTO customer (id, name, wechat) VALUES (9, 'n', 'w')"))
        raise RuntimeError("the caller fails after migrating")

    assert "wechat" not in columns(filled, "customer")
    assert migration_history(filled) == before

    with writer(filled).begin() as conn:
        apply_migration_in(conn, plan_migration_in(conn, md), note="customization #1")
        conn.execute(sa.text("INSERT INTO customer (id, name, wechat) VALUES (9, 'n', 'w')"))

    assert select_all(filled, "customer", "id", "wechat")[-1] == (9, "w")
    assert migration_history(filled)[0].note == "customization #1"


def test_failed_migration_leaves_the_callers_transaction_usable(filled: Engine) -> None:
    md = crm(sa.Column("wechat", sa.String(100)), sa.Index(None, "grade", unique=True))

    with writer(filled).begin() as conn:
        with pytest.raises(MigrationFailed):  # every customer has grade A
            apply_migration_in(conn, plan_migration_in(conn, md))
        conn.execute(sa.text("INSERT INTO customer (id, name) VALUES (9, 'n')"))

    assert "wechat" not in columns(filled, "customer")
    assert select_all(filled, "customer", "id")[-1] == (9,)
