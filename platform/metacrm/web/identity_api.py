"""``/api/users``, ``/api/teams`` and ``/api/roles``: the people of the CRM and
what they may do (see docs/identity.md). Everyone signed in may read the
directory; only administrators change other people."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request, session, url_for

from ..base.context import Context
from ..base.problems import BadQuery, Conflict, Forbidden, Invalid, NotFound, unknown_keys
from ..compile.compiled import Compiled
from ..definitions import OPERATIONS, RoleDef
from ..i18n import message
from ..identity.fields import SELF_FIELDS, TEAM_FIELDS, check_object, user_fields
from ..identity.password_policy import policy_of
from ..identity.profiles import (
    Profile,
    ProfileError,
    change_profile,
    create_profile,
    get_profile,
    list_profiles,
    set_members,
)
from ..identity.security_events import record_profile_change
from ..identity.teams import (
    Team,
    create_team,
    delete_team,
    find_team,
    get_team,
    list_teams,
    rename_team,
)
from ..values import json_value
from .auth import SESSION_KEY, current_context, is_admin, require_admin, session_csrf
from .identity_views import me_json, read_object, require_current_password, user_json
from .requests import json_body, platform, refuse_nul_values
from .security_api import request_actor

identity_api = Blueprint("metacrm_identity", __name__, url_prefix="/api")
identity_api.before_request(refuse_nul_values)

USER_FILTERS = ("q", "team", "role", "active")


def _created(body: dict[str, Any], location: str) -> Response:
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = location
    return response


def _no_content() -> Response:
    return Response(status=204)


def _profile_problem(exc: ProfileError, lang: str) -> Conflict | Invalid:
    errors = exc.errors(lang)
    return Conflict(errors) if exc.conflict else Invalid(errors)


# --- users -------------------------------------------------------------------------------

@identity_api.get("/users")
def users() -> Any:
    ctx = current_context()
    args = request.args
    errors, more = unknown_keys(args, USER_FILTERS, ctx.locale, template="unknown_parameter")
    active = args.get("active")
    if active not in (None, "true", "false"):
        errors["active"] = [message("one_of", ctx.locale, choices="true, false")]
    if errors:
        raise BadQuery(errors, more=more)
    plat = platform()
    with plat.reading() as conn:
        found = list_profiles(conn, plat.compiled.metadata, text=args.get("q") or None,
                              team=args.get("team"), role=args.get("role"),
                              active=None if active is None else active == "true")
    admin = is_admin(ctx)
    return jsonify({"items": [user_json(p, admin) for p in found]})


@identity_api.get("/users/me")
def me() -> Any:
    ctx = current_context()
    profile = _profile(ctx, ctx.user_id)
    return jsonify(me_json(ctx, profile, session_csrf()))


@identity_api.get("/users/<id:user_id>")
def user(user_id: int) -> Any:
    ctx = current_context()
    return jsonify(user_json(_profile(ctx, user_id), is_admin(ctx)))


def _profile(ctx: Context, user_id: int | None) -> Profile:
    plat = platform()
    with plat.reading() as conn:
        found = get_profile(conn, plat.compiled.metadata, user_id) if user_id else None
    if found is None:
        raise NotFound(message("unknown_user", ctx.locale, id=user_id), key="id")
    return found


@identity_api.post("/users")
def add_user() -> Any:
    ctx = current_context()
    require_admin(ctx)
    plat = platform()
    policy = policy_of(plat.settings)
    values = read_object(ctx, user_fields(policy), required=("username",))
    if "current_password" in values:
        raise Invalid({"current_password": [message("only_with_password", ctx.locale)]})
    compiled = plat.compiled
    try:
        with plat.writing() as conn:
            profile = create_profile(conn, compiled.metadata, values.pop("username"), values,
                                     known_roles=compiled.catalog.roles, now=ctx.now,
                                     policy=policy)
            record_profile_change(conn, compiled.metadata, request_actor(ctx), ctx.now, None,
                                  profile)
    except ProfileError as exc:
        raise _profile_problem(exc, ctx.locale) from None
    return _created(user_json(profile, admin=True),
                    url_for("metacrm_identity.user", user_id=profile.id))


@identity_api.patch("/users/<id:user_id>")
def change_user(user_id: int) -> Any:
    """Administrators change anyone; others only their own details and password."""
    ctx = current_context()
    admin, own = is_admin(ctx), ctx.user_id == user_id
    if not admin and not own:
        raise Forbidden(message("self_only", ctx.locale), key="id")
    body = json_body(ctx)
    plat = platform()
    policy = policy_of(plat.settings)
    fields = user_fields(policy)
    if not admin:
        denied = [k for k in body if k in fields and k not in SELF_FIELDS]
        if denied:
            raise Forbidden({k: [message("admin_field", ctx.locale)] for k in denied})
    values = check_object(body, fields, ctx.locale)
    target = _profile(ctx, user_id)
    _check_current_password(ctx, target, values, own)
    # A password change signs the user out everywhere but here.
    keep = session.get(SESSION_KEY) if own and session_csrf() else None
    compiled = plat.compiled
    try:
        with plat.writing() as conn:
            profile = change_profile(conn, compiled.metadata, user_id, values,
                                     known_roles=compiled.catalog.roles, now=ctx.now,
                                     policy=policy, keep_session=str(keep) if keep else None)
            record_profile_change(conn, compiled.metadata, request_actor(ctx), ctx.now, target,
                                  profile, password_set="password" in values)
    except ProfileError as exc:
        raise _profile_problem(exc, ctx.locale) from None
    return jsonify(user_json(profile, admin))


def _check_current_password(ctx: Context, target: Profile, values: dict[str, Any],
                            own: bool) -> None:
    """Setting one's own password needs the current one (a borrowed session or
    token must not be enough to take the account over)."""
    current = values.pop("current_password", None)
    if current is not None and "password" not in values:
        raise Invalid({"current_password": [message("only_with_password", ctx.locale)]})
    if "password" not in values or (not own and current is None):
        return
    require_current_password(ctx, target.username, current)


# --- teams -------------------------------------------------------------------------------

def team_json(team: Team) -> dict[str, Any]:
    return {"id": team.id, "code": team.code, "name": team.name, "members": list(team.members)}


@identity_api.get("/teams")
def teams() -> Any:
    current_context()
    plat = platform()
    with plat.reading() as conn:
        found = list_teams(conn, plat.compiled.metadata)
    return jsonify({"items": [team_json(t) for t in found]})


@identity_api.get("/teams/<id:team_id>")
def team(team_id: int) -> Any:
    ctx = current_context()
    plat = platform()
    with plat.reading() as conn:
        return jsonify(team_json(_team(ctx, conn, plat.compiled.metadata, team_id)))


def _team(ctx: Context, conn: Any, metadata: Any, team_id: int) -> Team:
    found = get_team(conn, metadata, team_id)
    if found is None:
        raise NotFound(message("not_found", ctx.locale, entity=_team_word(ctx.locale),
                               id=team_id), key="id")
    return found


def _team_word(lang: str) -> str:
    return "团队" if lang == "zh" else "team"


@identity_api.post("/teams")
def add_team() -> Any:
    ctx = current_context()
    require_admin(ctx)
    values = read_object(ctx, TEAM_FIELDS, required=("code",))
    plat = platform()
    metadata = plat.compiled.metadata
    try:
        with plat.writing() as conn:
            if find_team(conn, metadata, values["code"]) is not None:
                raise Conflict(message("team_taken", ctx.locale, code=values["code"]),
                               key="code")
            team_id = create_team(conn, metadata, values["code"],
                                  values.get("name") or values["code"])
            set_members(conn, metadata, team_id, values.get("members", []))
            created = _team(ctx, conn, metadata, team_id)
    except ProfileError as exc:
        raise _profile_problem(exc, ctx.locale) from None
    return _created(team_json(created), url_for("metacrm_identity.team", team_id=team_id))


@identity_api.patch("/teams/<id:team_id>")
def change_team(team_id: int) -> Any:
    ctx = current_context()
    require_admin(ctx)
    values = read_object(ctx, TEAM_FIELDS)
    plat = platform()
    metadata = plat.compiled.metadata
    try:
        with plat.writing() as conn:
            found = _team(ctx, conn, metadata, team_id)
            if values.get("code", found.code) != found.code:
                # Assignment rules and team scopes name teams by code.
                raise Invalid({"code": [message("cannot_change", ctx.locale)]})
            if "name" in values:
                rename_team(conn, metadata, team_id, values["name"])
            if "members" in values:
                set_members(conn, metadata, team_id, values["members"])
            changed = _team(ctx, conn, metadata, team_id)
    except ProfileError as exc:
        raise _profile_problem(exc, ctx.locale) from None
    return jsonify(team_json(changed))


@identity_api.delete("/teams/<id:team_id>")
def remove_team(team_id: int) -> Any:
    ctx = current_context()
    require_admin(ctx)
    plat = platform()
    with plat.writing() as conn:
        _team(ctx, conn, plat.compiled.metadata, team_id)
        delete_team(conn, plat.compiled.metadata, team_id)
    return _no_content()


# --- roles -------------------------------------------------------------------------------

def role_json(compiled: Compiled, role: RoleDef, lang: str) -> dict[str, Any]:
    """A role as people read it: per entity, what it may do, where, and what it may
    not see or change (``*``: every entity the role does not name)."""
    grants = []
    for entity, grant in sorted(role.grants.items()):
        known = compiled.catalog.entities.get(entity)
        grants.append({
            "entity": entity, "label": known.plural.get(lang) if known else None,
            "operations": [op for op in OPERATIONS if op in grant.operations],
            "scope": grant.scope,
            "where": {k: json_value(list(v)) for k, v in grant.where.items()},
            "hidden": sorted(k for k, v in grant.fields.items() if v == "hidden"),
            "readonly": sorted(k for k, v in grant.fields.items() if v == "readonly"),
            "hold_limit": grant.hold_limit})
    return {"name": role.name, "label": role.label.get(lang),
            "help": role.help.get(lang) or None, "admin": role.admin, "grants": grants}


@identity_api.get("/roles")
def roles() -> Any:
    ctx = current_context()
    compiled = platform().compiled
    return jsonify({"items": [role_json(compiled, role, ctx.locale)
                              for _, role in sorted(compiled.catalog.roles.items())]})
