"""Apply the bundles' settings (``settings:`` in bundle.yaml) to the definitions: a
clean step written without its option takes it from the setting it names (``phone``
takes ``phone_region``), so that one line sets the region of every phone field and a
template on top of crm changes it without touching crm's entities."""

from __future__ import annotations

from dataclasses import replace

from ..cleaning.steps import STEPS
from ..definitions import Catalog, EntityDef, FieldDef
from ..errors import ErrorCollector


def apply_settings(catalog: Catalog, errors: ErrorCollector) -> Catalog:
    """The catalog with every omitted step option filled from the settings; an error at
    the field for a step whose setting no bundle sets, and at the setting for a value
    the step refuses (an unknown region)."""
    settings = catalog.settings
    refused: set[str] = set()
    for name, step in {s.setting: s for s in STEPS.values() if s.setting}.items():
        value = getattr(settings, name)
        if value is None:
            continue
        try:
            step.make(value)
        except ValueError as problem:
            errors.add(settings.location, f"settings: {name}: {problem}")
            refused.add(name)
    entities = {name: _filled(entity, catalog, refused, errors)
                for name, entity in catalog.entities.items()}
    return replace(catalog, entities=entities)


def _filled(entity: EntityDef, catalog: Catalog, refused: set[str],
            errors: ErrorCollector) -> EntityDef:
    fields = {name: _filled_field(entity, field, catalog, refused, errors)
              for name, field in entity.fields.items()}
    if all(fields[name] is field for name, field in entity.fields.items()):
        return entity
    return replace(entity, fields=fields)


def _filled_field(entity: EntityDef, field: FieldDef, catalog: Catalog, refused: set[str],
                  errors: ErrorCollector) -> FieldDef:
    if not any(option is None and STEPS[step].setting for step, option in field.clean
               if step in STEPS):
        return field
    steps: list[tuple[str, str | None]] = []
    for step_name, option in field.clean:
        setting = STEPS[step_name].setting if step_name in STEPS else None
        if option is None and setting is not None:
            option = getattr(catalog.settings, setting)
            if option is None:
                errors.add(field.location, f"entity '{entity.name}': field '{field.name}': "
                           f"clean step '{step_name}' needs a {STEPS[step_name].option}: "
                           f"write it ({{{step_name}: CN}}) or set it for every field "
                           f"in bundle.yaml (settings: {{{setting}: CN}})")
            elif setting in refused:
                option = None  # said at the setting
        steps.append((step_name, option))
    return replace(field, clean=tuple(steps))
