"""The security record: sign-in failures, throttling and successes, administrator
rights, roles, passwords, disabled users, tokens, exports, role customizations and
refused requests (401/403) each leave an event saying who, when and from where;
administrators read it (`GET /api/security/events`, `metacrm security events`);
repeated refusals cost a counter, not a row each; old events are purged."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from metacrm.base.context import utcnow
from metacrm.jobs.tasks import HOUSEKEEPING, run_and_record

from ..identity.conftest import PASSWORD, add_user, bearer, platform_of, signed_in

ADDRESS = {"REMOTE_ADDR": "203.0.113.9"}


def events(crm: Any, **query: str) -> list[dict[str, Any]]:
    response = crm.get("/api/security/events", query_string={"limit": "500", **query})
    assert response.status_code == 200, response.json
    return response.json["items"]


def kinds(crm: Any, **query: str) -> list[str]:
    return [e["kind"] for e in events(crm, **query)]


def login(client: Any, username: str, password: str, address: str = "203.0.113.9") -> Any:
    return client.post("/api/auth/login", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_sign_ins_failed_throttled_and_succeeded(crm, anonymous) -> None:
    add_user(crm, "wang")
    before = utcnow()
    assert login(anonymous, "wang", PASSWORD).status_code == 200
    for _ in range(5):
        assert login(anonymous, "wang", "guess-guess", "198.51.100.4").status_code == 401
    for _ in range(3):
        assert login(anonymous, "wang", PASSWORD, "198.51.100.4").status_code == 429
    found = events(crm, kind="signin")
    assert [e["kind"] for e in found] == ["signin.throttled"] + ["signin.failed"] * 5 + [
        "signin.succeeded"]
    throttled, failed, succeeded = found[0], found[1], found[-1]
    assert throttled["count"] == 3 and throttled["address"] == "198.51.100.4"
    assert throttled["details"] == {"via": "api", "limit": "account-address",
                                    "retry_after": throttled["details"]["retry_after"]}
    assert failed["username"] == "wang" and failed["user_id"] is None
    assert failed["address"] == "198.51.100.4" and failed["details"] == {"via": "api"}
    assert succeeded["user_id"] is not None and succeeded["address"] == "203.0.113.9"
    assert before <= datetime.fromisoformat(succeeded["at"]) <= utcnow()
    # A failed sign-in is one event, not also a denied request.
    assert "request.denied" not in kinds(crm)


def test_the_sign_in_page_and_password_checks_are_recorded_too(crm, anonymous) -> None:
    wang = add_user(crm, "wang")
    page = anonymous.get("/login")
    token = page.data.decode().split('name="csrf_token" value="')[1].split('"')[0]
    anonymous.post("/login", data={"username": "wang", "password": "nope-nope-nope",
                                   "csrf_token": token}, environ_base=ADDRESS)
    headers = bearer(crm, "wang")
    crm.patch(f"/api/users/{wang['id']}", headers=headers,
              json={"password": "brand-new-pass", "current_password": "not-it-at-all"})
    found = events(crm, kind="signin.failed")
    assert [e["details"]["via"] for e in found] == ["password-check", "page"]


def test_rights_roles_passwords_and_disabling_by_an_administrator(crm) -> None:
    wang = add_user(crm, "wang", roles=("salesperson",))
    url = f"/api/users/{wang['id']}"
    assert crm.patch(url, json={"is_admin": True}, environ_base=ADDRESS).status_code == 200
    assert crm.patch(url, json={"is_admin": False, "roles": ["salesperson", "service_agent"]},
                     environ_base=ADDRESS).status_code == 200
    assert crm.patch(url, json={"password": "reset-by-admin"}).status_code == 200
    assert crm.patch(url, json={"active": False}).status_code == 200
    assert crm.patch(url, json={"active": True, "name": "王芳"}).status_code == 200
    found = events(crm, user="wang")
    assert [e["kind"] for e in found] == [
        "user.enabled", "user.disabled", "password.changed", "roles.changed", "admin.revoked",
        "admin.granted", "roles.changed"]  # the last: created with a role
    for event in found:
        assert event["username"] == "admin" and event["target"] == "wang"
    assert found[3]["details"] == {"via": "api", "roles": ["salesperson", "service_agent"],
                                   "added": ["service_agent"], "removed": []}
    assert found[5]["address"] == "203.0.113.9"
    assert crm.post("/api/users", json={"username": "root", "is_admin": True,
                                        "password": "s3cret-pass"}).status_code == 201
    assert events(crm, kind="admin.granted")[0]["target"] == "root"


def test_tokens_issued_and_revoked(crm) -> None:
    add_user(crm, "wang")
    headers = bearer(crm, "wang")  # issued from a session
    issued = crm.post("/api/tokens", json={"name": "ci", "expires_in_days": 30},
                      headers=headers).json
    assert crm.delete(f"/api/tokens/{issued['id']}").status_code == 204  # by the admin
    found = events(crm, kind="token")
    assert [e["kind"] for e in found] == ["token.revoked", "token.issued", "token.issued"]
    revoked, ci = found[0], found[1]
    assert revoked["username"] == "admin" and revoked["target"] == "wang"
    assert revoked["details"] == {"via": "api", "token": issued["id"]}
    assert ci["username"] == "wang" and ci["details"]["name"] == "ci"
    assert ci["details"]["expires_at"] == issued["expires_at"]
    assert issued["token"] not in str(found)


def test_exports_are_recorded(crm) -> None:
    response = crm.get("/api/customer/export?format=json&grade=A", environ_base=ADDRESS)
    assert response.status_code == 200
    (export,) = events(crm, kind="export")
    assert export["username"] == "admin" and export["address"] == "203.0.113.9"
    assert export["details"] == {"via": "api", "entity": "customer", "format": "json",
                                 "query": {"format": "json", "grade": "A"}}


def test_role_customizations_are_recorded(crm) -> None:
    new_role = {"role": "intern", "permissions": {"product": {"operations": ["read"]}}}
    created = crm.post("/api/meta/customizations", json=new_role)
    assert created.status_code == 201
    (event,) = events(crm, kind="role.customized")
    assert event["details"] == {"via": "api", "customization": created.json["id"],
                                "roles": ["intern"]}


def test_denied_requests_are_recorded_with_who_and_where(crm, anonymous) -> None:
    add_user(crm, "wang")
    wang = signed_in(crm, "wang", **ADDRESS)
    assert anonymous.get("/api/customer", environ_base=ADDRESS).status_code == 401
    assert anonymous.get("/api/customer", headers={"Authorization": "Bearer mcrm_forged"},
                         environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code == 401
    assert wang.get("/api/security/events").status_code == 403
    assert wang.post("/api/customer", json={"name": "x"}).status_code == 403  # no CSRF token
    found = events(crm, kind="request.denied")
    # wang's two refusals within the minute are one row counted twice (the first kept)
    assert [(e["details"]["status"], e["address"], e["count"]) for e in found] == [
        (403, "203.0.113.9", 2), (401, "192.0.2.1", 1), (401, "203.0.113.9", 1)]
    by_wang = found[0]
    assert by_wang["username"] == "wang" and by_wang["details"]["path"] == "/api/security/events"
    assert by_wang["details"]["reason"] == "Only an administrator may do this."
    assert found[2]["username"] is None and found[2]["details"]["method"] == "GET"


def test_hammering_costs_a_counter_not_rows(crm, anonymous, monkeypatch) -> None:
    """Repeats of a refusal from one address within a minute count on one row; past
    DISTINCT_PER_MINUTE rows a minute, every address counts on one more."""
    from metacrm.identity import security_events

    for _ in range(60):
        anonymous.get("/api/customer", environ_base=ADDRESS)
    (row,) = events(crm, kind="request.denied")
    assert row["count"] == 60 and row["at"] <= row["last_at"]
    monkeypatch.setattr(security_events, "DISTINCT_PER_MINUTE", 3)
    for n in range(40):
        anonymous.get("/api/customer", environ_base={"REMOTE_ADDR": f"192.0.2.{n}"})
    rows = events(crm, kind="request.denied")
    platform = platform_of(crm)
    with platform.reading() as conn:
        stored = conn.execute(sa.select(sa.func.count()).select_from(
            platform.compiled.metadata.tables["mc_security_events"])).scalar()
    minute_changed = rows[-1]["at"][:16] != rows[0]["last_at"][:16]
    assert len(rows) <= (8 if minute_changed else 4) and stored <= len(rows) + 2
    assert sum(r["count"] for r in rows) == 100
    assert "*" in {r["address"] for r in rows}


def test_only_administrators_read_the_record_with_filters_and_pages(crm, anonymous) -> None:
    add_user(crm, "wang")
    for n in range(5):
        login(anonymous, f"guess{n}", "guess-guess")
    assert anonymous.get("/api/security/events").status_code == 401
    assert crm.get("/api/security/events?kind=nope").status_code == 400
    assert crm.get("/api/security/events?since=yesterday").status_code == 400
    assert crm.get("/api/security/events?limit=0").status_code == 400
    assert crm.get("/api/security/events?colour=red").status_code == 400
    assert crm.get("/api/security/events?user=guess3").json["items"][0]["username"] == "guess3"
    assert kinds(crm, since=(utcnow() + timedelta(minutes=1)).isoformat()) == []
    first = crm.get("/api/security/events?kind=signin.failed&limit=2").json
    assert [e["username"] for e in first["items"]] == ["guess4", "guess3"]
    second = crm.get(f"/api/security/events?kind=signin.failed&limit=2&cursor="
                     f"{first['next_cursor']}").json
    third = crm.get(f"/api/security/events?kind=signin.failed&limit=2&cursor="
                    f"{second['next_cursor']}").json
    assert [e["username"] for e in second["items"] + third["items"]] == [
        "guess2", "guess1", "guess0"]
    assert third["next_cursor"] is None


def test_the_command_line_is_recorded_and_reads_the_record(crm, command) -> None:
    command("user", "create", "li.na", "--role", "salesperson", "--password", "s3cret-pass")
    command("user", "admin", "li.na")
    command("user", "set", "li.na", "--add-role", "service_agent")
    command("user", "password", "li.na", "--password", "another-pass")
    command("user", "disable", "li.na")
    token_id = int(command("user", "token", "li.na", "--name", "laptop").split("#")[1].split()[0])
    command("user", "revoke", str(token_id))
    command("export", "customer", "grade=A", "--format", "json", "-o",
            str(platform_of(crm).settings.instance_path) + "-export.jsonl")
    found = events(crm)
    assert [e["kind"] for e in found[:8]] == [
        "export", "token.revoked", "token.issued", "user.disabled", "password.changed",
        "roles.changed", "admin.granted", "roles.changed"]
    for event in found[:8]:
        assert event["address"] == "cli" and event["user_id"] is None
        assert event["details"]["via"] == "cli" and event["details"]["os_user"]
    assert {e["target"] for e in found[1:8]} == {"li.na"}

    listing = command("security", "events", "--user", "li.na", "--kind", "admin")
    assert "admin.granted" in listing and "-> li.na  from cli (cli)" in listing
    assert "roles.changed" not in listing
    assert command("security", "events", "--limit", "1").count("\n") == 1
    assert "export" in command("security", "events", "--kind", "export")
    later = (utcnow() + timedelta(hours=1)).isoformat()
    assert "no events" in command("security", "events", "--since", later)
    assert "unknown kind 'nope'" in command("security", "events", "--kind", "nope", code=1)
    assert "not a date-time" in command("security", "events", "--since", "soon", code=1)


@pytest.mark.parametrize("days", [180, 30])
def test_housekeeping_deletes_events_past_their_retention(crm, anonymous, days) -> None:
    import dataclasses

    platform = platform_of(crm)
    platform.settings = dataclasses.replace(platform.settings, security_events_days=days)
    login(anonymous, "ghost", "guess-guess")
    table = platform.compiled.metadata.tables["mc_security_events"]
    result = run_and_record(platform, HOUSEKEEPING, utcnow() + timedelta(days=days - 1)).result
    assert result["security_events"] == 0
    result = run_and_record(platform, HOUSEKEEPING, utcnow() + timedelta(days=days + 1)).result
    assert result["security_events"] >= 1
    with platform.reading() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(table)
                            .where(table.c.kind == "signin.failed")).scalar() == 0
