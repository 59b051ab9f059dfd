"""A batch's rows are checked and written together, and each still ends as if the
rows had been written one by one: a twin earlier in the same batch is found (its
record named once it is written), a row the write refuses is nobody's twin, and a
unique value taken mid-batch fails that row alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Importer, records, write_csv

HEADER = ["公司名称", "电话", "统一社会信用代码", "客户类型"]


def test_a_twin_earlier_in_the_batch_is_named_by_its_record(make_client, tmp_path: Path
                                                            ) -> None:  # type: ignore[no-untyped-def]
    importer = Importer(make_client(), None)
    job = importer.run(write_csv(tmp_path / "c.csv", [
        HEADER,
        ["上海星河贸易有限公司", "021-55501234", "91110000802100433B", ""],
        ["星河贸易（上海）有限公司", "021 5550 1234", "", ""],
        ["北京星河贸易有限公司", "", "91110000802100433B", ""],
        ["深圳远航科技有限公司", "", "", ""]]))

    log = importer.log(job["id"])
    assert [(r["row"], r["action"]) for r in log] == [
        (2, "created"), (3, "created"), (4, "failed"), (5, "created")]
    first = log[0]["record_id"]
    assert log[0]["errors"] is None and log[3]["errors"] is None
    warned = log[1]["errors"]["_duplicates"]
    assert {(d["rule"], d["id"], d["title"]) for d in warned} == {
        ("same_phone", first, "上海星河贸易有限公司"),
        ("similar_name", first, "上海星河贸易有限公司")}
    assert list(log[2]["errors"]) == ["credit_code"]
    assert job["counts"] == {"created": 3, "updated": 0, "skipped": 0, "failed": 1}


def test_a_row_the_write_refuses_is_no_twin(make_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    importer = Importer(make_client(), None)
    job = importer.run(write_csv(tmp_path / "c.csv", [
        HEADER,
        # a signed customer needs a phone: refused by the entity's rule, not written
        ["上海星河贸易有限公司", "", "91110000802100433B", "customer"],
        ["北京远航科技有限公司", "", "91110000802100433B", ""]]))

    log = importer.log(job["id"])
    assert [(r["row"], r["action"]) for r in log] == [(2, "failed"), (3, "created")]
    assert list(log[0]["errors"]) == ["phone"]
    assert log[1]["errors"] is None


@pytest.mark.parametrize("batch_size", [1, 500])
def test_a_unique_value_taken_mid_batch_fails_that_row_alone(crm, tmp_path: Path,
                                                             batch_size: int) -> None:  # type: ignore[no-untyped-def]
    importer = Importer(crm, None)
    job = importer.run(write_csv(tmp_path / "c.csv", [
        ["code", "name"], ["C-100", "远航科技"], ["C-001", "重名公司"], ["C-101", "星河"],
        ["C-101", "星河二号"]]), entity="company", batch_size=batch_size)

    log = importer.log(job["id"])
    assert [(r["row"], r["action"]) for r in log] == [
        (2, "created"), (3, "failed"), (4, "created"), (5, "failed")]
    assert list(log[1]["errors"]) == ["code"] and list(log[3]["errors"]) == ["code"]
    assert [r["code"] for r in records(crm, "company")] == ["C-001", "C-002", "C-100",
                                                            "C-101"]


def test_references_of_a_batch_by_code_name_or_id(importer, crm, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    job = importer.run(write_csv(tmp_path / "c.csv", [
        ["name", "company", "partners"],
        ["甲", "C-001", "星河贸易;C-001"], ["乙", "华为技术有限公司", ""],
        ["丙", "#2", "C-002"], ["丁", "没有这家", ""], ["戊", "星河贸易", "没有这家"]]))

    log = importer.log(job["id"])
    assert [(r["row"], r["action"]) for r in log] == [
        (2, "created"), (3, "created"), (4, "created"), (5, "failed"), (6, "failed")]
    assert log[3]["errors"] == {"company": [
        "no company with code or name '没有这家' that you may read"]}
    assert list(log[4]["errors"]) == ["partners"]
    assert [(r["name"], r["company"]) for r in records(crm)] == [("甲", 1), ("乙", 1),
                                                                ("丙", 2)]


def test_a_row_like_a_record_there_is_is_found_by_exact_rules(make_client, tmp_path: Path
                                                              ) -> None:  # type: ignore[no-untyped-def]
    crm = make_client()
    there = crm.post("/api/customer", json={"name": "上海星河贸易有限公司",
                                            "phone": "021-55501234",
                                            "credit_code": "91110000802100433B"}).json
    importer = Importer(crm, None)
    job = importer.run(write_csv(tmp_path / "c.csv", [
        HEADER,
        ["深圳远航科技有限公司", "021 5550 1234", "", ""],
        ["北京远航科技有限公司", "", "9111 0000 8021 0043 3b", ""]]))

    log = importer.log(job["id"])
    assert [(r["row"], r["action"]) for r in log] == [(2, "created"), (3, "failed")]
    assert [(d["rule"], d["id"]) for d in log[0]["errors"]["_duplicates"]] == [
        ("same_phone", there["id"])]
    assert list(log[1]["errors"]) == ["credit_code"]
