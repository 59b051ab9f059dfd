"""A contract-testing tool (schemathesis) finds the served OpenAPI document and the
server in agreement: requests generated from the document, valid and invalid, sent
in-process to the WSGI app of a small bundle. No answer is a 5xx or undocumented (status,
headers, body shape); no invalid request is accepted; no valid one is refused but for a
reason the document cannot state (listed below, each with why)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from ..conftest import admin_token, write_bundle

schemathesis = pytest.importorskip("schemathesis")
hypothesis = pytest.importorskip("hypothesis")

BUNDLE = {"entities/item.yaml": """
    entity: item
    owned_by: owner
    search: [name]
    fields:
      name: {type: string, required: true, max_length: 40}
      price: {type: money}
      rate: {type: decimal, scale: 3, min: 0}
      share: {type: percent}
      qty: {type: integer, min: 0, max: 1000}
      parent: {type: reference, to: item}
      owner: {type: user}
      size: {type: choice, options: [s, m, l]}
      due: {type: date}
      seen_at: {type: datetime}
      notes: {type: text}
      active: {type: boolean}
    pool:
      label: {en: Item pool}
    """}
# Examples per operation and mode: enough to try each parameter and body field a few
# times, few enough that the whole run stays well under a minute.
EXAMPLES = 4
# Left out, and why: each changes who the caller is or what the database looks like
# for every request after it.
SKIPPED = {
    "update_user": "may disable, demote or re-password the administrator who runs it",
    "revoke_token": "may revoke the token it runs with",
    "meta_create_customization": "adds columns: a migration per example",
    "designer_save_layout": "a layout is checked like a YAML file (no schema can say which "
                            "one passes), and each save compiles the program",
    "builder_create_report": "a report is checked like a YAML file, and each save compiles "
                             "the program",
    "builder_save_report": "a report is checked like a YAML file, and each save compiles "
                           "the program",
    "builder_preview_report": "a draft report is checked like a YAML file: no schema can say "
                              "which one passes",
}
# Refusals of requests the document calls valid, which no OpenAPI document can rule
# out: (status, message pattern, why).
EXPLAINABLE = [
    (400, r"not a cursor", "a cursor is opaque: only a `next_cursor` the API gave is one"),
    (422, r"^No .+ with id \d+[.:]|^不存在 id 为 \d+ 的",
     "a reference to a record or user that does not exist (or is not active)"),
    (422, r"^Expected the id of an active user|^应为在职用户的 id",
     "a user id that is no active user's"),
    (422, r"^Unknown (team|role) |^未知的?(团队|角色)", "a team or role name that does not exist"),
    (400, r"NUL characters|NUL 字符",
     "no text may hold NUL (docs/api.md): PostgreSQL cannot store it"),
    (422, r"most common ones|最常见的密码", "a password on the list of common ones"),
    (401, r"^Wrong username or password\.$", "sign-in with credentials nobody has"),
    (422, r"^This is not the current password\.$|^当前密码不正确。$",
     "a current password that is not the caller's"),
    (400, r"^Ask for 'assigned=me' or 'submitted=me' \(one of them\)\.$",
     "the two parameters exclude each other; OpenAPI cannot say so of parameters"),
    (422, r"must be after|in the future|must not be in the past|already passed",
     "a period or an expiry that has to lie ahead of now"),
    (422, r"is sorted twice", "a field twice in `sort` (the description says once)"),
    (422, r"unknown field\(s\) of |column\(s\) not in the file|^not a mapping|: the file is "
     r"empty|: not UTF-8, UTF-16|: not a workbook",
     "an import's file and mapping are the caller's data, which no schema describes"),
    (422, r"^In the list query, |^列表查询中 ",
     "a saved view's query is text in the list API's grammar, which a schema cannot state"),
    (422, r"^No report '.*' you may run\.$|^No list of '.*' you may read\.$",
     "a pin names a report or an entity by name: one that does not exist is refused"),
    (422, r"^In the query, |^查询中 ",
     "a pin's query is text in the report's or the list's grammar"),
    (422, r"^A weekday: |^星期几：|^A day of the month from |^每月的第几天",
     "a subscription's day depends on how often it goes (a weekday, a day of the month)"),
    (422, r"has no e-mail address|没有可接收报表的电子邮件地址",
     "a subscription needs an e-mail address on the caller's account"),
]


@pytest.fixture
def contract(make_client, tmp_path: Path) -> tuple[Any, dict[str, str]]:  # type: ignore[no-untyped-def]
    client = make_client(write_bundle(tmp_path / "shop", BUNDLE))
    app = client.application
    return app, {"Authorization": f"Bearer {admin_token(app)}"}


def _explained(status: int, body: Any) -> bool:
    """Whether every message of a refusal is one of EXPLAINABLE for its status."""
    if not isinstance(body, dict) or not isinstance(body.get("errors"), dict):
        return False
    messages = [m for found in body["errors"].values() for m in found]
    return bool(messages) and all(
        any(code == status and re.search(pattern, m) for code, pattern, _ in EXPLAINABLE)
        for m in messages)


def test_generated_requests_find_the_document_and_the_server_in_agreement(contract) -> None:  # type: ignore[no-untyped-def]
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    from schemathesis.checks import positive_data_acceptance
    from schemathesis.config import SchemathesisConfig

    app, auth = contract
    config = SchemathesisConfig.from_dict({})
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app, headers=auth,
                                            config=config)
    refused: list[str] = []
    failures: list[str] = []
    tried: set[str] = set()
    for result in schema.get_all_operations():
        operation = result.ok()
        name = operation.definition.raw["operationId"]
        if name in SKIPPED:
            continue
        tried.add(name)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(derandomize=True, max_examples=EXAMPLES, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck),
                      phases=[Phase.explicit, Phase.generate])
            @given(operation.as_strategy(generation_mode=mode))
            def check(case: Any) -> None:
                response = case.call(headers=auth)
                # Valid requests: a success, or a refusal the document cannot foresee.
                # (called right below, inside the loop: mode and name are this round's)
                if mode is GenerationMode.POSITIVE and response.status_code >= 400 and (  # noqa: B023
                        response.status_code not in (404, 409, 412)):
                    try:
                        body = response.json()
                    except ValueError:
                        body = response.text
                    if not _explained(response.status_code, body):
                        refused.append(f"{name}: {response.status_code} {body} "  # noqa: B023
                                       f"<- {case.as_curl_command()}"[:1500])
                case.validate_response(response, headers=auth,
                                       excluded_checks=[positive_data_acceptance])

            try:
                check()
            except Unsatisfiable:  # nothing invalid to send: logout takes nothing at all
                assert mode is GenerationMode.NEGATIVE and name == "logout", name
            except Exception as exc:  # noqa: BLE001 - every failure is reported below
                failures.append(f"{name} ({mode.value}): {str(exc)[:2000]}")
    assert len(tried) > 40  # the entity's operations and the platform's
    assert not failures + refused, "\n\n".join(failures + refused)
