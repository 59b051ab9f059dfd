"""The platform's own tables: users and teams, credentials, the audit trail,
customizations, counters and the state of background jobs."""

from __future__ import annotations

import sqlalchemy as sa

from ..fieldtypes import ID_TYPE, JSON_TYPE

USERS_TABLE = "mc_users"


def add_system_tables(metadata: sa.MetaData) -> None:
    """The platform's own tables: users, audit trail, customizations, counters."""
    sa.Table(
        USERS_TABLE, metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(150), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254)),
        sa.Column("language", sa.String(10), nullable=False, server_default="en"),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("phone", sa.String(40)),
        sa.Column("password_hash", sa.String(255)),
        sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false()),
        # The reporting line: "own and subordinates" scopes follow it downwards.
        sa.Column("manager_id", ID_TYPE, sa.ForeignKey(f"{USERS_TABLE}.id")),
    )
    sa.Index("ix_mc_users_manager_id", metadata.tables[USERS_TABLE].c.manager_id)
    _add_people_tables(metadata)
    tokens = sa.Table(
        "mc_tokens", metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("user_id", ID_TYPE, sa.ForeignKey(f"{USERS_TABLE}.id"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        # Only a digest is kept: a leaked database does not leak usable tokens.
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    sa.Index("ix_mc_tokens_user_id", tokens.c.user_id)
    audit = sa.Table(
        "mc_audit", metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("entity", sa.String(60), nullable=False),
        sa.Column("record_id", sa.BigInteger, nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("user_id", ID_TYPE, sa.ForeignKey(f"{USERS_TABLE}.id")),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changes", JSON_TYPE, nullable=False),
        sa.Column("note", sa.Text),
    )
    sa.Index("ix_mc_audit_entity_record_id", audit.c.entity, audit.c.record_id, audit.c.id)
    sa.Table(
        "mc_customizations", metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("document", JSON_TYPE, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", ID_TYPE, sa.ForeignKey(f"{USERS_TABLE}.id")),
    )
    sa.Table(
        "mc_schema_state", metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    sa.Table(
        "mc_sequences", metadata,
        sa.Column("name", sa.String(120), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )


def _add_people_tables(metadata: sa.MetaData) -> None:
    """Teams, role assignments, web sessions and sign-in attempts."""
    sa.Table(
        "mc_teams", metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    members = sa.Table(
        "mc_team_members", metadata,
        sa.Column("team_id", ID_TYPE, sa.ForeignKey("mc_teams.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("user_id", ID_TYPE, sa.ForeignKey(f"{USERS_TABLE}.id", ondelete="CASCADE"),
                  primary_key=True),
    )
    sa.Index("ix_mc_team_members_user_id", members.c.user_id, members.c.team_id)
    sa.Table(
        "mc_user_roles", metadata,
        sa.Column("user_id", ID_TYPE, sa.ForeignKey(f"{USERS_TABLE}.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("role", sa.String(60), primary_key=True),
    )
    sessions = sa.Table(
        "mc_sessions", metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("user_id", ID_TYPE, sa.ForeignKey(f"{USERS_TABLE}.id"), nullable=False),
        # Like tokens, only a digest of the session key is kept.
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("address", sa.String(64)),
        sa.Column("user_agent", sa.String(300)),
    )
    sa.Index("ix_mc_sessions_user_id", sessions.c.user_id)
    attempts = sa.Table(
        "mc_login_attempts", metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(150), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    sa.Index("ix_mc_login_attempts_username_at", attempts.c.username, attempts.c.at)
    sa.Index("ix_mc_login_attempts_address_at", attempts.c.address, attempts.c.at)
    sa.Table(
        "mc_assignment_state", metadata,
        sa.Column("rule", sa.String(120), primary_key=True),
        sa.Column("last_user_id", ID_TYPE),
    )
    sa.Table(
        "mc_job_slots", metadata,
        sa.Column("name", sa.String(120), primary_key=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("result", JSON_TYPE),
    )
