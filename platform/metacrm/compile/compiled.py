"""One compiled program: catalog, tables and entity models, built together."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ..definitions import Catalog
from .models import EntityModel, compile_models
from .policy import Policy
from .tables import compile_tables


@dataclass(frozen=True)
class Compiled:
    catalog: Catalog
    metadata: sa.MetaData
    models: dict[str, EntityModel]
    policy: Policy
    schema_version: int = 0

    def model(self, name: str) -> EntityModel | None:
        return self.models.get(name)


def compile_catalog(catalog: Catalog, schema_version: int = 0) -> Compiled:
    metadata = compile_tables(catalog)
    models = compile_models(catalog, metadata)
    return Compiled(catalog, metadata, models, Policy(catalog, models), schema_version)
