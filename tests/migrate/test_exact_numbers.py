"""Exact numbers in the database: SQLite keeps them as whole minor units, and a database
made before (NUMERIC columns, which SQLite kept as doubles) is converted by migrate."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from metacrm.fieldtypes import ExactNumeric
from metacrm.migrate import apply_migration, plan_migration

from ..api.conftest import ON_POSTGRES
from .crm_schema import ID, metadata

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="how SQLite stores exact numbers")


def _deal(numbers: dict[str, sa.types.TypeEngine]) -> tuple[sa.MetaData, sa.Table]:
    md = metadata()
    table = sa.Table("deal", md, sa.Column("id", ID, primary_key=True),
                     *(sa.Column(name, kind) for name, kind in numbers.items()))
    return md, table


def _old_database(engine: Engine) -> None:
    """Tables as earlier versions made them: NUMERIC, the values as SQLite kept them."""
    with engine.begin() as conn:
        conn.exec_driver_sql('CREATE TABLE deal (id INTEGER PRIMARY KEY, amount NUMERIC(18, 2), '
                             '"rate" NUMERIC(28, 4))')
        conn.exec_driver_sql("INSERT INTO deal VALUES (1, 12.34, 0.1234), (2, -0.1, 3), "
                             "(3, NULL, NULL), (4, 100000000000000.01, 99999999999.9999)")


def test_sqlite_stores_amounts_as_whole_minor_units(engine: Engine) -> None:
    md, deal = _deal({"amount": ExactNumeric(18, 2)})
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(deal.insert(), [{"id": 1, "amount": Decimal("9999999999999999.99")},
                                     {"id": 2, "amount": Decimal("100000000000000.01")}])
        raw = conn.exec_driver_sql("SELECT amount, typeof(amount) FROM deal ORDER BY id").all()
        read = conn.execute(sa.select(deal.c.amount).order_by(deal.c.id)).scalars().all()
        total = conn.execute(sa.select(sa.func.sum(deal.c.amount))).scalar_one()
    assert raw == [(999999999999999999, "integer"), (10000000000000001, "integer")]
    assert read == [Decimal("9999999999999999.99"), Decimal("100000000000000.01")]
    assert total == Decimal("10100000000000000.00")


def test_migrate_converts_an_older_database_and_keeps_every_value(engine: Engine) -> None:
    _old_database(engine)
    md, deal = _deal({"amount": ExactNumeric(18, 2), "rate": ExactNumeric(18, 4)})
    plan = plan_migration(engine, md)
    assert [a.describe() for a in plan.actions] == [
        ("store column deal.amount NUMERIC(18, 2) -> MINOR_UNITS(18, 2) (rewrites every value "
        "as whole minor units)"),
        ("store column deal.rate NUMERIC(28, 4) -> MINOR_UNITS(18, 4) (rewrites every value "
        "as whole minor units)"),
    ]
    assert not plan.refusals
    apply_migration(engine, plan)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(deal.c.amount, deal.c.rate).order_by(deal.c.id)).all()
    assert rows == [
        (Decimal("12.34"), Decimal("0.1234")), (Decimal("-0.10"), Decimal("3.0000")),
        (None, None),
        # What SQLite had made of these doubles before is kept, not made worse.
        (Decimal("100000000000000.02"), Decimal("99999999999.9999")),
    ]
    assert plan_migration(engine, md).actions == ()  # done once


def test_values_too_large_for_the_new_limit_refuse_the_conversion(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE deal (id INTEGER PRIMARY KEY, rate NUMERIC(28, 4))")
        conn.exec_driver_sql("INSERT INTO deal VALUES (1, 123456789012345678.5)")
    md, _ = _deal({"rate": ExactNumeric(18, 4)})
    plan = plan_migration(engine, md)
    assert [r.describe() for r in plan.refusals] == [
        ("store column deal.rate NUMERIC(28, 4) -> MINOR_UNITS(18, 4) (rewrites every value as "
        "whole minor units): 1 rows hold values that do not fit MINOR_UNITS(18, 4); shorten "
        "or correct them first")]


def test_more_places_rescale_the_stored_units(engine: Engine) -> None:
    md, deal = _deal({"rate": ExactNumeric(18, 2)})
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(deal.insert(), [{"id": 1, "rate": Decimal("1.25")}])
    md, deal = _deal({"rate": ExactNumeric(18, 4)})
    apply_migration(engine, plan_migration(engine, md))
    with engine.connect() as conn:
        assert conn.execute(sa.select(deal.c.rate)).scalar_one() == Decimal("1.2500")
    fewer, _ = _deal({"rate": ExactNumeric(18, 1)})
    refused = plan_migration(engine, fewer).refusals
    assert [r.reason for r in refused] == [
        "values with more places than the new scale would be rounded"]
