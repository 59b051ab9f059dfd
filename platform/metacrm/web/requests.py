"""Read what a request carries: its JSON body, If-Match, the entity it names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import orjson
from flask import current_app, request

from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..errors import did_you_mean
from ..i18n import message
from ..platform import Platform
from ..runtime.context import Context
from ..runtime.problems import BadQuery, NotFound, Problem

T = TypeVar("T")


def platform() -> Platform:
    return current_app.extensions["metacrm"]


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

