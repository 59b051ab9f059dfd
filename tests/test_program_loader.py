"""Every command builds the program the same way: with the configured plugins, so a
bundle whose workflow calls a plugin's hook is accepted by check, migrate, roles and
user create alike (roles and user create used to load it without the plugins)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from metacrm.cli import main

from .conftest import write_bundle
from .workflows.test_plugins import HOOKED, PLUGIN


@pytest.fixture
def hooked_env(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    bundle = write_bundle(tmp_path / "deals", HOOKED, name="deals")
    monkeypatch.setenv("METACRM_DATABASE_URL", db_url)
    monkeypatch.setenv("METACRM_BUNDLES", str(bundle))
    monkeypatch.setenv("METACRM_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("METACRM_PLUGINS", PLUGIN)
    return bundle


def _run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_check_migrate_roles_and_user_create_agree_on_a_hooked_bundle(hooked_env) -> None:
    assert "ok:" in _run("check")
    _run("migrate")
    assert "manager" in _run("roles")
    assert "rep" in _run("user", "create", "wang.fang", "--role", "rep",
                         "--password", "a long passphrase 42")


def test_without_the_plugin_every_command_refuses_the_bundle(hooked_env, monkeypatch) -> None:
    monkeypatch.delenv("METACRM_PLUGINS")
    for args in (["check"], ["migrate"], ["roles"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code != 0, (args, result.output)
