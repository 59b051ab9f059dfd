"""Describe the platform's own endpoints in the OpenAPI document: the meta API,
users, teams, roles, tokens and signing in, and each entity's export, pool and
transfer, with the bodies the endpoints really take and give."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from ..compile.payloads import PHONE_PATTERN
from ..definitions import LANGUAGES, OPERATIONS, SCOPES, Catalog, EntityDef
from ..identity.password_policy import DEFAULT_MIN_LENGTH
from ..identity.password_policy import MAX_LENGTH as MAX_PASSWORD_LENGTH
from ..identity.security_events import KINDS as SECURITY_EVENT_KINDS
from ..identity.teams import CODE as TEAM_CODE
from ..identity.tokens import MAX_DAYS as MAX_TOKEN_DAYS
from ..runtime.pool import MAX_REASON
from ..runtime.saved_views import MAX_NAME as MAX_VIEW_NAME
from ..runtime.saved_views import MAX_QUERY as MAX_VIEW_QUERY
from ..runtime.transfer import MAX_TRANSFER
from .openapi_parts import (
    FLAG,
    ID_SCHEMA,
    OPTIONAL_TEXT,
    TEXT,
    WHEN,
    Schema,
    body,
    closed,
    items,
    obj,
    operation,
    param,
    params,
    path,
    ref,
    requirements,
    unique,
)
from .transfer_api import MAX_NOTE

_NAMES: Schema = {"type": "array", "items": {"type": "string"}}
_OPERATIONS: Schema = {"type": "array", "items": {"enum": list(OPERATIONS)}}
_EMPTY = {"enum": ["", None]}  # identity/fields.py takes "" for "none" as well as null
# Signing out needs the session (and its CSRF token) only if there is one.
_LOGOUT_SECURITY = (("sessionCookie", "csrfToken"), ())


def _text(most: int, **more: Any) -> Schema:
    # Not only spaces: the server strips them, and nothing left is a missing value.
    return {"type": "string", "minLength": 1, "maxLength": most, "pattern": r"\S", **more}


def _array(schema: Schema, **more: Any) -> Schema:
    return {"type": "array", "items": schema, **more}


def _map(schema: Schema, description: str) -> Schema:
    return {"type": "object", "additionalProperties": schema, "description": description}


def platform_schemas(password_min_length: int = DEFAULT_MIN_LENGTH) -> dict[str, Schema]:
    """The schemas of the platform's own bodies."""
    people = obj("id username name", id={"type": "integer"}, username=TEXT, name=TEXT)
    # A copy: the document's owner may change it, and the module's constants are in it.
    return deepcopy({
        **_identity_schemas(password_min_length),
        "TransferRequest": {**closed(obj(
            "to preview",
            ids={"type": ["array", "null"], "items": {**ID_SCHEMA, "maximum": 2**63 - 1},
                 "minItems": 1, "description": f"At most {MAX_TRANSFER} distinct ids."},
            from_owner={"type": ["integer", "null"], "minimum": 1, "description": "Every "
                        f"record of this user the caller may transfer (at most {MAX_TRANSFER})."},
            to={**ID_SCHEMA, "description": "The receiving user, who must be active."},
            note={"type": ["string", "null"], "maxLength": MAX_NOTE},
            preview={"type": "boolean", "description": "`true` changes nothing."})),
            # Exactly one of ids and from_owner names the records.
            "oneOf": [obj("ids", ids={"type": "array"}, from_owner={"type": "null"}),
                      obj("from_owner", from_owner={"type": "integer"}, ids={"type": "null"})]},
        "Transfer": obj(
            "entity to records unchanged holdings owners done",
            entity=TEXT, to=people, unchanged=_array({"type": "integer"}), done=FLAG,
            transfer={"type": "string", "description": "With `done`: names the transfer "
                      "in the audit notes."},
            records=_map(obj("count items", count={"type": "integer"}, items=_array(obj(
                "id title owner", id={"type": "integer"},
                title={"description": "Null where the caller may not read it."},
                owner={"type": ["integer", "null"]},
                **{"with": {"type": "integer", "description": "The record it goes along "
                            "with."}}))), "Per entity, the records that move."),
            holdings=_map(obj("held gaining limit over_limit", held={"type": "integer"},
                              gaining={"type": "integer"}, limit={"type": ["integer", "null"]},
                              over_limit=FLAG), "Per entity, the target's holdings."),
            owners=_map(people, "The previous owners, by id.")),
        **_meta_schemas(),
        "SecurityEvent": security_event_schema(),
    })


def _identity_schemas(password_min_length: int) -> dict[str, Schema]:
    directory = obj(
        "id username name email phone language active manager teams roles",
        id={"type": "integer"}, username=TEXT, name=TEXT, email=OPTIONAL_TEXT,
        phone=OPTIONAL_TEXT, language={"enum": list(LANGUAGES)}, active=FLAG,
        manager={"type": ["integer", "null"]}, teams=_NAMES, roles=_NAMES,
        is_admin={**FLAG, "description": "Shown to administrators only."},
        created_at={**WHEN, "description": "Shown to administrators only."},
        has_password={**FLAG, "description": "Shown to administrators only."})
    # The keys identity/fields.py checks (USER_FIELDS), as the API takes them.
    writable: dict[str, Schema] = {
        "username": _text(150, pattern=r"^\S+$"), "name": _text(200),
        "email": {"anyOf": [{"type": "string", "format": "email", "maxLength": 254}, _EMPTY]},
        "phone": {"anyOf": [{"type": "string", "maxLength": 40,
                             "pattern": PHONE_PATTERN.pattern}, _EMPTY]},
        "language": {"enum": list(LANGUAGES)},
        "password": {"type": "string", "minLength": password_min_length,
                     "maxLength": MAX_PASSWORD_LENGTH, "writeOnly": True,
                     "description": "At least METACRM_PASSWORD_MIN_LENGTH characters (10 by "
                     "default) and not a common password (`422` otherwise). Ends the user's "
                     "other sessions."},
        "active": {**FLAG, "description": "`false` disables the user at once."},
        "is_admin": FLAG, "manager": {"type": ["integer", "null"], "minimum": 1},
        "roles": _array(_text(60)), "teams": _array(_text(40))}
    team_fields: dict[str, Schema] = {
        "code": _text(40, pattern=TEAM_CODE.pattern), "name": _text(200),
        "members": _array(ID_SCHEMA, description="User ids; they replace the members.")}
    maybe_when = {"type": ["string", "null"], "format": "date-time"}
    token = obj("id name created_at revoked_at expires_at expired", id={"type": "integer"},
                name=TEXT, created_at=WHEN, revoked_at=maybe_when,
                expires_at={**maybe_when, "description": "Null: until revoked."},
                expired={**FLAG, "description": "Past `expires_at`: the token is refused."})
    grant = obj("entity label operations scope where hidden readonly hold_limit",
                entity={"type": "string", "description": "`*`: every entity not named."},
                label=OPTIONAL_TEXT, operations=_OPERATIONS, scope={"enum": list(SCOPES)},
                where=_map({"type": "array"}, "Conditions: field -> allowed values."),
                hidden=_NAMES, readonly=_NAMES, hold_limit={"type": ["integer", "null"]})
    return {
        "UserProfile": directory,
        "UserProfileCreate": closed(obj("username", **writable)),
        "UserProfileUpdate": {**closed(obj("", **writable, current_password={
            "type": "string", "writeOnly": True, "description": "Needed to set one's own "
            "password."})), "description": "Others than administrators change only their own "
            "name, email, phone, language and password."},
        "CurrentUser": {"allOf": [ref("UserProfile"), obj(
            "is_admin created_at has_password administrator permissions",
            administrator=FLAG, permissions=_map(_OPERATIONS, "Per entity, the operations "
                                                  "the caller may do."),
            csrf_token={"type": "string", "description": "Only for a session: send it as "
                        "`X-CSRF-Token` with every unsafe request."})]},
        "Team": obj("id code name members", id={"type": "integer"}, code=TEXT, name=TEXT,
                    members=_array({"type": "integer"})),
        "TeamCreate": closed(obj("code", **team_fields)),
        "TeamUpdate": {**closed(obj("", **team_fields)),
                       "description": "The code cannot change (`422`)."},
        "Role": obj("name label help admin grants", name=TEXT, label=TEXT,
                    help=OPTIONAL_TEXT, admin=FLAG, grants=_array(grant)),
        "Token": token,
        "TokenIssued": {"allOf": [ref("Token"), obj("token", token={
            "type": "string", "description": "The secret, in this answer only."})]},
        "TokenCreate": {**closed(obj("name", name=_text(100), current_password={
            "type": "string", "writeOnly": True, "description": "Needed when a browser "
            "session creates the token (a wrong one counts as a failed sign-in)."},
            expires_at={"type": "string", "format": "date-time", "description": "When the "
                        "token stops working (in the future, within 3650 days)."},
            expires_in_days={"type": "integer", "minimum": 1, "maximum": MAX_TOKEN_DAYS,
                             "description": "Or: this many days from now. Not both."})),
            "not": {"required": ["expires_at", "expires_in_days"]}},
        "Login": closed(obj("username password", username=TEXT,
                            password={"type": "string", "writeOnly": True})),
    }


def _meta_schemas() -> dict[str, Schema]:
    summary: dict[str, Schema] = {"name": TEXT, "label": TEXT, "plural": TEXT,
                                  "bundle": TEXT, "operations": _OPERATIONS}
    labels = _map(TEXT, "By language.")
    described = "help labels title search default_sort owned_by pool fields indexes rules"
    field = {**obj("name type label labels help required unique readonly computed",
                   name=TEXT, type=TEXT, label=TEXT, labels=labels, help=OPTIONAL_TEXT,
                   required=FLAG, unique=FLAG, readonly=FLAG, computed=FLAG,
                   options=_array(ref("Option")), optionset=TEXT, to=TEXT),
             "description": "With the field's `default`, `min`, `max`, `max_length`, "
             "`pattern`, `format`, `expression`, `result`, `scale`, `on_delete` when set."}
    return {
        "EntitySummary": obj(" ".join(summary), **summary),
        "EntityDescription": obj(
            f"{' '.join(summary)} {described}", **summary, help=OPTIONAL_TEXT, labels=labels,
            title=OPTIONAL_TEXT, search=_NAMES, default_sort=_NAMES, owned_by=OPTIONAL_TEXT,
            pool=FLAG, fields=_array(field),
            indexes=_array(obj("fields unique", fields=_NAMES, unique=FLAG)),
            rules=_array(obj("name check", name=TEXT, check=TEXT, when=OPTIONAL_TEXT,
                             field=OPTIONAL_TEXT, message=OPTIONAL_TEXT)),
            form={"type": ["object", "null"], "description": "The caller's form layout "
                  "(docs/forms.md): name, label, roles, priority, tabs (each with sections "
                  "of fields, with their spans and CEL conditions), list_columns, "
                  "quick_create, related; without the fields and lists the caller may not "
                  "see. Null: the entity has none for them (the pages generate one)."}),
        "Option": {**obj("value label help color", value=TEXT, label=TEXT,
                         help=OPTIONAL_TEXT, color=OPTIONAL_TEXT),
                   "description": "With the option's own attributes."},
        "OptionSet": obj("name label options", name=TEXT, label=TEXT,
                         options=_array(ref("Option"))),
        "SavedView": obj("id entity name query owner roles created_at", id=ID_SCHEMA,
                         entity=TEXT, name=TEXT, query=TEXT, owner=ID_SCHEMA,
                         roles=_array(TEXT), created_at={"type": "string",
                                                         "format": "date-time"}),
        "SavedViewCreate": closed(obj(
            "name", name=_text(MAX_VIEW_NAME, pattern=r"\S"),
            query=_text(MAX_VIEW_QUERY, description="A list query as in GET /api/<entity>?… "
                        "(filters, q, sort); page parameters are dropped."),
            roles=_array(_text(60), description="Shared with these roles (administrators "
                         "only); empty or left out: private."))),
    }


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
                                     "x-item-schema": ref(base)}},
        description="Needs `read` and `export`. The list's filters, `q`, `sort` and `fields` "
        "apply; `limit`, `cursor`, `expand` and `count` are ignored. Streamed."))}
    found[f"/api/{name}/views"] = path(
        get=op("list_views", f"Saved views of {name}: the caller's and those shared with "
               "their roles", "200", closed(obj("items", items=_array(ref("SavedView")))), ""),
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
        reason = closed(obj("reason", reason=_text(MAX_REASON)))
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
                         items=_array(obj("id document", id={"type": "integer"},
                                          document={"type": "object"})))
    created = obj("id schema_version", id={"type": "integer"}, schema_version={"type": "integer"})
    changed = obj("id document removed schema_version changes", id={"type": "integer"},
                  document={"type": "object"}, removed={"type": "boolean"},
                  schema_version={"type": "integer"}, changes=_array({"type": "string"}))
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
                    "YAML one; the table is migrated online. Administrators only.",
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
    page = obj("items next_cursor", items=_array(ref("SecurityEvent")),
               next_cursor={"type": ["string", "null"]})
    return {"/api/security/events": path(get=op(
        tag, "list_security_events", "The security record, newest first (administrators)",
        "400 401 403", page, parameters=filters))}


def security_event_schema() -> Schema:
    return obj("id kind at last_at count user_id username target address details",
               id={"type": "integer"}, kind={"enum": list(SECURITY_EVENT_KINDS)}, at=WHEN,
               last_at={**WHEN, "description": "The last repeat (`count` > 1)."},
               count={"type": "integer", "minimum": 1}, user_id={"type": ["integer", "null"]},
               username={"type": ["string", "null"]}, target={"type": ["string", "null"]},
               address={"type": "string", "description": "`cli`: the command line; `*`: "
                        "refusals past a minute's distinct rows."},
               details={"type": "object", "description": "With `via` (api, page, cli…)."})
