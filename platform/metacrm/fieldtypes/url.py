"""url: an http or https address, 2048 characters."""

from __future__ import annotations

import functools

from marshmallow import fields

from ..i18n import message
from .base import FieldType
from .texts import text_kind

_URL = functools.partial(fields.URL, schemes={"http", "https"}, require_tld=False)


def url_type() -> FieldType:
    return text_kind("url", length=2048, payload_field=_URL,
                     messages=lambda lang: {"invalid": message("url", lang)},
                     schema_extra={"format": "uri", "pattern": "^https?://"}, widget="url")
