"""The platform's own endpoints in the OpenAPI document: the meta API, users, teams,
roles, tokens and signing in, the security record, and each entity's export, saved
views, pool and transfer (their bodies: openapi_platform_schemas.py)."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from ..definitions import Catalog, EntityDef
from ..identity.security_events import KINDS as SECURITY_EVENT_KINDS
from ..runtime.pool import MAX_REASON
from ..runtime.spreadsheet import XLSX_TYPE
from .openapi_designer import designer_paths
from .openapi_imports import import_paths
from .openapi_parts import (
    ID_SCHEMA,
    TEXT,
    Schema,
    array_of,
    body,
    closed,
    items,
    nonblank_text,
    obj,
    operation,
    param,
    params,
    path,
    ref,
    requirements,
    unique,
)
from .openapi_report_builder import report_builder_paths

# Signing out needs the session (and its CSRF token) only if there is one.
_LOGOUT_SECURITY = (("sessionCookie", "csrfToken"), ())


def entity_extra_paths(entity: EntityDef, base: str, tag: str, taken: set[str], *,
                       pool_parameters: list[Schema], export_parameters: list[Schema]) -> dict:
    """An entity's export, its saved views, its pool (with one) and its transfer (with an
    owner field)."""
    name = entity.name

    def op(verb: str, summary: str, code: str, schema: Schema | None, errors: str,
           *headers: str, **more: Any) -> Schema:
        return operation(f"{verb}_{name}", tag, summary, code, schema,
                         "401 403 404 " + errors, taken, headers, **more)

    line = f"one JSON object per line, each a `{base}` (never expanded)"
    found = {f"/api/{name}/export": path(get=op(
        "export", f"Export every {name} record the query matches", "200", None, "400",
        "Content-Disposition", parameters=export_parameters, media={
            "text/csv": {"schema": {"type": "string", "description": "UTF-8 with a byte order "
                                    "mark, a header row of field names, a row per record."}},
            "application/x-ndjson": {"schema": {"type": "string", "description": line},
                                     "x-item-schema": ref(base)},
            XLSX_TYPE: {"schema": {"type": "string", "format": "binary", "description":
                                   "An Excel workbook: a row of the fields' labels, a row "
                                   "per record; choices and references as labels and "
                                   "titles, numbers and dates as typed cells."}}},
        description="Needs `read` and `export`. The list's filters, `q`, `sort` and `fields` "
        "apply; `limit`, `cursor`, `expand` and `count` are ignored. Streamed. "
        "`Content-Disposition` names the file `<entity>-<day>` and, in `filename*` "
        "(RFC 5987), after the entity's label in the caller's language."))}
    found.update(import_paths(name, op))
    found[f"/api/{name}/views"] = path(
        get=op("list_views", f"Saved views of {name}: the caller's and those shared with "
               "their roles", "200", closed(obj("items", items=array_of(ref("SavedView")))), ""),
        post=op("save_view", f"Save a view of {name} (a name for a list query)", "201",
                ref("SavedView"), "400 409 422", requestBody=body(ref("SavedViewCreate")),
                description="Needs `read`. The query is checked as a list query; `roles` "
                "shares it (administrators only, else 403). `409`: a view of yours has that "
                "name."))
    found[f"/api/{name}/views/{{id}}"] = path(
        param("id", "path", ID_SCHEMA, "The saved view's id.", required=True),
        delete=op("delete_view", f"Remove a saved view of {name}", "204", None, "",
                  description="Its owner or an administrator; to others it does not exist."))
    if entity.pool is not None:
        reason = closed(obj("reason", reason=nonblank_text(MAX_REASON)))
        found.update({
            f"/api/{name}/pool": path(get=op(
                "list_pool", f"List the {name} records nobody holds (the public pool)", "200",
                ref(base + "List"), "400", parameters=pool_parameters,
                description="Needs `claim`; the list's parameters.")),
            f"/api/{name}/{{id}}/claim": path("RecordId", post=op(
                "claim", f"Take one {name} from the pool", "200", ref(base), "400 409 412",
                "ETag", parameters=params("IfMatch"), description="`409`: already held, "
                "claimed by someone else meanwhile, or past the caller's hold limit.")),
            f"/api/{name}/{{id}}/release": path("RecordId", post=op(
                "release", f"Give one held {name} back to the pool, saying why", "200",
                ref(base), "400 409 412 422", "ETag", parameters=params("IfMatch"),
                requestBody=body(reason), description="`409`: nobody holds it.")),
        })
    if entity.owner_field is not None:
        found[f"/api/{name}/transfer"] = path(post=op(
            "transfer", f"Preview or do a transfer of {name} records to another user", "200",
            ref("Transfer"), "400 409 422", requestBody=body(ref("TransferRequest")),
            description="All or nothing; records the definition carries go along. `404` "
            "lists the ids out of reach; `409`: the target's hold limit."))
    return found


def platform_paths(catalog: Catalog, tags: list[dict[str, str]], taken: set[str]) -> dict:
    """The meta API, the directory and the credentials; adds their ``tags``."""
    names = {t["name"] for t in tags}
    meta, people, access = (unique(name, names, " (api)")
                            for name in ("meta", "identity", "authentication"))
    tags += [{"name": meta, "description": "Definitions, labels and customizations."},
             {"name": people, "description": "Users, teams and roles (docs/identity.md)."},
             {"name": access, "description": "Signing in and API tokens (docs/security.md)."}]

    def op(tag: str, op_id: str, summary: str, errors: str, schema: Schema | None,
           code: str = "200", *headers: str, **more: Any) -> Schema:
        return operation(op_id, tag, summary, code, schema, errors, taken, headers, **more)

    def named(what: str, examples: list[str]) -> Schema:
        return param("name", "path", {"type": "string", "examples": examples[:3]},
                     f"The {what}'s name.", required=True)

    # The example extends an entity of the running program (the engine names none).
    example = {"extend": next(iter(catalog.entities), "entity"),
               "fields": {"wechat": {"type": "string"}}}
    customizations = obj("schema_version items", schema_version={"type": "integer"},
                         items=array_of(obj("id document", id={"type": "integer"},
                                            document={"type": "object"})))
    created = obj("id schema_version", id={"type": "integer"}, schema_version={"type": "integer"})
    changed = obj("id document removed schema_version changes", id={"type": "integer"},
                  document={"type": "object"}, removed={"type": "boolean"},
                  schema_version={"type": "integer"}, changes=array_of({"type": "string"}))
    users = [param(key, "query", schema, text) for key, schema, text in (
        ("q", TEXT, "The name or username contains this."), ("team", TEXT, "A team code."),
        ("role", TEXT, "A role name."), ("active", {"enum": ["true", "false"]}, ""))]
    return deepcopy({  # see platform_schemas
        "/api/meta/entities": path(get=op(
            meta, "meta_list_entities", "The entities the caller may work with", "401",
            items(ref("EntitySummary")))),
        "/api/meta/entities/{name}": path(named("entity", list(catalog.entities)), get=op(
            meta, "meta_get_entity", "One entity: fields, types, options, labels", "401 404",
            ref("EntityDescription"))),
        "/api/meta/optionsets/{name}": path(named("option set", list(catalog.optionsets)),
                                            get=op(meta, "meta_get_optionset",
                                                   "One option set", "401 404",
                                                   ref("OptionSet"))),
        "/api/meta/customizations": path(
            get=op(meta, "meta_list_customizations", "The runtime customizations", "401 403",
                   customizations),
            post=op(meta, "meta_create_customization", "Add fields or options while the "
                    "server runs", "400 401 403 409 422", created, "201",
                    description="An `extend` or `extend_optionset` document, validated like a "
                    "YAML one; the table is migrated online. Administrators only (a role "
                    "with `design` on an entity may add fields to it and layouts of it).",
                    requestBody=body({"type": "object", "examples": [example]}))),
        "/api/meta/customizations/{id}": path(
            "RecordId", delete=op(
                meta, "meta_remove_customization", "Remove a customization (restorable)",
                "400 401 403 404 409", changed,
                description="What only it defined leaves the schema of every process. "
                "Dropping a column deletes its values: that is refused (409) unless "
                "`allow_destructive=true`. Administrators only.",
                parameters=[param("allow_destructive", "query", {"enum": ["true", "false"]},
                                  "Drop the columns only this customization defined, with "
                                  "their values.")])),
        "/api/meta/customizations/{id}/restore": path("RecordId", post=op(
            meta, "meta_restore_customization", "Bring a removed customization back under "
            "its number", "401 403 404 409 422", changed)),
        **designer_paths(catalog, meta, op),
        **report_builder_paths(catalog, meta, op),
        "/api/openapi.json": path(get=op(meta, "meta_get_openapi", "This document (OpenAPI "
                                         "3.1), as the caller may use the API", "401",
                                         {"type": "object"})),
        "/api/users": path(
            get=op(people, "list_users", "The user directory", "400 401",
                   items(ref("UserProfile")), parameters=users),
            post=op(people, "create_user", "Create a user (administrators)",
                    "400 401 403 409 422", ref("UserProfile"), "201", "Location",
                    requestBody=body(ref("UserProfileCreate")))),
        "/api/users/me": path(get=op(
            people, "get_current_user", "The caller, what they may do, a session's CSRF token",
            "401", ref("CurrentUser"))),
        "/api/users/{id}": path(
            "RecordId", get=op(people, "get_user", "One user", "401 404", ref("UserProfile")),
            patch=op(people, "update_user", "Change a user (administrators; anyone their own "
                     "details and password)", "400 401 403 404 409 422 429",
                     ref("UserProfile"), requestBody=body(ref("UserProfileUpdate")))),
        "/api/teams": path(
            get=op(people, "list_teams", "Teams and their members", "401", items(ref("Team"))),
            post=op(people, "create_team", "Create a team (administrators)",
                    "400 401 403 409 422", ref("Team"), "201", "Location",
                    requestBody=body(ref("TeamCreate")))),
        "/api/teams/{id}": path(
            "RecordId", get=op(people, "get_team", "One team", "401 404", ref("Team")),
            patch=op(people, "update_team", "Rename a team or replace its members "
                     "(administrators)", "400 401 403 404 422", ref("Team"),
                     requestBody=body(ref("TeamUpdate"))),
            delete=op(people, "delete_team", "Delete a team; its members stay "
                      "(administrators)", "401 403 404", None, "204")),
        "/api/roles": path(get=op(people, "list_roles", "The defined roles and their grants",
                                  "401", items(ref("Role")))),
        "/api/tokens": path(
            get=op(access, "list_tokens", "The caller's API tokens", "401", items(ref("Token"))),
            post=op(access, "create_token", "Issue an API token to the caller",
                    "400 401 403 422 429",
                    ref("TokenIssued"), "201", "Location",
                    requestBody=body(ref("TokenCreate")))),
        "/api/tokens/{id}": path("RecordId", delete=op(
            access, "revoke_token", "Revoke a token of the caller's (administrators: anyone's)",
            "401 403 404", None, "204")),
        "/api/auth/login": path(post=op(
            access, "login", "Sign in with a password: a session cookie and its CSRF token",
            "400 401 422 429", {"allOf": [ref("CurrentUser"), {"required": ["csrf_token"]}]},
            "200", "Set-Cookie", security=[], requestBody=body(ref("Login")),
            description="`Content-Type: application/json` only (`400` otherwise). `429` with "
            "`Retry-After` past the sign-in limits.")),
        "/api/auth/logout": path(post=op(
            access, "logout", "End this browser's session", "403", None, "204",
            security=requirements(_LOGOUT_SECURITY))),
        **_security_paths(access, op),
    })


def _security_paths(tag: str, op: Any) -> dict:
    """The security record (web/security_api.py), for administrators."""
    families = sorted({kind.split(".")[0] for kind in SECURITY_EVENT_KINDS})
    filters = [param("kind", "query", {"enum": [*SECURITY_EVENT_KINDS, *(
        f for f in families if f not in SECURITY_EVENT_KINDS)]},
                     "A kind, or a family (the part before the dot)."),
               param("user", "query", TEXT, "The username of who acted or whom it concerns."),
               param("since", "query", {"type": "string", "format": "date-time"},
                     "Not before (the last repeat counts)."), *params("Limit", "Cursor")]
    page = obj("items next_cursor", items=array_of(ref("SecurityEvent")),
               next_cursor={"type": ["string", "null"]})
    return {"/api/security/events": path(get=op(
        tag, "list_security_events", "The security record, newest first (administrators)",
        "400 401 403", page, parameters=filters))}
