"""Apply the bundles' settings (``settings:`` in bundle.yaml) to the definitions: a
clean step written without its option takes it from the setting it names (``phone``
takes ``phone_region``), and a report without its own ``time_zone`` takes the
bundles' ``time_zone``, so that one line sets the region of every phone field or the
zone of every report, and a template on top of crm changes it without touching crm's
definitions."""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from ..cleaning.steps import STEPS
from ..definitions import Catalog, EntityDef, FieldDef
from ..errors import ErrorCollector, did_you_mean


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
            errors.add(settings.location_of(name), f"settings: {name}: {problem}")
            refused.add(name)
    entities = {name: _filled(entity, catalog, refused, errors)
                for name, entity in catalog.entities.items()}
    zone = settings.zone
    if not known_zone(zone):
        errors.add(settings.location_of("time_zone"), f"settings: time_zone: unknown time "
                   f"zone '{zone}'{did_you_mean(zone, available_timezones())} (an IANA "
                   "name such as Asia/Shanghai or UTC)")
        zone = "UTC"
    reports = {name: report if report.time_zone else replace(report, time_zone=zone)
               for name, report in catalog.reports.items()}
    return replace(catalog, entities=entities, reports=reports)


def known_zone(name: str) -> bool:
    """Whether ``name`` is a time zone this machine's zone database knows."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


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
