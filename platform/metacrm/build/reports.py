"""Build report definitions from schema-valid documents."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from ..definitions import Label, humanize
from ..definitions.reports import (
    RATIO,
    ChartDef,
    DimensionDef,
    FunnelStepDef,
    MeasureDef,
    OrderDef,
    ParameterDef,
    ReportDef,
    ScheduleDef,
    TargetDef,
)
from ..load.documents import Document


def build_report(doc: Document, bundle: str) -> ReportDef:
    data = doc.data
    name = data["report"]
    return ReportDef(
        name=name, entity=data["entity"], label=Label.of(data.get("label"), humanize(name)),
        description=Label.of(data.get("description")),
        measures=tuple(_measure(doc, i, spec) for i, spec in enumerate(data["measures"])),
        rows=_dimension(doc, "rows", data.get("rows")),
        columns=_dimension(doc, "columns", data.get("columns")),
        filters=filter_items(data.get("filters")),
        parameters=tuple(_parameter(doc, key, spec)
                         for key, spec in (data.get("parameters") or {}).items()),
        order=tuple(_order(doc, i, text) for i, text in enumerate(data.get("order", ()))),
        limit=data.get("limit"), totals=bool(data.get("totals", True)),
        presentation=data.get("presentation", "table"),
        chart=_chart(doc, data.get("chart")),
        time_zone=str(data.get("time_zone", "")), week_starts=data.get("week_starts", "monday"),
        roles=tuple(data.get("roles", ())),
        steps=tuple(_step(doc, i, spec) for i, spec in enumerate(data.get("funnel", ()))),
        schedule=_schedule(doc, data.get("schedule")),
        bundle=bundle, source=json.dumps(data, ensure_ascii=False, default=str),
        location=doc.key_at("report"), key_locations=_keys(doc, ()))


def filter_items(spec: dict[str, Any] | None) -> tuple[tuple[str, str], ...]:
    """``{key: value}`` of the list grammar as (key, text) pairs, the way a query string
    would carry them (a list is the ``in`` operator's comma-separated values)."""
    return tuple((key, filter_text(value)) for key, value in (spec or {}).items())


def filter_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(filter_text(v) for v in value)
    return str(value)


def _dimension(doc: Document, key: str, spec: str | dict[str, Any] | None
               ) -> DimensionDef | None:
    if spec is None:
        return None
    if isinstance(spec, str):
        return DimensionDef(spec, location=doc.at(key))
    return DimensionDef(spec["field"], spec.get("bucket"), Label.of(spec.get("label")),
                        doc.at(key, "field"))


def _chart(doc: Document, spec: dict[str, Any] | None) -> ChartDef:
    if spec is None:
        return ChartDef()
    target = spec.get("target")
    if isinstance(target, (int, float)):
        target = {"value": target}
    return ChartDef(
        measures=tuple(spec.get("measures", ())),
        target=None if target is None else TargetDef(
            Decimal(str(target["value"])), target.get("measure"), Label.of(target.get("label")),
            doc.at("chart", "target")),
        location=doc.at("chart"), key_locations=_keys(doc, ("chart",)))


def _measure(doc: Document, index: int, spec: dict[str, Any]) -> MeasureDef:
    path = ("measures", index)
    ratio = spec.get(RATIO)
    return MeasureDef(
        name=spec["name"], aggregate=RATIO if ratio else spec.get("aggregate", "count"),
        field=spec.get("field"), ratio=(ratio[0], ratio[1]) if ratio else None,
        filters=filter_items(spec.get("filters")),
        label=Label.of(spec.get("label"), humanize(spec["name"])), location=doc.at(*path),
        key_locations=_keys(doc, path))


def _parameter(doc: Document, name: str, spec: dict[str, Any]) -> ParameterDef:
    path = ("parameters", name)
    default = spec.get("default")
    return ParameterDef(name=name, field=spec["field"],
                        default=None if default is None else filter_text(default),
                        label=Label.of(spec.get("label"), humanize(name)),
                        location=doc.key_at(*path),
                        key_locations=_keys(doc, path))


def _step(doc: Document, index: int, spec: dict[str, Any]) -> FunnelStepDef:
    path = ("funnel", index)
    return FunnelStepDef(spec["name"], filter_items(spec["filters"]),
                         Label.of(spec.get("label"), humanize(spec["name"])),
                         doc.at(*path), _keys(doc, path))


def _schedule(doc: Document, spec: dict[str, Any] | None) -> ScheduleDef | None:
    if spec is None:
        return None
    hours, _, minutes = spec.get("at", "08:00").partition(":")
    recipients = spec["recipients"]
    locations = _keys(doc, ("schedule",))
    for key in ("roles", "users"):
        for index in range(len(recipients.get(key, ()))):
            locations[f"{key}[{index}]"] = doc.at("schedule", "recipients", key, index)
    for name in spec.get("parameters") or {}:
        locations[f"parameters[{name}]"] = doc.key_at("schedule", "parameters", name)
    return ScheduleDef(
        every=spec["every"], at=(int(hours), int(minutes)), day=spec.get("day"),
        roles=tuple(recipients.get("roles", ())), users=tuple(recipients.get("users", ())),
        parameters=filter_items(spec.get("parameters")), location=doc.key_at("schedule"),
        key_locations=locations)


def _order(doc: Document, index: int, text: str) -> OrderDef:
    return OrderDef(text.lstrip("-"), text.startswith("-"), doc.at("order", index))


def _keys(doc: Document, path: tuple[Any, ...]) -> dict[str, Any]:
    """Where each value of the mapping at ``path`` stands (lists: each item's)."""
    spec: Any = doc.data
    for step in path:
        spec = spec[step]
    found = {}
    for key, value in spec.items():
        found[key] = doc.at(*path, key)
        if isinstance(value, (list, dict)):
            if isinstance(value, list):
                found.update({f"{key}[{i}]": doc.at(*path, key, i) for i in range(len(value))})
            else:  # a mapping: where each of its keys is written
                found.update({f"{key}[{k}]": doc.key_at(*path, key, k) for k in value})
    return found
