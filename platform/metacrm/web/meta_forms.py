"""The caller's form layout of an entity, as ``GET /api/meta/entities/<name>`` gives
it under ``form``: what the pages draw (and what a browser's CEL evaluates), cut
down to the fields and related lists the caller may see."""

from __future__ import annotations

from typing import Any

from ..definitions import FormFieldDef
from ..runtime.access import EntityAccess, Viewer


def _field(item: FormFieldDef, lang: str) -> dict[str, Any]:
    described: dict[str, Any] = {"field": item.name, "span": item.span}
    if item.help:
        described["help"] = item.help.get(lang)
    if item.placeholder:
        described["placeholder"] = item.placeholder.get(lang)
    described.update(item.conditions())
    return described


def describe_form(viewer: Viewer, access: EntityAccess, lang: str) -> dict[str, Any] | None:
    """The layout ``viewer`` gets for the entity of ``access``; None: the generated one."""
    chosen = viewer.compiled.form_for(access.model.name, viewer.principal)
    if chosen is None:
        return None
    form, hidden = chosen.form, access.hidden
    tabs = []
    for tab in form.tabs:
        sections = []
        for section in tab.sections:
            fields = [_field(i, lang) for i in section.fields if i.name not in hidden]
            if fields:
                sections.append({"title": section.title.get(lang) or None,
                                 "columns": section.columns,
                                 "collapsible": section.collapsible,
                                 "collapsed": section.collapsed,
                                 "visible_if": section.visible_if, "fields": fields})
        if sections:
            tabs.append({"name": tab.name, "label": tab.label.get(lang), "sections": sections})
    related = []
    for spec in form.related:
        child = viewer.compiled.models.get(spec.entity)
        if child is None or not viewer.can_read(child) or spec.via in viewer.of(child).hidden:
            continue
        child_hidden = viewer.of(child).hidden
        related.append({"entity": spec.entity, "via": spec.via,
                        "label": (spec.label or child.entity.plural).get(lang),
                        "columns": [c for c in spec.columns if c not in child_hidden],
                        "limit": spec.limit})
    return {"name": form.name, "label": form.label.get(lang), "roles": list(form.roles),
            "priority": form.priority, "tabs": tabs,
            "list_columns": [c for c in form.list_columns if c not in hidden],
            "quick_create": [_field(i, lang) for i in form.quick_create
                             if i.name not in hidden],
            "related": related}
