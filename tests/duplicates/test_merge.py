"""Merging records: each field's value chosen, every reference and child (reference and
multi_reference fields of any entity) moved to the kept record, the merge in the audit
trail, the others in the recycle bin; an unmerge restores a merged-away record and
points back what the merge moved from it; the caller needs update and delete."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..conftest import token_for, write_bundle

BUNDLE = {
    "entities/firm.yaml": """
        entity: firm
        title: name
        fields:
          name: {type: string, clean: [trim, company_name]}
          phone: {type: phone, clean: [{phone: CN}]}
          city: {type: string}
          people: {type: rollup, from: person.firm, aggregate: count}
          labels: {type: multi_reference, to: label}
        duplicates:
          - {name: similar_name, fuzzy: name, threshold: 85}
          - {name: same_phone, fields: [phone]}
        ---
        entity: label
        fields:
          name: {type: string}
        ---
        entity: person
        fields:
          name: {type: string}
          firm: {type: reference, to: firm, on_delete: cascade}
        ---
        entity: deal
        fields:
          name: {type: string}
          firm: {type: reference, to: firm}
        ---
        entity: campaign
        fields:
          name: {type: string}
          firms: {type: multi_reference, to: firm}
        """,
    "roles/reader.yaml": """
        role: reader
        permissions:
          firm: {operations: [read, update]}
        """,
}


@pytest.fixture
def client(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_client(write_bundle(tmp_path / "firm", BUNDLE))


def _make(client, entity: str, **values):  # type: ignore[no-untyped-def]
    response = client.post(f"/api/{entity}", json=values)
    assert response.status_code == 201, response.json
    return response.json["id"]


@pytest.fixture
def two(client):  # type: ignore[no-untyped-def]
    kept = _make(client, "firm", name="北京华为技术有限公司", city="北京")
    other = _make(client, "firm", name="华为技术（北京）有限公司", phone="010-12345678")
    return kept, other


def test_the_duplicates_list_groups_similar_names_and_same_values(client, two) -> None:  # type: ignore[no-untyped-def]
    kept, other = two
    _make(client, "firm", name="星河贸易有限公司", phone="01012345678")
    groups = client.get("/api/firm/duplicates").json["groups"]
    assert [(g["rule"], sorted(r["id"] for r in g["records"])) for g in groups] == [
        ("similar_name", [kept, other]), ("same_phone", [other, other + 1])]
    assert groups[1]["value"] == {"phone": "+861012345678"}
    only = client.get("/api/firm/duplicates?rule=same_phone").json["groups"]
    assert [g["rule"] for g in only] == ["same_phone"]
    assert client.get("/api/firm/duplicates?rule=nope").status_code == 422


def test_merge_moves_references_and_children_and_is_audited(client, two) -> None:  # type: ignore[no-untyped-def]
    kept, other = two
    person = _make(client, "person", name="李娜", firm=other)
    deal = _make(client, "deal", name="ERP", firm=other)
    campaign = _make(client, "campaign", name="春季", firms=[kept, other])
    solo = _make(client, "campaign", name="秋季", firms=[other])
    response = client.post("/api/firm/merge", json={
        "keep": kept, "others": [other], "values": {"name": other, "city": {"value": "海淀"}}})
    assert response.status_code == 200, response.json
    merged = response.json
    assert merged["name"] == "华为技术（北京）有限公司"
    assert merged["city"] == "海淀"
    assert merged["phone"] == "+861012345678"  # empty on the kept record: filled
    assert merged["people"] == 1
    assert client.get(f"/api/person/{person}").json["firm"] == kept
    assert client.get(f"/api/deal/{deal}").json["firm"] == kept
    assert client.get(f"/api/campaign/{campaign}").json["firms"] == [kept]
    assert client.get(f"/api/campaign/{solo}").json["firms"] == [kept]
    assert client.get(f"/api/firm/{other}").status_code == 404
    assert [r["id"] for r in client.get("/api/firm/deleted").json["items"]] == [other]
    history = client.get(f"/api/firm/{kept}/history").json["items"]
    assert [h["action"] for h in history[:2]] == ["update", "merge"]
    assert history[1]["changes"] == {"merged": [None, [other]]}
    assert history[0]["changes"]["name"] == ["北京华为技术有限公司", "华为技术（北京）有限公司"]
    moved = client.get(f"/api/deal/{deal}/history").json["items"][0]
    assert moved["changes"] == {"firm": [other, kept]}
    assert moved["note"] == f"merged: firm #{other} → #{kept}"
    assert client.get("/api/firm/duplicates").json["groups"] == []


def test_unmerge_restores_the_record_and_points_back_what_was_moved(client, two) -> None:  # type: ignore[no-untyped-def]
    kept, other = two
    moved = _make(client, "deal", name="ERP", firm=other)
    own = _make(client, "deal", name="CRM", firm=kept)
    tagged = _make(client, "campaign", name="春季", firms=[other])
    assert client.post("/api/firm/merge", json={"keep": kept, "others": [other]}
                       ).status_code == 200
    later = _make(client, "deal", name="OA", firm=kept)  # made after the merge: stays
    response = client.post(f"/api/firm/{other}/unmerge")
    assert response.status_code == 200, response.json
    assert response.json["name"] == "华为技术（北京）有限公司"
    assert client.get(f"/api/deal/{moved}").json["firm"] == other
    assert client.get(f"/api/deal/{own}").json["firm"] == kept
    assert client.get(f"/api/deal/{later}").json["firm"] == kept
    assert client.get(f"/api/campaign/{tagged}").json["firms"] == [other]
    again = client.post(f"/api/firm/{other}/unmerge")
    assert again.status_code == 409
    assert client.post(f"/api/firm/{kept}/unmerge").status_code == 409


def test_links_of_every_record_are_kept_unless_chosen(client) -> None:  # type: ignore[no-untyped-def]
    red, blue = _make(client, "label", name="red"), _make(client, "label", name="blue")
    kept = _make(client, "firm", name="甲", labels=[red])
    other = _make(client, "firm", name="乙", labels=[blue])
    merged = client.post("/api/firm/merge", json={"keep": kept, "others": [other]}).json
    assert merged["labels"] == sorted([red, blue])
    third = _make(client, "firm", name="丙", labels=[blue])
    merged = client.post("/api/firm/merge", json={
        "keep": kept, "others": [third], "values": {"labels": third}}).json
    assert merged["labels"] == [blue]


def test_bad_merge_requests_say_what_is_wrong(client, two) -> None:  # type: ignore[no-untyped-def]
    kept, other = two
    response = client.post("/api/firm/merge", json={"keep": kept, "others": [kept]})
    assert response.status_code == 422
    assert "others" in response.json["errors"]
    response = client.post("/api/firm/merge", json={
        "keep": kept, "others": [other], "values": {"name": 999, "people": kept}})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"values.name", "values.people"}
    assert client.post("/api/firm/merge", json={"keep": kept, "others": [12345]}
                       ).status_code == 404


def test_merging_needs_update_and_delete(client, two) -> None:  # type: ignore[no-untyped-def]
    kept, other = two
    app = client.application
    reader = app.test_client()
    reader.environ_base["HTTP_AUTHORIZATION"] = (
        f"Bearer {token_for(app, 'li.na', roles=('reader',))}")
    response = reader.post("/api/firm/merge", json={"keep": kept, "others": [other]})
    assert response.status_code == 403
    assert client.get(f"/api/firm/{other}").status_code == 200


def test_block_keys_of_records_written_before_the_rule_are_filled(client, two) -> None:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    from metacrm.runtime.duplicate_groups import fill_block_keys

    platform = client.application.extensions["metacrm"]
    model = platform.compiled.models["firm"]
    with platform.writing() as conn:
        conn.execute(model.table.update().values(name__block=None))
    assert client.get("/api/firm/duplicates?rule=similar_name").json["groups"] == []
    with platform.writing() as conn:
        assert fill_block_keys(conn, model) == 2
        assert set(conn.execute(sa.select(model.table.c.name__block)).scalars()) == {"huawei"}
    assert len(client.get("/api/firm/duplicates?rule=similar_name").json["groups"]) == 1
