"""phone: a phone number as people write it (+86 10 1234 5678, ext. 12), 40 characters."""

from __future__ import annotations

import re

from marshmallow import validate

from ..i18n import message
from .base import FieldType
from .texts import text_kind

PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ()\-.]{3,28}[0-9](\s*(ext\.?|x|转)\s*\d{1,6})?$")


def phone_type() -> FieldType:
    return text_kind("phone", length=40, widget="tel", extra_checks=lambda lang: [
        validate.Regexp(PHONE_PATTERN, error=message("phone", lang))],
        list_cell="nowrap")
