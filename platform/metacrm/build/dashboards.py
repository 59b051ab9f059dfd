"""Build dashboard definitions from schema-valid documents."""

from __future__ import annotations

from typing import Any

from ..base.words import with_article
from ..definitions import Label, humanize
from ..definitions.dashboards import (
    COMMON_WIDGET_KEYS,
    DEFAULT_COLUMNS,
    DEFAULT_LIST_LIMIT,
    WIDGET_KEYS,
    WIDGET_KINDS,
    DashboardDef,
    WidgetDef,
)
from ..errors import ErrorCollector
from ..load.documents import Document
from .reports import filter_items, filter_text


def build_dashboard(doc: Document, bundle: str, errors: ErrorCollector) -> DashboardDef:
    data = doc.data
    name = data["dashboard"]
    widgets = []
    for index, spec in enumerate(data["widgets"]):
        widget = _widget(doc, name, index, spec, errors)
        if widget is not None:
            widgets.append(widget)
    return DashboardDef(
        name=name, label=Label.of(data.get("label"), humanize(name)),
        description=Label.of(data.get("description")), widgets=tuple(widgets),
        roles=tuple(data.get("roles", ())), columns=data.get("columns", DEFAULT_COLUMNS),
        bundle=bundle, location=doc.key_at("dashboard"), key_locations=_keys(doc, ()))


def _widget(doc: Document, dashboard: str, index: int, spec: dict[str, Any],
            errors: ErrorCollector) -> WidgetDef | None:
    """One widget, or None when what it shows is unclear (said where)."""
    path = ("widgets", index)
    where = f"dashboard '{dashboard}': widget {index + 1}"
    kinds = [k for k in WIDGET_KINDS if k in spec]
    if len(kinds) != 1:
        found = " and ".join(f"'{k}'" for k in kinds) if kinds else "none"
        errors.add(doc.at(*path), f"{where}: a widget names exactly one of "
                   f"{', '.join(WIDGET_KINDS)} (found {found})")
        return None
    kind = kinds[0]
    allowed = (kind, *COMMON_WIDGET_KEYS, *WIDGET_KEYS[kind])
    stray = [k for k in spec if k not in allowed]
    for key in stray:
        errors.add(doc.key_at(*path, key), f"{where}: '{key}' does not apply to "
                   f"{with_article(kind)} widget; it takes: {', '.join(allowed[1:])}")
    if stray:
        return None
    parameters = tuple((k, filter_text(v)) for k, v in (spec.get("parameters") or {}).items())
    return WidgetDef(
        kind=kind, target=str(spec[kind]), title=Label.of(spec.get("title")),
        span=spec.get("span", 1), parameters=parameters, measure=spec.get("measure"),
        filters=filter_items(spec.get("filters")), columns=tuple(spec.get("columns", ())),
        sort=tuple(spec.get("sort", ())), limit=spec.get("limit", DEFAULT_LIST_LIMIT),
        location=doc.at(*path), key_locations=_keys(doc, path))


def _keys(doc: Document, path: tuple[Any, ...]) -> dict[str, Any]:
    """Where each value of the mapping at ``path`` stands (a list's items and a
    mapping's keys too, as ``key[i]`` / ``key[name]``)."""
    spec: Any = doc.data
    for step in path:
        spec = spec[step]
    found = {}
    for key, value in spec.items():
        found[key] = doc.at(*path, key)
        if isinstance(value, list):
            found.update({f"{key}[{i}]": doc.at(*path, key, i) for i in range(len(value))})
        elif isinstance(value, dict):
            found.update({f"{key}[{k}]": doc.key_at(*path, key, k) for k in value})
    return found
