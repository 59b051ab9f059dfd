"""History: every applied migration is a row in mc_migrations, newest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from metacrm.migrate import MigrationFailed, apply_migration, migration_history, plan_migration

from .crm_schema import crm, insert


def test_no_history_before_the_first_migration(engine: Engine) -> None:
    assert migration_history(engine) == []


def test_each_migration_is_recorded_newest_first(engine: Engine) -> None:
    start = datetime.now(UTC) - timedelta(seconds=1)
    first = plan_migration(engine, crm())
    apply_migration(engine, first, note="install")
    second = plan_migration(engine, crm(sa.Column("wechat", sa.String(100))))
    apply_migration(engine, second, note="customization #1")

    newest, oldest = migration_history(engine)

    assert (newest.note, oldest.note) == ("customization #1", "install")
    assert newest.id is not None and oldest.id is not None and newest.id > oldest.id
    assert newest.actions == ("add column customer.wechat VARCHAR(100)",)
    assert oldest.actions == tuple(first.describe())
    assert (newest.fingerprint, oldest.fingerprint) == (
        second.target_fingerprint,
        first.target_fingerprint,
    )
    for applied in (newest, oldest):
        assert applied.applied_at.tzinfo == UTC
        assert start <= applied.applied_at <= datetime.now(UTC)
    assert (
        plan_migration(engine, crm(sa.Column("wechat", sa.String(100)))).source_fingerprint
        == newest.fingerprint
    )


def test_apply_returns_the_recorded_row(engine: Engine) -> None:
    applied = apply_migration(engine, plan_migration(engine, crm()), note="install")

    (recorded,) = migration_history(engine)
    assert recorded == applied


def test_failed_first_migration_leaves_no_history_table(engine: Engine) -> None:
    apply_migration(engine, plan_migration(engine, crm()), note="install")
    insert(engine, "customer", {"id": 1, "name": "same"}, {"id": 2, "name": "same"})
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE mc_migrations"))

    with pytest.raises(MigrationFailed):
        apply_migration(engine, plan_migration(engine, crm(sa.Index(None, "name", unique=True))))

    assert "mc_migrations" not in sa.inspect(engine).get_table_names()
    assert migration_history(engine) == []
