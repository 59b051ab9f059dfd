"""The sales organisation of tests/access, and the raw database view of tests/api."""

from __future__ import annotations

from ..access.conftest import org  # noqa: F401 - a fixture, used by name
from ..api.conftest import db  # noqa: F401 - a fixture, used by name
