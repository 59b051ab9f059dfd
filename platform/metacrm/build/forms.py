"""Build form layouts from schema-valid documents."""

from __future__ import annotations

from typing import Any

from ..definitions import (
    FormDef,
    FormFieldDef,
    Label,
    RelatedListDef,
    SectionDef,
    TabDef,
    humanize,
)
from ..errors import ErrorCollector
from ..load.documents import Document

# The one tab of a layout that gives `sections` without tabs.
MAIN_TAB = "main"


def build_form(doc: Document, bundle: str, errors: ErrorCollector) -> FormDef:
    data = doc.data
    name = data["form"]
    if "tabs" in data and "sections" in data:
        errors.add(doc.key_at("sections"), f"form '{name}': give either 'tabs' (each with its "
                   "sections) or 'sections' (one tab), not both")
    if "tabs" in data:
        tabs = tuple(_tab(doc, ("tabs", i), spec) for i, spec in enumerate(data["tabs"]))
    elif "sections" in data:
        tabs = (TabDef(MAIN_TAB, Label.of(None, humanize(MAIN_TAB)),
                       _sections(doc, ("sections",)), doc.key_at("sections")),)
    else:
        tabs = ()
    quick = data.get("quick_create", {}).get("fields", ())
    return FormDef(
        name=name, entity=data["entity"], label=Label.of(data.get("label"), humanize(name)),
        tabs=tabs,
        related=tuple(_related(doc, ("related", i), spec)
                      for i, spec in enumerate(data.get("related", ()))),
        list_columns=tuple(data.get("list", {}).get("columns", ())),
        quick_create=tuple(_field(doc, ("quick_create", "fields", i), spec)
                           for i, spec in enumerate(quick)),
        roles=tuple(data.get("roles", ())), priority=int(data.get("priority", 0)),
        bundle=bundle, location=doc.key_at("form"), key_locations={
            **_keys(doc, ()), **{f"list[{i}]": doc.at("list", "columns", i)
                                 for i in range(len(data.get("list", {}).get("columns", ())))}})


def _tab(doc: Document, path: tuple[Any, ...], spec: dict[str, Any]) -> TabDef:
    return TabDef(spec["name"], Label.of(spec.get("label"), humanize(spec["name"])),
                  _sections(doc, (*path, "sections")), doc.at(*path))


def _sections(doc: Document, path: tuple[Any, ...]) -> tuple[SectionDef, ...]:
    specs: Any = doc.data
    for step in path:
        specs = specs[step]
    return tuple(_section(doc, (*path, i), spec) for i, spec in enumerate(specs))


def _section(doc: Document, path: tuple[Any, ...], spec: dict[str, Any]) -> SectionDef:
    collapsed = bool(spec.get("collapsed", False))
    return SectionDef(
        title=Label.of(spec.get("title")),
        fields=tuple(_field(doc, (*path, "fields", i), item)
                     for i, item in enumerate(spec["fields"])),
        columns=int(spec.get("columns", 2)),
        collapsible=bool(spec.get("collapsible", False)) or collapsed, collapsed=collapsed,
        visible_if=spec.get("visible_if"), location=doc.at(*path),
        key_locations=_keys(doc, path))


def _field(doc: Document, path: tuple[Any, ...], spec: str | dict[str, Any]) -> FormFieldDef:
    where = doc.at(*path)
    if isinstance(spec, str):
        return FormFieldDef(spec, location=where)
    return FormFieldDef(
        name=spec["field"], span=int(spec.get("span", 1)), help=Label.of(spec.get("help")),
        placeholder=Label.of(spec.get("placeholder")), visible_if=spec.get("visible_if"),
        required_if=spec.get("required_if"), readonly_if=spec.get("readonly_if"),
        location=where, key_locations=_keys(doc, path))


def _related(doc: Document, path: tuple[Any, ...], spec: dict[str, Any]) -> RelatedListDef:
    return RelatedListDef(
        entity=spec["entity"], via=spec["via"], label=Label.of(spec.get("label")),
        columns=tuple(spec.get("columns", ())), limit=int(spec.get("limit", 10)),
        location=doc.at(*path), key_locations=_keys(doc, path))


def _keys(doc: Document, path: tuple[Any, ...]) -> dict[str, Any]:
    """Where each value of the mapping at ``path`` stands (lists: each item's)."""
    spec: Any = doc.data
    for step in path:
        spec = spec[step]
    found = {}
    for key, value in spec.items():
        found[key] = doc.at(*path, key)
        if isinstance(value, list):
            found.update({f"{key}[{i}]": doc.at(*path, key, i) for i in range(len(value))})
    return found
