"""Compile roles into what the runtime asks of them: for a user's set of roles
and an entity, the operations allowed, the record scopes per operation, and the
fields hidden or read-only.

Pure: built from the Catalog and the entity models only. A user with several
roles gets the union of their grants: an operation is allowed if any grant
allows it, on the records any such grant reaches; a field any grant hides (or
makes read-only) is hidden (read-only).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from threading import Lock

from ..base.context import Principal
from ..definitions import OPERATIONS, Catalog, EntityDef, GrantDef
from .models import EntityModel


@dataclass(frozen=True)
class Reach:
    """The records one grant reaches: a scope level and conditions on the record."""

    scope: str
    where: tuple[tuple[str, tuple[object, ...]], ...] = ()

    @classmethod
    def of(cls, grant: GrantDef) -> Reach:
        return cls(grant.scope, tuple(sorted(grant.where.items())))

    @property
    def everything(self) -> bool:
        return self.scope == "all" and not self.where


@dataclass(frozen=True)
class EntityPolicy:
    entity: str
    operations: frozenset[str]
    reaches: Mapping[str, tuple[Reach, ...]]  # per operation
    hidden: frozenset[str] = frozenset()
    readonly: frozenset[str] = frozenset()
    hold_limit: int | None = None
    unrestricted: bool = False  # an administrator: no scope, nothing hidden
    # Read-only fields with a default that the user may give on create.
    set_on_create: frozenset[str] = frozenset()

    def may_set_on_create(self, name: str) -> bool:
        return self.unrestricted or name in self.set_on_create

    def allows(self, operation: str) -> bool:
        return operation in self.operations

    def reach(self, operation: str) -> tuple[Reach, ...]:
        return self.reaches.get(operation, ())

    def read_covers(self, operation: str) -> bool:
        """Whether every record ``operation`` reaches is one the user may read (known
        from the grants alone, so no query is needed to show a write's result)."""
        if self.unrestricted:
            return True
        readable = self.reach("read")
        return any(r.everything for r in readable) or set(self.reach(operation)) <= set(
            readable)


NO_ACCESS = EntityPolicy("", frozenset(), {})


class Policy:
    """Entity policies per set of roles, compiled on first use and kept."""

    def __init__(self, catalog: Catalog, models: Mapping[str, EntityModel]):
        self.catalog = catalog
        self._models = models
        self._cache: dict[tuple[frozenset[str], bool, str], EntityPolicy] = {}
        self._readable: dict[tuple[frozenset[str], bool], tuple[str, ...]] = {}
        self._lock = Lock()

    def is_admin(self, roles: frozenset[str]) -> bool:
        return any(self.catalog.roles[r].admin for r in roles if r in self.catalog.roles)

    def administers(self, principal: Principal) -> bool:
        """Whether the caller is an administrator: by their own flag, as the platform
        itself, or through an administrator role."""
        return principal.admin or principal.system or self.is_admin(principal.roles)

    def entity(self, roles: frozenset[str], admin: bool, entity: str) -> EntityPolicy:
        key = (roles, admin, entity)
        found = self._cache.get(key)
        if found is None:
            found = self._compile(roles, admin or self.is_admin(roles), entity)
            with self._lock:
                self._cache[key] = found
        return found

    def readable(self, principal: Principal) -> tuple[str, ...]:
        """The entities ``principal`` may read, in definition order: what every page's
        navigation lists, worked out once per set of roles rather than per page."""
        admin = principal.admin or principal.system
        key = (principal.roles, admin)
        found = self._readable.get(key)
        if found is None:
            found = tuple(name for name in self._models
                          if self.entity(principal.roles, admin, name).allows("read"))
            with self._lock:
                self._readable[key] = found
        return found

    def _compile(self, roles: frozenset[str], admin: bool, name: str) -> EntityPolicy:
        entity = self.catalog.entities[name]
        applicable = _applicable_operations(entity, self._models[name])
        if admin:
            return EntityPolicy(name, applicable, {op: (Reach("all"),) for op in applicable},
                                unrestricted=True)
        grants = [g for g in (self.catalog.roles[r].grant(name) for r in sorted(roles)
                              if r in self.catalog.roles) if g is not None]
        if not grants:
            return EntityPolicy(name, frozenset(), {})
        operations = frozenset().union(*(g.operations for g in grants)) & applicable
        reaches = {op: tuple(dict.fromkeys(Reach.of(g) for g in grants if op in g.operations))
                   for op in operations}
        # A field any of the user's grants hides stays hidden (and read-only likewise):
        # were it shown because another role reads the entity, it would be shown on
        # every record that role reaches, including those the hiding role was meant for.
        hidden = frozenset().union(*(_marked(g, "hidden") for g in grants))
        hidden = _with_dependent_formulas(self._models[name], hidden)
        readonly = frozenset().union(*(_marked(g, "readonly") for g in grants))
        # Only grants that let a user gain records (claim or create) bound what they hold;
        # one of them without a limit leaves the user unbounded.
        limits = [g.hold_limit for g in grants if {"claim", "create"} & g.operations]
        hold_limit = None if not limits or None in limits else max(
            limit for limit in limits if limit is not None)
        # A grant is a permission: any of the user's grants gives it (a field another
        # role hides or makes read-only stays so, as it is refused on create anyway).
        set_on_create = frozenset().union(*(_marked(g, "set_on_create") for g in grants))
        return EntityPolicy(name, operations, reaches, hidden, readonly | hidden, hold_limit,
                            set_on_create=set_on_create)


def _applicable_operations(entity: EntityDef, model: EntityModel) -> frozenset[str]:
    excluded = set()
    if entity.pool is None:
        excluded |= {"claim", "release"}
    if entity.owner_field is None:
        excluded.add("transfer")
    if not model.approvals:
        excluded.add("comment")
    return frozenset(OPERATIONS) - excluded


def _marked(grant: GrantDef, access: str) -> frozenset[str]:
    return frozenset(name for name, given in grant.fields.items() if given == access)


def _with_dependent_formulas(model: EntityModel, hidden: frozenset[str]) -> frozenset[str]:
    """A formula computed from a hidden field would reveal it: hide it too."""
    if not hidden:
        return hidden
    closed = set(hidden)
    for formula, expression in model.formulas:  # in evaluation order: one pass suffices
        if expression.names & closed:
            closed.add(formula.name)
    return frozenset(closed)
