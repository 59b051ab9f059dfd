"""The imports' own tables: a row per run and a log row per file row (see run.py)."""

from __future__ import annotations

import sqlalchemy as sa

from ..fieldtypes import ID_TYPE, JSON_TYPE, UtcDateTime


def add_import_tables(metadata: sa.MetaData) -> None:
    """Imports (see imports/): one row per run, and a log row per file row. A batch's
    records and its log rows commit together, so the log says exactly which rows
    are in: a run resumes after its last logged row, and none is imported twice."""
    sa.Table(
        "mc_imports", metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("entity", sa.String(60), nullable=False),
        sa.Column("user_id", ID_TYPE, sa.ForeignKey("mc_users.id")),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("path", sa.Text, nullable=False),  # where the file is kept
        # mode, match, dry_run, locale, as_platform
        sa.Column("options", JSON_TYPE, nullable=False),
        sa.Column("mapping", JSON_TYPE, nullable=False),  # columns and defaults
        sa.Column("header", JSON_TYPE, nullable=False),
        # queued, running, done, failed (the run stopped: ``error`` says why), reverted
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("total_rows", sa.Integer),
        sa.Column("last_row", sa.Integer, nullable=False, server_default="0"),
        sa.Column("counts", JSON_TYPE, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime()),
        sa.Column("reverted_at", UtcDateTime()),
    )
    rows = sa.Table(
        "mc_import_rows", metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("import_id", ID_TYPE, sa.ForeignKey("mc_imports.id"), nullable=False),
        sa.Column("row", sa.Integer, nullable=False),  # as a spreadsheet numbers it
        sa.Column("action", sa.String(10), nullable=False),  # created updated skipped failed
        sa.Column("record_id", sa.BigInteger),
        sa.Column("version", sa.Integer),  # the record's version the import left
        sa.Column("before", JSON_TYPE),  # an update's changed fields' earlier values
        sa.Column("errors", JSON_TYPE),
        sa.Column("cells", JSON_TYPE),  # a failed row's cells, for the file to fix
        sa.Column("reverted", sa.Text),  # "reverted", or why a revert left it
        sa.UniqueConstraint("import_id", "row", name="uq_mc_import_rows_row"),
    )
    sa.Index("ix_mc_import_rows_record", rows.c.import_id, rows.c.action)
