"""Build roles and role extensions from schema-valid documents."""

from __future__ import annotations

from typing import Any

from ..definitions import (
    DEFAULT_GRANT,
    OPERATIONS,
    GrantDef,
    GrantPatch,
    Label,
    RoleDef,
    RoleExtension,
    humanize,
)
from ..load.documents import Document
from .ownership import conditions


def build_role(doc: Document, bundle: str) -> RoleDef:
    data = doc.data
    name = data["role"]
    grants = {entity: _grant(doc, entity, ("permissions", entity))
              for entity in data.get("permissions", {})}
    if "default" in data:
        grants[DEFAULT_GRANT] = _grant(doc, DEFAULT_GRANT, ("default",))
    return RoleDef(name=name, label=Label.of(data.get("label"), humanize(name)),
                   help=Label.of(data.get("help")), admin=bool(data.get("admin", False)),
                   grants=grants, bundle=bundle, location=doc.key_at("role"))


def build_role_extension(doc: Document, bundle: str) -> RoleExtension:
    data = doc.data
    patches = [_patch(doc, entity, ("permissions", entity))
               for entity in data.get("permissions", {})]
    if "default" in data:
        patches.append(_patch(doc, DEFAULT_GRANT, ("default",)))
    return RoleExtension(
        role=data["extend_role"], label=Label.of(data["label"]) if "label" in data else None,
        help=Label.of(data["help"]) if "help" in data else None, patches=tuple(patches),
        bundle=bundle, location=doc.key_at("extend_role"))


def operations(raw: Any) -> frozenset[str]:
    return frozenset(OPERATIONS) if raw == "all" else frozenset(raw)


def _spec(doc: Document, path: tuple[str, ...]) -> dict[str, Any]:
    spec: Any = doc.data
    for step in path:
        spec = spec[step]
    return spec or {}


def _grant(doc: Document, entity: str, path: tuple[str, ...]) -> GrantDef:
    spec = _spec(doc, path)
    return GrantDef(
        entity=entity, operations=operations(spec.get("operations", ["read"])),
        all_operations=spec.get("operations") == "all", scope=spec.get("scope", "all"),
        where=conditions(spec.get("where")),
        fields=dict(spec.get("fields", {})), hold_limit=spec.get("hold_limit"),
        location=doc.key_at(*path), key_locations={k: doc.key_at(*path, k) for k in spec})


def _patch(doc: Document, entity: str, path: tuple[str, ...]) -> GrantPatch:
    spec = _spec(doc, path)
    return GrantPatch(
        entity=entity,
        operations=operations(spec["operations"]) if "operations" in spec else None,
        all_operations=spec.get("operations") == "all",
        scope=spec.get("scope"),
        where=conditions(spec["where"]) if "where" in spec else None,
        fields=dict(spec.get("fields", {})), hold_limit=spec.get("hold_limit"),
        sets_hold_limit="hold_limit" in spec, location=doc.key_at(*path))
