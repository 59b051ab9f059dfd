"""``POST /api/intake/<name>``: leads from an outside system, one JSON object or
``{"leads": [...]}``, authenticated by the source's own token and rate-limited per
source (docs/intake.md)."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from ..base.context import Principal, utcnow
from ..base.problems import Invalid, NotFound, TooLarge, TooManyRequests, Unauthorized
from ..definitions.intake import IntakeDef
from ..i18n import suggestion
from ..identity.tokens import PREFIX as TOKEN_PREFIX
from ..identity.tokens import digest
from ..intake.credentials import service_user_id
from ..intake.limits import Limiter, limiter_for
from ..intake.messages import say
from ..intake.receive import outcomes_status, receive_leads, refusals, source_context
from .requests import json_body, platform, request_locale

intake_api = Blueprint("metacrm_intake", __name__, url_prefix="/api/intake")
# A lead is a few hundred bytes; this leaves room for long messages in every lead of
# the largest batch and bounds what an unauthenticated sender makes us read.
BYTES_PER_LEAD = 8 * 1024
MIN_BODY_BYTES = 64 * 1024
LIMITER = "metacrm.intake.limiter"


def body_limit(source: IntakeDef) -> int:
    return max(MIN_BODY_BYTES, BYTES_PER_LEAD * source.max_batch)


@intake_api.post("/<name>")
def receive(name: str) -> Any:
    lang = request_locale()
    plat = platform()
    compiled = plat.compiled
    source = compiled.catalog.intakes.get(name)
    if source is None:
        raise NotFound(say("unknown_source", lang, name=name,
                           hint=suggestion(name, compiled.catalog.intakes, lang)))
    limit = body_limit(source)
    if (request.content_length or 0) > limit:
        raise TooLarge(say("too_large", lang, max=limit))
    user_id = _authenticate(source, lang)
    wait = _limiter().wait(f"{_installation()}:{source.name}", source.rate_limit.requests,
                           source.rate_limit.per_seconds)
    if wait is not None:
        raise TooManyRequests(say("rate_limited", lang, name=name,
                                  requests=source.rate_limit.requests,
                                  per=source.rate_limit.per_seconds, seconds=wait), wait)
    ctx = source_context(user_id, lang)
    body = json_body(ctx)
    batch = set(body) == {"leads"}
    leads = body["leads"] if batch else [body]
    if not isinstance(leads, list) or not 1 <= len(leads) <= source.max_batch:
        raise Invalid({"leads" if batch else "_request": [
            say("body", lang, max=source.max_batch)]})
    outcomes = receive_leads(plat.writing, compiled, source, leads, ctx)
    status = outcomes_status(outcomes)
    errors = dict(refusals(outcomes, batch))
    if batch:
        answer: dict[str, Any] = {"results": [o.as_dict() for o in outcomes]}
    else:
        answer = {k: v for k, v in outcomes[0].as_dict().items() if k != "index"}
    if errors:
        answer["errors"] = errors
    response: Response = jsonify(answer)
    response.status_code = status
    return response


def _authenticate(source: IntakeDef, lang: str) -> int:
    """The source's service user, when the request carries one of its live tokens."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    principal: Principal | None = None
    plat = platform()
    if scheme.lower() == "bearer" and token.startswith(TOKEN_PREFIX):
        with plat.reading() as conn:
            principal = plat.principals.principal(conn, digest(token), utcnow())
            expected = service_user_id(conn, plat.compiled.metadata, source.name)
        if principal is not None and principal.user_id == expected and expected is not None:
            return expected
    raise Unauthorized(say("bad_token", lang, name=source.name), key="Authorization")


def _installation() -> str:
    """What tells this CRM's counts from another's sharing the Redis server: its
    database."""
    return hashlib.sha256(platform().settings.database_url.encode()).hexdigest()[:16]


def _limiter() -> Limiter:
    """This app's rate limiter (Redis when configured), made on first use."""
    found = current_app.extensions.get(LIMITER)
    if found is None:
        found = current_app.extensions[LIMITER] = limiter_for(platform().settings.redis_url)
    return found

