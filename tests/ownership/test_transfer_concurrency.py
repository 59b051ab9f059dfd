"""A transfer and edits of the same records at once: they take turns on the rows,
and neither the new owner nor the edit is lost; versions count both."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from ..api.conftest import cached_catalogs  # noqa: F401  (a fixture, used by name)
from ..conftest import token_for
from .sales import audit_trail, record, sales_org

pytestmark = pytest.mark.usefixtures("cached_catalogs")

CUSTOMERS = 6


def _at_once(crm: Any, jobs: list[Callable[[Any], Any]]) -> list[Any]:
    """Run each job in its own thread with its own test client, all released together."""
    app = crm.application
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)
    failures: list[BaseException] = []

    def run(index: int) -> None:
        client = app.test_client()
        client.environ_base.update(crm.environ_base)
        try:
            barrier.wait(timeout=30)
            results[index] = jobs[index](client)
        except BaseException as exc:  # noqa: BLE001 - reported in the main thread
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a request hung"
    if failures:
        raise failures[0]
    return results


def _customers(crm: Any, owner: int) -> list[int]:
    items = [{"name": f"并发客户 {i}", "owner": owner} for i in range(CUSTOMERS)]
    response = crm.post("/api/customer/bulk", json={"items": items})
    assert response.status_code == 201, response.json
    return [item["id"] for item in response.json["items"]]


def test_a_transfer_and_edits_of_its_records_both_land(crm) -> None:
    org = sales_org(crm)
    ids = _customers(crm, org["wang"].id)
    director = {"Authorization": f"Bearer {token_for(crm.application, 'director')}"}
    liu = org["liu"].id

    def move(client: Any) -> Any:
        return client.post("/api/customer/transfer", headers=director,
                           json={"ids": ids, "to": liu, "preview": False})

    def edit(record_id: int) -> Callable[[Any], Any]:
        return lambda client: client.patch(f"/api/customer/{record_id}",
                                           json={"city": "上海"})

    results = _at_once(crm, [move, *[edit(i) for i in ids]])
    assert [r.status_code for r in results] == [200] * (1 + CUSTOMERS), [
        r.json for r in results]
    for record_id in ids:
        current = record(crm, "customer", record_id)
        assert (current["owner"], current["city"], current["version"]) == (liu, "上海", 3)
    assert len(audit_trail(crm, "transfer")) == CUSTOMERS
    assert len(audit_trail(crm, "update")) == CUSTOMERS


def test_an_edit_made_against_the_old_version_is_refused_not_lost(crm) -> None:
    org = sales_org(crm)
    ids = _customers(crm, org["wang"].id)
    director = {"Authorization": f"Bearer {token_for(crm.application, 'director')}"}
    liu = org["liu"].id

    def move(client: Any) -> Any:
        return client.post("/api/customer/transfer", headers=director,
                           json={"ids": ids, "to": liu, "preview": False})

    def edit(record_id: int) -> Callable[[Any], Any]:
        return lambda client: client.patch(f"/api/customer/{record_id}",
                                           json={"city": "杭州"}, headers={"If-Match": '"1"'})

    results = _at_once(crm, [move, *[edit(i) for i in ids]])
    assert results[0].status_code == 200
    for record_id, edited in zip(ids, results[1:], strict=True):
        current = record(crm, "customer", record_id)
        assert current["owner"] == liu
        if edited.status_code == 200:  # the edit went first; the transfer came after
            assert (current["city"], current["version"]) == ("杭州", 3)
        else:  # the transfer went first: the edit was based on a version now gone
            assert edited.status_code == 412
            assert (current["city"], current["version"]) == (None, 2)
