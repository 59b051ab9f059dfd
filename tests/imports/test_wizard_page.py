"""The import wizard: upload, map (suggestions preselected), dry run, run, results
with the failed rows and a revert button; in English and Chinese."""

from __future__ import annotations

import io
import re
import time

from .conftest import records

CSV = "公司名称,电话,员工人数,备注\n甲,010-6255 0000,1,x\n乙,010-6255 0001,很多,y\n"


def test_upload_map_dry_run_then_import(crm) -> None:
    page = crm.get("/customer/import")
    assert page.status_code == 200
    assert 'type="file"' in page.text
    assert "/customer/import" in crm.get("/customer").text  # linked from the list

    mapped = crm.post("/customer/import", data={
        "file": (io.BytesIO(CSV.encode("gbk")), "客户.csv"), "mode": "create"},
        content_type="multipart/form-data")
    assert mapped.status_code == 200, mapped.text
    html = mapped.text
    assert re.search(r'<option value="name" selected>', html)
    assert re.search(r'<option value="employees" selected>', html)
    token = re.search(r'name="file" value="([^"]+)"', html).group(1)
    form = {"file": token, "mode": "create", "match": "", "column": ["公司名称", "电话",
                                                                      "员工人数", "备注"],
            "field-0": "name", "field-1": "phone", "field-2": "employees", "field-3": "",
            "default-grade": "a", "dry_run": "true"}

    dry = crm.post("/customer/import/start", data=form)
    assert dry.status_code == 303
    status = _finished(crm, dry.headers["Location"])
    assert "Dry run: nothing is written." in status
    assert "1 created" in status and "1 failed" in status
    assert "employees: &#39;很多&#39;" in status
    assert records(crm) == []

    real = crm.post("/customer/import/start", data={**form, "dry_run": "false"})
    status = _finished(crm, real.headers["Location"])
    assert "Revert this import" in status
    assert "failed.csv" in status
    assert [(r["name"], r["grade"]) for r in records(crm)] == [("甲", "a")]

    zh = crm.get(real.headers["Location"] + "?lang=zh", headers={"Accept-Language": "zh"})
    assert "撤销本次导入" in zh.text


def test_a_bad_file_is_refused_on_the_first_step(crm) -> None:
    bad = crm.post("/customer/import", data={"file": (io.BytesIO(b""), "x.csv")},
                   content_type="multipart/form-data")
    assert bad.status_code == 422
    assert "the file is empty" in bad.text


def _finished(crm, url: str) -> str:  # type: ignore[no-untyped-def]
    for _ in range(200):
        html = crm.get(url).text
        if 'hx-trigger="every 1s"' not in html:
            return html
        time.sleep(0.05)
    raise AssertionError(html)
