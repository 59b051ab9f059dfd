"""A server keeps the callers of the tokens it has seen in memory and checks one
number per request (the credentials version) instead of reading the token, the
user and the roles again; every change of them is seen at once, by every server
process, and an expiry by the clock alone."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from metacrm.base.context import utcnow

from .conftest import add_user, bearer, platform_of


@pytest.fixture
def other_server(crm: Any, program_cache: Any) -> Any:
    """A second server process on the same database: its own app, platform and memory."""
    from metacrm.web.app import create_app

    app = create_app(platform_of(crm).settings, cache=program_cache)
    yield app.test_client()
    app.extensions["metacrm"].engine.dispose()


def statements_of(crm: Any, request: Any) -> tuple[list[str], int]:
    """The SQL a request runs, and how many connections it takes from the pool."""
    engine = platform_of(crm).engine
    seen: list[str] = []
    checkouts: list[int] = []

    def remember(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    def count(*_args: Any) -> None:
        checkouts.append(1)

    sa.event.listen(engine, "before_cursor_execute", remember)
    sa.event.listen(engine, "checkout", count)
    try:
        response = request()
    finally:
        sa.event.remove(engine, "before_cursor_execute", remember)
        sa.event.remove(engine, "checkout", count)
    assert response.status_code == 200, response.json
    return seen, len(checkouts)


def test_a_known_token_costs_one_small_read_and_the_request_one_connection(
        crm, monkeypatch) -> None:
    platform = platform_of(crm)
    # Tests look for another process's schema change on every request; a server does
    # every few seconds (that look takes a connection of its own).
    monkeypatch.setattr(platform, "settings",
                        replace(platform.settings, schema_check_interval=3600.0))
    add_user(crm, "wang")
    headers = bearer(crm, "wang")
    first, _ = statements_of(crm, lambda: crm.get("/api/customer", headers=headers))
    assert any("mc_user_roles" in s for s in first)  # first seen in this process
    created = crm.post("/api/customer", json={"name": "星河"}, headers=headers)
    url = f"/api/customer/{created.json['id']}"
    again, connections = statements_of(crm, lambda: crm.get(url, headers=headers))
    assert not any("mc_user_roles" in s or "mc_tokens" in s for s in again)
    assert sum("mc_sequences" in s for s in again) == 1  # the credentials version
    assert connections == 1


def test_a_revoked_token_is_refused_at_once_by_every_server(crm, other_server) -> None:
    add_user(crm, "wang")
    headers = bearer(crm, "wang")
    assert other_server.get("/api/customer", headers=headers).status_code == 200
    token_id = crm.get("/api/tokens", headers=headers).json["items"][0]["id"]
    assert crm.delete(f"/api/tokens/{token_id}", headers=headers).status_code == 204
    refused = other_server.get("/api/customer", headers=headers)
    assert refused.status_code == 401
    assert crm.get("/api/customer", headers=headers).status_code == 401


def test_a_disabled_user_is_refused_at_once_and_welcome_again_when_enabled(
        crm, other_server) -> None:
    wang = add_user(crm, "wang")
    headers = bearer(crm, "wang")
    assert other_server.get("/api/customer", headers=headers).status_code == 200
    assert crm.patch(f"/api/users/{wang['id']}", json={"active": False}).status_code == 200
    assert other_server.get("/api/customer", headers=headers).status_code == 401
    assert crm.patch(f"/api/users/{wang['id']}", json={"active": True}).status_code == 200
    assert other_server.get("/api/customer", headers=headers).status_code == 200


def test_a_change_of_roles_or_admin_flag_is_seen_at_once_by_every_server(
        crm, other_server) -> None:
    wang = add_user(crm, "wang")  # a salesperson: creates customers
    headers = bearer(crm, "wang")
    made = other_server.post("/api/customer", json={"name": "星河"}, headers=headers)
    assert made.status_code == 201
    assert crm.patch(f"/api/users/{wang['id']}", json={"roles": ["auditor"]}).status_code == 200
    refused = other_server.post("/api/customer", json={"name": "x"}, headers=headers)
    assert refused.status_code == 403
    def sees_admin_details() -> bool:  # what administrators alone see
        listed = other_server.get("/api/users", headers=headers).json["items"]
        return any("is_admin" in user for user in listed)

    assert not sees_admin_details()
    assert crm.patch(f"/api/users/{wang['id']}", json={"is_admin": True}).status_code == 200
    assert sees_admin_details()
    assert other_server.post("/api/customer", json={"name": "y"},
                             headers=headers).status_code == 201


def test_a_remembered_token_expires_by_the_clock(crm, monkeypatch) -> None:
    issued = crm.post("/api/tokens", json={"name": "a day", "expires_in_days": 1})
    headers = {"Authorization": f"Bearer {issued.json['token']}"}
    assert crm.get("/api/customer", headers=headers).status_code == 200
    from metacrm.web import auth

    later = utcnow() + timedelta(days=1, seconds=1)
    monkeypatch.setattr(auth, "utcnow", lambda: later)
    assert crm.get("/api/customer", headers=headers).status_code == 401
