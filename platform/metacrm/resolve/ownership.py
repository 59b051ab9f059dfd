"""Merge and check ownership definitions: ``owned_by``, the pool and its return
rules, assignment rules and what a transfer carries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any, TypeVar

from ..base.words import with_article
from ..definitions import Catalog, EntityDef, EntityExtension, Location, TransferDef
from ..errors import ErrorCollector, did_you_mean
from .literals import condition_problems, literal_problem

Named = TypeVar("Named")
# Record scopes follow owned_by through at most this many references (each one a
# nested subquery in every scoped statement).
MAX_OWNERSHIP_STEPS = 4


def extend_ownership(target: EntityDef, extension: EntityExtension,
                     errors: ErrorCollector) -> dict[str, Any]:
    """The ownership attributes of ``target`` after ``extension`` (for ``replace``)."""
    changes: dict[str, Any] = {}
    if extension.owned_by is not None:
        if target.owned_by is not None:
            errors.add(extension.location, f"'{target.name}' is already owned by "
                       f"'{target.owned_by}' (at {target.location}); owned_by cannot change")
        else:
            changes["owned_by"] = extension.owned_by
    pool = target.pool
    if extension.pool is not None:
        if pool is not None:
            errors.add(extension.pool.location, f"'{target.name}' already has a pool (at "
                       f"{pool.location}); add or replace its rules with 'return_rules'")
        else:
            pool = extension.pool
    if extension.return_rules:
        if pool is None:
            errors.add(extension.return_rules[0].location, f"'{target.name}' has no pool to "
                       "return records to: declare 'pool' first")
        else:
            pool = replace(pool, return_rules=by_name(pool.return_rules,
                                                     extension.return_rules))
    if pool is not target.pool:
        changes["pool"] = pool
    if extension.assignment:
        changes["assignment"] = by_name(target.assignment, extension.assignment)
    if extension.transfer is not None:
        carry = (target.transfer.carry if target.transfer else ()) + extension.transfer.carry
        changes["transfer"] = TransferDef(carry, (target.transfer or extension.transfer).location)
    return changes


def by_name(earlier: Iterable[Named], later: Iterable[Named]) -> tuple[Named, ...]:
    """``earlier`` with each of ``later`` replacing the item of the same name, or added."""
    merged = {item.name: item for item in earlier}  # type: ignore[attr-defined]
    merged.update({item.name: item for item in later})  # type: ignore[attr-defined]
    return tuple(merged.values())


def check_ownership(catalog: Catalog, entity: EntityDef, errors: ErrorCollector) -> None:
    where = f"'{entity.name}'"
    if entity.owned_by is not None:
        _check_owned_by(catalog, entity, errors)
    direct = entity.owner_field
    needs_owner = [(what, location) for what, location in (
        ("a pool needs", entity.pool.location if entity.pool else None),
        ("assignment rules need", entity.at("assignment") if entity.assignment else None),
        ("a transfer needs", entity.transfer.location if entity.transfer else None))
        if location]
    if direct is None:
        for what, location in needs_owner:
            errors.add(location, f"{where}: {what} 'owned_by' to name a user field of "
                       f"'{entity.name}' (the owner)")
    if entity.pool is not None:
        _check_pool(catalog, entity, errors)
    _check_unique_names(entity.assignment, "assignment rule", errors)
    for rule in entity.assignment:
        _conditions(catalog, entity, rule.when, rule.location, f"assignment rule '{rule.name}'",
                    errors)
    if entity.transfer is not None:
        for carry in entity.transfer.carry:
            _check_carry(catalog, entity, carry, errors)


def _check_owned_by(catalog: Catalog, entity: EntityDef, errors: ErrorCollector) -> None:
    name = entity.owned_by or ""
    field = entity.fields.get(name)
    where = entity.at("owned_by")
    if field is None:
        errors.add(where, f"owned_by: unknown field '{entity.name}.{name}'"
                   f"{did_you_mean(name, entity.fields)}")
        return
    if field.type == "user":
        return
    if field.type != "reference":
        errors.add(where, f"owned_by: '{name}' is {with_article(field.type)} field; name a user "
                   "field (the owner) or a reference (held by whoever holds that record)")
        return
    seen = [entity.name]
    target = catalog.entities.get(field.to or "")
    while target is not None and target.owned_by is not None:
        if target.name in seen:
            errors.add(where, "owned_by goes round in a circle: "
                       + " -> ".join(seen + [target.name]))
            return
        seen.append(target.name)
        step = target.fields.get(target.owned_by)
        if step is None or step.type != "reference":
            return
        if len(seen) > MAX_OWNERSHIP_STEPS:
            errors.add(where, f"owned_by follows more than {MAX_OWNERSHIP_STEPS} references ("
                       + " -> ".join(seen) + "); own the record more directly")
            return
        target = catalog.entities.get(step.to or "")


def _check_pool(catalog: Catalog, entity: EntityDef, errors: ErrorCollector) -> None:
    pool = entity.pool
    assert pool is not None
    for key, values in (("on_claim", pool.on_claim), ("on_return", pool.on_return)):
        at = entity.at(f"pool.{key}")
        for name, value in values.items():
            field = entity.fields.get(name)
            if field is None:
                errors.add(at, f"pool {key}: unknown field '{entity.name}.{name}'"
                           f"{did_you_mean(name, entity.fields)}")
            elif field.computed or not field.stored or name == entity.owned_by:
                errors.add(at, f"pool {key}: '{name}' cannot be set here")
            else:
                problem = literal_problem(field, value, catalog.optionsets, catalog.field_types)
                if problem:
                    errors.add(at, f"pool {key}: {name}: {problem}")
    for key, stamp in (("assigned_at", pool.assigned_at), ("returned_at", pool.returned_at)):
        if stamp is None:
            continue
        field = entity.fields.get(stamp)
        if field is None or field.type != "datetime":
            errors.add(entity.at(f"pool.{key}"), f"pool {key}: '{stamp}' must be a datetime "
                       f"field of '{entity.name}'"
                       + (did_you_mean(stamp, entity.fields) if field is None else ""))
    _conditions(catalog, entity, pool.hold_limit_excludes,
                entity.at("pool.hold_limit_excludes"), "pool hold_limit_excludes", errors)
    _check_unique_names(pool.return_rules, "return rule", errors)
    for rule in pool.return_rules:
        what = f"return rule '{rule.name}'"
        for name in rule.activity:
            field = entity.fields.get(name)
            if field is None or field.value_type not in ("date", "datetime"):
                errors.add(rule.location, f"{what}: activity '{name}' must be a date or "
                           f"datetime field of '{entity.name}'"
                           + (did_you_mean(name, entity.fields) if field is None else ""))
        if not rule.activity and pool.assigned_at is None:
            errors.add(rule.location, f"{what}: nothing measures idleness: give 'activity' "
                       "(datetime fields) or the pool's 'assigned_at'")
        _conditions(catalog, entity, rule.where, rule.location, f"{what} where", errors)
        _conditions(catalog, entity, rule.unless, rule.location, f"{what} unless", errors)


def _check_carry(catalog: Catalog, entity: EntityDef, carry: Any,
                 errors: ErrorCollector) -> None:
    what = f"transfer with '{carry.entity}'"
    other = catalog.entities.get(carry.entity)
    if other is None:
        errors.add(carry.location, f"{what}: unknown entity '{carry.entity}'"
                   f"{did_you_mean(carry.entity, catalog.entities)}")
        return
    through = other.fields.get(carry.through)
    if through is None or through.type != "reference" or through.to != entity.name:
        errors.add(carry.location, f"{what}: 'through' must name a reference field of "
                   f"'{other.name}' that points to '{entity.name}'; '{carry.through}' is not one")
    if other.owner_field is None:
        errors.add(carry.location, f"{what}: '{other.name}' needs 'owned_by' naming a user "
                   "field, so that its records can change hands")
    _conditions(catalog, other, carry.where, carry.location, what, errors)


def _conditions(catalog: Catalog, entity: EntityDef, conditions: Any, location: Location,
                what: str, errors: ErrorCollector) -> None:
    for problem in condition_problems(entity, conditions, catalog.optionsets,
                                      catalog.field_types):
        errors.add(location, f"{what}: {problem}")


def _check_unique_names(items: Iterable[Any], noun: str, errors: ErrorCollector) -> None:
    seen: dict[str, Location] = {}
    for item in items:
        if item.name in seen:
            errors.add(item.location, f"{noun} '{item.name}' is defined twice (also at "
                       f"{seen[item.name]})")
        seen[item.name] = item.location
