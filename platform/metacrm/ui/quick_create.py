"""The compact "quick create" form of a layout: a few fields on the list page that
post to the same create as the full form (a refusal opens the full form with the
messages next to their fields)."""

from __future__ import annotations

from collections.abc import Callable

from ..compile.compiled import Compiled
from ..compile.forms import CompiledForm
from ..compile.models import EntityModel
from ..runtime.access import EntityAccess
from .form_fields import FormField, editable_fields, form_fields
from .form_layout import PlacedField


def quick_create_fields(compiled: Compiled, model: EntityModel, access: EntityAccess,
                        form: CompiledForm | None, language: str,
                        choices_url: Callable[[str], str]
                        ) -> list[tuple[FormField, PlacedField]] | None:
    """The quick-create controls the caller may fill in; None when the layout has none."""
    if form is None or not form.form.quick_create:
        return None
    editable = {f.name: f for f in editable_fields(model, access, creating=True)}
    items = [item for item in form.form.quick_create if item.name in editable]
    if not items:
        return None
    controls = form_fields(compiled, tuple(editable[i.name] for i in items), {}, {}, language,
                           choices_url)
    placed = [PlacedField(editable[i.name], 1, (i.help or editable[i.name].help).get(language),
                          i.placeholder.get(language), i.visible_if, i.required_if,
                          i.readonly_if) for i in items]
    return list(zip(controls, placed, strict=True))
