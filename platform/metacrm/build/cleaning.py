"""Build a field's ``clean:`` steps and an entity's ``duplicates:`` rules, refusing
what cannot work with the file and line: an unknown step (with a spelling hint), a
step on a type it does not fit, a bad option, a step whose optional package is not
installed, a rule on a field the entity does not have."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from ..base.words import with_article
from ..cleaning.steps import STEPS, available, step_spec
from ..definitions import DuplicateRuleDef, FieldDef, Label, humanize
from ..errors import ErrorCollector
from ..load.documents import Document

# Field types a duplicate rule may compare: stored single values.
FUZZY_TYPES = frozenset(("string", "text", "email", "phone", "url"))


def build_clean(doc: Document, name: str, spec: Mapping[str, Any], errors: ErrorCollector
                ) -> tuple[tuple[str, str | None], ...]:
    steps: list[tuple[str, str | None]] = []
    for index, item in enumerate(spec.get("clean", ())):
        where = doc.at("fields", name, "clean", index)
        step_name, option = step_spec(item)
        step = STEPS.get(step_name)
        if step is None:
            close = difflib.get_close_matches(step_name, list(STEPS), n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            errors.add(where, f"unknown clean step '{step_name}'{hint}; the steps are: "
                       f"{', '.join(STEPS)}")
            continue
        ftype = spec["type"]
        if ftype not in step.fits:
            errors.add(where, f"clean step '{step_name}' does not fit {with_article(ftype)} "
                       f"field (only: {', '.join(sorted(step.fits))})")
            continue
        if option is not None and step.option is None:
            errors.add(where, f"clean step '{step_name}' takes no option; write it as "
                       f"'{step_name}'")
            continue
        if not available(step):
            errors.add(where, f"clean step '{step_name}' needs the Python package "
                       f"'{step.needs}', which is not installed ({step.install})")
            continue
        if option is None and step.setting is not None:
            steps.append((step_name, None))  # from the bundles' settings (resolve)
            continue
        try:
            step.make(option)
        except ValueError as problem:
            errors.add(where, f"clean step '{step_name}': {problem}")
            continue
        steps.append((step_name, option))
    return tuple(steps)


def build_duplicates(doc: Document, fields: Mapping[str, FieldDef], errors: ErrorCollector
                     ) -> tuple[DuplicateRuleDef, ...]:
    rules: list[DuplicateRuleDef] = []
    seen: set[str] = set()
    for index, spec in enumerate(doc.data.get("duplicates", ())):
        where = doc.at("duplicates", index)
        name = spec["name"]
        if name in seen:
            errors.add(where, f"duplicate rule '{name}' is defined twice")
        seen.add(name)
        names = tuple(spec.get("fields", ()))
        fuzzy = spec.get("fuzzy")
        if bool(names) == bool(fuzzy):
            errors.add(where, f"duplicate rule '{name}': give either 'fields' (the same "
                       "values) or 'fuzzy' (a similar name), not both or neither")
            continue
        broken = False
        for key, field_name in [("fields", n) for n in names] + (
                [("fuzzy", fuzzy)] if fuzzy else []):
            field = fields.get(field_name)
            if field is None:
                close = difflib.get_close_matches(field_name, list(fields), n=1, cutoff=0.6)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                errors.add(doc.at("duplicates", index, key),
                           f"duplicate rule '{name}': no field '{field_name}'{hint}")
                broken = True
            elif not field.stored or field.computed or (
                    key == "fuzzy" and field.type not in FUZZY_TYPES):
                kinds = ", ".join(sorted(FUZZY_TYPES)) if key == "fuzzy" else "stored"
                errors.add(doc.at("duplicates", index, key),
                           f"duplicate rule '{name}': {with_article(field.type)} field "
                           f"('{field_name}') cannot be compared (only {kinds} fields)")
                broken = True
        if broken:
            continue
        rules.append(DuplicateRuleDef(
            name=name, label=Label.of(spec.get("label"), humanize(name)),
            action=spec.get("action", "warn"), fields=names, fuzzy=fuzzy,
            threshold=spec.get("threshold", 90), location=where))
    return tuple(rules)
