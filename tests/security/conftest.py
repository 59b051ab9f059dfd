"""The sales organisation of tests/access, the raw database view of tests/api, and
the people, clients and commands of tests/identity."""

from __future__ import annotations

from ..access.conftest import org  # noqa: F401 - fixtures, used by name
from ..api.conftest import cached_catalogs, db  # noqa: F401
from ..identity.conftest import _fast, anonymous, command  # noqa: F401
