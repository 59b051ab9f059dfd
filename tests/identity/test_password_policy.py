"""A new password is at least METACRM_PASSWORD_MIN_LENGTH characters (10 by
default) and not one of the common passwords shipped with the package (compared
without regard to case), on every path that sets one: the API, the `metacrm user`
commands and the demo. The 422 says why, in English or Chinese."""

from __future__ import annotations

import dataclasses

import pytest

from metacrm.config import Settings
from metacrm.identity.password_policy import PasswordPolicy, is_common
from metacrm.web.app import create_app

from ..conftest import SHIPPED_BUNDLE, admin_client
from .conftest import PASSWORD, add_user, bearer, platform_of

COMMON = "the most common ones"


def test_the_common_passwords_ship_with_the_package() -> None:
    for password in ("password123", "QWERTYUIOP", "1q2w3e4r5t", "Superman123", "iloveyou123"):
        assert is_common(password), password
    for password in (PASSWORD, "s3cret-pass", "Tr0ub4dor&3-horse"):
        assert not is_common(password)


def test_a_common_password_is_refused_in_the_readers_language(crm) -> None:
    refused = crm.post("/api/users", json={"username": "li.na", "password": "Password123"})
    assert refused.status_code == 422
    assert refused.json["errors"] == {"password": [
        "This password is one of the most common ones, which attackers try first: choose "
        + "another."]}
    zh = crm.post("/api/users", json={"username": "li.na", "password": "qwertyuiop"},
                  headers={"Accept-Language": "zh"})
    assert zh.status_code == 422
    assert zh.json["errors"] == {
        "password": ["该密码属于最常见的密码，攻击者会最先尝试，请换一个。"]}
    assert crm.get("/api/users?q=li.na").json["items"] == []


def test_a_password_needs_ten_characters(crm) -> None:
    short = crm.post("/api/users", json={"username": "li.na", "password": "nine-char"})
    assert short.status_code == 422
    assert short.json["errors"] == {"password": ["A password needs at least 10 characters."]}
    zh = crm.post("/api/users", json={"username": "li.na", "password": "nine-char"},
                  headers={"Accept-Language": "zh"})
    assert zh.json["errors"] == {"password": ["密码至少需要 10 个字符。"]}
    assert crm.post("/api/users", json={"username": "li.na",
                                        "password": "ten-chars!"}).status_code == 201


def test_changing_a_password_follows_the_policy_too(crm) -> None:
    wang = add_user(crm, "wang")
    headers = bearer(crm, "wang")
    own = crm.patch(f"/api/users/{wang['id']}", headers=headers,
                    json={"password": "football123", "current_password": PASSWORD})
    assert own.status_code == 422 and COMMON in own.json["errors"]["password"][0]
    by_admin = crm.patch(f"/api/users/{wang['id']}", json={"password": "Baseball12"})
    assert by_admin.status_code == 422 and COMMON in by_admin.json["errors"]["password"][0]
    # The old password still signs in: nothing was changed.
    signed = crm.application.test_client().post(
        "/api/auth/login", json={"username": "wang", "password": PASSWORD})
    assert signed.status_code == 200


def test_the_minimum_length_is_a_setting(crm) -> None:
    settings = dataclasses.replace(platform_of(crm).settings, password_min_length=14)
    strict = create_app(settings)
    try:
        client = admin_client(strict)
        refused = client.post("/api/users", json={"username": "li.na",
                                                  "password": "thirteen-char"})
        assert refused.json["errors"] == {"password": [
            "A password needs at least 14 characters."]}
        assert client.post("/api/users", json={"username": "li.na",
                                               "password": "fourteen-chars"}).status_code == 201
    finally:
        strict.extensions["metacrm"].engine.dispose()


def test_the_setting_is_read_and_never_below_eight(tmp_path) -> None:
    base = {"METACRM_INSTANCE_PATH": str(tmp_path)}
    assert Settings.from_env(base).password_min_length == 10
    assert Settings.from_env({**base, "METACRM_PASSWORD_MIN_LENGTH": "16"}
                             ).password_min_length == 16
    for wrong in ("7", "0", "ten"):
        with pytest.raises(ValueError, match="METACRM_PASSWORD_MIN_LENGTH must be a whole "
                                             "number of at least 8"):
            Settings.from_env({**base, "METACRM_PASSWORD_MIN_LENGTH": wrong})
    with pytest.raises(ValueError):
        PasswordPolicy(6)


def test_the_commands_follow_the_policy(crm, command) -> None:
    said = command("user", "create", "li.na", "--password", "Qwertyuiop", code=1)
    assert "password: This password is one of the most common ones" in said
    said = command("user", "create", "li.na", "--password", "nine-char", code=1)
    assert "password: A password needs at least 10 characters." in said
    command("user", "create", "li.na", "--password", "s3cret-pass")
    said = command("user", "password", "li.na", "--password", "password123", code=1)
    assert "one of the most common ones" in said
    said = command("user", "password", "li.na", "--password", "short-one", code=1)
    assert "at least 10 characters" in said


def test_the_commands_read_the_minimum_from_the_environment(crm, command,
                                                            monkeypatch) -> None:
    monkeypatch.setenv("METACRM_PASSWORD_MIN_LENGTH", "16")
    said = command("user", "create", "li.na", "--password", "fifteen-chars!!", code=1)
    assert "at least 16 characters" in said
    command("user", "create", "li.na", "--password", "sixteen-chars!!!")


def test_the_demo_passwords_pass_a_stricter_policy(make_settings) -> None:
    from metacrm.operations import prepare_server

    # A few records are enough to prove the logins; the full demo takes half a minute.
    settings = dataclasses.replace(make_settings(SHIPPED_BUNDLE), password_min_length=24)
    lines: list[str] = []
    app = prepare_server(settings, demo=True, echo=lines.append,
                         demo_scale=0.01)
    assert app is not None
    try:
        said = "\n".join(lines)
        admin_password = said.split("demo login: admin / ", 1)[1].split()[0]
        password = said.split("demo users, each with password ", 1)[1].split(":", 1)[0]
        for text in (admin_password, password):
            assert PasswordPolicy(24).refusal(text) is None
        signed = app.test_client().post("/api/auth/login", json={
            "username": "admin", "password": admin_password})
        assert signed.status_code == 200
    finally:
        app.extensions["metacrm"].engine.dispose()
