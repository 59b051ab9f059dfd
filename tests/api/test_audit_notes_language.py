"""Notes the engine writes in a record's history read in the reader's language, whoever
acted and in whatever language they worked; notes people wrote, and the plain texts
older rows hold, read as they were written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ..access.conftest import person
from ..conftest import write_bundle
from ..workflows.conftest import DEALS, fire, new_deal

EN, ZH = {"Accept-Language": "en"}, {"Accept-Language": "zh-CN,zh;q=0.9"}

COMPANIES = {
    "entities/company.yaml": """
        entity: company
        label: {en: Company, zh: 公司}
        title: name
        owned_by: owner
        fields:
          name: {type: string}
          owner: {type: user, default: $user}
        duplicates:
          - {name: same_name, fields: [name]}
        ---
        entity: contact
        label: {en: Contact, zh: 联系人}
        fields:
          name: {type: string}
          company: {type: reference, to: company, on_delete: cascade}
        """,
    "roles/reader.yaml": """
        role: reader
        permissions:
          company: {operations: [read]}
        """,
}


def _notes(who: Any, entity: str, record_id: int, headers: dict[str, str]) -> list[Any]:
    response = who.get(f"/api/{entity}/{record_id}/history", headers=headers)
    assert response.status_code == 200, response.json
    return [(h["action"], h["note"]) for h in response.json["items"]]


def _stored_notes(crm: Any, entity: str, record_id: int) -> list[str | None]:
    platform = crm.application.extensions["metacrm"]
    audit = platform.compiled.tables.audit
    with platform.reading() as conn:
        return list(conn.execute(sa.select(audit.c.note).where(
            audit.c.entity == entity, audit.c.record_id == record_id)).scalars())


@pytest.fixture
def deals(make_client, tmp_path: Path) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    crm = make_client(write_bundle(tmp_path / "deals", DEALS, name="deals"))
    return {"crm": crm,
            "boss": person(crm, "boss", roles=("manager",), team="sales"),
            "rep": person(crm, "rep", roles=("rep",), team="sales", manager="boss")}


@pytest.fixture
def companies(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_client(write_bundle(tmp_path / "companies", COMPANIES))


def _make(client: Any, entity: str, **values: Any) -> int:
    response = client.post(f"/api/{entity}", json=values)
    assert response.status_code == 201, response.json
    return int(response.json["id"])


def test_an_approval_decided_in_english_reads_in_chinese_for_a_chinese_reader(deals) -> None:
    crm, rep, boss = deals["crm"], deals["rep"], deals["boss"]
    deal = new_deal(rep, amount="5000")["id"]
    submitted = rep.post(f"/api/deal/{deal}/transitions/submit", headers=EN)
    assert submitted.status_code == 200, submitted.json
    chain = submitted.json["_approval"]["id"]
    approved = boss.post(f"/api/approvals/{chain}/approve", headers=EN,
                         json={"comment": "looks fine 没问题"})
    assert approved.status_code == 200, approved.json

    assert _notes(rep, "deal", deal, ZH)[:3] == [
        ("transition", "商机审批：通过"),
        ("approve", "商机审批，经理审批：looks fine 没问题"),  # the comment as written
        ("submit", "商机审批")]
    assert _notes(rep, "deal", deal, EN)[:3] == [
        ("transition", "Deal approval: approved"),
        ("approve", "Deal approval, Manager: looks fine 没问题"),
        ("submit", "Deal approval")]
    # stored without the words of either language
    assert not any("Deal approval" in (n or "") or "商机审批" in (n or "")
                   for n in _stored_notes(crm, "deal", deal))


def test_a_rejection_and_a_transition_decided_in_chinese_read_in_english(deals) -> None:
    rep, boss = deals["rep"], deals["boss"]
    deal = new_deal(rep, amount="5000")["id"]
    chain = rep.post(f"/api/deal/{deal}/transitions/submit", headers=ZH
                     ).json["_approval"]["id"]
    assert boss.post(f"/api/approvals/{chain}/reject", headers=ZH).status_code == 200
    other = new_deal(rep)["id"]
    lost = fire(rep, other, "lose", values={"lost_reason": "预算"}, comment="可惜")
    assert lost.status_code == 200, lost.json

    assert _notes(rep, "deal", deal, EN)[:2] == [
        ("rejected", "Deal approval: rejected"), ("reject", "Deal approval, Manager")]
    assert _notes(rep, "deal", deal, ZH)[:2] == [
        ("rejected", "商机审批：驳回"), ("reject", "商机审批，经理审批")]
    assert _notes(rep, "deal", other, EN)[0] == ("transition", "Lose: 可惜")
    assert _notes(rep, "deal", other, ZH)[0] == ("transition", "输单：可惜")


def test_a_merge_reads_in_the_readers_language_and_can_still_be_undone(companies) -> None:
    kept = _make(companies, "company", name="星河贸易")
    other = _make(companies, "company", name="星河贸易")
    merged = companies.post("/api/company/merge", json={"keep": kept, "others": [other]})
    assert merged.status_code == 200, merged.json

    assert _notes(companies, "company", other, ZH)[0] == ("delete", f"已合并到公司 #{kept}")
    assert _notes(companies, "company", other, EN)[0] == (
        "delete", f"merged into Company #{kept}")
    assert _notes(companies, "company", kept, ZH)[0] == ("merge", f"已将 #{other} 合并到本记录。")
    assert _notes(companies, "company", kept, EN)[0] == (
        "merge", f"Merged #{other} into this record.")
    assert companies.post(f"/api/company/{other}/unmerge").status_code == 200


def test_a_cascade_and_what_it_restores_read_in_the_readers_language(companies) -> None:
    company = _make(companies, "company", name="星河贸易")
    contact = _make(companies, "contact", name="王经理", company=company)
    assert companies.delete(f"/api/company/{company}").status_code == 204
    assert companies.post(f"/api/company/{company}/restore").status_code == 200

    assert _notes(companies, "contact", contact, ZH) == [
        ("restore", f"随公司 #{company} 一并恢复"), ("delete", f"随公司 #{company} 级联删除"),
        ("create", None)]
    assert _notes(companies, "contact", contact, EN) == [
        ("restore", f"with Company #{company}"), ("delete", f"cascade from Company #{company}"),
        ("create", None)]


def test_old_plain_notes_and_a_transfers_note_read_as_written(companies) -> None:
    company = _make(companies, "company", name="星河贸易")
    platform = companies.application.extensions["metacrm"]
    audit = platform.compiled.tables.audit
    with platform.writing() as conn:  # as rows written before notes were structured
        for text in (f"cascade from company #{company}", '{"key": "note_named"}'):
            conn.execute(audit.insert().values(
                entity="company", record_id=company, action="update", changes={},
                note=text, at=sa.func.now()))
    liu = person(companies, "liu", roles=("reader",))
    moved = companies.post("/api/company/transfer", json={
        "ids": [company], "to": liu.id, "note": "王芳离职交接", "preview": False})
    assert moved.status_code == 200, moved.json

    for language in (EN, ZH):
        notes = [n for _, n in _notes(companies, "company", company, language)[:3]]
        assert notes[0].endswith(f"to liu (user #{liu.id}): 王芳离职交接")
        assert notes[1:] == ['{"key": "note_named"}', f"cascade from company #{company}"]
