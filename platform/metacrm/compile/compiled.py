"""One compiled program: catalog, tables, entity models, the permission policy,
workflows and approval chains, built together."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from ..base.context import Principal
from ..collector import collector_paused
from ..definitions import Catalog
from .forms import CompiledForm, choose_form, compile_forms
from .models import EntityModel, compile_models
from .policy import Policy
from .system_tables import SystemTables
from .tables import compile_tables
from .workflows import CompiledApproval, CompiledWorkflow, compile_approvals, compile_workflows


@dataclass(frozen=True)
class Compiled:
    catalog: Catalog
    metadata: sa.MetaData
    models: dict[str, EntityModel]
    policy: Policy
    workflows: dict[str, CompiledWorkflow]  # by entity
    approvals: dict[str, CompiledApproval]  # by name
    tables: SystemTables
    schema_version: int = 0
    forms: dict[str, tuple[CompiledForm, ...]] = field(default_factory=dict)  # by entity
    # What the runtime works out once per program and keeps (e.g. page fragments that
    # are the same for a set of roles in a language): a recompiled program starts empty.
    memo: dict[object, object] = field(default_factory=dict, init=False, compare=False,
                                       repr=False)

    def model(self, name: str) -> EntityModel | None:
        return self.models.get(name)

    def form_for(self, entity: str, principal: Principal) -> CompiledForm | None:
        """The layout ``principal`` sees for ``entity``; None: the generated one."""
        return choose_form(self.forms.get(entity, ()), principal.roles)


def compile_catalog(catalog: Catalog, schema_version: int = 0) -> Compiled:
    with collector_paused():
        metadata = compile_tables(catalog)
        models = compile_models(catalog, metadata)
        return Compiled(catalog, metadata, models, Policy(catalog, models),
                        compile_workflows(catalog), compile_approvals(catalog),
                        SystemTables.of(metadata), schema_version, compile_forms(catalog))
