"""The generated form: which fields a person may fill in, with which control, and
how the text a browser posts becomes the JSON value the API takes.

A value that does not read cleanly is passed on as the text that was typed, so
the engine refuses it with the same message the API gives (the server decides,
never the page).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import url_for
from werkzeug.datastructures import MultiDict

from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..definitions import Catalog
from ..definitions.entities import FieldDef
from ..runtime.access import EntityAccess


@dataclass(frozen=True)
class FormField:
    definition: FieldDef
    control: str
    value: Any                  # what the control shows (the ticked values of checkboxes)
    options: tuple[tuple[str, str], ...] = ()   # (value, label) of a select
    choices_url: str | None = None              # where a reference control looks up titles
    errors: tuple[str, ...] = ()
    # What a reference control shows for its value: its title; for a control of many
    # references, (id, title) of each.
    title: Any = ""


def choices_url(target: str) -> str:
    """Where a reference control of ``target`` (an entity, or "users") looks up titles."""
    if target == "users":
        return url_for("metacrm_pages.user_choices")
    return url_for("metacrm_pages.record_choices", entity=target)


def editable_fields(model: EntityModel, access: EntityAccess, *, creating: bool
                    ) -> tuple[FieldDef, ...]:
    """What the form offers: the fields the role may write. A workflow's state moves
    only by transitions; on create, a read-only field takes its default."""
    hidden, readonly = access.hidden, access.readonly
    return tuple(f for f in model.entity.fields.values()
                 if f.writable and f.name not in hidden and f.name not in readonly
                 and f.name != model.state_field)


def read_form(catalog: Catalog, fields: tuple[FieldDef, ...], form: MultiDict[str, str], *,
              creating: bool) -> dict[str, Any]:
    """The JSON body a form post stands for, each field read as its type reads a form
    (fieldtypes/form_values.py), a time typed without an offset in the bundles' time
    zone. On create an empty control is left out (the field's default applies); on
    update it clears the value."""
    body: dict[str, Any] = {}
    zone = catalog.settings.tzinfo
    for f in fields:
        kind = catalog.field_types.of(f)
        texts = form.getlist(f.name)
        if creating and not any(t.strip() for t in texts) and kind.widget != "checkbox":
            continue
        body[f.name] = kind.taken_in(kind.read_form(texts), zone)
    return body


def condition_values(model: EntityModel, access: EntityAccess, record: Mapping[str, Any] | None,
                     offered: tuple[FieldDef, ...]) -> dict[str, tuple[str, Any]]:
    """The record's values a form's conditions read besides its controls (a workflow's
    state, read-only fields, formulas): (type, text as a control would hold it) of each
    field the viewer may read and the form does not offer. Nothing hidden leaves."""
    if record is None:
        return {}
    skip = {f.name for f in offered} | set(access.hidden)
    found = {}
    zone = model.catalog.settings.tzinfo
    for name, f in model.entity.fields.items():
        if name in skip or name not in record:
            continue
        value = record[name]
        # A yes/no goes as itself: its control's text ("on" or nothing) would read as
        # no value when it is false.
        kind = model.catalog.field_types.of(f)
        found[name] = (f.type, value if isinstance(value, bool)
                       else kind.form_text(kind.shown_in(value, zone)))
    return found


def form_fields(compiled: Compiled, fields: tuple[FieldDef, ...], values: Mapping[str, Any],
                errors: Mapping[str, list[str]], language: str,
                choices_url: Callable[[str], str],
                titles: Mapping[str, Any] | None = None) -> list[FormField]:
    """The controls of ``fields`` holding ``values`` (a record, defaults, or a refused
    post as sent); ``titles`` are what reference controls show for the ids they hold
    (see reference_titles)."""
    found = []
    titles = titles or {}
    zone = compiled.catalog.settings.tzinfo
    for f in fields:
        kind = compiled.catalog.field_types.of(f)
        options: tuple[tuple[str, str], ...] = ()
        if f.options and f.options in compiled.catalog.optionsets:
            options = tuple((o.value, o.label.get(language))
                            for o in compiled.catalog.optionsets[f.options].options)
        target = "users" if kind.references == "user" else f.to if kind.references else None
        shown: Any
        if isinstance(values, MultiDict):  # a refused post: each control keeps what it sent
            texts = values.getlist(f.name)
            shown = texts if kind.widget == "checkboxes" else (texts[-1] if texts else "")
        else:
            shown = kind.form_text(kind.shown_in(values.get(f.name), zone))
        found.append(FormField(
            # The control is the field type's widget (templates/ui/_controls.html draws it).
            f, kind.widget, shown, options, choices_url(target) if target else None,
            tuple(errors.get(f.name, ())), titles.get(f.name, shown) if target else ""))
    return found
