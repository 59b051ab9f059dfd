"""`metacrm user ...`: users with roles, teams and a manager, passwords and API tokens;
Bearer tokens identify callers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from metacrm.cli import main
from metacrm.compile.tables import add_system_tables
from metacrm.db import make_engine
from metacrm.identity.users import check_password

from ..conftest import SHIPPED_BUNDLE


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
    # 李娜 is two characters four columns wide in a terminal: the roles still line up.
    lines = {line.split()[1]: line for line in listing.splitlines()}
    assert lines["li.na"].index("(no role)") + len("李娜") == lines["boss"].index("(no role)")


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
    assert "at least 10 characters" in result.output


def token_for(cli, username: str) -> str:  # type: ignore[no-untyped-def]
    return cli("token", username, "--name", "laptop").splitlines()[0]


def test_a_bearer_token_acts_as_its_user_in_the_audit_trail(crm, cli) -> None:
    cli("create", "li.na", "--password", "s3cret-pass", "--role", "salesperson")
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
    cli("create", "li.na", "--password", "s3cret-pass", "--role", "salesperson")
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


def test_the_demo_prints_a_working_login(make_settings) -> None:
    from metacrm.operations import prepare_server

    # A few records are enough to prove the logins; the full demo takes half a minute.
    lines: list[str] = []
    app = prepare_server(make_settings(SHIPPED_BUNDLE), demo=True, echo=lines.append,
                         demo_scale=0.01)
    assert app is not None
    try:
        lines = "\n".join(lines).splitlines()
        token = next(line for line in lines if "demo API token" in line).rsplit(" ", 1)[1]
        login = next(line for line in lines if line.startswith("demo login: admin / "))
        client = app.test_client()
        assert client.get("/api/customer?limit=1",
                          headers={"Authorization": f"Bearer {token}"}).status_code == 200
        signed = client.post("/api/auth/login", json={"username": "admin",
                                                      "password": login.rsplit(" ", 1)[1]})
        assert signed.status_code == 200 and signed.json["administrator"] is True
        users = next(line for line in lines if line.startswith("demo users, each with"))
        password = users.split("password ", 1)[1].split(":", 1)[0]
        salesperson = app.test_client().post("/api/auth/login", json={
            "username": "wang.fang", "password": password})
        assert salesperson.status_code == 200
        assert salesperson.json["roles"] == ["salesperson"]
        assert salesperson.json["teams"] == ["east"]
    finally:
        app.extensions["metacrm"].engine.dispose()


def test_create_with_roles_teams_manager_and_details(crm, command) -> None:
    command("team", "create", "east", "--name", "华东")
    command("user", "create", "zhang.wei", "--role", "sales_director", "--no-password")
    said = command("user", "create", "li.na", "--name", "李娜", "--role", "salesperson",
                   "--role", "service_agent", "--team", "east", "--manager", "zhang.wei",
                   "--phone", "+86 138 0013 8000", "--email", "li.na@example.com",
                   "--language", "zh", "--password", "s3cret-pass")
    assert "created user 'li.na'" in said and "roles: salesperson, service_agent" in said
    li_na = next(u for u in crm.get("/api/users").json["items"] if u["username"] == "li.na")
    boss = next(u for u in crm.get("/api/users").json["items"] if u["username"] == "zhang.wei")
    assert {k: li_na[k] for k in ("name", "roles", "teams", "manager", "phone", "email",
                                  "language", "has_password")} == {
        "name": "李娜", "roles": ["salesperson", "service_agent"], "teams": ["east"],
        "manager": boss["id"], "phone": "+86 138 0013 8000", "email": "li.na@example.com",
        "language": "zh", "has_password": True}
    assert boss["has_password"] is False


def test_an_unknown_role_is_refused_with_a_suggestion(command) -> None:
    output = command("user", "create", "li.na", "--role", "salesperso", "--no-password",
                     code=1)
    assert "unknown role 'salesperso' (did you mean 'salesperson'?)" in output
    assert "li.na" not in command("user", "list")
    command("user", "create", "li.na", "--no-password")
    assert "did you mean 'auditor'" in command("user", "set", "li.na", "--add-role",
                                               "auditr", code=1)


def test_set_replaces_adds_and_removes_roles(command) -> None:
    command("user", "create", "li.na", "--role", "salesperson", "--no-password")
    command("user", "set", "li.na", "--add-role", "service_agent")
    assert "roles:    salesperson, service_agent" in command("user", "show", "li.na")
    command("user", "set", "li.na", "--remove-role", "salesperson")
    assert "roles:    service_agent" in command("user", "show", "li.na")
    command("user", "set", "li.na", "--role", "auditor", "--role", "finance")
    assert "roles:    auditor, finance" in command("user", "show", "li.na")
    listing = command("user", "list")
    assert "auditor, finance" in listing.splitlines()[-1]


def test_set_changes_teams_manager_and_details(command) -> None:
    command("team", "create", "east")
    command("team", "create", "west")
    command("user", "create", "boss", "--no-password")
    command("user", "create", "li.na", "--team", "east", "--no-password")
    changed = command("user", "set", "li.na", "--team", "west", "--manager", "boss",
                      "--name", "李娜", "--email", "li@example.com", "--phone", "021-5555 0100",
                      "--language", "zh")
    assert "user 'li.na' changed" in changed
    shown = command("user", "show", "li.na")
    assert "li.na (id" in shown and "李娜" in shown
    assert "teams:    west" in shown and "manager:  boss" in shown
    assert "li@example.com" in shown and "021-5555 0100" in shown and "language: zh" in shown
    assert "tokens:   0 active, 0 revoked" in shown
    command("user", "set", "li.na", "--no-manager", "--email", "")
    shown = command("user", "show", "li.na")
    assert "manager:  -" in shown and "email:    -" in shown


def test_user_command_mistakes_are_one_line_and_exit_1(command) -> None:
    command("user", "create", "boss", "--no-password")
    command("user", "create", "li.na", "--manager", "boss", "--no-password")
    cases = [
        (("user", "set", "boss", "--manager", "li.na"), "go round in a circle"),
        (("user", "set", "boss", "--manager", "boss"), "cannot be their own manager"),
        (("user", "set", "boss", "--manager", "nobody"), "no user 'nobody'"),
        (("user", "set", "boss", "--team", "eats"), "Unknown team 'eats'"),
        (("user", "set", "boss", "--language", "fr"), "Must be one of: en, zh"),
        (("user", "set", "boss", "--email", "not-an-address"), "Not a valid email address"),
        (("user", "set", "boss"), "nothing to change"),
        (("user", "set", "boss", "--manager", "li.na", "--no-manager"), "not both"),
        (("user", "create", "boss", "--no-password"), "already taken"),
        (("user", "create", "x", "--password", "s3cret-pass", "--no-password"), "not both"),
        (("user", "create", "two words", "--no-password"), "May not contain spaces"),
        (("user", "show", "nobody"), "no user 'nobody'"),
    ]
    for args, said in cases:
        output = command(*args, code=1)
        assert said in output, (args, output)
        assert "Traceback" not in output


def test_disabling_and_a_new_password_end_web_sessions(crm, command) -> None:
    from .conftest import PASSWORD, signed_in

    command("user", "create", "li.na", "--role", "salesperson", "--password", PASSWORD)
    browser = signed_in(crm, "li.na")
    command("user", "disable", "li.na")
    command("user", "enable", "li.na")
    assert browser.get("/api/users/me").status_code == 401
    browser = signed_in(crm, "li.na")
    command("user", "password", "li.na", "--password", "another-pass")
    assert browser.get("/api/users/me").status_code == 401
    assert signed_in(crm, "li.na", "another-pass").me["username"] == "li.na"
