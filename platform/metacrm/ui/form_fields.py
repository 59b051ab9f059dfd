"""The generated form: which fields a person may fill in, with which control, and
how the text a browser posts becomes the JSON value the API takes.

A value that does not read cleanly is passed on as the text that was typed, so
the engine refuses it with the same message the API gives (the server decides,
never the page).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import url_for
from werkzeug.datastructures import MultiDict

from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..definitions.entities import FieldDef
from ..runtime.access import EntityAccess

_INTEGER = re.compile(r"-?\d{1,19}")
_LOCAL_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?")


@dataclass(frozen=True)
class FormField:
    definition: FieldDef
    control: str
    value: str                  # what the control shows
    options: tuple[tuple[str, str], ...] = ()   # (value, label) of a select
    choices_url: str | None = None              # where a reference control looks up titles
    errors: tuple[str, ...] = ()
    title: str = ""             # what a reference control shows for its value (its title)


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


def _integer(raw: str) -> Any:
    return int(raw) if _INTEGER.fullmatch(raw) else raw


def _decimal(raw: str) -> Any:
    # "12,000.50" as people type it; anything else goes to the engine as typed.
    return raw.replace(",", "") if re.fullmatch(r"-?[\d,]+(\.\d+)?", raw) else raw


def _datetime(raw: str) -> Any:
    # A datetime-local control has no offset; the pages show and take UTC.
    if _LOCAL_DATETIME.fullmatch(raw):
        return raw + (":00" if len(raw) == 16 else "") + "+00:00"
    return raw


def _json(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _ids(raw: str) -> Any:
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    return [_integer(p) for p in parts]


READERS: Mapping[str, Callable[[str], Any]] = {
    "integer": _integer, "reference": _integer, "user": _integer, "decimal": _decimal,
    "money": _decimal, "percent": _decimal, "datetime": _datetime, "json": _json,
    "multi_reference": _ids,
}


def read_form(fields: tuple[FieldDef, ...], form: MultiDict[str, str], *, creating: bool
              ) -> dict[str, Any]:
    """The JSON body a form post stands for. On create an empty control is left out
    (the field's default applies); on update it clears the value."""
    body: dict[str, Any] = {}
    for f in fields:
        if f.type == "boolean":
            body[f.name] = f.name in form
            continue
        raw = form.get(f.name, "").strip()
        if raw == "":
            if not creating:
                body[f.name] = [] if f.type == "multi_reference" else None
            continue
        reader = READERS.get(f.type)
        body[f.name] = reader(raw) if reader else raw
    return body


def shown_value(f: FieldDef, value: Any) -> str:
    """A stored (API) value as its control shows it."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        return str(value.get("id", ""))
    if isinstance(value, list):
        return ", ".join(str(v.get("id") if isinstance(v, Mapping) else v) for v in value)
    if f.type == "json":
        return json.dumps(value, ensure_ascii=False)
    if f.type == "datetime":
        return str(value)[:16]  # the API's UTC value, as a datetime-local control takes it
    if f.type == "boolean":
        return "on" if value else ""
    return str(value)


def condition_values(model: EntityModel, access: EntityAccess, record: Mapping[str, Any] | None,
                     offered: tuple[FieldDef, ...]) -> dict[str, tuple[str, str]]:
    """The record's values a form's conditions read besides its controls (a workflow's
    state, read-only fields, formulas): (type, text as a control would hold it) of each
    field the viewer may read and the form does not offer. Nothing hidden leaves."""
    if record is None:
        return {}
    skip = {f.name for f in offered} | set(access.hidden)
    found = {}
    for name, f in model.entity.fields.items():
        if name in skip or name not in record:
            continue
        value = record[name]
        text = ("true" if value else "false") if f.type == "boolean" and value is not None \
            else shown_value(f, value)
        found[name] = (f.type, text)
    return found


def form_fields(compiled: Compiled, fields: tuple[FieldDef, ...], values: Mapping[str, Any],
                errors: Mapping[str, list[str]], language: str,
                choices_url: Callable[[str], str],
                titles: Mapping[str, str] | None = None) -> list[FormField]:
    """The controls of ``fields`` holding ``values``; ``titles`` are what reference
    controls show for the ids they hold (see reference_titles)."""
    found = []
    titles = titles or {}
    for f in fields:
        options: tuple[tuple[str, str], ...] = ()
        if f.type == "choice" and f.options and f.options in compiled.catalog.optionsets:
            options = tuple((o.value, o.label.get(language))
                            for o in compiled.catalog.optionsets[f.options].options)
        target = "users" if f.type == "user" else f.to
        shown = (values[f.name] if isinstance(values.get(f.name), str) and f.name in errors
                 else shown_value(f, values.get(f.name)))
        found.append(FormField(
            # The control is the field type's widget (templates/ui/form.html draws it).
            f, compiled.catalog.field_types.of(f).widget, shown,
            options, choices_url(target) if target and f.type != "choice" else None,
            tuple(errors.get(f.name, ())), titles.get(f.name, shown)))
    return found
