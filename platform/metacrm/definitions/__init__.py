"""Frozen value types for every definition the engine understands.

Definitions are built once from validated YAML (see ``build/``), merged
across bundles by ``resolve/`` and never mutated afterwards; compiling is a
pure function of them. Every definition carries the ``Location`` it came from
so that any later phase can report an error a person can act on.
"""

from __future__ import annotations

from .catalog import BundleDefs as BundleDefs
from .catalog import BundleManifest as BundleManifest
from .catalog import BundleSettings as BundleSettings
from .catalog import Catalog as Catalog
from .catalog import NavigationGroup as NavigationGroup
from .dashboards import DashboardDef as DashboardDef
from .dashboards import WidgetDef as WidgetDef
from .demo import DemoDef as DemoDef
from .demo import DemoPersonDef as DemoPersonDef
from .entities import AGGREGATES as AGGREGATES
from .entities import COMPUTED_TYPES as COMPUTED_TYPES
from .entities import CURRENT_USER as CURRENT_USER
from .entities import DUPLICATE_ACTIONS as DUPLICATE_ACTIONS
from .entities import FIELD_TYPES as FIELD_TYPES
from .entities import ON_DELETE_RULES as ON_DELETE_RULES
from .entities import SYSTEM_FIELD_TYPES as SYSTEM_FIELD_TYPES
from .entities import DuplicateRuleDef as DuplicateRuleDef
from .entities import EntityDef as EntityDef
from .entities import EntityExtension as EntityExtension
from .entities import FieldDef as FieldDef
from .entities import IndexDef as IndexDef
from .entities import OptionDef as OptionDef
from .entities import OptionSetDef as OptionSetDef
from .entities import OptionSetExtension as OptionSetExtension
from .entities import RuleDef as RuleDef
from .entities import block_column as block_column
from .forms import FIELD_CONDITIONS as FIELD_CONDITIONS
from .forms import FormDef as FormDef
from .forms import FormFieldDef as FormFieldDef
from .forms import RelatedListDef as RelatedListDef
from .forms import SectionDef as SectionDef
from .forms import TabDef as TabDef
from .intake import IntakeDef as IntakeDef
from .ownership import ASSIGNMENT_METHODS as ASSIGNMENT_METHODS
from .ownership import AssignmentRuleDef as AssignmentRuleDef
from .ownership import CarryDef as CarryDef
from .ownership import Conditions as Conditions
from .ownership import PoolDef as PoolDef
from .ownership import ReturnRuleDef as ReturnRuleDef
from .ownership import TransferDef as TransferDef
from .reports import ReportDef as ReportDef
from .roles import DEFAULT_GRANT as DEFAULT_GRANT
from .roles import FIELD_ACCESS as FIELD_ACCESS
from .roles import OPERATIONS as OPERATIONS
from .roles import SCOPES as SCOPES
from .roles import GrantDef as GrantDef
from .roles import GrantPatch as GrantPatch
from .roles import RoleDef as RoleDef
from .roles import RoleExtension as RoleExtension
from .texts import LANGUAGES as LANGUAGES
from .texts import NO_TEXT as NO_TEXT
from .texts import UNKNOWN as UNKNOWN
from .texts import Label as Label
from .texts import Location as Location
from .texts import humanize as humanize
from .workflows import ACTION_KINDS as ACTION_KINDS
from .workflows import APPROVER_KINDS as APPROVER_KINDS
from .workflows import ActionDef as ActionDef
from .workflows import ApprovalDef as ApprovalDef
from .workflows import ApproverDef as ApproverDef
from .workflows import StepDef as StepDef
from .workflows import TransitionDef as TransitionDef
from .workflows import WhoDef as WhoDef
from .workflows import WorkflowDef as WorkflowDef
