"""The reports' own table: the e-mail subscriptions users make themselves to a report
(runtime/report_subscriptions.py; sent by jobs/subscription_mail.py)."""

from __future__ import annotations

import sqlalchemy as sa

from ..fieldtypes import ID_TYPE, UtcDateTime

SUBSCRIPTIONS_TABLE = "mc_report_subscriptions"


def add_report_tables(metadata: sa.MetaData, users_table: str) -> None:
    """One row per person and report: how often it is e-mailed to them, with which
    parameters (a query string), and when it is next due (``due_at`` moves on by a
    conditional UPDATE, so an occurrence goes out once however many processes run)."""
    subscriptions = sa.Table(
        SUBSCRIPTIONS_TABLE, metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("user_id", ID_TYPE, sa.ForeignKey(f"{users_table}.id"), nullable=False),
        sa.Column("report", sa.String(60), nullable=False),
        sa.Column("every", sa.String(10), nullable=False),  # day, week or month
        sa.Column("day", sa.String(10)),  # a weekday, or a day of the month (1-28)
        sa.Column("at", sa.String(5), nullable=False),  # HH:MM in the report's time zone
        sa.Column("query", sa.Text, nullable=False),  # the report's parameters
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("last_sent_at", UtcDateTime()),  # when it last really went out
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("user_id", "report", name="uq_mc_report_subscriptions_user"),
    )
    sa.Index("ix_mc_report_subscriptions_due_at", subscriptions.c.due_at)
