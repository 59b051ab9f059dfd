"""Build the pieces every part of the OpenAPI document shares: references,
parameters, operations, error responses, security and the common components."""

from __future__ import annotations

from typing import Any

from ..values import MAX_INTEGER, MIN_INTEGER
from .auth import CSRF_HEADER

Schema = dict[str, Any]

MAX_LIMIT, DEFAULT_LIMIT = 500, 50
SESSION_COOKIE = "metacrm_session"  # app.py's SESSION_COOKIE_NAME
ERROR_RESPONSES = {
    "400": ("BadRequest", "Malformed query string, JSON body or `If-Match`."),
    "401": ("Unauthorized", "No credentials, or a token or session no longer valid."),
    "403": ("Forbidden", ("Not allowed: the caller's roles lack the operation, the record is "
                          "out of their reach, or a session's unsafe request lacks the CSRF "
                          "token.")),
    "404": ("NotFound", "Unknown entity or record, or one the caller may not read."),
    "409": ("Conflict", ("Refused: a restricted delete, a unique value taken, a record "
                         "already held, a hold limit, a transition the record's state, its "
                         "required fields or a guard do not allow, a record waiting for an "
                         "approval, an approval chain already decided, a likely duplicate of a "
                         "blocking rule (the candidates under `duplicates`).")),
    "412": ("PreconditionFailed", "Stale `If-Match`: the record changed; nothing was done."),
    "413": ("ContentTooLarge", ("The body is over the size limit or holds too many keys and "
                                "list items (docs/api.md, limits of a request).")),
    "422": ("UnprocessableEntity", "Invalid values, in the request's language."),
    "429": ("TooManyRequests", "Too many failed sign-ins; wait `Retry-After` seconds.")}
# Headers an error response carries (app.py's error handler sets them).
_ERROR_HEADERS = {"401": ("WWW-Authenticate",), "429": ("Retry-After",)}
SUCCESS = {"200": "OK.", "201": "Created.", "202": "Accepted: running in the background.",
           "204": "Done; no content."}
# Actions of the audit trail: runtime/writes.py, recycle.py, pool.py, pool_returns.py,
# transfer.py; transitions.py ("transition"); approvals.py ("submit"; a decision,
# "approve" or "reject"; a chain's end that changes the record, "approved", "rejected"
# or "withdraw").
HISTORY_ACTIONS = ("create", "update", "delete", "restore", "merge", "claim", "release", "return",
                   "transfer", "transition", "submit", "approve", "reject", "approved",
                   "rejected", "withdraw")
# Security requirements, each a tuple of schemes that go together: any credential; a
# request through the session cookie that changes something also needs the session's
# CSRF token (web/auth.py).
SECURITY = (("bearerToken",), ("sessionCookie",))
UNSAFE_SECURITY = (("bearerToken",), ("sessionCookie", "csrfToken"))
_UNSAFE = ("post", "put", "patch", "delete")
# Ids are 64-bit: a path with a larger one is no route at all (404).
ID_SCHEMA: Schema = {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_INTEGER}
INT64: Schema = {"type": "integer", "format": "int64", "minimum": MIN_INTEGER,
                 "maximum": MAX_INTEGER}
# What web/requests.py if_match reads: the ETag as sent (a version in quotes, W/ or not),
# bare digits, or `*`.
IF_MATCH_PATTERN = r'^\s*(\*|(W/)?"0*[0-9]{1,18}"|0*[0-9]{1,18})\s*$'

TEXT: Schema = {"type": "string"}
OPTIONAL_TEXT: Schema = {"type": ["string", "null"]}
INTEGER: Schema = {"type": "integer"}
OPTIONAL_INTEGER: Schema = {"type": ["integer", "null"]}
FLAG: Schema = {"type": "boolean"}
WHEN: Schema = {"type": "string", "format": "date-time"}
OPTIONAL_WHEN: Schema = {"type": ["string", "null"], "format": "date-time"}


def requirements(groups: tuple[tuple[str, ...], ...]) -> list[dict[str, list[str]]]:
    """``groups`` as OpenAPI security requirements (an empty group: none needed)."""
    return [{scheme: [] for scheme in group} for group in groups]


def unique(name: str, taken: set[str], suffix: str) -> str:
    while name in taken:  # only clashing definitions get here, so ugly but unique is fine
        name += suffix
    taken.add(name)
    return name


def ref(name: str, kind: str = "schemas") -> Schema:
    return {"$ref": f"#/components/{kind}/{name}"}


def param(name: str, where: str, schema: Schema, description: str = "", **more: Any) -> Schema:
    return {"name": name, "in": where, "schema": schema, **more,
            **({"description": description} if description else {})}


def content(schema: Schema) -> Schema:
    return {"application/json": {"schema": schema}}


def body(schema: Schema, required: bool = True) -> Schema:
    """A JSON request body; one not ``required`` may be left out (an empty body)."""
    return {"required": required, "content": content(schema)}


def items(schema: Schema, **limits: int) -> Schema:
    return {"type": "object", "required": ["items"],
            "properties": {"items": {"type": "array", "items": schema, **limits}}}


def nonblank_text(most: int, **more: Any) -> Schema:
    """A string of 1 to ``most`` characters, not only spaces (the server strips them,
    and nothing left is a missing value)."""
    return {"type": "string", "minLength": 1, "maxLength": most, "pattern": r"\S", **more}


def array_of(schema: Schema, **more: Any) -> Schema:
    return {"type": "array", "items": schema, **more}


def map_of(schema: Schema, description: str) -> Schema:
    return {"type": "object", "additionalProperties": schema, "description": description}


def obj(required: str, /, **properties: Schema) -> Schema:
    """An object schema; ``required``: its required properties, space-separated."""
    names = required.split()
    return {"type": "object", **({"required": names} if names else {}), "properties": properties}


def closed(schema: Schema) -> Schema:
    """``schema`` refusing unknown keys, as the endpoints do (`422`)."""
    return {**schema, "additionalProperties": False}


def params(*names: str) -> list[Schema]:
    return [ref(name, "parameters") for name in names]


def path(*parameters: str | Schema, **operations: Schema) -> Schema:
    """A path item: its parameters (component names or inline) and its operations;
    unsafe operations need the CSRF token with a session unless they say otherwise."""
    for method, operation in operations.items():
        if method in _UNSAFE and "security" not in operation:
            operation["security"] = requirements(UNSAFE_SECURITY)
    listed = [ref(p, "parameters") if isinstance(p, str) else p
              for p in ("AcceptLanguage", *parameters)]
    return {"parameters": listed, **operations}


def operation(op_id: str, tag: str, summary: str, code: str, schema: Schema | None,
              errors: str, taken: set[str], headers: tuple[str, ...] = (), *,
              media: Schema | None = None, **more: Any) -> Schema:
    """One operation: its success answer (JSON ``schema``, or other ``media``) and the
    shared error responses named in ``errors`` (space-separated statuses)."""
    answer: Schema = {"description": SUCCESS[code]}
    if media is not None:
        answer["content"] = media
    elif schema is not None:
        answer["content"] = content(schema)
    if headers:
        answer["headers"] = {h: ref(h, "headers") for h in headers}
    statuses = set(errors.split())
    if "requestBody" in more:  # any body may be malformed, too large or hold too much
        statuses |= {"400", "413"}
    responses = {code: answer, **{status: ref(ERROR_RESPONSES[status][0], "responses")
                                  for status in sorted(statuses)}}
    return {"operationId": unique(op_id, taken, "_"), "tags": [tag], "summary": summary,
            **more, "responses": responses}


def shared_schemas() -> dict[str, Schema]:
    """The schemas every document has, whatever the definitions say."""
    return {
        "Errors": {"type": "object", "required": ["errors"], "properties": {"errors": {
            "type": "object", "description": "Messages by field name, `_record` or `_request`.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}}},
            "duplicates": {"type": "array", "items": {"$ref": "#/components/schemas/"
                                                               "DuplicateCandidate"},
                           "description": "A 409 of a blocking duplicate rule: the records "
                           "like the one refused."}},
            "examples": [{"errors": {"grade": ["Must be one of: A, B, C, D."]}}]},
        "History": obj("id action user_id at changes",
                       id={"type": "integer"}, user_id={"type": ["integer", "null"],
                                                        "description": "Null: the system."},
                       action={"enum": list(HISTORY_ACTIONS)},
                       at={"type": "string", "format": "date-time"},
                       note={"type": ["string", "null"]},
                       changes={"type": "object", "description": "`{field: [old, new]}`",
                                "additionalProperties": {"type": "array", "minItems": 2,
                                                         "maxItems": 2}}),
        "User": obj("id", id={"type": "integer"}, username={"type": "string"},
                    name={"type": ["string", "null"]}, email={"type": ["string", "null"]}),
    }


def components(schemas: dict[str, Schema]) -> Schema:
    """Everything the paths share, around ``schemas``."""
    responses: dict[str, Schema] = {}
    for status, (name, text) in ERROR_RESPONSES.items():
        responses[name] = {"description": text, "content": content(ref("Errors"))}
        if status in _ERROR_HEADERS:
            responses[name]["headers"] = {h: ref(h, "headers") for h in _ERROR_HEADERS[status]}
    return {"schemas": {**shared_schemas(), **schemas}, "parameters": {
        "RecordId": param("id", "path", dict(ID_SCHEMA), required=True),
        "Limit": param("limit", "query", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                                          "default": DEFAULT_LIMIT}, "Records per page."),
        "Cursor": param("cursor", "query", {"type": "string"}, "The previous `next_cursor`."),
        "Count": param("count", "query", {"type": "boolean"}, "Add the total as `count`."),
        "IfMatch": param("If-Match", "header", {"type": "string", "pattern": IF_MATCH_PATTERN},
                         "The `ETag` last read (`\"3\"`); a stale one is `412`, one not "
                         "like an ETag `400`. Without it (or with `*`) the last writer wins."),
        "AcceptLanguage": param("Accept-Language", "header", {"type": "string", "examples": [
            "en", "zh"]}, "Language of labels and messages (`en` or `zh`)."),
    }, "responses": responses, "headers": _headers(), "securitySchemes": {
        "bearerToken": {"type": "http", "scheme": "bearer", "description": "An API token "
                        "(`mcrm_…`): `metacrm user token`, or `POST /api/tokens`."},
        "sessionCookie": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE,
                          "description": "The browser session `POST /api/auth/login` "
                          "starts."},
        "csrfToken": {"type": "apiKey", "in": "header", "name": CSRF_HEADER,
                      "description": "The session's CSRF token (`csrf_token` of the sign-in "
                      "answer or of `GET /api/users/me`), needed with the session cookie by "
                      "every request but GET, HEAD and OPTIONS."}}}


def _headers() -> dict[str, Schema]:
    def header(description: str, **schema: Any) -> Schema:
        return {"description": description, "schema": {"type": "string", **schema}}

    return {
        "ETag": header("The record's `version`, quoted (`\"3\"`)."),
        "Location": header("The new URL."),
        "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}},
        "WWW-Authenticate": header("`Bearer realm=\"metacrm\"`."),
        "Set-Cookie": header(f"The session cookie `{SESSION_COOKIE}` (HttpOnly, "
                             "SameSite=Lax)."),
        "Content-Disposition": header("`attachment; filename=<entity>-<date>.csv` "
                                      "(`.jsonl`)."),
    }
