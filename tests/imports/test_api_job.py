"""``POST /api/<entity>/imports`` starts an import as a job (in-process without
Redis) and answers its id; ``GET`` shows its progress and results, the failed rows
download as CSV, and ``revert`` undoes it."""

from __future__ import annotations

import io
import json
import time
from typing import Any

from .conftest import Importer, records

CSV = "公司名称,电话,员工人数\n甲,010-6255 0000,1\n乙,010-6255 0001,很多\n丙,010-6255 0002,3\n"


def _wait(crm: Any, who: Importer, url: str) -> dict[str, Any]:
    for _ in range(200):
        found = crm.get(url, headers=who.headers).json
        if found["status"] not in ("queued", "running"):
            return found
        time.sleep(0.05)
    raise AssertionError(found)


def test_upload_run_poll_download_revert(crm) -> None:
    who = Importer(crm)
    response = crm.post("/api/customer/imports", headers=who.headers, data={
        "file": (io.BytesIO(CSV.encode("gbk")), "客户.csv"), "mode": "upsert",
        "match": "phone", "mapping": json.dumps({"defaults": {"grade": "b"}})},
        content_type="multipart/form-data")
    assert response.status_code == 202, response.json
    started = response.json
    assert started["mapping"]["columns"] == {"公司名称": "name", "电话": "phone",
                                             "员工人数": "employees"}
    url = response.headers["Location"]

    done = _wait(crm, who, url)

    assert done["status"] == "done", done
    assert done["counts"] == {"created": 2, "updated": 0, "skipped": 0, "failed": 1}
    assert done["total_rows"] == 3 and done["progress"] == 1.0
    assert [(f["row"], list(f["errors"])) for f in done["failed_rows"]] == [(3, ["employees"])]
    assert [(r["name"], r["grade"]) for r in records(crm)] == [("甲", "b"), ("丙", "b")]

    rows = crm.get(f"{url}/rows?action=created", headers=who.headers).json["items"]
    assert [r["row"] for r in rows] == [2, 4]
    failed = crm.get(f"{url}/failed.csv", headers=who.headers)
    assert failed.status_code == 200
    assert failed.data.decode("utf-8-sig").splitlines()[0] == "公司名称,电话,员工人数,import errors"

    # Someone else does not see it.
    other = Importer(crm, "other")
    assert crm.get(url, headers=other.headers).status_code == 404

    reverted = crm.post(f"{url}/revert", headers=who.headers)
    assert reverted.status_code == 200, reverted.json
    assert reverted.json == {"reverted": 2, "refused": []}
    assert records(crm) == []
    assert crm.get(url, headers=who.headers).json["status"] == "reverted"


def test_bad_requests_say_what_is_wrong(crm) -> None:
    who = Importer(crm)
    missing = crm.post("/api/customer/imports", headers=who.headers, data={},
                       content_type="multipart/form-data")
    assert missing.status_code == 422
    assert "file" in missing.json["errors"]
    bad = crm.post("/api/customer/imports", headers=who.headers, data={
        "file": (io.BytesIO(b"name\nx\n"), "c.csv"), "mode": "merge", "match": "nmae"},
        content_type="multipart/form-data")
    assert bad.status_code == 422
    assert bad.json["errors"] == {"mode": ["'merge' is not one of create, update, upsert"]}
    assert crm.post("/api/nothing/imports", headers=who.headers, data={},
                    content_type="multipart/form-data").status_code == 404
