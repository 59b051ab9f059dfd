"""The form designer's pages: an entity's layout as draggable tabs, sections and
field cards (static/designer.js saves it through /api/meta/forms), the live check
of a condition (the same check as ``metacrm check``, in the user's language), and
the record form as a chosen role would see the saved layout."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from flask import render_template, request
from flask_babel import get_locale, gettext

from ..base.context import Principal
from ..base.problems import BadQuery, Forbidden, NotFound
from ..compile.forms import choose_form
from ..definitions import COMPUTED_TYPES
from ..i18n import kind_name, message
from ..load.bundles import CUSTOMIZATIONS_BUNDLE
from ..runtime.access import Viewer
from ..runtime.form_designs import (
    check_condition,
    current_document,
    designable,
    draft_form,
    generated_document,
    layout_versions,
    may_design,
)
from ..web.requests import platform
from .blueprint import pages
from .display import datetime_text
from .entity_page import EntityPage, open_entity_page
from .form_fields import choices_url, editable_fields, form_fields
from .form_layout import arrange

# The types a field added in the designer may have (options only for a choice).
NEW_FIELD_TYPES = ("string", "text", "integer", "decimal", "money", "date", "datetime",
                   "boolean", "choice", "email", "phone", "url")
CONDITIONS = ("visible_if", "required_if", "readonly_if")


def _layouts(compiled: Any, entity: str) -> list[Any]:
    """The entity's layouts, the one for everyone first."""
    return sorted(compiled.catalog.forms_of(entity), key=lambda f: bool(f.roles))


@contextmanager
def _design_page(entity: str) -> Iterator[EntityPage]:
    """The designer's preamble: the entity's page, for those who may design it (403)."""
    with open_entity_page(entity) as page:
        if not may_design(page.compiled, page.ctx, entity):
            raise Forbidden(message("design_only", page.ctx.locale,
                                    entity=page.model.entity.label.get(page.ctx.locale)))
        yield page


@pages.get("/<entity>/design")
def designer(entity: str) -> Any:
    with _design_page(entity) as page:
        compiled, model, ctx, shell, conn = (page.compiled, page.model, page.ctx, page.shell,
                                             page.conn)
        layouts = _layouts(compiled, entity)
        name = request.args.get("form") or (layouts[0].name if layouts else f"{entity}_main")
        if layouts and name not in {f.name for f in layouts}:
            raise NotFound(gettext("This entity has no layout named %(name)s.", name=name))
        document = current_document(platform(), conn, name) or generated_document(
            model.entity, name)
        versions = layout_versions(conn, name)
    language = shell.language
    fields = model.entity.fields
    placed = {(f if isinstance(f, str) else f.get("field"))
              for tab in document.get("tabs", [{"sections": document.get("sections", [])}])
              for section in tab["sections"] for f in section["fields"]}
    if "sections" in document and "tabs" not in document:
        document = {**{k: v for k, v in document.items() if k != "sections"},
                    "tabs": [{"name": "main", "label": {"en": "Main", "zh": "主要"},
                              "sections": document["sections"]}]}
    cards = {name: {"name": name, "label": f.label.get(language), "type": f.type,
                    "computed": f.type in COMPUTED_TYPES or not f.writable}
             for name, f in fields.items()}
    return render_template(
        "ui/designer.html", shell=shell, entity=model.entity, language=language,
        document=document, cards=cards,
        palette=[cards[n] for n in fields if n not in placed],
        layouts=layouts, form_name=name,
        designable=[(e, compiled.models[e].entity.plural.get(language))
                    for e in designable(compiled, ctx)],
        roles=sorted(compiled.catalog.roles.values(), key=lambda r: r.name),
        versions=[{**v, "when": datetime_text(v["created_at"])} for v in reversed(versions)],
        has_shipped=_from_bundles(compiled.catalog.forms.get(name)),
        types=NEW_FIELD_TYPES, conditions=CONDITIONS)


def _from_bundles(form: Any) -> bool:
    """Whether a bundle defines the layout (in force, or replaced by saved versions)."""
    return form is not None and (form.bundle != CUSTOMIZATIONS_BUNDLE or bool(form.replaces))


_TRANSLATED = (
    (re.compile(r"unknown name '([^']*)'"), lambda m: gettext(
        "unknown name '%(name)s'", name=m.group(1))),
    (re.compile(r"\(did you mean '([^']*)'\?\)"), lambda m: gettext(
        "(did you mean '%(name)s'?)", name=m.group(1))),
    (re.compile(r"\(at column (\d+)\)"), lambda m: gettext(
        "(at column %(column)s)", column=m.group(1))),
    (re.compile(r"unexpected end of expression"), lambda m: gettext(
        "unexpected end of expression")),
    (re.compile(r"the expression gives an? (\w+), where a boolean is needed"),
     lambda m: gettext("the condition gives a %(kind)s, where true or false is needed",
                       kind=kind_name(m.group(1), str(get_locale())))),
)


def condition_text(error: str) -> str:
    """The check's message in the page's language (its usual phrases; others as they
    are)."""
    for pattern, say in _TRANSLATED:
        error = pattern.sub(say, error)
    return error


@pages.post("/<entity>/design/condition")
def design_condition(entity: str) -> Any:
    """A condition's check as a fragment for htmx: empty when it holds up."""
    with _design_page(entity) as page:
        compiled, model = page.compiled, page.model
    source = next((v for k, v in request.form.items() if k.endswith("_if")), "").strip()
    if not source:
        return ""
    error = check_condition(compiled.catalog, model.entity, source)
    return render_template("ui/designer_condition.html",
                           text=None if error is None else condition_text(error.message))


@pages.route("/<entity>/design/preview", methods=["GET", "POST"])
def design_preview(entity: str) -> Any:
    """The form as a user with only ``role`` sees it: under the saved layout, or
    (posted as ``document``) under the designer's layout before it is saved."""
    with _design_page(entity) as page:
        compiled, model, ctx, shell = page.compiled, page.model, page.ctx, page.shell
        role = request.values.get("role", "")
        if role not in compiled.catalog.roles:
            raise NotFound(gettext("Pick a role to preview."))
        seen = replace(ctx, principal=Principal(None, frozenset({role})))
        access = Viewer(compiled, seen.principal, page.conn).of(model)
    language = shell.language
    readable = access.allows("read")
    form = compiled.form_for(entity, seen.principal)
    draft = request.method == "POST"
    if draft:
        try:
            document = json.loads(request.form.get("document", ""))
        except ValueError:
            raise BadQuery(gettext("The layout to preview is not JSON.")) from None
        drafted = draft_form(platform(), document)
        if drafted.form.entity != entity:
            raise BadQuery(gettext("The layout to preview is not one of this entity."))
        if choose_form((drafted,), seen.principal.roles) is drafted:
            form = drafted  # the role would get this layout once it is saved
    fields = editable_fields(model, access, creating=True) if readable else ()
    if form is not None:
        placed = {item.name for _, item in form.form.fields()}
        fields = tuple(f for f in fields if f.name in placed)
    tabs = arrange(model.entity, form, [f.name for f in fields], language)
    controls = form_fields(compiled, fields, {}, {}, language, choices_url)
    return render_template(
        "ui/designer_preview.html", shell=shell, entity=model.entity,
        language=language, role=compiled.catalog.roles[role], readable=readable,
        fields={c.definition.name: c for c in controls}, tabs=tabs, draft=draft,
        layout=form.form.name if form else None)
