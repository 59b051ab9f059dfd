"""The OpenAPI description of the form designer's API (``/api/meta/forms``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..definitions import Catalog
from .openapi_parts import Schema, body, obj, param, path

_INTEGER: Schema = {"type": "integer"}
_VERSION = obj("id created_at by current removed", id=_INTEGER,
               created_at={"type": "string", "format": "date-time"},
               by={"type": ["string", "null"]}, current={"type": "boolean"},
               removed={"type": "boolean"})
VERSIONS: Schema = {"type": "array", "items": _VERSION}
_SAVED = obj("id schema_version versions", id=_INTEGER, schema_version=_INTEGER,
             versions=VERSIONS)


def designer_paths(catalog: Catalog, tag: str, op: Callable[..., Schema]) -> dict[str, Any]:
    """The paths, described with the platform's ``op`` (operation ids kept unique)."""
    forms = list(catalog.forms)[:3]
    form = param("form", "path", {"type": "string", "examples": forms},
                 "The layout's name (`form:`).", required=True)
    version = param("id", "path", _INTEGER, "A version's id (`0`: the layout as the "
                    "bundles define it, for a revert).", required=True)
    layout = {"type": "object", "description": "A layout with the keys of a `forms/` YAML "
              "file (docs/forms.md)."}
    who = " Administrators and roles with `design` on the entity."
    return {
        "/api/meta/forms": path(get=op(
            tag, "designer_list_layouts", "The entities the caller may design, with their "
            "layouts", "401", obj("items", items={"type": "array", "items": obj(
                "entity forms", entity={"type": "string"},
                forms={"type": "array", "items": {"type": "object"}})}),
            parameters=[param("entity", "query", {"type": "string"}, "Only this entity.")])),
        "/api/meta/forms/{form}": path(
            form,
            get=op(tag, "designer_get_layout", "The layout in force as a document, and its "
                   "saved versions", "401 403 404",
                   obj("document versions", document=layout, versions=VERSIONS),
                   description=who),
            put=op(tag, "designer_save_layout", "Save a layout as its newest version",
                   "400 401 403 404 409 422", _SAVED, "201",
                   description="Checked like a YAML file (`422` with the reasons); every "
                   "process uses it at once." + who, requestBody=body(layout))),
        "/api/meta/forms/{form}/versions": path(form, get=op(
            tag, "designer_list_versions", "The saved versions of a layout, oldest first",
            "401 403 404", obj("items", items=VERSIONS), description=who)),
        "/api/meta/forms/{form}/versions/{id}": path(form, version, get=op(
            tag, "designer_get_version", "One saved version, with its document",
            "401 403 404", {"type": "object"}, description=who)),
        "/api/meta/forms/{form}/versions/{id}/revert": path(form, version, post=op(
            tag, "designer_revert_layout", "Go back to a version: a new version equal to it",
            "401 403 404 409 422", _SAVED, "201", description=who)),
        "/api/meta/forms/conditions": path(post=op(
            tag, "designer_check_condition", "Check a layout condition as `metacrm check` "
            "does", "400 401 403 404",
            obj("valid", valid={"type": "boolean"}, error={"type": "string"}),
            description=who, requestBody=body(obj(
                "entity expression", entity={"type": "string"},
                expression={"type": "string"})))),
    }
