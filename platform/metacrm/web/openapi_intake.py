"""Describe the intake endpoint in the OpenAPI document: ``POST /api/intake/{name}``
with a lead schema per source (its incoming keys), the answers per lead and the
source's own token (web/intake_api.py, docs/intake.md)."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from ..definitions import Catalog
from ..definitions.intake import IntakeDef
from .openapi_parts import Schema, content, obj, operation, param, path, ref, requirements

VALUE: Schema = {"type": ["string", "number", "integer", "boolean", "array", "null"]}
OUTCOME = obj("index result", index={"type": "integer"},
              result={"enum": ["created", "existing", "invalid", "refused"],
                      "description": "`existing`: a retry of a lead with the same external "
                      "id; `id` is the record made the first time."},
              id={"type": "integer"}, external_id={"type": "string"},
              errors={"type": "object", "additionalProperties": {
                  "type": "array", "items": {"type": "string"}}})


def _lead_schema(source: IntakeDef) -> Schema:
    properties: dict[str, Schema] = {
        key: {**VALUE, "description": f"Stored as `{source.entity}.{name}`."}
        for key, name in source.fields.items()}
    if source.external_id and source.external_id not in properties:
        properties[source.external_id] = {
            "type": ["string", "integer"], "description": "The lead's id in the sending "
            "system: a retried delivery does not create it twice."}
    for key in source.ignore:
        properties.setdefault(key, {"description": "Accepted and not stored."})
    fixed = ", ".join(f"`{k}` = `{v}`" for k, v in source.set.items())
    return {"type": "object", "additionalProperties": False, "properties": properties,
            "title": source.label.get("en") or source.name,
            "description": f"A lead for intake source `{source.name}` ({source.entity})"
            + (f"; it is stored with {fixed}." if fixed else ".")}


def intake_schemas(catalog: Catalog) -> dict[str, Schema]:
    return {f"IntakeLead_{name}": _lead_schema(source)
            for name, source in sorted(catalog.intakes.items())}


def intake_paths(catalog: Catalog, tags: list[dict[str, str]], taken: set[str]
                 ) -> dict[str, Any]:
    """The intake endpoint; adds its tag."""
    tag = "intake"
    while tag in {t["name"] for t in tags}:
        tag += " (api)"
    tags.append({"name": tag, "description": "Leads from outside systems, one endpoint per "
                 "intake source defined in intake/ (docs/intake.md)."})
    names = sorted(catalog.intakes)
    leads = [ref(f"IntakeLead_{n}") for n in names] or [{"type": "object"}]
    lead: Schema = {"anyOf": leads} if len(leads) > 1 else leads[0]
    batch = obj("leads", leads={"type": "array", "minItems": 1, "items": lead})
    name = param("name", "path", {"type": "string", **({"enum": names} if names else {})},
                 "The intake source.", required=True)
    post = operation(
        "intake_leads", tag, "Deliver one lead or a batch from an outside system", "201",
        {"anyOf": [OUTCOME, obj("results", results={"type": "array", "items": OUTCOME},
                                errors={"type": "object"})]},
        "400 401 404 409 413 422 429", taken, requestBody={
            "required": True, "content": content({"anyOf": [lead, batch]})},
        security=requirements((("bearerToken",),)),
        description="Authenticated by one of the source's own tokens (`metacrm intake "
        "token <source>`), at most the source's `rate_limit` requests per window "
        "(`429` with `Retry-After`). One lead answers `201` (`200` when it is a retry of a "
        "lead already stored) or its own error with errors by the sender's keys; a batch "
        "answers each lead in `results` (`207` when some are stored and some not), errors "
        "keyed `leads[i].<key>`.")
    post["responses"]["200"] = {"description": "Every lead was already stored (a retry).",
                                "content": post["responses"]["201"]["content"]}
    post["responses"]["207"] = {"description": "Some leads stored, some refused: see "
                                "`results` and `errors`.",
                                "content": post["responses"]["201"]["content"]}
    return deepcopy({"/api/intake/{name}": path(name, post=post)})
