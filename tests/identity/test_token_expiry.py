"""An API token may carry an expiry (`expires_at` or `expires_in_days`, through the
API and `metacrm user token`): once past it, the token is 401 and listed as
expired; without one it works until revoked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import sqlalchemy as sa

from metacrm.base.context import utcnow

from .conftest import add_user, bearer, platform_of


def age_token(crm, token_id: int) -> None:  # type: ignore[no-untyped-def]
    """Move the token's expiry into the past, as time would (a change of a token row
    behind the API's back moves the credentials version, as the API's own do)."""
    from metacrm.identity.credentials import credentials_changed

    platform = platform_of(crm)
    tokens = platform.compiled.metadata.tables["mc_tokens"]
    with platform.writing() as conn:
        conn.execute(tokens.update().where(tokens.c.id == token_id)
                     .values(expires_at=utcnow() - timedelta(seconds=1)))
        credentials_changed(conn, platform.compiled.metadata)


def test_a_token_with_an_expiry_works_until_then_and_is_401_after(crm) -> None:
    add_user(crm, "wang")
    headers = bearer(crm, "wang")
    issued = crm.post("/api/tokens", json={"name": "a week", "expires_in_days": 7},
                      headers=headers)
    assert issued.status_code == 201, issued.json
    expires = datetime.fromisoformat(issued.json["expires_at"])
    assert timedelta(days=7) - timedelta(minutes=5) < expires - utcnow() <= timedelta(days=7)
    assert issued.json["expired"] is False
    mine = {"Authorization": f"Bearer {issued.json['token']}"}
    assert crm.get("/api/users/me", headers=mine).status_code == 200

    age_token(crm, issued.json["id"])
    refused = crm.get("/api/users/me", headers=mine)
    assert refused.status_code == 401
    assert "expired" in refused.json["errors"]["Authorization"][0]
    listed = {t["id"]: t for t in crm.get("/api/tokens", headers=headers).json["items"]}
    assert listed[issued.json["id"]]["expired"] is True
    assert listed[issued.json["id"]]["revoked_at"] is None


def test_an_expiry_at_a_date_time(crm) -> None:
    when = (utcnow() + timedelta(days=30)).replace(microsecond=0)
    issued = crm.post("/api/tokens", json={"name": "quarter",
                                           "expires_at": when.isoformat()})
    assert issued.status_code == 201, issued.json
    assert datetime.fromisoformat(issued.json["expires_at"]) == when
    # without an offset it could be any of 26 moments: RFC 3339 (the document's
    # date-time) wants one
    naive = crm.post("/api/tokens", json={"name": "naive",
                                          "expires_at": when.replace(tzinfo=None).isoformat()})
    assert naive.status_code == 422
    assert list(naive.json["errors"]) == ["expires_at"]
    shanghai = crm.post("/api/tokens", json={"name": "shanghai", "expires_at": when.astimezone(
        timezone(timedelta(hours=8))).isoformat()})
    assert shanghai.status_code == 201
    assert datetime.fromisoformat(shanghai.json["expires_at"]) == when


def test_tokens_without_an_expiry_work_until_revoked(crm) -> None:
    issued = crm.post("/api/tokens", json={"name": "forever"})
    assert issued.json["expires_at"] is None and issued.json["expired"] is False
    assert crm.get("/api/users/me", headers={
        "Authorization": f"Bearer {issued.json['token']}"}).status_code == 200


def test_impossible_expiries_are_422(crm) -> None:
    past = (utcnow() - timedelta(minutes=1)).isoformat()
    far = (utcnow() + timedelta(days=3651)).isoformat()
    cases = {
        "both": ({"expires_at": far, "expires_in_days": 3}, "expires_at",
                 "Give either 'expires_at' or 'expires_in_days', not both."),
        "past": ({"expires_at": past}, "expires_at", "A token's expiry must be in the future."),
        "far": ({"expires_at": far}, "expires_at", "A token may live from 1 day to 3650 days."),
        "zero days": ({"expires_in_days": 0}, "expires_in_days",
                      "A token may live from 1 day to 3650 days."),
        "not a number": ({"expires_in_days": "7"}, "expires_in_days",
                         "Not a valid integer."),
        "a float": ({"expires_in_days": 1.5}, "expires_in_days", "Not a valid integer."),
        "not a date": ({"expires_at": "next week"}, "expires_at",
                       "Not a valid date and time."),
        "out of range": ({"expires_at": "0001-01-01T00:00:00+05:00"}, "expires_at",
                         "Not a valid date and time."),
    }
    for name, (body, key, text) in cases.items():
        response = crm.post("/api/tokens", json={"name": name, **body})
        assert response.status_code == 422, name
        assert response.json["errors"] == {key: [text]}, name
    zh = crm.post("/api/tokens", json={"name": "x", "expires_at": past},
                  headers={"Accept-Language": "zh"})
    assert zh.json["errors"] == {"expires_at": ["令牌的过期时间必须晚于当前时间。"]}
    platform = platform_of(crm)
    with platform.reading() as conn:
        names = set(conn.execute(sa.select(
            platform.compiled.metadata.tables["mc_tokens"].c.name)).scalars())
    assert not names & set(cases)


def test_the_command_issues_tokens_that_expire(crm, command) -> None:
    command("user", "create", "li.na", "--no-password")
    said = command("user", "token", "li.na", "--name", "laptop", "--expires-in-days", "2")
    token = said.splitlines()[0]
    assert "valid until" in said
    assert crm.get("/api/users/me", headers={"Authorization": f"Bearer {token}"}
                   ).status_code == 200
    when = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    command("user", "token", "li.na", "--name", "tomorrow", "--expires-at", when)
    assert "active until" in command("user", "tokens", "li.na")

    platform = platform_of(crm)
    tokens = platform.compiled.metadata.tables["mc_tokens"]
    with platform.reading() as conn:
        laptop = conn.execute(sa.select(tokens.c.id).where(tokens.c.name == "laptop")).scalar()
    age_token(crm, laptop)
    assert crm.get("/api/users/me", headers={"Authorization": f"Bearer {token}"}
                   ).status_code == 401
    listing = command("user", "tokens", "li.na")
    assert "laptop" in listing and "expired" in listing
    assert "1 active, 0 revoked, 1 expired" in command("user", "show", "li.na")

    said = command("user", "token", "li.na", "--expires-in-days", "0", code=1)
    assert "A token may live from 1 day to 3650 days." in said
    said = command("user", "token", "li.na", "--expires-at", "soon", code=1)
    assert "expires_at: Not a valid date and time." in said
