"""People with passwords on the shipped CRM, and clients signed in as them:
by API token, or by a browser session (cookie plus CSRF token)."""

from __future__ import annotations

from typing import Any

import pytest

from ..api.conftest import cached_catalogs  # noqa: F401  (shared fixture)

PASSWORD = "correct horse"


def add_user(crm: Any, username: str, *, roles: tuple[str, ...] = ("salesperson",),
             **values: Any) -> dict[str, Any]:
    """Create a user through the API as the administrator; the response body."""
    response = crm.post("/api/users", json={"username": username, "password": PASSWORD,
                                            "roles": list(roles), **values})
    assert response.status_code == 201, response.json
    return response.json


def signed_in(crm: Any, username: str, password: str = PASSWORD, **environ: Any) -> Any:
    """A fresh client of the same app, signed in by ``POST /api/auth/login``; it
    carries ``.csrf`` (the session's CSRF token) and ``.me`` (the response)."""
    client = crm.application.test_client()
    client.environ_base.update(environ)
    response = client.post("/api/auth/login", json={"username": username,
                                                    "password": password})
    assert response.status_code == 200, response.json
    client.me = response.json
    client.csrf = response.json["csrf_token"]
    return client


def bearer(crm: Any, username: str) -> dict[str, str]:
    """Headers with a new API token of ``username`` (made through the API)."""
    session = signed_in(crm, username)
    response = session.post("/api/tokens", json={"name": "tests", "current_password": PASSWORD},
                            headers={"X-CSRF-Token": session.csrf})
    assert response.status_code == 201, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


def platform_of(crm: Any) -> Any:
    return crm.application.extensions["metacrm"]


@pytest.fixture(autouse=True)
def _fast(cached_catalogs: None) -> None:  # noqa: F811
    """Every test here builds a fresh app: the shipped catalog is loaded once per run
    (passwords are hashed cheaply for every test: tests/conftest.py)."""


@pytest.fixture
def command(crm: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``command("team", "list")`` runs ``metacrm team list`` on the CRM's database;
    its output (stdout and stderr). ``code=1`` expects it to fail."""
    from click.testing import CliRunner

    from metacrm.cli import main

    from ..conftest import SHIPPED_BUNDLE

    monkeypatch.setenv("METACRM_DATABASE_URL", platform_of(crm).settings.database_url)
    monkeypatch.setenv("METACRM_BUNDLES", SHIPPED_BUNDLE)

    def run(*args: str, code: int = 0) -> str:
        result = CliRunner().invoke(main, list(args))
        assert result.exit_code == code, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            result.exception)  # a message, never a traceback
        return result.output
    return run


@pytest.fixture
def anonymous(crm: Any) -> Any:
    """A client of the same app with no credentials at all."""
    return crm.application.test_client()
