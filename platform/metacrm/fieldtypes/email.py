"""email: an e-mail address (what marshmallow's Email accepts), 254 characters."""

from __future__ import annotations

from marshmallow import fields

from ..i18n import message
from .base import FieldType
from .texts import text_kind


def email_type() -> FieldType:
    return text_kind("email", length=254, payload_field=fields.Email,
                     messages=lambda lang: {"invalid": message("email", lang)},
                     schema_extra={"format": "email"}, widget="email")
