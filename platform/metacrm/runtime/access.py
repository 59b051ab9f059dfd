"""What the caller may do with an entity's records, asked by every read and write.

``entity_access`` joins the compiled policy of the caller's roles with the
caller's identity: the operations they may do, the SQL condition of the records
each operation reaches, and the fields they may not see or change. Enforcement
lives here and in the reads and writes that use it, not in the endpoints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import sqlalchemy as sa

from ..base.context import Context, Principal
from ..base.problems import Forbidden
from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..compile.policy import EntityPolicy
from ..i18n import message, operation_name
from .people import KeptPeople, People
from .scopes import OwnerSet, owner_set, reach_condition

# Operations that see the pool like reading does (for a role that may claim from it).
POOL_VISIBLE = ("read", "export")
SYSTEM_FIELDS = frozenset(("id", "version", "created_at", "updated_at", "created_by",
                           "updated_by", "deleted_at"))


def policy_for(compiled: Compiled, model: EntityModel, principal: Principal) -> EntityPolicy:
    admin = principal.admin or principal.system
    return compiled.policy.entity(principal.roles, admin, model.name)


@dataclass
class EntityAccess:
    compiled: Compiled
    model: EntityModel
    principal: Principal
    policy: EntityPolicy
    people: People | None = None

    def allows(self, operation: str) -> bool:
        return self.policy.allows(operation)

    def require(self, operation: str, ctx: Context) -> None:
        if not self.policy.allows(operation):
            raise Forbidden(message("forbidden", ctx.locale,
                                    operation=operation_name(operation, ctx.locale),
                                    entity=self.model.entity.plural.get(ctx.locale)))

    def condition(self, operation: str) -> sa.ColumnElement | None:
        """The records ``operation`` reaches, as SQL (None: all of them)."""
        if self.policy.unrestricted:
            return None
        reaches = self.policy.reach(operation)
        if not reaches:
            return sa.false()
        return reach_condition(self.compiled, self.model, self.principal.user_id, reaches,
                               self._sees_pool if operation in POOL_VISIBLE else _no_pool,
                               self.people)

    def owners(self, operation: str) -> OwnerSet | None:
        """The records ``operation`` reaches as a set of owners, when they are exactly
        that (see scopes.owner_set); None also when no scope applies."""
        if self.policy.unrestricted:
            return None
        return owner_set(self.compiled, self.model, self.principal.user_id,
                         self.policy.reach(operation),
                         self._sees_pool if operation in POOL_VISIBLE else _no_pool,
                         self.people)

    def _sees_pool(self, model: EntityModel) -> bool:
        return policy_for(self.compiled, model, self.principal).allows("claim")

    @cached_property
    def types(self) -> dict[str, str]:
        """Every field the caller may see, with its value type."""
        hidden = self.policy.hidden
        if not hidden:
            return self.model.types
        return {name: kind for name, kind in self.model.types.items() if name not in hidden}

    @property
    def hidden(self) -> frozenset[str]:
        return self.policy.hidden

    @property
    def readonly(self) -> frozenset[str]:
        return self.policy.readonly

    def visible(self, record: Mapping[str, object]) -> dict[str, object]:
        """``record`` without the fields the caller may not see."""
        hidden = self.policy.hidden
        if not hidden:
            return dict(record)
        return {k: v for k, v in record.items() if k not in hidden}


def _no_pool(model: EntityModel) -> bool:
    return False


def entity_access(compiled: Compiled, model: EntityModel, principal: Principal,
                  people: People | None = None) -> EntityAccess:
    return EntityAccess(compiled, model, principal, policy_for(compiled, model, principal),
                        people)


class Viewer:
    """One caller's access to every entity of a compiled program (per request).

    Given the request's connection, team and reporting-line scopes are resolved to
    the users they reach once, and written into statements as ids (see people.py);
    without one they stay subqueries (same records, plans less well). Given the
    database's ``kept`` people too, a caller whose credentials version is known
    reuses them while that version holds."""

    def __init__(self, compiled: Compiled, principal: Principal,
                 conn: sa.Connection | None = None, kept: KeptPeople | None = None):
        self.compiled = compiled
        self.principal = principal
        self.people = (People(compiled, conn, principal.credentials, kept)
                       if conn is not None else None)
        self._entities: dict[str, EntityAccess] = {}

    def of(self, model: EntityModel) -> EntityAccess:
        found = self._entities.get(model.name)
        if found is None:
            found = self._entities[model.name] = entity_access(self.compiled, model,
                                                              self.principal, self.people)
        return found

    def types(self, model: EntityModel) -> dict[str, str]:
        return self.of(model).types

    def can_read(self, model: EntityModel) -> bool:
        return self.of(model).allows("read")

    def read_condition(self, model: EntityModel) -> sa.ColumnElement | None:
        return self.of(model).condition("read")
