"""Fast JSON for Flask responses (orjson), with Decimal and date support."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
from flask import Response
from flask.json.provider import JSONProvider


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, float):  # a JsonNumber of a body, echoed back
        return float(value)
    raise TypeError(f"cannot serialize {type(value).__name__}")


class OrjsonProvider(JSONProvider):
    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return orjson.dumps(obj, default=_default, option=orjson.OPT_NON_STR_KEYS).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return orjson.loads(s)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        # Flask's own Response: the app keeps Flask's response_class (the provider's
        # ``_app`` is typed as the framework-neutral App, whose Response takes no body).
        obj = self._prepare_response_obj(args, kwargs)
        body = orjson.dumps(obj, default=_default, option=orjson.OPT_NON_STR_KEYS)
        return Response(body, mimetype="application/json")
