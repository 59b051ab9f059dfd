"""The OpenAPI part of duplicates and merges: an entity's duplicates list, merge and
unmerge, the schemas of candidates and groups (web/duplicates_api.py)."""

from __future__ import annotations

from typing import Any

from ..definitions import EntityDef
from ..runtime.duplicate_groups import MAX_GROUPS, SCAN_WINDOW
from ..runtime.merge import MAX_MERGED
from .openapi_parts import (
    ID_SCHEMA,
    Schema,
    array_of,
    body,
    closed,
    obj,
    operation,
    param,
    path,
    ref,
)

CANDIDATES_NOTE = (
    "Likely duplicates by the entity's `duplicates:` rules (docs/cleaning-and-duplicates.md). "
    "A record the caller may not read is listed without `id` and `title`, with a `message`.")


def duplicate_schemas() -> dict[str, Schema]:
    return {
        "DuplicateCandidate": obj(
            "rule label action score", id={"type": "integer", "format": "int64"},
            title={"type": ["string", "null"]}, rule={"type": "string"},
            label={"type": "string"}, action={"enum": ["warn", "block"]},
            score={"type": "integer", "minimum": 0, "maximum": 100,
                   "description": "100: the same values; less: how alike the names are."},
            message={"type": "string", "description": "Instead of id and title: a record "
                     "the caller may not read."},
            item={"type": "integer", "description": "A bulk create's item."},
            request_item={"type": "integer", "description": "In a bulk create: the earlier "
                          "item of the same request this one duplicates (`id`: the record "
                          "it was created as)."}),
        "DuplicateGroup": obj(
            "rule label action count records", rule={"type": "string"},
            label={"type": "string"}, action={"enum": ["warn", "block"]},
            count={"type": "integer"},
            value={"type": "object", "description": "An exact rule's shared values."},
            records=array_of(obj("id title score", id={"type": "integer", "format": "int64"},
                                 title={"type": ["string", "null"]},
                                 score={"type": "integer"}))),
        "MergeRequest": closed(obj(
            "keep others", keep=dict(ID_SCHEMA, description="The record kept."),
            others=array_of(ID_SCHEMA, minItems=1, maxItems=MAX_MERGED - 1, uniqueItems=True,
                            description="The records merged into it (to the recycle bin)."),
            values={"type": "object", "description": "Per field: the id of the merged "
                    "record whose value it takes, or `{\"value\": ...}`. Unnamed fields keep "
                    "the kept record's value, or the first other's when it has none.",
                    "additionalProperties": {"oneOf": [
                        dict(ID_SCHEMA), closed(obj("value", value={}))]}})),
    }


def duplicate_paths(entity: EntityDef, base: str, tag: str, taken: set[str]) -> dict:
    name = entity.name

    def op(verb: str, summary: str, code: str, schema: Schema | None, errors: str,
           *headers: str, **more: Any) -> Schema:
        return operation(f"{verb}_{name}", tag, summary, code, schema,
                         "401 403 404 " + errors, taken, headers, **more)

    return {
        f"/api/{name}/duplicates": path(get=op(
            "list_duplicates", f"Groups of likely duplicate {name} records", "200",
            obj("groups next_cursor", groups=array_of(ref("DuplicateGroup")),
                next_cursor={"type": ["string", "null"], "description": "Pass it as "
                             "`cursor` for the next page; null: no more."}), "400 422",
            parameters=[
                *([param("rule", "query", {"enum": [r.name for r in entity.duplicates]},
                         "Only this rule's groups.")] if entity.duplicates else []),
                param("limit", "query", {"type": "integer", "minimum": 1,
                                         "maximum": MAX_GROUPS, "default": MAX_GROUPS},
                      "Groups at most."),
                param("cursor", "query", {"type": "string"},
                      "The previous page's `next_cursor`.")],
            description="Among the records the caller may read; needs `read`. In the "
                        "rules' order, then by value: a page reads at most "
                        f"{SCAN_WINDOW:,} index entries per rule, and may hold fewer "
                        "groups than `limit` with a `next_cursor` to go on.")),
        f"/api/{name}/merge": path(post=op(
            "merge", f"Merge {name} records into one", "200", ref(base), "400 409 412 422",
            "ETag", requestBody=body(ref("MergeRequest")),
            description="Needs `update` on every record and `delete` on the others. Moves "
            "every reference and multi-reference to the others onto the kept record, audits "
            "it (`merge`), sends the others to the recycle bin; `unmerge` undoes it.")),
        f"/api/{name}/{{id}}/unmerge": path("RecordId", post=op(
            "unmerge", f"Undo the merge of one {name} record", "200", ref(base), "409",
            "ETag", description="Restores the merged-away record and points back at it what "
            "the merge moved from it and still points at the kept record. `409`: it was not "
            "merged.")),
    }
