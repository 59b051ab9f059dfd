"""Each intake source has its own tokens: only they open its endpoint, a rotation
stops the old one, a revocation every one (401), and the CLI issues them."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from metacrm.cli import main
from metacrm.intake.credentials import revoke_tokens

from ..conftest import admin_token
from .conftest import intake_bundle, post_lead, records, source_token

LEAD = {"company": "上海星河贸易有限公司", "tel": "13800138000"}


def test_the_sources_token_stores_the_lead_and_nothing_else_opens_it(intake_client) -> None:
    token = source_token(intake_client, "web_form")
    assert post_lead(intake_client, token, LEAD).status_code == 201
    for wrong in (None, "mcrm_not-a-token", source_token(intake_client, "fair_scans"),
                  admin_token(intake_client.application)):
        answer = post_lead(intake_client, wrong, LEAD)
        assert answer.status_code == 401, wrong
        assert "web_form" in answer.json["errors"]["Authorization"][0]
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert [r["name"] for r in records(intake_client)] == ["上海星河贸易有限公司"]


def test_a_source_token_opens_nothing_else(intake_client) -> None:
    token = source_token(intake_client, "web_form")
    sender = intake_client.application.test_client()
    answer = sender.get("/api/prospect", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403  # the service user has no role


def test_rotation_and_revocation_take_effect_at_once(intake_client) -> None:
    old = source_token(intake_client, "web_form")
    assert post_lead(intake_client, old, LEAD).status_code == 201
    new = source_token(intake_client, "web_form")  # a rotation revokes the old token
    assert post_lead(intake_client, old, LEAD).status_code == 401
    assert post_lead(intake_client, new, {"company": "B"}).status_code == 201
    kept = source_token(intake_client, "web_form", keep_old=True)
    assert post_lead(intake_client, new, {"company": "C"}).status_code == 201
    platform = intake_client.application.extensions["metacrm"]
    with platform.writing() as conn:
        assert revoke_tokens(conn, platform.compiled.metadata, "web_form") == 2
    for token in (new, kept):
        assert post_lead(intake_client, token, {"company": "D"}).status_code == 401


def test_an_unknown_source_is_404_with_a_hint(intake_client) -> None:
    answer = post_lead(intake_client, None, LEAD, source="web_from")
    assert answer.status_code == 404
    assert "did you mean 'web_form'" in answer.json["errors"]["_request"][0]


@pytest.fixture
def cli(intake_client: Any, tmp_path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    settings = intake_client.application.extensions["metacrm"].settings
    monkeypatch.setenv("METACRM_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("METACRM_BUNDLES", str(intake_bundle(tmp_path / "leads")))

    def run(*args: str, code: int = 0) -> Any:
        result = CliRunner().invoke(main, ["intake", *args])
        assert result.exit_code == code, result.output
        return result
    return run


def test_the_command_line_issues_rotates_and_revokes(intake_client, cli) -> None:
    first = cli("token", "web_form").stdout.strip().splitlines()[0]
    assert first.startswith("mcrm_")
    assert post_lead(intake_client, first, LEAD).status_code == 201
    second = cli("token", "web_form").stdout.strip().splitlines()[0]
    assert post_lead(intake_client, first, LEAD).status_code == 401
    assert post_lead(intake_client, second, {"company": "B"}).status_code == 201
    assert "web_form: prospect, POST /api/intake/web_form, 1 live token(s)" in cli("list").output
    assert "revoked 1 token(s)" in cli("revoke", "web_form").output
    assert post_lead(intake_client, second, {"company": "C"}).status_code == 401
    assert "did you mean 'web_form'" in cli("token", "web_from", code=1).output
