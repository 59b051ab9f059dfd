"""Build intake source definitions from schema-valid documents."""

from __future__ import annotations

from typing import Any

from ..definitions import Label, Location, humanize
from ..definitions.intake import (
    DEFAULT_MAX_BATCH,
    DEFAULT_PER_SECONDS,
    DEFAULT_REQUESTS,
    IntakeDef,
    PullDef,
    RateLimitDef,
)
from ..load.documents import Document
from .ownership import duration_seconds


def build_intake(doc: Document, bundle: str) -> IntakeDef:
    data = doc.data
    name = data["intake"]
    limit = data.get("rate_limit") or {}
    pull = data.get("pull")
    return IntakeDef(
        name=name, entity=data["entity"], label=Label.of(data.get("label"), humanize(name)),
        description=Label.of(data.get("description")),
        fields=dict(data.get("fields") or {}), set=dict(data.get("set") or {}),
        external_id=data.get("external_id"), ignore=tuple(data.get("ignore") or ()),
        rate_limit=RateLimitDef(
            int(limit.get("requests", DEFAULT_REQUESTS)),
            duration_seconds(limit["per"]) if "per" in limit else DEFAULT_PER_SECONDS),
        max_batch=int(data.get("max_batch", DEFAULT_MAX_BATCH)),
        pull=PullDef(pull["hook"], duration_seconds(pull.get("every", "1h")),
                     dict(pull.get("options") or {})) if pull else None,
        bundle=bundle, location=doc.key_at("intake"), key_locations=_keys(doc))


def _keys(doc: Document) -> dict[str, Location]:
    """Where each top-level key's value, and each key of ``fields`` and ``set``, is
    written (``fields[company]``, ``set[source]``)."""
    data: dict[str, Any] = doc.data
    found = {key: doc.at(key) for key in data}
    for section in ("fields", "set"):
        for key in data.get(section) or {}:
            found[f"{section}[{key}]"] = doc.at(section, key)
    if isinstance(data.get("pull"), dict):
        found.update({f"pull.{key}": doc.at("pull", key) for key in data["pull"]})
    return found
