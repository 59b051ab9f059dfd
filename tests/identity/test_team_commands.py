"""`metacrm team ...` and `metacrm roles`: teams, their members, the defined roles."""

from __future__ import annotations


def test_create_list_add_remove_and_delete_a_team(crm, command) -> None:
    command("user", "create", "wang", "--no-password")
    command("user", "create", "liu", "--no-password")
    assert "created team 'east'" in command("team", "create", "east", "--name", "华东销售部")
    assert "east                 华东销售部" in command("team", "list")
    assert "(no members)" in command("team", "list")
    command("team", "add", "east", "wang", "liu")
    assert command("team", "list").split()[-2:] == ["wang,", "liu"]
    team = crm.get("/api/teams").json["items"][0]
    assert len(team["members"]) == 2
    command("team", "remove", "east", "liu")
    assert command("team", "list").split()[-1] == "wang"
    assert "team 'east' deleted" in command("team", "delete", "east")
    assert command("team", "list") == ""
    assert crm.get("/api/users?q=wang").json["items"][0]["teams"] == []


def test_team_command_mistakes_are_one_line_and_exit_1(command) -> None:
    command("team", "create", "east")
    command("user", "create", "wang", "--no-password")
    cases = [
        (("team", "create", "east"), "already exists"),
        (("team", "create", "East Side"), "must be lower case letters"),
        (("team", "add", "west", "wang"), "no team 'west'"),
        (("team", "add", "east", "nobody"), "no user 'nobody'"),
        (("team", "remove", "east", "wang"), "not in team 'east': wang"),
        (("team", "delete", "west"), "no team 'west'"),
    ]
    for args, said in cases:
        output = command(*args, code=1)
        assert said in output, (args, output)


def test_roles_lists_the_defined_roles(command) -> None:
    output = command("roles")
    assert "salesperson          Salesperson" in output
    assert "admin                Administrator  (administrator)" in output
    assert "销售人员" in command("roles", "--language", "zh")
    assert "--language must be one of en, zh" in command("roles", "--language", "fr", code=1)


def test_commands_refuse_a_database_that_is_not_migrated(tmp_path, monkeypatch) -> None:
    from click.testing import CliRunner

    from metacrm.cli import main

    monkeypatch.setenv("METACRM_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    result = CliRunner().invoke(main, ["team", "list"])
    assert result.exit_code == 1
    assert "the database is not migrated: run `metacrm migrate`" in result.output
