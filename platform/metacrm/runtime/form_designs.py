"""Form layouts saved by the designer: each save is a ``form`` customization (a new
version of the layout of that name), listed with its versions and reverted by
saving an earlier version again; conditions are checked as ``metacrm check`` does.

A layout document has the keys of a ``forms/`` YAML file. A shipped (YAML) layout
is version 0 of its name: the designer starts from it, and going back to it is
saving it again as a customization.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from ..base.context import Context
from ..base.problems import Forbidden, Invalid
from ..compile.compiled import Compiled
from ..definitions import Catalog, EntityDef, FormDef, FormFieldDef, Label
from ..expressions import ExpressionError, check_expression
from ..load.bundles import CUSTOMIZATIONS_BUNDLE
from ..platform import Platform
from .customization_versions import newest_document, version_document, versions_of
from .customize import add_customization

DESIGN = "design"  # the role operation that lets a user design an entity's layouts
_NOT_TYPED = ("formula", "rollup", "autonumber")


def may_design(compiled: Compiled, ctx: Context, entity: str) -> bool:
    """Whether the caller may design ``entity``'s layouts (administrators may)."""
    from .access import Viewer

    model = compiled.models.get(entity)
    if model is None:
        return False
    if compiled.policy.administers(ctx.principal):
        return True
    return Viewer(compiled, ctx.principal).of(model).allows(DESIGN)


def designable(compiled: Compiled, ctx: Context) -> list[str]:
    """The entities whose layouts the caller may design, in definition order."""
    return [name for name in compiled.models if may_design(compiled, ctx, name)]


def require_design(compiled: Compiled, ctx: Context, entity: str, refusal: str) -> None:
    if not may_design(compiled, ctx, entity):
        raise Forbidden(refusal)


def _label(label: Label) -> dict[str, str] | None:
    return label.as_dict() or None


def field_document(item: FormFieldDef) -> str | dict[str, Any]:
    spec: dict[str, Any] = {"field": item.name}
    if item.span != 1:
        spec["span"] = item.span
    for key in ("help", "placeholder"):
        if getattr(item, key):
            spec[key] = _label(getattr(item, key))
    for kind, source in item.conditions():
        spec[kind] = source
    return item.name if len(spec) == 1 else spec


def form_document(form: FormDef) -> dict[str, Any]:
    """``form`` as a ``forms/`` document (the keys a YAML file gives)."""
    document: dict[str, Any] = {"form": form.name, "entity": form.entity}
    if form.label:
        document["label"] = _label(form.label)
    if form.roles:
        document["roles"] = list(form.roles)
    if form.priority:
        document["priority"] = form.priority
    if form.list_columns:
        document["list"] = {"columns": list(form.list_columns)}
    if form.quick_create:
        document["quick_create"] = {"fields": [field_document(f) for f in form.quick_create]}
    tabs = []
    for tab in form.tabs:
        sections = []
        for section in tab.sections:
            spec: dict[str, Any] = {}
            if section.title:
                spec["title"] = _label(section.title)
            spec["columns"] = section.columns
            if section.collapsed:
                spec["collapsed"] = True
            elif section.collapsible:
                spec["collapsible"] = True
            if section.visible_if:
                spec["visible_if"] = section.visible_if
            spec["fields"] = [field_document(f) for f in section.fields]
            sections.append(spec)
        tabs.append({"name": tab.name, "label": _label(tab.label) or {"en": tab.name},
                     "sections": sections})
    document["tabs"] = tabs
    if form.related:
        document["related"] = [_related(r) for r in form.related]
    return document


def _related(related: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"entity": related.entity, "via": related.via}
    if related.label:
        spec["label"] = _label(related.label)
    if related.columns:
        spec["columns"] = list(related.columns)
    if related.limit != 10:
        spec["limit"] = related.limit
    return spec


def generated_document(entity: EntityDef, name: str) -> dict[str, Any]:
    """A first layout for an entity that has none: one section with every field
    someone types (what the generated layout shows)."""
    fields = [f.name for f in entity.fields.values() if f.type not in _NOT_TYPED]
    return {"form": name, "entity": entity.name, "label": _label(entity.label),
            "tabs": [{"name": "main", "label": {"en": "Details", "zh": "详情"},
                      "sections": [{"columns": 2, "fields": fields}]}]}


def layout_versions(conn: Connection, form: str) -> list[dict[str, Any]]:
    """The saved versions of layout ``form``, oldest first: id, when, by whom, and
    whether it is the one in force (the newest not removed)."""
    return versions_of(conn, "form", form)


def shipped_form(platform: Platform, form: str) -> FormDef | None:
    """The layout ``form`` as the bundles define it, without customizations."""
    catalog = platform.load([])
    return catalog.forms.get(form)


def current_document(platform: Platform, conn: Connection, form: str) -> dict[str, Any] | None:
    """The layout in force as a document: its newest saved version, else the bundles'."""
    saved = newest_document(conn, "form", form)
    if saved is not None:
        return saved
    defined = platform.compiled.catalog.forms.get(form)
    if defined is None or defined.bundle == CUSTOMIZATIONS_BUNDLE:
        return None
    return form_document(defined)


def save_layout(platform: Platform, ctx: Context, document: Any) -> tuple[int, Compiled]:
    """Validate and store ``document`` as the newest version of its layout."""
    if not isinstance(document, dict) or not isinstance(document.get("form"), str):
        raise Invalid({"form": ["A layout needs its name in 'form'."]})
    return add_customization(platform, ctx, document)


def revert_layout(platform: Platform, ctx: Context, form: str, version: int
                  ) -> tuple[int, Compiled]:
    """A new version of ``form`` equal to ``version`` (0: the bundles' layout)."""
    def shipped() -> dict[str, Any] | None:
        defined = shipped_form(platform, form)
        return form_document(defined) if defined is not None else None

    return add_customization(platform, ctx, version_document(
        platform, "form", form, version, shipped, "layout"))


def check_condition(catalog: Catalog, entity: EntityDef, source: str) -> ExpressionError | None:
    """What ``metacrm check`` says of ``source`` as a condition over ``entity``'s
    records (None: it is a valid boolean condition)."""
    try:
        check_expression(source, entity.field_types(), result="bool",
                         kinds=catalog.field_types.expression_type,
                         options=catalog.option_values(entity))
    except ExpressionError as exc:
        return exc
    return None


def designed_entity(compiled: Compiled, document: Any) -> str | None:
    """The entity a customization changes within what designing it allows: a layout
    or a report of it (one of that name, if any, is of it too), or new fields on it (no
    indexes, rules, labels or other keys); None for any other customization."""
    if not isinstance(document, dict):
        return None
    for kind, defined in (("form", compiled.catalog.forms), ("report", compiled.catalog.reports)):
        if kind in document and isinstance(document.get("entity"), str):
            existing = defined.get(str(document[kind]))
            if existing is not None and existing.entity != document["entity"]:
                return None
            return document["entity"]
    if set(document) == {"extend", "fields"} and isinstance(document["extend"], str):
        return document["extend"]
    return None


def draft_form(platform: Platform, document: Any) -> Any:
    """``document`` checked as a save would check it, without storing it: its
    compiled layout (a CompiledForm). Raises Invalid with the reasons."""
    from ..compile.forms import compile_forms
    from ..errors import DefinitionError
    from ..platform import read_customizations
    from .customize import definition_errors, next_customization_id

    if not isinstance(document, dict) or not isinstance(document.get("form"), str):
        raise Invalid({"form": ["A layout needs its name in 'form'."]})
    with platform.reading() as conn:
        _, stored = read_customizations(conn)
        draft_id = next_customization_id(conn, stored)
    try:
        catalog = platform.load([*stored, (draft_id, document)])
    except DefinitionError as exc:
        raise definition_errors(exc, draft_id) from None
    form = catalog.forms[document["form"]]
    return next(f for f in compile_forms(catalog)[form.entity] if f.form.name == form.name)
