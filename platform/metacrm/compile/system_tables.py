"""The platform's own tables: users and teams, credentials, the audit trail,
customizations, counters and the state of background jobs."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, fields

import sqlalchemy as sa

from ..fieldtypes import ID_TYPE, JSON_TYPE, UtcDateTime
from ..imports.tables import add_import_tables
from ..intake.tables import add_intake_tables
from .report_tables import add_report_tables

USERS_TABLE = "mc_users"


@dataclass(frozen=True)
class SystemTables:
    """Typed handles on the platform's own tables of one compiled program
    (``compiled.tables.approvals``), instead of looking them up by name: a misspelt
    attribute fails type checking, a misspelt string only at run time."""

    users: sa.Table
    teams: sa.Table
    team_members: sa.Table
    user_roles: sa.Table
    sessions: sa.Table
    login_attempts: sa.Table
    signin_addresses: sa.Table
    security_events: sa.Table
    assignment_state: sa.Table
    job_slots: sa.Table
    approvals: sa.Table
    approval_tasks: sa.Table
    approval_events: sa.Table
    delegations: sa.Table
    notifications: sa.Table
    tokens: sa.Table
    audit: sa.Table
    customizations: sa.Table
    pending_customizations: sa.Table
    schema_state: sa.Table
    sequences: sa.Table
    saved_views: sa.Table
    derived_state: sa.Table
    imports: sa.Table
    import_rows: sa.Table
    dashboard_pins: sa.Table
    report_subscriptions: sa.Table

    @classmethod
    def of(cls, metadata: sa.MetaData) -> SystemTables:
        """The handles on ``metadata``'s system tables (each named ``mc_<attribute>``)."""
        return cls(**{f.name: metadata.tables[f"mc_{f.name}"] for f in fields(cls)})


_HANDLES: weakref.WeakKeyDictionary[sa.MetaData, SystemTables] = weakref.WeakKeyDictionary()


def system_tables(metadata: sa.MetaData) -> SystemTables:
    """The handles on ``metadata``'s system tables, made once per metadata: for code
    handed a MetaData rather than the compiled program (identity/, its commands)."""
    found = _HANDLES.get(metadata)
    if found is None:
        found = _HANDLES[metadata] = SystemTables.of(metadata)
    return found


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
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("phone", sa.String(40)),
        sa.Column("password_hash", sa.String(255)),
        sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false()),
        # The reporting line: "own and subordinates" scopes follow it downwards.
        sa.Column("manager_id", ID_TYPE, sa.ForeignKey(f"{USERS_TABLE}.id")),
    )
    sa.Index("ix_mc_users_manager_id", metadata.tables[USERS_TABLE].c.manager_id)
    _add_people_tables(metadata)
    _add_approval_tables(metadata)
    tokens = sa.Table(
        "mc_tokens", metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("user_id", ID_TYPE, sa.ForeignKey(f"{USERS_TABLE}.id"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        # Only a digest is kept: a leaked database does not leak usable tokens.
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime()),
        sa.Column("expires_at", UtcDateTime()),  # null: until revoked
    )
    sa.Index("ix_mc_tokens_user_id", tokens.c.user_id)
    audit = sa.Table(
        "mc_audit", metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("entity", sa.String(60), nullable=False),
        sa.Column("record_id", sa.BigInteger, nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("user_id", ID_TYPE, sa.ForeignKey(f"{USERS_TABLE}.id")),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("changes", JSON_TYPE, nullable=False),
        sa.Column("note", sa.Text),
    )
    sa.Index("ix_mc_audit_entity_record_id", audit.c.entity, audit.c.record_id, audit.c.id)
    sa.Table(
        "mc_customizations", metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("document", JSON_TYPE, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", ID_TYPE, sa.ForeignKey(f"{USERS_TABLE}.id")),
        # Removed (DELETE /api/meta/customizations/<id>): kept, marked, to be restored.
        sa.Column("removed_at", UtcDateTime()),
        sa.Column("removed_by", ID_TYPE, sa.ForeignKey(f"{USERS_TABLE}.id")),
    )
    # A customization whose online migration began and has not finished (PostgreSQL:
    # columns added, indexes being built concurrently), with what it created so that
    # it can be undone if its process dies: see runtime/customize.py.
    sa.Table(
        "mc_pending_customizations", metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=False),
        sa.Column("document", JSON_TYPE, nullable=False),
        sa.Column("created", JSON_TYPE, nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("started_by", ID_TYPE, sa.ForeignKey(f"{USERS_TABLE}.id")),
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
    # Per entity, what its stored formulas and rollups were computed from
    # (runtime/derived_refresh.py computes them again when that changes).
    sa.Table(
        "mc_derived_state", metadata,
        sa.Column("entity", sa.String(120), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
    )
    _add_saved_views(metadata)
    add_intake_tables(metadata)
    add_import_tables(metadata)
    _add_dashboard_pins(metadata)
    add_report_tables(metadata, USERS_TABLE)


SAVED_VIEWS_TABLE = "mc_saved_views"


def _add_saved_views(metadata: sa.MetaData) -> None:
    """Lists people saved (a name for a query string of the list API), their own or
    shared by an administrator with roles."""
    views = sa.Table(
        SAVED_VIEWS_TABLE, metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("entity", sa.String(60), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("owner_id", ID_TYPE, sa.ForeignKey(f"{USERS_TABLE}.id"), nullable=False),
        sa.Column("roles", JSON_TYPE, nullable=False),  # shared with them; [] is private
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("owner_id", "entity", "name", name="uq_mc_saved_views_name"),
    )
    sa.Index("ix_mc_saved_views_entity", views.c.entity, views.c.owner_id)


def _add_dashboard_pins(metadata: sa.MetaData) -> None:
    """What each person pinned to their dashboard: a report (with its parameters) or a
    list (with its filters), as the query string of its API call."""
    pins = sa.Table(
        "mc_dashboard_pins", metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("user_id", ID_TYPE, sa.ForeignKey(f"{USERS_TABLE}.id"), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),  # report or list
        sa.Column("target", sa.String(60), nullable=False),  # the report or the entity
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("title", sa.String(100)),
        sa.Column("span", sa.Integer, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    sa.Index("ix_mc_dashboard_pins_user_id", pins.c.user_id, pins.c.id)


def _add_people_tables(metadata: sa.MetaData) -> None:
    """Teams, role assignments, web sessions and sign-in attempts."""
    sa.Table(
        "mc_teams", metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
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
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("seen_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime()),
        sa.Column("address", sa.String(64)),
        sa.Column("user_agent", sa.String(300)),
    )
    sa.Index("ix_mc_sessions_user_id", sessions.c.user_id)
    attempts = sa.Table(
        "mc_login_attempts", metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(150), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
    )
    sa.Index("ix_mc_login_attempts_username_at", attempts.c.username, attempts.c.at)
    sa.Index("ix_mc_login_attempts_address_at", attempts.c.address, attempts.c.at)
    # Where each account signed in from lately: those addresses are not slowed down by
    # failures from elsewhere (identity/throttle.py).
    sa.Table(
        "mc_signin_addresses", metadata,
        sa.Column("username", sa.String(150), primary_key=True),
        sa.Column("address", sa.String(64), primary_key=True),
        sa.Column("last_at", UtcDateTime(), nullable=False),
    )
    _add_security_events(metadata)
    sa.Table(
        "mc_assignment_state", metadata,
        sa.Column("rule", sa.String(120), primary_key=True),
        sa.Column("last_user_id", ID_TYPE),
    )
    sa.Table(
        "mc_job_slots", metadata,
        sa.Column("name", sa.String(120), primary_key=True),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("started_at", UtcDateTime()),
        sa.Column("finished_at", UtcDateTime()),
        sa.Column("result", JSON_TYPE),
    )


def _add_security_events(metadata: sa.MetaData) -> None:
    """The security record (identity/security_events.py), read newest first, by
    kind, by the user who acted or whom it concerns, and purged by age."""
    events = sa.Table(
        "mc_security_events", metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        # A refusal repeated within the minute counts on one row: its last time.
        sa.Column("last_at", UtcDateTime(), nullable=False),
        sa.Column("count", sa.Integer, nullable=False, server_default="1"),
        sa.Column("kind", sa.String(40), nullable=False),
        # Who acted: a user, or only the name typed at sign-in. No foreign key: the
        # record must outlive anything it mentions.
        sa.Column("user_id", ID_TYPE),
        sa.Column("username", sa.String(150)),
        sa.Column("target", sa.String(150)),  # whose access it concerns, if not the actor's
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("details", JSON_TYPE, nullable=False),
    )
    sa.Index("ix_mc_security_events_kind_at", events.c.kind, events.c.at)
    sa.Index("ix_mc_security_events_username_id", events.c.username, events.c.id)
    sa.Index("ix_mc_security_events_target_id", events.c.target, events.c.id)
    sa.Index("ix_mc_security_events_last_at", events.c.last_at)


def _add_approval_tables(metadata: sa.MetaData) -> None:
    """Approval chains in flight, the tasks they give approvers, delegations, and the
    notifications (read in the app, and e-mailed when SMTP is configured)."""
    tz = UtcDateTime()
    approvals = sa.Table(
        "mc_approvals", metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("approval", sa.String(60), nullable=False),
        sa.Column("entity", sa.String(60), nullable=False),
        sa.Column("record_id", sa.BigInteger, nullable=False),
        sa.Column("transition", sa.String(60)),
        sa.Column("from_state", sa.String(60)),
        # pending, approved, rejected, withdrawn
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("steps", JSON_TYPE, nullable=False),  # the steps chosen at submit
        sa.Column("current", sa.Integer, nullable=False),  # index into steps
        sa.Column("submitter_id", ID_TYPE, sa.ForeignKey(f"{USERS_TABLE}.id")),
        sa.Column("submitted_at", tz, nullable=False),
        sa.Column("finished_at", tz),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    )
    # At most one chain in flight per record: the database keeps two submits apart.
    pending = approvals.c.state == "pending"
    sa.Index("uq_mc_approvals_pending_record", approvals.c.entity, approvals.c.record_id,
             unique=True, sqlite_where=pending, postgresql_where=pending)
    sa.Index("ix_mc_approvals_entity_record_id", approvals.c.entity, approvals.c.record_id,
             approvals.c.id)
    # "Submitted by me", newest first, per state (runtime/approval_views.py).
    sa.Index("ix_mc_approvals_submitter_id_state_id", approvals.c.submitter_id,
             approvals.c.state, approvals.c.id)
    tasks = sa.Table(
        "mc_approval_tasks", metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("approval_id", ID_TYPE, sa.ForeignKey("mc_approvals.id"), nullable=False),
        sa.Column("step", sa.String(60), nullable=False),
        sa.Column("step_index", sa.Integer, nullable=False),
        sa.Column("user_id", ID_TYPE, sa.ForeignKey(f"{USERS_TABLE}.id"), nullable=False),
        # whom the task was given for: a delegation or an escalation
        sa.Column("on_behalf_of", ID_TYPE, sa.ForeignKey(f"{USERS_TABLE}.id")),
        # pending, approved, rejected, skipped (another approver decided), cancelled,
        # delegated (handed to someone else, who got a new task on_behalf_of the holder)
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("created_at", tz, nullable=False),
        sa.Column("decided_at", tz),
        sa.Column("comment", sa.Text),
        sa.Column("remind_at", tz),
        sa.Column("escalate_at", tz),
        sa.Column("reminded_at", tz),
        sa.Column("escalated_at", tz),
    )
    sa.Index("ix_mc_approval_tasks_user_id_state_id", tasks.c.user_id, tasks.c.state, tasks.c.id)
    sa.Index("ix_mc_approval_tasks_approval_id", tasks.c.approval_id)
    sa.Index("ix_mc_approval_tasks_state_remind_at", tasks.c.state, tasks.c.remind_at)
    sa.Index("ix_mc_approval_tasks_state_escalate_at", tasks.c.state, tasks.c.escalate_at)
    events = sa.Table(
        "mc_approval_events", metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("approval_id", ID_TYPE, sa.ForeignKey("mc_approvals.id"), nullable=False),
        sa.Column("user_id", ID_TYPE, sa.ForeignKey(f"{USERS_TABLE}.id")),
        # submit, approve, reject, withdraw, comment, delegate, remind, escalate, step, done
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("step", sa.String(60)),
        sa.Column("comment", sa.Text),
        sa.Column("at", tz, nullable=False),
    )
    sa.Index("ix_mc_approval_events_approval_id", events.c.approval_id, events.c.id)
    delegations = sa.Table(
        "mc_delegations", metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("user_id", ID_TYPE, sa.ForeignKey(f"{USERS_TABLE}.id"), nullable=False),
        sa.Column("delegate_id", ID_TYPE, sa.ForeignKey(f"{USERS_TABLE}.id"), nullable=False),
        sa.Column("starts_at", tz, nullable=False),
        sa.Column("ends_at", tz, nullable=False),
        sa.Column("created_at", tz, nullable=False),
        sa.Column("revoked_at", tz),
    )
    sa.Index("ix_mc_delegations_user_id_ends_at", delegations.c.user_id, delegations.c.ends_at)
    notifications = sa.Table(
        "mc_notifications", metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("user_id", ID_TYPE, sa.ForeignKey(f"{USERS_TABLE}.id"), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text),
        sa.Column("entity", sa.String(60)),
        sa.Column("record_id", sa.BigInteger),
        sa.Column("approval_id", ID_TYPE, sa.ForeignKey("mc_approvals.id")),
        sa.Column("created_at", tz, nullable=False),
        sa.Column("read_at", tz),
        # E-mail (when SMTP is configured): sent by the mail job, retried on failure.
        sa.Column("emailed_at", tz),
        sa.Column("email_attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("email_error", sa.Text),
    )
    sa.Index("ix_mc_notifications_user_id_read_at_id", notifications.c.user_id,
             notifications.c.read_at, notifications.c.id)
    # A user's notifications newest first, read or not (the unread ones use the index above).
    sa.Index("ix_mc_notifications_user_id_id", notifications.c.user_id, notifications.c.id)
    unsent = notifications.c.emailed_at.is_(None)
    sa.Index("ix_mc_notifications_unsent", notifications.c.id, sqlite_where=unsent,
             postgresql_where=unsent)
