"""Read what a request carries (its JSON body, If-Match, the entity it names), refuse
what no endpoint can take (NUL characters), and answer with a record."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import orjson
import sqlalchemy as sa
from flask import Response, current_app, jsonify, request
from werkzeug.routing import BaseConverter

from ..base.context import Context
from ..base.problems import BadQuery, Invalid, NotFound, Problem, TooLarge, unknown_keys
from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..errors import did_you_mean
from ..i18n import message, negotiate_language
from ..platform import Platform
from ..runtime.notifications import decode_cursor
from ..runtime.operation import Operation
from ..runtime.query import DEFAULT_LIMIT, parse_limit
from ..values import MAX_INTEGER, JsonNumber, parse_integer_text
from .connection import request_reading, request_writing, shares_request_connection

T = TypeVar("T")


class IdConverter(BaseConverter):
    """``<id:name>`` in a route: a record's (or user's, token's...) id, ASCII digits
    (Werkzeug's int also takes other scripts' digits). One past 64 bits still matches,
    so that refuse_huge_ids answers 404: a converter that refused it would make
    Werkzeug answer 405 where another method's rule has the same path."""

    regex = r"[0-9]+"
    weight = 50

    def to_python(self, value: str) -> int:
        return int(value[:20])  # more digits than 20 are past 64 bits all the same

    def to_url(self, value: int) -> str:
        return str(value)


def refuse_huge_ids(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """404 for an id past 64 bits in the path: no record has one (the OpenAPI
    document's ids have that maximum)."""
    for key, value in (values or {}).items():
        if key.endswith("_id") and isinstance(value, int) and value > MAX_INTEGER:
            raise NotFound(message("no_such_id", request_locale()), key=key)


def platform() -> Platform:
    return current_app.extensions["metacrm"]


@contextmanager
def operation(ctx: Context, *, write: bool) -> Iterator[Operation]:
    """The request's operation: a transaction (``write``: one that will write), the
    program as it stands now (read once for the whole request) and the plugins."""
    plat = platform()
    compiled = plat.compiled
    if shares_request_connection():  # the connection (and transaction) authentication used
        transaction = request_writing() if write else request_reading()
    else:
        transaction = plat.writing() if write else plat.reading()
    with transaction as conn:
        yield Operation(conn, compiled, ctx, plat.plugins)


def request_locale() -> str:
    return negotiate_language(request.headers.get("Accept-Language"))


# Levels of objects and lists in a body: far more than any record (a json field
# included) needs, and well inside what orjson writes back (254).
MAX_BODY_DEPTH = 100


def json_body(ctx: Context) -> dict[str, Any]:
    """The request's body: a JSON object (400 otherwise, and for a NUL character in
    any of its strings, which PostgreSQL cannot store and no field needs). Checked
    right after parsing, before anything else walks it: at most the setting
    ``max_request_keys`` keys and list items (413) and MAX_BODY_DEPTH levels (400),
    so that what follows costs in proportion to what an endpoint can use."""
    raw = request.get_data(cache=False)
    if not raw:
        raise BadQuery(message("bad_json", ctx.locale))
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadQuery(f"{message('bad_json', ctx.locale)} ({exc})") from None
    if not isinstance(body, dict):
        raise BadQuery(message("bad_json", ctx.locale))
    if _check_body(body, platform().settings.max_request_keys, ctx.locale):
        body = _exact_numbers(raw, ctx.locale)
    return body


def _exact_numbers(raw: bytes, lang: str) -> dict[str, Any]:
    """The body again, its numbers with a fraction or an exponent as JsonNumbers that
    keep their text: orjson gives binary floats only, and money must be read exactly
    (values.parse_decimal_value). Only bodies that hold such numbers pay for this
    second, slower reading, after the checks of their size and depth."""
    try:
        return json.loads(raw, parse_float=JsonNumber)
    except ValueError as exc:  # an integer of more than 4300 digits
        raise BadQuery(f"{message('bad_json', lang)} ({exc})") from None


def _check_body(body: dict[str, Any], max_keys: int, lang: str) -> bool:
    """Count keys and list items (an object's or list's size before walking into it:
    a million keys are refused at once), measure depth and look for NUL characters,
    iteratively (a deep body must not exhaust the stack). Whether it holds a number
    that orjson read as a float."""
    count = 0
    nul = floats = False
    pending: list[tuple[Any, int]] = [(body, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_BODY_DEPTH:
            raise BadQuery(message("too_deep", lang, max=MAX_BODY_DEPTH))
        count += len(item)
        if count > max_keys:
            raise TooLarge(message("too_many_keys", lang, max=max_keys))
        values = item.values() if isinstance(item, dict) else item
        if isinstance(item, dict):
            nul = nul or any("\x00" in key for key in item)
        for value in values:
            if isinstance(value, (dict, list)):
                pending.append((value, depth + 1))
            elif isinstance(value, str) and "\x00" in value:
                nul = True
            elif isinstance(value, float):
                floats = True
    if nul:
        raise BadQuery(message("nul_character", lang))
    return floats


# Bodies that Werkzeug reads into ``request.form`` (any other body leaves it empty).
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def refuse_nul_values() -> None:
    """400 for a NUL character in a query-string or form value (or name): PostgreSQL
    cannot compare text with one, so it would fail deep inside a query. A blueprint
    runs this before each of its requests. The form is looked at only when the body
    is one (touching ``request.form`` sets up a form parser even for a JSON body)."""
    sources = (request.args, request.form) if request.mimetype in FORM_TYPES \
        else (request.args,)
    for values in sources:
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                raise BadQuery(message("nul_character", request_locale()),
                               key=key.replace("\x00", ""))


def record_response(record: dict[str, Any], status: int = 200) -> Response:
    """A record as JSON, its version as the ETag (for If-Match)."""
    response = jsonify(record)
    response.status_code = status
    response.headers["ETag"] = f'"{record["version"]}"'
    return response


def if_match(ctx: Context) -> int | None:
    raw = request.headers.get("If-Match")
    if raw is None or raw.strip() == "*":
        return None
    tag = raw.strip().removeprefix("W/")
    try:
        # The ETag this server sent: a version in quotes ("3"); bare digits are taken too.
        return parse_integer_text(tag[1:-1] if len(tag) > 1 and tag[0] == tag[-1] == '"'
                                  else tag)
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
    except (sa.exc.OperationalError, sa.exc.ProgrammingError):
        # A column another process removed (a customization taken back) is missing
        # from the table: the statement failed and its transaction rolled back, so
        # with the newer schema the request runs as if it had come a moment later.
        fresh = plat.refresh()
        if fresh is compiled:
            raise
        return action(fresh)


def page_arguments(ctx: Context, args: Mapping[str, str], kind: str
                   ) -> tuple[int, int | None]:
    """``limit`` (1–MAX_LIMIT, default DEFAULT_LIMIT) and the id a ``cursor`` holds."""
    try:
        limit = parse_limit(args["limit"]) if "limit" in args else DEFAULT_LIMIT
    except ValueError as exc:
        raise BadQuery(str(exc), key="limit") from None
    try:
        after = decode_cursor(kind, args["cursor"]) if args.get("cursor") else None
    except ValueError as exc:
        raise BadQuery(str(exc), key="cursor") from None
    return limit, after


def query_arguments(ctx: Context, known: tuple[str, ...]) -> dict[str, str]:
    """The query string, each parameter once; an unknown one is 400, not ignored."""
    errors, more = unknown_keys(request.args, known, ctx.locale, template="unknown_parameter")
    errors.update({key: [f"'{key}' is given more than once"] for key in known
                   if len(request.args.getlist(key)) > 1})
    if errors:
        raise BadQuery(errors, more=more)
    return {key: request.args[key] for key in request.args}


def body_object(ctx: Context, keys: tuple[str, ...], *, optional: bool = False) -> dict[str, Any]:
    if optional and not request.get_data(cache=True):
        return {}
    body = json_body(ctx)
    unknown, more = unknown_keys(body, keys, ctx.locale)
    if unknown:
        raise Invalid(unknown, more=more)
    return body
