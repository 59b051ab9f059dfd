"""One compiled program: catalog, tables, entity models, the permission policy,
workflows and approval chains, built together."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ..collector import collector_paused
from ..definitions import Catalog
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

    def model(self, name: str) -> EntityModel | None:
        return self.models.get(name)


def compile_catalog(catalog: Catalog, schema_version: int = 0) -> Compiled:
    with collector_paused():
        metadata = compile_tables(catalog)
        models = compile_models(catalog, metadata)
        return Compiled(catalog, metadata, models, Policy(catalog, models),
                        compile_workflows(catalog), compile_approvals(catalog),
                        SystemTables.of(metadata), schema_version)
