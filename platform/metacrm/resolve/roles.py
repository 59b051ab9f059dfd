"""Merge roles across bundles (later bundles widen or narrow them) and check
every grant against the entities it names."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from ..definitions import (
    DEFAULT_GRANT,
    BundleDefs,
    Catalog,
    EntityDef,
    GrantDef,
    GrantPatch,
    RoleDef,
)
from ..errors import APPROVAL_CHAIN, ErrorCollector, did_you_mean, needs_on
from .literals import condition_problems

# Operations that only make sense for some entities, and what they need.
_NEEDS = {"claim": "a pool", "release": "a pool", "transfer": "an owner field (owned_by)",
          "comment": APPROVAL_CHAIN}


def resolve_roles(bundles: Iterable[BundleDefs], errors: ErrorCollector) -> dict[str, RoleDef]:
    roles: dict[str, RoleDef] = {}
    for bundle in bundles:
        for role in bundle.roles:
            if role.name in roles:
                errors.add(role.location, f"role '{role.name}' is already defined at "
                           f"{roles[role.name].location}; use 'extend_role' to change it")
                continue
            roles[role.name] = role
        for extension in bundle.role_extensions:
            target = roles.get(extension.role)
            if target is None:
                errors.add(extension.location, f"cannot extend unknown role '{extension.role}'"
                           f"{did_you_mean(extension.role, roles)}")
                continue
            grants = dict(target.grants)
            for patch in extension.patches:
                # An entity the role reached only through its default starts from it.
                earlier = grants.get(patch.entity) or grants.get(DEFAULT_GRANT)
                grants[patch.entity] = _patched(earlier, patch)
            roles[target.name] = replace(target, grants=grants,
                                         label=extension.label or target.label,
                                         help=extension.help or target.help)
    return roles


def _patched(grant: GrantDef | None, patch: GrantPatch) -> GrantDef:
    base = replace(grant, entity=patch.entity) if grant else GrantDef(
        patch.entity, frozenset(), location=patch.location)
    fields = {**base.fields, **patch.fields}
    return replace(
        base,
        operations=patch.operations if patch.operations is not None else base.operations,
        all_operations=(patch.all_operations if patch.operations is not None
                        else base.all_operations),
        scope=patch.scope or base.scope,
        where=patch.where if patch.where is not None else base.where,
        fields={name: access for name, access in fields.items() if access != "editable"},
        hold_limit=patch.hold_limit if patch.sets_hold_limit else base.hold_limit,
        location=patch.location)


def check_roles(catalog: Catalog, errors: ErrorCollector) -> None:
    entities = catalog.entities
    for role in catalog.roles.values():
        for grant in role.grants.values():
            if grant.entity == DEFAULT_GRANT:
                continue
            entity = entities.get(grant.entity)
            if entity is None:
                errors.add(grant.location, f"role '{role.name}': unknown entity "
                           f"'{grant.entity}'{did_you_mean(grant.entity, entities)}")
                continue
            _check_grant(role, grant, entity, catalog, errors)
        if not role.admin:
            _check_pool_fields(catalog, role, errors)


def _check_grant(role: RoleDef, grant: GrantDef, entity: EntityDef, catalog: Catalog,
                 errors: ErrorCollector) -> None:
    entities, optionsets = catalog.entities, catalog.optionsets
    what = f"role '{role.name}', {entity.name}"
    available = {"claim": entity.pool is not None, "release": entity.pool is not None,
                 "transfer": entity.owner_field is not None,
                 "comment": any(a.entity == entity.name for a in catalog.approvals.values())}
    for operation in sorted(grant.operations & set(_NEEDS)):
        # "operations: all" grants them where they apply; a list names them on purpose.
        if not available[operation] and not grant.all_operations:
            errors.add(grant.at("operations"), f"{what}: '{operation}' needs "
                       f"{needs_on(_NEEDS[operation], entity.name)}")
    if grant.hold_limit is not None and entity.pool is None:
        errors.add(grant.at("hold_limit"), f"{what}: hold_limit needs a pool on "
                   f"'{entity.name}'")
    for problem in condition_problems(entity, grant.where, optionsets, catalog.field_types,
                                      entities, current_user=True):
        errors.add(grant.at("where"), f"{what} where: {problem}")
    for name, access in grant.fields.items():
        field = entity.fields.get(name)
        if field is None:
            errors.add(grant.at("fields"), f"{what}: unknown field '{name}'"
                       f"{did_you_mean(name, entity.fields)}")
            continue
        if access == "set_on_create":
            if not field.readonly or field.default is None:
                errors.add(grant.at("fields"), f"{what}: '{name}' is not read-only with a "
                           "default, so set_on_create changes nothing (any role that may "
                           "write it gives it on create)")
            elif "create" not in grant.operations:
                errors.add(grant.at("fields"), f"{what}: set_on_create on '{name}' needs "
                           "the 'create' operation")
            continue
        blocked = access in ("hidden", "readonly")
        if (blocked and "create" in grant.operations and field.required
                and field.default is None):
            errors.add(grant.at("fields"), f"{what}: '{name}' is required and has no default, so "
                       f"a role that may create {entity.name} records cannot have it {access}")


def _check_pool_fields(catalog: Catalog, role: RoleDef, errors: ErrorCollector) -> None:
    """A role held to a hold limit may not write what decides its holdings: the fields
    the pool's ``hold_limit_excludes`` and return rules' ``where`` and ``unless`` read.
    Otherwise a salesperson marks their own leads as signed customers, which count
    towards no limit and never return to the pool."""
    for entity in catalog.entities.values():
        grant = role.grant(entity.name)
        pool = entity.pool
        if (grant is None or pool is None or grant.hold_limit is None
                or not {"create", "update"} & grant.operations):
            continue
        readers: dict[str, list[str]] = {}
        for name in pool.hold_limit_excludes:
            readers.setdefault(name, []).append("hold_limit_excludes")
        for rule in pool.return_rules:
            for key, conditions in (("where", rule.where), ("unless", rule.unless)):
                for name in conditions:
                    readers.setdefault(name, []).append(f"return rule '{rule.name}' {key}")
        workflow = catalog.workflow_of(entity.name)
        for name, read_by in readers.items():
            field = entity.fields.get(name)
            if (field is None or not field.writable or grant.fields.get(name)
                    or name in (entity.owned_by, pool.assigned_at, pool.returned_at)
                    or (workflow is not None and workflow.field == name)):
                continue
            errors.add(grant.location, f"role '{role.name}', {entity.name}: may write "
                       f"'{name}', which decides what its hold_limit counts or what returns "
                       f"to the pool (pool {', '.join(read_by)}); make it readonly for the "
                       f"role (fields: {{{name}: readonly}})")
