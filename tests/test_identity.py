"""Users, passwords and API tokens: the CLI manages them, Bearer tokens identify callers."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from metacrm.cli import main
from metacrm.compile.tables import add_system_tables
from metacrm.db import make_engine
from metacrm.identity.users import check_password

from .conftest import SHIPPED_BUNDLE


@pytest.fixture
def cli(crm, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    settings = crm.application.extensions["metacrm"].settings
    monkeypatch.setenv("METACRM_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("METACRM_BUNDLES", SHIPPED_BUNDLE)

    def run(*args: str) -> str:
        result = CliRunner().invoke(main, ["user", *args])
        assert result.exit_code == 0, result.output
        return result.output
    return run


def test_create_users_and_list_them(cli) -> None:
    assert "created user 'li.na' (id" in cli("create", "li.na", "--name", "李娜",
                                            "--password", "s3cret-pass")
    cli("create", "boss", "--admin", "--password", "s3cret-pass")
    listing = cli("list")
    assert "li.na" in listing and "李娜" in listing and "boss" in listing and "(admin)" in listing


def test_passwords_are_hashed_with_argon2(crm, cli) -> None:
    cli("create", "li.na", "--password", "s3cret-pass")
    engine = make_engine(crm.application.extensions["metacrm"].settings.database_url)
    metadata = sa.MetaData()
    add_system_tables(metadata)
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT password_hash FROM mc_users "
                                      "WHERE username = 'li.na'")).scalar_one()
        assert stored.startswith("$argon2id$") and "s3cret-pass" not in stored
        assert check_password(conn, metadata, "li.na", "s3cret-pass") is not None
        assert check_password(conn, metadata, "li.na", "wrong-pass") is None
        assert check_password(conn, metadata, "nobody", "s3cret-pass") is None
    engine.dispose()


def test_a_short_password_is_refused(crm, monkeypatch) -> None:
    settings = crm.application.extensions["metacrm"].settings
    monkeypatch.setenv("METACRM_DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(main, ["user", "create", "x", "--password", "short"])
    assert result.exit_code == 1
    assert "at least 8 characters" in result.output


def token_for(cli, username: str) -> str:  # type: ignore[no-untyped-def]
    return cli("token", username, "--name", "laptop").splitlines()[0]


def test_a_bearer_token_acts_as_its_user_in_the_audit_trail(crm, cli) -> None:
    cli("create", "li.na", "--password", "s3cret-pass")
    token = token_for(cli, "li.na")
    assert token.startswith("mcrm_")
    created = crm.post("/api/customer", json={"name": "星河"},
                       headers={"Authorization": f"Bearer {token}"})
    assert created.status_code == 201
    li_na = created.json["created_by"]
    assert li_na != crm.post("/api/customer", json={"name": "x"}).json["created_by"]
    history = crm.get(f"/api/customer/{created.json['id']}/history").json["items"]
    assert history[0]["user_id"] == li_na


def test_revoked_tokens_and_disabled_users_stop_at_once(crm, cli) -> None:
    cli("create", "li.na", "--password", "s3cret-pass")
    token = token_for(cli, "li.na")
    auth = {"Authorization": f"Bearer {token}"}
    assert crm.get("/api/customer", headers=auth).status_code == 200
    cli("disable", "li.na")
    assert crm.get("/api/customer", headers=auth).status_code == 401
    cli("enable", "li.na")
    assert crm.get("/api/customer", headers=auth).status_code == 200
    token_id = cli("tokens", "li.na").split()[0].lstrip("#")
    cli("revoke", token_id)
    response = crm.get("/api/customer", headers=auth)
    assert response.status_code == 401
    assert "revoked" in response.json["errors"]["Authorization"][0]
    assert "revoked" in cli("tokens", "li.na")


@pytest.mark.parametrize("header", ["Bearer", "Basic YWRtaW46YWRtaW4=", "Bearer nope",
                                    "Bearer mcrm_forged"])
def test_bad_credentials_are_401_not_a_silent_fallback(crm, header: str) -> None:
    response = crm.get("/api/customer", headers={"Authorization": header})
    assert response.status_code == 401
    assert "Authorization" in response.json["errors"]


def test_the_demo_prints_a_working_login(make_settings, tmp_path: Path) -> None:
    from metacrm.operations import prepare_server

    lines: list[str] = []
    app = prepare_server(make_settings(SHIPPED_BUNDLE), demo=True, echo=lines.append)
    assert app is not None
    lines = "\n".join(lines).splitlines()
    token = next(line for line in lines if "demo API token" in line).rsplit(" ", 1)[1]
    login = next(line for line in lines if line.startswith("demo login: admin / "))
    client = app.test_client()
    assert client.get("/api/customer?limit=1",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 200
    engine = app.extensions["metacrm"].engine
    metadata = app.extensions["metacrm"].compiled.metadata
    with engine.connect() as conn:
        assert check_password(conn, metadata, "admin", login.rsplit(" ", 1)[1]) is not None
