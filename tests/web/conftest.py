"""Pages are tested as the people of the sales organisation in tests/access see them."""

from ..access.conftest import org  # noqa: F401  (the fixture, shared)
