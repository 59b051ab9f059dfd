"""The boolean conditions definitions write (validation rules, transition guards,
approval steps' ``when``, layouts' ``visible_if``/``required_if``/``readonly_if``),
checked one way everywhere: they parse, read only names the entity has, give a
boolean, and compare choice fields only with their options."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ..definitions import Catalog, EntityDef
from ..errors import ErrorCollector, Location
from ..expressions import ExpressionError, check_expression


@dataclass(frozen=True)
class ConditionNames:
    """What a condition on an entity's records may read: the names and their value
    types, how a value type reads in an expression, and the choice fields' options."""

    types: Mapping[str, str]
    kinds: Callable[[str], str]
    options: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, catalog: Catalog, entity: EntityDef,
           extra: Mapping[str, str] | None = None) -> ConditionNames:
        """The entity's fields (system ones too), and ``extra`` names (the caller's)."""
        return cls({**entity.field_types(), **(extra or {})},
                   catalog.field_types.expression_type, catalog.option_values(entity))

    def check(self, source: str, where: Location, what: str, errors: ErrorCollector) -> None:
        """Report at ``where`` why ``source`` is not a condition of these names."""
        try:
            check_expression(source, self.types, result="bool", kinds=self.kinds,
                             options=self.options)
        except ExpressionError as exc:
            errors.add(where, f"{what}: {exc}")
