"""Form layouts with their conditions parsed, and the choice of a layout for a caller.

Which layout a caller gets (documented in docs/forms.md): among the entity's
layouts whose ``roles`` include one of the caller's roles, the one with the
highest ``priority``, then the first by name; with none of those, the entity's
layout without ``roles``; with none at all, the generated one (``None`` here).
The pages and the server's checks of ``required_if`` / ``readonly_if`` use the
same choice, so what a page asks for is what a write through the API must meet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..definitions import Catalog, FormDef
from ..expressions import Expression, parse_expression


@dataclass(frozen=True)
class CompiledForm:
    form: FormDef
    # (field, condition kind) -> the parsed condition; a section's visible_if is
    # given to each of its fields as ("section_visible_if").
    conditions: Mapping[tuple[str, str], Expression]

    def condition(self, field: str, kind: str) -> Expression | None:
        return self.conditions.get((field, kind))


def compile_forms(catalog: Catalog) -> dict[str, tuple[CompiledForm, ...]]:
    """Each entity's layouts (checked when the catalog was resolved), by entity."""
    found: dict[str, list[CompiledForm]] = {}
    for form in sorted(catalog.forms.values(), key=lambda f: f.name):
        conditions: dict[tuple[str, str], Expression] = {}
        for section, item in form.fields():
            for kind, source in item.conditions():
                conditions[(item.name, kind)] = parse_expression(source)
            if section is not None and section.visible_if:
                conditions[(item.name, "section_visible_if")] = parse_expression(
                    section.visible_if)
        found.setdefault(form.entity, []).append(CompiledForm(form, conditions))
    return {entity: tuple(forms) for entity, forms in found.items()}


def choose_form(forms: tuple[CompiledForm, ...], roles: frozenset[str]) -> CompiledForm | None:
    """The layout for a caller with ``roles`` (see the module's docstring)."""
    mine = [f for f in forms if roles.intersection(f.form.roles)]
    if mine:
        return min(mine, key=lambda f: (-f.form.priority, f.form.name))
    return next((f for f in forms if not f.form.roles), None)
