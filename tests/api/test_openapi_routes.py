"""The OpenAPI document and the routes the server answers agree, both ways: every rule
of the Flask app under /api is a documented operation (for each entity it applies to),
and every documented operation is a rule the server has."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from ..conftest import create_as_platform, write_bundle

BUNDLE = {
    "entities/entities.yaml": """
        entity: deal
        label: {en: Deal}
        plural: {en: Deals}
        owned_by: owner
        fields:
          name: {type: string, required: true}
          owner: {type: user, default: $user}
          reviewer: {type: user}
          status: {type: choice, options: [draft, pending, won], default: draft,
                   required: true}
        ---
        entity: expense
        fields:
          purpose: {type: string, required: true}
        ---
        entity: lead
        owned_by: owner
        fields:
          name: {type: string, required: true}
          owner: {type: user}
        pool:
          label: {en: Lead pool}
        ---
        entity: memo
        fields:
          text: {type: text}
        """,
    "workflows/deal.yaml": """
        workflow: deal_flow
        entity: deal
        field: status
        final: [won]
        transitions:
          - name: win
            from: [draft]
            to: won
            approval: deal_approval
            pending: pending
        ---
        approval: deal_approval
        entity: deal
        steps:
          - name: boss
            approvers: {users: [admin]}
        ---
        approval: expense_check
        entity: expense
        steps:
          - name: finance
            approvers: {users: [admin]}
        """,
}
# What a probe of an undocumented (entity, route) sends: a body the route could read,
# so that the 404 comes from the entity lacking the resource, not from the body.
PROBE_BODIES: dict[str, Any] = {"approvals": {"approval": "expense_check"},
                                "release": {"reason": "probe"},
                                "transfer": {"ids": [1], "to": 1, "preview": True}}
_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def _template(rule: str, entity: str | None) -> str:
    """``/api/<entity>/<int(max=…):record_id>`` as the document spells it for ``entity``:
    ``/api/deal/{id}``; transition and meta names are ``{name}``."""
    def spell(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "entity":
            assert entity is not None
            return entity
        return "{id}" if name == "id" or name.endswith("_id") else "{" + name + "}"
    return _ARGUMENT.sub(spell, rule)


def _concrete(template: str, record_id: int = 1) -> str:
    return (template.replace("{id}", str(record_id)).replace("{name}", "x")
            .replace("{index}", "0"))


@pytest.fixture
def served(make_client, tmp_path: Path) -> tuple[Any, dict]:  # type: ignore[no-untyped-def]
    client = make_client(write_bundle(tmp_path / "flows", BUNDLE))
    doc = client.get("/api/openapi.json")
    assert doc.status_code == 200
    return client, doc.json


def _live_routes(app: Any, entities: list[str]) -> dict[tuple[str, str], str]:
    """(documented path, method) -> the rule, for every /api rule and entity."""
    found = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        names = entities if "<entity>" in rule.rule else [None]
        for entity in names:
            for method in methods:
                found[(_template(rule.rule, entity), method.lower())] = rule.rule
    return found


def test_every_live_route_is_documented_and_every_documented_one_is_live(served) -> None:  # type: ignore[no-untyped-def]
    client, doc = served
    app = client.application
    entities = ["deal", "expense", "lead", "memo"]
    live = _live_routes(app, entities)
    documented = {(path, method) for path, item in doc["paths"].items()
                  for method in item if method != "parameters"}

    # every documented operation is a rule of the app, and exactly the one it names
    adapter = app.url_map.bind("localhost")
    for path, method in sorted(documented):
        try:
            rule, _ = adapter.match(_concrete(path), method.upper(), return_rule=True)
        except (NotFound, MethodNotAllowed):
            pytest.fail(f"documented but dead: {method.upper()} {path}")
        assert (path, method) in live and live[(path, method)] == rule.rule, (path, method)

    # every rule is documented, unless the entity lacks the resource: then it is a 404
    ids = {name: create_as_platform(client, name, **values) for name, values in (
        ("deal", {"name": "D"}), ("expense", {"purpose": "taxi"}), ("lead", {"name": "L"}),
        ("memo", {"text": "m"}))}
    undocumented = sorted(set(live) - documented)
    for path, method in undocumented:
        entity = path.split("/")[2]
        assert entity in ids, f"live but not documented: {method.upper()} {path}"
        answer = client.open(_concrete(path, ids[entity]), method=method.upper(),
                             json=PROBE_BODIES.get(path.rsplit("/", 1)[-1]))
        assert answer.status_code == 404, (method, path, answer.status_code, answer.json)
    # what that leaves out is what the definitions do not give each entity
    lacking = {entity: sorted(p.split("/", 3)[3].replace("{id}/", "") for p, _ in undocumented
                              if p.split("/")[2] == entity) for entity in entities}
    assert lacking == {
        "deal": ["approvals", "claim", "pool", "release"],  # its chain starts by a transition
        "expense": ["claim", "pool", "release", "transfer", "transitions/{name}"],
        "lead": ["approvals", "transitions/{name}"],
        "memo": ["approvals", "claim", "pool", "release", "transfer", "transitions/{name}"]}
    assert ("/api/expense/{id}/approvals", "post") in documented


def test_submitting_where_no_chain_is_submitted_on_its_own_is_not_found(served) -> None:  # type: ignore[no-untyped-def]
    client, _ = served
    deal = create_as_platform(client, "deal", name="D")
    memo = create_as_platform(client, "memo", text="m")
    started = client.post(f"/api/deal/{deal}/approvals", json={"approval": "deal_approval"})
    assert started.status_code == 404
    assert started.json == {"errors": {"entity": [(
        "Deals have no approval chain to submit to on its own (the transitions that start "
        "one: win).")]}}
    none = client.post(f"/api/memo/{memo}/approvals", json={"approval": "x"})
    assert none.status_code == 404 and "(the transitions that start one: -)" in none.json[
        "errors"]["entity"][0]
