"""A small bundle with a lead entity fed by intake sources, apps on it, and a token
of each source."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from metacrm.intake.credentials import issue_token

from ..conftest import write_bundle

LEADS = """
    entity: prospect
    label: {en: Prospect}
    owned_by: owner
    fields:
      name: {type: string, required: true, max_length: 100}
      phone: {type: phone}
      email: {type: email}
      region: {type: choice, options: [north, south]}
      origin: {type: choice, options: [web, fair, partner]}
      owner: {type: user, default: $user}
      notes: {type: text}
    pool:
      label: {en: Prospect pool}
    assignment:
      - name: south_web
        when: {origin: web, region: south}
        team: south
        method: round_robin
    """
WEB_FORM = """
    intake: web_form
    entity: prospect
    fields: {company: name, tel: phone, mail: email, area: region, message: notes}
    set: {origin: web}
    external_id: form_id
    rate_limit: {requests: 3, per: 1m}
    max_batch: 5
    """
FAIR = """
    intake: fair_scans
    entity: prospect
    fields: {company: name}
    set: {origin: fair}
    """


def intake_bundle(root: Path, *extra: str) -> Path:
    sources = "---\n".join((WEB_FORM, FAIR, *extra))
    return write_bundle(root, {"entities/prospect.yaml": LEADS, "intake/sources.yaml": sources})


@pytest.fixture
def intake_client(make_client: Callable[..., Any], tmp_path: Path) -> Any:
    """An administrator's client on the intake bundle."""
    return make_client(intake_bundle(tmp_path / "leads"))


def source_token(client: Any, source: str, *, keep_old: bool = False) -> str:
    platform = client.application.extensions["metacrm"]
    with platform.writing() as conn:
        token, _, _ = issue_token(conn, platform.compiled.metadata, source, source,
                                  keep_old=keep_old)
    return token


def post_lead(client: Any, token: str | None, body: Any, source: str = "web_form",
              **headers: str) -> Any:
    """POST a lead as an outside system: no session, only the given token."""
    sender = client.application.test_client()
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return sender.post(f"/api/intake/{source}", json=body, headers=headers)


def records(client: Any, entity: str = "prospect") -> list[dict[str, Any]]:
    response = client.get(f"/api/{entity}?sort=id")
    assert response.status_code == 200, response.json
    return list(response.json["items"])
