"""Record applied migrations in ``mc_migrations`` and list them back.

The table is created on demand, inside the migration's own transaction, so a
migration that rolls back leaves no history row and no history table behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from .snapshot import HISTORY_TABLE

_metadata = sa.MetaData()
HISTORY = sa.Table(
    HISTORY_TABLE,
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("actions", sa.JSON, nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
)


@dataclass(frozen=True)
class AppliedMigration:
    """One row of ``mc_migrations``; ``id`` is None when an empty plan recorded nothing."""

    id: int | None
    applied_at: datetime
    note: str
    actions: tuple[str, ...]
    fingerprint: str


def record_migration(
    conn: Connection, actions: Sequence[str], note: str, fingerprint: str
) -> AppliedMigration:
    """Insert the history row (creating the table if needed) in ``conn``'s transaction."""
    HISTORY.create(conn, checkfirst=True)
    applied_at = datetime.now(UTC)
    result = conn.execute(
        HISTORY.insert().values(
            applied_at=applied_at, note=note, actions=list(actions), fingerprint=fingerprint
        )
    )
    assert result.inserted_primary_key is not None
    new_id = result.inserted_primary_key[0]
    return AppliedMigration(int(new_id), applied_at, note, tuple(actions), fingerprint)


def migration_history(engine: Engine) -> list[AppliedMigration]:
    """Every recorded migration, newest first (empty before the first one)."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(HISTORY_TABLE):
            return []
        rows = conn.execute(sa.select(HISTORY).order_by(HISTORY.c.id.desc())).all()
    return [
        AppliedMigration(
            row.id, _utc(row.applied_at), row.note, tuple(row.actions), row.fingerprint
        )
        for row in rows
    ]


def _utc(moment: datetime) -> datetime:
    # SQLite hands back the naive UTC time it was given; PostgreSQL an aware one.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
