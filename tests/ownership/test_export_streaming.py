"""Export streams: the body is written batch by batch as the client reads it, each
batch one keyset query, and all batches read one snapshot, so records changed
meanwhile are neither skipped nor repeated."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ..api.conftest import cached_catalogs  # noqa: F401  (a fixture, used by name)
from .sales import csv_rows

pytestmark = pytest.mark.usefixtures("cached_catalogs")


def _customers(crm: Any, count: int) -> list[int]:
    ids: list[int] = []
    for start in range(0, count, 1000):  # a bulk create takes 1000 at most
        items = [{"name": f"客户 {i:04d}", "employees": i}
                 for i in range(start, min(count, start + 1000))]
        response = crm.post("/api/customer/bulk", json={"items": items})
        assert response.status_code == 201, response.json
        ids += [item["id"] for item in response.json["items"]]
    return ids


@pytest.fixture
def batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every batch the export reads, as it reads them."""
    from metacrm.web import export_api

    sizes: list[int] = []
    read = export_api.export_batches

    def spy(*args: Any, **kwargs: Any) -> Any:
        for batch in read(*args, **kwargs):
            sizes.append(len(batch))
            yield batch

    monkeypatch.setattr(export_api, "export_batches", spy)
    return sizes


def test_more_records_than_one_batch_come_out_once_each_in_order(crm, batches) -> None:
    ids = _customers(crm, 501)  # the batch is 500
    found = csv_rows(crm.get("/api/customer/export?sort=employees&fields=id,employees"))
    assert [int(r["id"]) for r in found] == ids
    assert batches == [500, 1]


def test_the_body_is_read_only_as_the_client_takes_it(crm, batches,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from metacrm.runtime import export

    monkeypatch.setattr(export, "BATCH", 7)
    ids = _customers(crm, 20)
    response = crm.get("/api/customer/export?format=json&sort=id", buffered=False)
    # the server has produced at most the first piece (the test client asks for it)
    assert response.is_streamed and batches in ([], [7])
    lines = response.get_data().decode().splitlines()
    assert [json.loads(line)["id"] for line in lines] == ids
    assert batches == [7, 7, 6]


def test_changes_during_an_export_do_not_skip_or_repeat_records(crm, batches,
                                                                 monkeypatch: pytest.MonkeyPatch
                                                                 ) -> None:
    from metacrm.runtime import export

    monkeypatch.setattr(export, "BATCH", 2)
    ids = _customers(crm, 6)
    # newest change first: editing a record not yet written moves it before the cursor
    response = crm.get("/api/customer/export?format=json&sort=-updated_at,id", buffered=False)
    chunks = iter(response.response)
    first = [json.loads(line)["id"] for line in next(chunks).decode().splitlines()]
    assert len(first) == 2
    waiting = [i for i in ids if i not in first]
    assert crm.patch(f"/api/customer/{waiting[-1]}", json={"city": "上海"}).status_code == 200
    assert crm.delete(f"/api/customer/{waiting[0]}").status_code == 204
    rest = [json.loads(line)["id"] for chunk in chunks for line in chunk.decode().splitlines()]
    response.close()
    # as the database was when the export began: the edited record once, the deleted
    # one still there
    assert sorted(first + rest) == sorted(ids)
