"""Sync a live database with compiled MetaData: plan the changes, then apply them.

plan = plan_migration(engine, metadata)          # reads only
print("\n".join(plan.explain()))                  # each change and what it locks
apply_migration(engine, plan, note="add wechat")  # one transaction, recorded

With ``concurrent_indexes=True`` (PostgreSQL) the plan builds the indexes of
existing tables concurrently, after its transaction: see ``concurrent.py``.
"""

from __future__ import annotations

from .actions import Action as Action
from .actions import Refusal as Refusal
from .apply import apply_migration as apply_migration
from .apply import apply_migration_in as apply_migration_in
from .apply import apply_migration_on as apply_migration_on
from .concurrent import build_concurrently as build_concurrently
from .concurrent import created_objects as created_objects
from .concurrent import drop_created as drop_created
from .concurrent import is_additive as is_additive
from .errors import IndexBuildFailed as IndexBuildFailed
from .errors import MigrationFailed as MigrationFailed
from .errors import MigrationLockTimeout as MigrationLockTimeout
from .errors import MigrationRefused as MigrationRefused
from .errors import PlanOutdated as PlanOutdated
from .history import AppliedMigration as AppliedMigration
from .history import migration_history as migration_history
from .history import record_migration as record_migration
from .plan import MigrationPlan as MigrationPlan
from .plan import plan_migration as plan_migration
from .plan import plan_migration_in as plan_migration_in
from .session import MigrationTimeouts as MigrationTimeouts
from .session import configured_timeouts as configured_timeouts
from .session import migration_session as migration_session

__all__ = [
    "Action",
    "AppliedMigration",
    "IndexBuildFailed",
    "MigrationFailed",
    "MigrationLockTimeout",
    "MigrationPlan",
    "MigrationRefused",
    "MigrationTimeouts",
    "PlanOutdated",
    "Refusal",
    "apply_migration",
    "apply_migration_in",
    "apply_migration_on",
    "build_concurrently",
    "configured_timeouts",
    "created_objects",
    "drop_created",
    "is_additive",
    "migration_history",
    "migration_session",
    "plan_migration",
    "plan_migration_in",
    "record_migration",
]
