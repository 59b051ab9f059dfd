"""The intake's own tables: what each source delivered (by the sender's id, so that a
retried delivery creates nothing twice) and where each pull source stopped."""

from __future__ import annotations

import sqlalchemy as sa

from ..fieldtypes import ID_TYPE, JSON_TYPE, UtcDateTime

RECEIPTS_TABLE = "mc_intake_receipts"
CURSORS_TABLE = "mc_intake_cursors"
# The longest external id kept; a longer one is refused with the lead's other errors.
MAX_EXTERNAL_ID = 200


def add_intake_tables(metadata: sa.MetaData) -> None:
    sa.Table(
        RECEIPTS_TABLE, metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(60), nullable=False),
        sa.Column("external_id", sa.String(MAX_EXTERNAL_ID), nullable=False),
        sa.Column("entity", sa.String(60), nullable=False),
        sa.Column("record_id", sa.BigInteger, nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("source", "external_id", name="uq_mc_intake_receipts_external_id"),
    )
    sa.Table(
        CURSORS_TABLE, metadata,
        sa.Column("source", sa.String(60), primary_key=True),
        sa.Column("cursor", sa.Text),
        sa.Column("pulled_at", UtcDateTime()),
        sa.Column("result", JSON_TYPE),
    )


def receipts_table(metadata: sa.MetaData) -> sa.Table:
    return metadata.tables[RECEIPTS_TABLE]


def cursors_table(metadata: sa.MetaData) -> sa.Table:
    return metadata.tables[CURSORS_TABLE]
