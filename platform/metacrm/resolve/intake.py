"""Check intake sources against the entities they feed: every mapped and set field
exists and may be written, set values fit their fields, required fields get a value,
a pull source names a hook a plugin offers."""

from __future__ import annotations

from collections.abc import Iterable

from ..definitions import BundleDefs, Catalog, EntityDef, Location
from ..definitions.intake import IntakeDef
from ..errors import ErrorCollector, did_you_mean
from .literals import literal_problem


def merge_intakes(bundles: Iterable[BundleDefs], errors: ErrorCollector
                  ) -> dict[str, IntakeDef]:
    """The intake sources of every bundle by name; a name used twice is an error."""
    found: dict[str, IntakeDef] = {}
    for bundle in bundles:
        for source in bundle.intakes:
            if source.name in found:
                errors.add(source.location, f"intake '{source.name}' is already defined at "
                           f"{found[source.name].location}")
                continue
            found[source.name] = source
    return found


def check_intakes(catalog: Catalog, hooks: frozenset[str], errors: ErrorCollector) -> None:
    for source in catalog.intakes.values():
        entity = catalog.entities.get(source.entity)
        what = f"intake '{source.name}'"
        if entity is None:
            errors.add(source.at("entity"), f"{what}: unknown entity '{source.entity}'"
                       f"{did_you_mean(source.entity, catalog.entities)}")
        else:
            _check_fields(catalog, entity, source, errors)
        if source.pull is not None and source.pull.hook not in hooks:
            offered = ", ".join(sorted(hooks)) or "none: set METACRM_PLUGINS"
            errors.add(source.at("pull.hook"), f"{what}: pull hook '{source.pull.hook}' is not "
                       f"offered by a loaded plugin{did_you_mean(source.pull.hook, hooks)} "
                       f"(offered: {offered})")


def _check_fields(catalog: Catalog, entity: EntityDef, source: IntakeDef,
                  errors: ErrorCollector) -> None:
    what = f"intake '{source.name}'"
    writable = [n for n, f in entity.fields.items() if f.writable]
    filled: dict[str, str] = {}
    for key, name in source.fields.items():
        where = source.at(f"fields[{key}]")
        if _refused(entity, name, where, f"{what}: fields: '{key}'", writable, errors):
            continue
        if name in filled:
            errors.add(where, f"{what}: fields: '{key}' and '{filled[name]}' both fill "
                       f"'{entity.name}.{name}'; map one key to a field")
            continue
        filled[name] = key
    for name, value in source.set.items():
        where = source.at(f"set[{name}]")
        if _refused(entity, name, where, f"{what}: set", writable, errors):
            continue
        if name in filled:
            errors.add(where, f"{what}: set: '{name}' is also filled from incoming key "
                       f"'{filled[name]}'; a field is either mapped or set")
            continue
        problem = literal_problem(entity.fields[name], value, catalog.optionsets,
                                  catalog.field_types)
        if problem:
            errors.add(where, f"{what}: set {name}: {problem}")
        filled[name] = name
    for name, field in entity.fields.items():
        # A required field added at run time (a customization) does not make the bundle
        # wrong: the source's leads are refused one by one (422) until it fills it.
        added_at_run_time = str(field.location).startswith("customization")
        if (field.required and field.default is None and name not in filled
                and field.writable and not added_at_run_time):
            errors.add(source.at("fields"), f"{what}: required field '{entity.name}.{name}' "
                       "is neither mapped from an incoming key nor set: no lead could be "
                       "stored")


def _refused(entity: EntityDef, name: str, where: Location, what: str, writable: list[str],
             errors: ErrorCollector) -> bool:
    """Report a target that is not a writable field of ``entity``; True if refused."""
    field = entity.fields.get(name)
    if field is None:
        errors.add(where, f"{what}: unknown field '{entity.name}.{name}'"
                   f"{did_you_mean(name, writable)}")
        return True
    if not field.writable:
        errors.add(where, f"{what}: '{entity.name}.{name}' is "
                   f"{'read-only' if field.readonly else 'computed'} and cannot be written")
        return True
    return False
