"""An entity's import endpoints in the OpenAPI document (web/imports_api.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..imports.store import ACTIONS, MODES
from .openapi_parts import Schema, array_of, obj, param, path

_NULLABLE_INT = {"type": ["integer", "null"]}
_COUNTS = obj(" ".join(ACTIONS), **{a: {"type": "integer"} for a in ACTIONS})
_ROW = obj("row action record_id before errors reverted",
           row={"type": "integer", "description": "The row's number as a spreadsheet shows it."},
           action={"enum": list(ACTIONS)}, record_id=_NULLABLE_INT,
           before={"type": ["object", "null"],
                   "description": "An update's changed fields' earlier values."},
           errors={"type": ["object", "null"]}, reverted={"type": ["string", "null"]})
IMPORT = obj(
    "id entity filename status options mapping total_rows last_row counts processed "
    "progress error user_id created_at finished_at reverted_at",
    id={"type": "integer"}, entity={"type": "string"}, filename={"type": "string"},
    status={"enum": ["queued", "running", "done", "failed", "reverted"]},
    options={"type": "object"}, mapping={"type": "object"}, total_rows=_NULLABLE_INT,
    last_row={"type": "integer"}, counts=_COUNTS, processed={"type": "integer"},
    progress={"type": ["number", "null"]}, error={"type": ["string", "null"]},
    user_id=_NULLABLE_INT, created_at={"type": "string"},
    finished_at={"type": ["string", "null"]}, reverted_at={"type": ["string", "null"]},
    runs_in={"enum": ["queue", "thread"]}, failed_rows=array_of(_ROW))
_UPLOAD = {"required": True, "content": {"multipart/form-data": {"schema": obj(
    "file", file={"type": "string", "contentMediaType": "application/octet-stream",
                  "description": "CSV (UTF-8, UTF-16 or GBK/GB18030) or XLSX."},
    mode={"enum": list(MODES), "default": "create"},
    match={"type": "string", "description": "Comma-separated fields that find the record "
           "a row updates."},
    dry_run={"type": "string", "enum": ["true", "false"]},
    mapping={"type": "string", "description": 'JSON: {"columns": {column: field}, '
             '"defaults": {field: value}}'})}}}
_ID = param("id", "path", {"type": "integer"}, "The import's id.", required=True)


def import_paths(name: str, op: Callable[..., Schema]) -> dict[str, Any]:
    """``op(verb, summary, code, schema, errors, *headers, **more)`` as
    ``entity_extra_paths`` builds its operations."""
    base = f"/api/{name}/imports/{{id}}"
    return {
        f"/api/{name}/imports": path(post=op(
            "import", f"Import a file of {name} records (a background job)", "202", IMPORT,
            "422", "Location", requestBody=_UPLOAD,
            description="Needs `import`, and `create` and/or `update` as the mode asks. "
            "Answers at once; `GET` the `Location` for progress and results.")),
        base: path(_ID, get=op(
            "get_import", f"An import of {name}: progress, counts, the first failed rows",
            "200", IMPORT, "")),
        f"{base}/rows": path(_ID, get=op(
            "import_rows", f"The log of an import of {name}, in file order", "200",
            obj("items", items=array_of(_ROW)), "422", parameters=[
                param("action", "query", {"enum": list(ACTIONS)}),
                param("after", "query", {"type": "integer"}, "After this row number."),
                param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 1000})])),
        f"{base}/failed.csv": path(_ID, get=op(
            "import_failed_rows", f"The failed rows of an import of {name} as CSV", "200",
            None, "", "Content-Disposition", media={"text/csv": {"schema": {
                "type": "string", "description": "The file's columns and `import errors`."}}})),
        f"{base}/revert": path(_ID, post=op(
            "revert_import", f"Revert an import of {name}", "200", obj(
                "reverted refused", reverted={"type": "integer"}, refused=array_of(obj(
                    "row record_id reason", row={"type": "integer"},
                    record_id={"type": "integer"}, reason={"type": "string"}))), "409",
            description="Created records go to the recycle bin, updated ones get their "
            "earlier values back; records changed since are left, with the reason.")),
        f"{base}/resume": path(_ID, post=op(
            "resume_import", f"Resume an import of {name} after its last committed row",
            "202", IMPORT, "409")),
    }
