"""Refusals: destructive or impossible changes, and what allow_destructive permits."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from metacrm.migrate import MigrationRefused, apply_migration, plan_migration

from .crm_schema import (
    ID,
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
    migrate(engine, crm())
    insert(engine, "customer", *({"id": i, "name": f"c{i}" * i} for i in (1, 2, 3)))
    insert(engine, "contact", {"id": 1, "customer_id": 1, "name": "x"})
    return engine


def _with_customer_column(column: str, type_: sa.types.TypeEngine[object]) -> sa.MetaData:
    md = metadata()
    customer(md).c[column].type = type_
    contact(md)
    return md


def test_not_null_column_without_default_refused_on_a_table_with_rows(filled: Engine) -> None:
    md = crm(sa.Column("level", sa.Integer, nullable=False))

    plan = plan_migration(filled, md, allow_destructive=True)

    assert plan.actions == ()
    assert plan.describe() == [
        (
            "REFUSED: add column customer.level: it is NOT NULL without a server default and "
            "customer has 3 rows, so there is no value to fill them with; give the field a "
            "default, or add it as optional and make it required once every row has a value"
        )
    ]
    with pytest.raises(MigrationRefused) as refused:
        apply_migration(filled, plan)
    assert refused.value.refusals == plan.refusals
    assert "customer has 3 rows" in str(refused.value)
    assert "level" not in columns(filled, "customer")


def test_not_null_column_without_default_allowed_on_an_empty_table(engine: Engine) -> None:
    migrate(engine, crm())

    plan, _ = migrate(engine, crm(sa.Column("level", sa.Integer, nullable=False)))

    assert plan.describe() == ["add column customer.level INTEGER NOT NULL"]
    assert not columns(engine, "customer")["level"]["nullable"]
    with pytest.raises(sa.exc.IntegrityError):
        insert(engine, "customer", {"id": 1, "name": "c"})


def test_narrowing_is_refused_then_allowed(filled: Engine) -> None:
    md = _with_customer_column("name", sa.String(50))

    refused = plan_migration(filled, md)
    assert refused.describe() == [
        (
            "REFUSED: narrow column customer.name VARCHAR(100) -> VARCHAR(50): values that do not "
            "fit the smaller type would be rejected or rounded; allow destructive changes to do "
            "it (metacrm migrate --allow-destructive)"
        )
    ]

    plan, _ = migrate(filled, md, allow_destructive=True)

    assert plan.describe() == ["narrow column customer.name VARCHAR(100) -> VARCHAR(50)"]
    assert plan.destructive
    assert columns(filled, "customer")["name"]["type"].length == 50
    assert plan_migration(filled, md).is_empty


@pytest.mark.parametrize(
    ("column", "type_", "value"),
    [
        ("name", sa.String(2), None),
        ("revenue", sa.Numeric(4, 2), 123.45),
        ("employees", sa.SmallInteger(), 70000),
    ],
)
def test_narrowing_refused_even_when_allowed_if_values_do_not_fit(
    filled: Engine, column: str, type_: sa.types.TypeEngine[object], value: object
) -> None:
    if value is not None:
        with filled.begin() as conn:
            conn.execute(sa.table("customer", sa.column(column)).update().values({column: value}))

    plan = plan_migration(filled, _with_customer_column(column, type_), allow_destructive=True)

    assert plan.actions == ()
    (refusal,) = plan.refusals
    assert refusal.subject.startswith(f"narrow column customer.{column}")
    assert "hold values that do not fit" in refusal.reason


def test_incompatible_type_refused_even_when_allowed(filled: Engine) -> None:
    plan = plan_migration(
        filled, _with_customer_column("grade", sa.Integer()), allow_destructive=True
    )

    assert plan.describe() == [
        (
            "REFUSED: change column customer.grade VARCHAR(20) -> INTEGER: the types are "
            "incompatible, so existing values cannot be kept; to replace the column, remove the "
            "field and migrate (with --allow-destructive), then add it back with the new type; "
            "or convert the data yourself"
        )
    ]


def test_not_null_refused_where_nulls_exist(filled: Engine) -> None:
    md = _with_customer_column("grade", sa.String(20))
    md.tables["customer"].c.grade.nullable = False

    plan = plan_migration(filled, md, allow_destructive=True)

    assert plan.describe() == [
        (
            "REFUSED: set column customer.grade NOT NULL: 3 rows have no value in it; "
            "fill them in first, or keep the field optional"
        )
    ]


def test_drop_column_refused_then_allowed(filled: Engine) -> None:
    md = metadata()
    customer(md, omit=["grade"])
    contact(md)
    with filled.begin() as conn:
        conn.execute(sa.text("UPDATE customer SET grade = 'A' WHERE id = 1"))

    assert plan_migration(filled, md).describe() == [
        (
            "REFUSED: drop column customer.grade: it is no longer defined; dropping it deletes "
            "its data (1 non-empty values); allow destructive changes to do it "
            "(metacrm migrate --allow-destructive)"
        )
    ]
    plan, _ = migrate(filled, md, allow_destructive=True)

    assert plan.describe() == ["drop column customer.grade (1 non-empty values)"]
    assert "grade" not in columns(filled, "customer")
    assert select_all(filled, "customer", "id", "name") == [(1, "c1"), (2, "c2c2"), (3, "c3c3c3")]


def test_drop_indexed_reference_column_when_allowed(filled: Engine) -> None:
    md = metadata()
    customer(md)
    contact(md, omit=["customer_id"])

    plan, _ = migrate(filled, md, allow_destructive=True)

    assert plan.describe() == [
        "drop index ix_contact_customer_id on contact",
        "drop column contact.customer_id (1 non-empty values)",
    ]
    assert "customer_id" not in columns(filled, "contact")
    assert sa.inspect(filled).get_foreign_keys("contact") == []
    assert select_all(filled, "contact", "id", "name") == [(1, "x")]


def test_drop_tables_refused_then_allowed_referencing_table_first(filled: Engine) -> None:
    md = metadata()

    refused = plan_migration(filled, md)
    assert refused.describe() == [
        (
            "REFUSED: drop table contact: it is in the database but not in the definitions and "
            "holds 1 rows; allow destructive changes to do it (metacrm migrate "
            "--allow-destructive), or define the entity again to keep it"
        ),
        (
            "REFUSED: drop table customer: it is in the database but not in the definitions and "
            "holds 3 rows; allow destructive changes to do it (metacrm migrate "
            "--allow-destructive), or define the entity again to keep it"
        ),
    ]
    plan, _ = migrate(filled, md, allow_destructive=True)

    assert plan.describe() == ["drop table contact (1 rows)", "drop table customer (3 rows)"]
    assert sa.inspect(filled).get_table_names() == ["mc_migrations"]


def test_drop_table_still_referenced_is_refused(filled: Engine) -> None:
    md = metadata()
    contact(md, sa.Column("customer_id", ID, nullable=False), omit=["customer_id"])

    plan = plan_migration(filled, md, allow_destructive=True)

    assert "REFUSED: drop table customer: contact.customer_id still references it" in (
        plan.describe()
    )


def test_dropping_a_stale_index_needs_no_permission(filled: Engine) -> None:
    migrate(filled, crm(sa.Index(None, "grade", "stage")))

    plan, _ = migrate(filled, crm())

    assert plan.describe() == ["drop index ix_customer_grade_stage on customer"]
    assert not plan.destructive
    assert "ix_customer_grade_stage" not in indexes(filled, "customer")
