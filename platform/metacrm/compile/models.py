"""Compile each entity into an EntityModel: everything the runtime needs, precomputed.

An EntityModel ties an entity's definition to its table, output converters,
formulas in evaluation order, parsed rules and the references other entities
hold to it. Pure: built from the Catalog and MetaData only.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from marshmallow import Schema

from ..cleaning.keys import block_key, match_key
from ..cleaning.steps import Clean, compile_steps
from ..definitions import (
    NO_TEXT,
    SYSTEM_FIELD_TYPES,
    Catalog,
    EntityDef,
    FieldDef,
    RuleDef,
    block_column,
)
from ..expressions import Expression, parse_expression
from .locks import ChainLock, StateLock, compile_chain_locks, compile_state_locks
from .payloads import compile_payload_schema
from .tables import link_table_name

SYSTEM_COLUMNS = ("id", "version", "created_at", "updated_at", "created_by", "updated_by")
# Prebuilt statements kept per entity (see ``EntityModel.statement``).
MAX_STATEMENTS = 256


@dataclass(frozen=True)
class IncomingReference:
    """A field of another entity that points at this one."""

    entity: str
    field: FieldDef


@dataclass(frozen=True)
class RollupFeed:
    """A rollup field of ``parent`` that aggregates this entity through ``reference``."""

    parent: str
    field: FieldDef
    reference: str


@dataclass(frozen=True)
class CompiledRule:
    rule: RuleDef
    check: Expression
    when: Expression | None

    @property
    def names(self) -> frozenset[str]:
        """Every field the rule speaks of: in its check, its condition and its target."""
        used = self.check.names | (self.when.names if self.when else frozenset())
        return used | ({self.rule.field} if self.rule.field else frozenset())


@dataclass
class EntityModel:
    entity: EntityDef
    table: sa.Table
    catalog: Catalog
    link_tables: dict[str, sa.Table]
    formulas: list[tuple[FieldDef, Expression]]
    rules: list[CompiledRule]
    incoming: list[IncomingReference]
    feeds: list[RollupFeed]
    converters: dict[str, Callable[[Any], Any] | None]
    types: dict[str, str]
    # The workflow's state field (changed only by transitions) and where records start.
    state_field: str | None = None
    initial_state: str | None = None
    # Approval chains may hold the entity's records (locked while one is pending).
    approvals: tuple[str, ...] = ()
    # Paths to records of other entities an approval chain may hold, whose rollups
    # this entity's records feed: locked while such a chain runs (see locks.py).
    chain_locks: tuple[ChainLock, ...] = ()
    # References whose target's read-only state locks this entity's records too.
    state_locks: tuple[StateLock, ...] = ()
    # Each field's clean: steps as one function (fields without steps are absent).
    cleaners: dict[str, Clean] = field(default_factory=dict)
    _payload_schemas: dict[str, Schema] = field(default_factory=dict)
    # SQL statements built once per model by the runtime (see ``statement``).
    _statements: dict[Hashable, Any] = field(default_factory=dict)
    _rules_read: dict[frozenset[str], bool] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.entity.name

    def statement(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """A statement built once and reused: building and cache-keying a SQLAlchemy
        statement per request costs more than running a primary-key lookup. At most
        MAX_STATEMENTS are kept (keys may carry a client's choice of fields): when full,
        the cache starts again."""
        found = self._statements.get(key)
        if found is None:
            if len(self._statements) >= MAX_STATEMENTS:
                self._statements.clear()
            found = self._statements[key] = build()
        return found

    def payload_schema(self, lang: str) -> Schema:
        schema = self._payload_schemas.get(lang)
        if schema is None:
            schema = compile_payload_schema(self.catalog, self.entity, lang)()
            self._payload_schemas[lang] = schema
        return schema

    @cached_property
    def stored_fields(self) -> list[FieldDef]:
        return [f for f in self.entity.fields.values() if f.stored]

    @cached_property
    def multi_references(self) -> list[FieldDef]:
        return [f for f in self.entity.fields.values() if f.type == "multi_reference"]

    @cached_property
    def output_columns(self) -> list[str]:
        return list(SYSTEM_COLUMNS) + [f.name for f in self.stored_fields]

    @cached_property
    def decimal_quanta(self) -> dict[str, Decimal]:
        """Per decimal field, the unit of its last digit (0.01 for money)."""
        types = self.catalog.field_types
        return {f.name: Decimal(1).scaleb(-scale(f)) for f in self.entity.fields.values()
                if (scale := types.of(f).scale) is not None}

    @cached_property
    def required_fields(self) -> tuple[str, ...]:
        return tuple(n for n, f in self.entity.fields.items() if f.required)

    @cached_property
    def defaulted_fields(self) -> tuple[str, ...]:
        """The fields with a default, in definition order."""
        return tuple(n for n, f in self.entity.fields.items() if f.default is not None)

    @cached_property
    def rule_inputs(self) -> dict[str, str]:
        """The fields the validation rules read, with their types: a rule is evaluated
        on these alone (an import checks every row; the record has forty fields)."""
        read = frozenset().union(*(r.names for r in self.rules))
        return {name: kind for name, kind in self.types.items() if name in read}

    @cached_property
    def formula_inputs(self) -> dict[str, str]:
        """The fields the formulas read (each other's results too), with their types."""
        read = frozenset().union(*(e.names for _, e in self.formulas))
        return {name: kind for name, kind in self.types.items() if name in read}

    @cached_property
    def empty_rollups(self) -> dict[str, int]:
        """A new record has no children: counts and sums start at zero."""
        return {f.name: 0 for f in self.entity.fields.values()
                if f.type == "rollup" and f.aggregate in ("count", "sum")}

    @cached_property
    def blocked_fields(self) -> dict[str, str]:
        """The fields of fuzzy duplicate rules, by their block column."""
        return {block_column(r.fuzzy): r.fuzzy for r in self.entity.duplicates if r.fuzzy}

    @cached_property
    def company_fields(self) -> frozenset[str]:
        return frozenset(n for n, f in self.entity.fields.items()
                         if any(s == "company_name" for s, _ in f.clean))

    def is_company(self, name: str) -> bool:
        """Whether the field holds company names (compared by their company key)."""
        return name in self.company_fields

    def match_key(self, name: str, value: object) -> str:
        return match_key(value, self.is_company(name)) if isinstance(value, str) else ""

    def block_keys(self, record: dict[str, Any], changed: Any = None) -> dict[str, str | None]:
        """The block columns' values for ``record`` (only those of fields in ``changed``,
        if given): kept by every write, so that a block is one index range."""
        return {column: block_key(self.match_key(name, record.get(name)))
                for column, name in self.blocked_fields.items()
                if changed is None or name in changed}

    def field_type(self, name: str) -> str | None:
        return self.types.get(name)

    def with_formulas(self, names: frozenset[str]) -> frozenset[str]:
        """``names`` and the formulas computed from them, at any remove."""
        reached = set(names)
        for formula, expression in self.formulas:  # in evaluation order: one pass suffices
            if expression.names & reached:
                reached.add(formula.name)
        return frozenset(reached)

    def rules_read(self, names: frozenset[str]) -> bool:
        """Whether a validation rule reads one of ``names`` or a formula of them (when
        none does, a change of those fields cannot break a rule)."""
        found = self._rules_read.get(names)
        if found is None:
            reached = self.with_formulas(names)
            found = self._rules_read[names] = any(r.names & reached for r in self.rules)
        return found


def compile_models(catalog: Catalog, metadata: sa.MetaData) -> dict[str, EntityModel]:
    incoming: dict[str, list[IncomingReference]] = {name: [] for name in catalog.entities}
    feeds: dict[str, list[RollupFeed]] = {name: [] for name in catalog.entities}
    for entity in catalog.entities.values():
        for f in entity.fields.values():
            if f.type == "reference" and f.to in incoming:
                incoming[f.to].append(IncomingReference(entity.name, f))
            if f.type == "rollup" and f.source:
                child, _, reference = f.source.partition(".")
                feeds[child].append(RollupFeed(entity.name, f, reference))
    models = {
        name: _model(catalog, metadata, entity, incoming[name], feeds[name])
        for name, entity in catalog.entities.items()
    }
    for workflow in catalog.workflows.values():
        model = models[workflow.entity]
        model.state_field = workflow.field
        model.initial_state = workflow.initial_state
    for approval in catalog.approvals.values():
        models[approval.entity].approvals += (approval.name,)
    for name, locks in compile_chain_locks(models).items():
        models[name].chain_locks = locks
    for name, state_locks in compile_state_locks(catalog).items():
        models[name].state_locks = state_locks
    return models


def _model(catalog: Catalog, metadata: sa.MetaData, entity: EntityDef,
           incoming: list[IncomingReference], feeds: list[RollupFeed]) -> EntityModel:
    types = catalog.field_types
    converters: dict[str, Callable[[Any], Any] | None] = {
        name: types.output_converter(FieldDef(name, kind, NO_TEXT))
        for name, kind in SYSTEM_FIELD_TYPES.items()
    }
    converters.update({f.name: types.output_converter(f) for f in entity.fields.values()})
    rules = [
        CompiledRule(rule, parse_expression(rule.check),
                     parse_expression(rule.when) if rule.when else None)
        for rule in entity.rules
    ]
    return EntityModel(
        entity=entity,
        table=metadata.tables[entity.name],
        catalog=catalog,
        link_tables={f.name: metadata.tables[link_table_name(entity.name, f.name)]
                     for f in entity.fields.values() if f.type == "multi_reference"},
        formulas=[(f, parse_expression(f.expression or ""))
                  for f in (entity.fields[n] for n in entity.formula_order)],
        rules=rules,
        incoming=incoming,
        feeds=feeds,
        converters=converters,
        types=entity.field_types(),
        cleaners={f.name: clean for f in entity.fields.values()
                  if (clean := compile_steps(f.clean)) is not None},
    )
