"""Build the ownership parts of an entity (or extension) document: ``owned_by``,
``pool`` with its return rules, ``assignment`` rules and ``transfer``."""

from __future__ import annotations

from typing import Any

from ..definitions import (
    AssignmentRuleDef,
    CarryDef,
    Conditions,
    Label,
    PoolDef,
    ReturnRuleDef,
    TransferDef,
    humanize,
)
from ..load.documents import Document

_SECONDS = {"m": 60, "h": 3600, "d": 86400}
DEFAULT_RETURN_CHECK = "1h"


def conditions(raw: Any) -> Conditions:
    """``{stage: won, grade: [A, B]}`` as ``{"stage": ("won",), "grade": ("A", "B")}``."""
    return {name: tuple(value) if isinstance(value, list) else (value,)
            for name, value in (raw or {}).items()}


def duration_seconds(text: str) -> int:
    """``30m``, ``1h``, ``2d`` in seconds (the schema has checked the form)."""
    return int(text[:-1]) * _SECONDS[text[-1]]


def build_pool(doc: Document) -> PoolDef | None:
    spec = doc.data.get("pool")
    if spec is None:
        return None
    return PoolDef(
        label=Label.of(spec.get("label"), "Pool"),
        on_claim=dict(spec.get("on_claim", {})), on_return=dict(spec.get("on_return", {})),
        assigned_at=spec.get("assigned_at"),
        returned_at=spec.get("returned_at"),
        hold_limit_excludes=conditions(spec.get("hold_limit_excludes")),
        return_rules=build_return_rules(doc, ("pool", "return_rules")),
        location=doc.key_at("pool"),
    )


def build_return_rules(doc: Document, path: tuple[str, ...]) -> tuple[ReturnRuleDef, ...]:
    spec: Any = doc.data
    for step in path:
        spec = spec.get(step, {}) if isinstance(spec, dict) else {}
    rules = []
    for i, rule in enumerate(spec or ()):
        activity = rule.get("activity", ())
        rules.append(ReturnRuleDef(
            name=rule["name"], label=Label.of(rule.get("label"), humanize(rule["name"])),
            idle_days=rule["idle_days"],
            activity=(activity,) if isinstance(activity, str) else tuple(activity),
            where=conditions(rule.get("where")), unless=conditions(rule.get("unless")),
            every_seconds=duration_seconds(rule.get("every", DEFAULT_RETURN_CHECK)),
            location=doc.at(*path, i),
        ))
    return tuple(rules)


def build_assignment(doc: Document) -> tuple[AssignmentRuleDef, ...]:
    return tuple(
        AssignmentRuleDef(
            name=rule["name"], label=Label.of(rule.get("label"), humanize(rule["name"])),
            team=rule["team"], method=rule.get("method", "round_robin"),
            when=conditions(rule.get("when")), location=doc.at("assignment", i))
        for i, rule in enumerate(doc.data.get("assignment", ()))
    )


def build_transfer(doc: Document) -> TransferDef | None:
    spec = doc.data.get("transfer")
    if spec is None:
        return None
    return TransferDef(
        carry=tuple(CarryDef(entity=item["entity"], through=item["through"],
                             where=conditions(item.get("where")),
                             location=doc.at("transfer", "with", i))
                    for i, item in enumerate(spec["with"])),
        location=doc.key_at("transfer"))
