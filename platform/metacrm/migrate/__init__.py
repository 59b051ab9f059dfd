"""Sync a live database with compiled MetaData: plan the changes, then apply them.

plan = plan_migration(engine, metadata)          # reads only
print("\n".join(plan.describe()))
apply_migration(engine, plan, note="add wechat")  # one transaction, recorded
"""

from __future__ import annotations

from .actions import Action as Action
from .actions import Refusal as Refusal
from .apply import MigrationFailed as MigrationFailed
from .apply import MigrationRefused as MigrationRefused
from .apply import PlanOutdated as PlanOutdated
from .apply import apply_migration as apply_migration
from .apply import apply_migration_in as apply_migration_in
from .history import AppliedMigration as AppliedMigration
from .history import migration_history as migration_history
from .plan import MigrationPlan as MigrationPlan
from .plan import plan_migration as plan_migration
from .plan import plan_migration_in as plan_migration_in

__all__ = [
    "Action",
    "AppliedMigration",
    "MigrationFailed",
    "MigrationPlan",
    "MigrationRefused",
    "PlanOutdated",
    "Refusal",
    "apply_migration",
    "apply_migration_in",
    "migration_history",
    "plan_migration",
    "plan_migration_in",
]
