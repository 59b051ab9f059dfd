"""Read what a request carries: its user and language, its JSON body, If-Match."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import orjson
from flask import current_app, request

from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..errors import did_you_mean
from ..i18n import message, negotiate_language
from ..identity.tokens import user_for_token
from ..platform import Platform
from ..runtime.context import Context
from ..runtime.problems import BadQuery, NotFound, Problem, Unauthorized

T = TypeVar("T")


def platform() -> Platform:
    return current_app.extensions["metacrm"]


def current_context() -> Context:
    """Who asks, in which language.

    A request with ``Authorization: Bearer <token>`` acts as the token's user
    (401 when the token is unknown, revoked or its user disabled). Until
    permissions arrive, a request without credentials still acts as the
    built-in admin user.
    """
    locale = negotiate_language(request.headers.get("Accept-Language"))
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized(message("bad_authorization", locale), key="Authorization")
        plat = platform()
        with plat.reading() as conn:
            user = user_for_token(conn, plat.compiled.metadata, token.strip())
        if user is None:
            raise Unauthorized(message("bad_token", locale), key="Authorization")
        return Context(user_id=user.id, locale=locale)
    resolve_user: Callable[[], int | None] = current_app.extensions["metacrm.user"]
    return Context(user_id=resolve_user(), locale=locale)


def json_body(ctx: Context) -> Any:
    raw = request.get_data(cache=False)
    if not raw:
        raise BadQuery(message("bad_json", ctx.locale))
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadQuery(f"{message('bad_json', ctx.locale)} ({exc})") from None


def if_match(ctx: Context) -> int | None:
    raw = request.headers.get("If-Match")
    if raw is None or raw.strip() == "*":
        return None
    tag = raw.strip()
    tag = tag.removeprefix("W/")
    try:
        return int(tag.strip('"'))
    except ValueError:
        raise BadQuery(message("bad_if_match", ctx.locale), key="If-Match") from None


def entity_model(compiled: Compiled, name: str, ctx: Context) -> EntityModel:
    model = compiled.model(name)
    if model is None:
        raise NotFound(message("unknown_entity", ctx.locale, entity=name,
                               hint=did_you_mean(name, compiled.models)), key="entity",
                       names_unknown=True)
    return model


def with_fresh_schema(action: Callable[[Compiled], T]) -> T:
    """Run ``action``; if it fails on a name this process does not know yet,
    look for a newer schema (another process may have added the field) and retry."""
    plat = platform()
    compiled = plat.compiled
    try:
        return action(compiled)
    except Problem as problem:
        if not problem.names_unknown:
            raise
        fresh = plat.refresh()
        if fresh is compiled:
            raise
        return action(fresh)

