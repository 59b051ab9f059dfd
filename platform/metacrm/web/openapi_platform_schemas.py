"""The schemas of the platform's own bodies in the OpenAPI document: users, teams,
roles, tokens and signing in, the meta API, transfers and the security record."""

from __future__ import annotations

from copy import deepcopy

from ..compile.payloads import PHONE_PATTERN
from ..definitions import LANGUAGES, OPERATIONS, SCOPES
from ..identity.password_policy import DEFAULT_MIN_LENGTH
from ..identity.password_policy import MAX_LENGTH as MAX_PASSWORD_LENGTH
from ..identity.security_events import KINDS as SECURITY_EVENT_KINDS
from ..identity.teams import CODE as TEAM_CODE
from ..identity.tokens import MAX_DAYS as MAX_TOKEN_DAYS
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
    array_of,
    closed,
    map_of,
    nonblank_text,
    obj,
    ref,
)
from .transfer_api import MAX_NOTE

_NAMES: Schema = {"type": "array", "items": {"type": "string"}}
_OPERATIONS: Schema = {"type": "array", "items": {"enum": list(OPERATIONS)}}
_EMPTY = {"enum": ["", None]}  # identity/fields.py takes "" for "none" as well as null


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
            entity=TEXT, to=people, unchanged=array_of({"type": "integer"}), done=FLAG,
            transfer={"type": "string", "description": "With `done`: names the transfer "
                      "in the audit notes."},
            records=map_of(obj("count items", count={"type": "integer"}, items=array_of(obj(
                "id title owner", id={"type": "integer"},
                title={"description": "Null where the caller may not read it."},
                owner={"type": ["integer", "null"]},
                **{"with": {"type": "integer", "description": "The record it goes along "
                            "with."}}))), "Per entity, the records that move."),
            holdings=map_of(obj("held gaining limit over_limit", held={"type": "integer"},
                                gaining={"type": "integer"}, limit={"type": ["integer", "null"]},
                                over_limit=FLAG), "Per entity, the target's holdings."),
            owners=map_of(people, "The previous owners, by id.")),
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
        "username": nonblank_text(150, pattern=r"^\S+$"), "name": nonblank_text(200),
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
        "roles": array_of(nonblank_text(60)), "teams": array_of(nonblank_text(40))}
    team_fields: dict[str, Schema] = {
        "code": nonblank_text(40, pattern=TEAM_CODE.pattern), "name": nonblank_text(200),
        "members": array_of(ID_SCHEMA, description="User ids; they replace the members.")}
    maybe_when = {"type": ["string", "null"], "format": "date-time"}
    token = obj("id name created_at revoked_at expires_at expired", id={"type": "integer"},
                name=TEXT, created_at=WHEN, revoked_at=maybe_when,
                expires_at={**maybe_when, "description": "Null: until revoked."},
                expired={**FLAG, "description": "Past `expires_at`: the token is refused."})
    grant = obj("entity label operations scope where hidden readonly hold_limit",
                entity={"type": "string", "description": "`*`: every entity not named."},
                label=OPTIONAL_TEXT, operations=_OPERATIONS, scope={"enum": list(SCOPES)},
                where=map_of({"type": "array"}, "Conditions: field -> allowed values."),
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
            administrator=FLAG, permissions=map_of(_OPERATIONS, "Per entity, the operations "
                                                    "the caller may do."),
            csrf_token={"type": "string", "description": "Only for a session: send it as "
                        "`X-CSRF-Token` with every unsafe request."})]},
        "Team": obj("id code name members", id={"type": "integer"}, code=TEXT, name=TEXT,
                    members=array_of({"type": "integer"})),
        "TeamCreate": closed(obj("code", **team_fields)),
        "TeamUpdate": {**closed(obj("", **team_fields)),
                       "description": "The code cannot change (`422`)."},
        "Role": obj("name label help admin grants", name=TEXT, label=TEXT,
                    help=OPTIONAL_TEXT, admin=FLAG, grants=array_of(grant)),
        "Token": token,
        "TokenIssued": {"allOf": [ref("Token"), obj("token", token={
            "type": "string", "description": "The secret, in this answer only."})]},
        "TokenCreate": {**closed(obj("name", name=nonblank_text(100), current_password={
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
    labels = map_of(TEXT, "By language.")
    described = "help labels title search default_sort owned_by pool fields indexes rules"
    field = {**obj("name type label labels help required unique readonly computed",
                   name=TEXT, type=TEXT, label=TEXT, labels=labels, help=OPTIONAL_TEXT,
                   required=FLAG, unique=FLAG, readonly=FLAG, computed=FLAG,
                   options=array_of(ref("Option")), optionset=TEXT, to=TEXT),
             "description": "With the field's `default`, `min`, `max`, `max_length`, "
             "`pattern`, `format`, `expression`, `result`, `scale`, `on_delete` when set."}
    return {
        "EntitySummary": obj(" ".join(summary), **summary),
        "EntityDescription": obj(
            f"{' '.join(summary)} {described}", **summary, help=OPTIONAL_TEXT, labels=labels,
            title=OPTIONAL_TEXT, search=_NAMES, default_sort=_NAMES, owned_by=OPTIONAL_TEXT,
            pool=FLAG, fields=array_of(field),
            indexes=array_of(obj("fields unique include", fields=_NAMES, unique=FLAG,
                                 include=_NAMES)),
            rules=array_of(obj("name check", name=TEXT, check=TEXT, when=OPTIONAL_TEXT,
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
                         options=array_of(ref("Option"))),
        "SavedView": obj("id entity name query owner roles created_at", id=ID_SCHEMA,
                         entity=TEXT, name=TEXT, query=TEXT, owner=ID_SCHEMA,
                         roles=array_of(TEXT), created_at={"type": "string",
                                                         "format": "date-time"}),
        "SavedViewCreate": closed(obj(
            "name", name=nonblank_text(MAX_VIEW_NAME, pattern=r"\S"),
            query=nonblank_text(MAX_VIEW_QUERY, description="A list query as in "
                                "GET /api/<entity>?… (filters, q, sort); page parameters "
                                "are dropped."),
            roles=array_of(nonblank_text(60), description="Shared with these roles (administrators "
                           "only); empty or left out: private."))),
    }


def security_event_schema() -> Schema:
    return obj("id kind at last_at count user_id username target address details",
               id={"type": "integer"}, kind={"enum": list(SECURITY_EVENT_KINDS)}, at=WHEN,
               last_at={**WHEN, "description": "The last repeat (`count` > 1)."},
               count={"type": "integer", "minimum": 1}, user_id={"type": ["integer", "null"]},
               username={"type": ["string", "null"]}, target={"type": ["string", "null"]},
               address={"type": "string", "description": "`cli`: the command line; `*`: "
                        "refusals past a minute's distinct rows."},
               details={"type": "object", "description": "With `via` (api, page, cli…)."})
