"""Optimistic concurrency (ETag / If-Match) and concurrent writers: stale writes are
refused without changing anything, autonumbers stay gap-free under parallel
inserts (docs/api.md, "Concurrency"; docs/definitions.md, "Autonumbers")."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.usefixtures("cached_catalogs")

THREADS = 8


def _customer(crm, **values: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = crm.post("/api/customer", json={"name": "上海星河贸易有限公司", **values})
    assert response.status_code == 201, response.json
    return response.json


def _in_parallel(crm, work: Callable[[Any, int], Any], threads: int = THREADS  # type: ignore[no-untyped-def]
                 ) -> list[Any]:
    """Run ``work(client, index)`` in ``threads`` threads at once, each with its own
    test client of the same app; the results in thread order (exceptions re-raised)."""
    app = crm.application
    barrier = threading.Barrier(threads)
    results: list[Any] = [None] * threads
    failures: list[BaseException] = []

    def run(index: int) -> None:
        client = app.test_client()
        client.environ_base.update(crm.environ_base)  # the same signed-in administrator
        try:
            barrier.wait(timeout=30)
            results[index] = work(client, index)
        except BaseException as exc:  # noqa: BLE001 - reported in the main thread
            failures.append(exc)

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not any(w.is_alive() for w in workers), "a writer hung"
    if failures:
        raise failures[0]
    return results


# --- ETag and If-Match ------------------------------------------------------------


def test_the_etag_is_the_version_on_every_answer(crm) -> None:
    created = crm.post("/api/customer", json={"name": "星河"})
    assert created.headers["ETag"] == '"1"' == f'"{created.json["version"]}"'
    record_id = created.json["id"]
    patched = crm.patch(f"/api/customer/{record_id}", json={"city": "上海"})
    assert patched.headers["ETag"] == '"2"' == f'"{patched.json["version"]}"'
    fetched = crm.get(f"/api/customer/{record_id}")
    assert fetched.headers["ETag"] == '"2"'
    crm.delete(f"/api/customer/{record_id}")
    restored = crm.post(f"/api/customer/{record_id}/restore")
    assert restored.headers["ETag"] == f'"{restored.json["version"]}"' == '"4"'


def test_if_match_with_the_current_version_applies_the_change(crm) -> None:
    customer = _customer(crm)
    response = crm.patch(f"/api/customer/{customer['id']}", json={"grade": "A"},
                         headers={"If-Match": '"1"'})
    assert response.status_code == 200, response.json
    assert response.json["version"] == 2
    assert response.headers["ETag"] == '"2"'
    again = crm.patch(f"/api/customer/{customer['id']}", json={"grade": "B"},
                      headers={"If-Match": response.headers["ETag"]})
    assert again.status_code == 200
    assert again.json["version"] == 3


def test_a_stale_if_match_is_412_and_changes_nothing(crm) -> None:
    customer = _customer(crm, grade="C")
    crm.patch(f"/api/customer/{customer['id']}", json={"city": "上海"})  # now version 2
    before = crm.get(f"/api/customer/{customer['id']}").json
    history_before = crm.get(f"/api/customer/{customer['id']}/history").json["items"]

    response = crm.patch(f"/api/customer/{customer['id']}", json={"grade": "A", "city": "北京"},
                         headers={"If-Match": '"1"'})

    assert response.status_code == 412
    message = response.json["errors"]["_request"][0]
    assert "version 1" in message and "version 2" in message
    after = crm.get(f"/api/customer/{customer['id']}").json
    assert after == before
    assert (after["version"], after["grade"], after["city"]) == (2, "C", "上海")
    assert crm.get(f"/api/customer/{customer['id']}/history").json["items"] == history_before


def test_a_stale_if_match_message_is_translated(crm) -> None:
    customer = _customer(crm)
    crm.patch(f"/api/customer/{customer['id']}", json={"city": "上海"})
    response = crm.patch(f"/api/customer/{customer['id']}", json={"grade": "A"},
                         headers={"If-Match": '"1"', "Accept-Language": "zh"})
    assert response.status_code == 412
    assert "请刷新后重新修改" in response.json["errors"]["_request"][0]


def test_a_future_version_is_stale_too(crm) -> None:
    customer = _customer(crm)
    response = crm.patch(f"/api/customer/{customer['id']}", json={"grade": "A"},
                         headers={"If-Match": '"7"'})
    assert response.status_code == 412
    assert crm.get(f"/api/customer/{customer['id']}").json["version"] == 1


def test_weak_unquoted_and_star_tags_are_accepted(crm, subtests) -> None:
    for tag in ['W/"1"', "1", ' "1" ', "*"]:
        with subtests.test(tag):
            customer = _customer(crm)
            response = crm.patch(f"/api/customer/{customer['id']}", json={"grade": "A"},
                                 headers={"If-Match": tag})
            assert response.status_code == 200, response.json
            assert response.json["version"] == 2


def test_a_weak_stale_tag_is_still_stale(crm) -> None:
    customer = _customer(crm)
    crm.patch(f"/api/customer/{customer['id']}", json={"grade": "A"})
    response = crm.patch(f"/api/customer/{customer['id']}", json={"grade": "B"},
                         headers={"If-Match": 'W/"1"'})
    assert response.status_code == 412


def test_a_malformed_if_match_is_400(crm, subtests) -> None:
    customer = _customer(crm)
    for tag in ['"abc"', "abc", '""', '"1.5"', "W/", "'1'", '"1", "2"']:
        for method in ("patch", "delete"):
            with subtests.test(f"{method} {tag}"):
                response = getattr(crm, method)(
                    f"/api/customer/{customer['id']}",
                    json={"grade": "A"} if method == "patch" else None,
                    headers={"If-Match": tag})
                assert response.status_code == 400
                assert list(response.json["errors"]) == ["If-Match"]
    assert crm.get(f"/api/customer/{customer['id']}").json["version"] == 1


def test_delete_honours_if_match(crm) -> None:
    customer = _customer(crm)
    crm.patch(f"/api/customer/{customer['id']}", json={"grade": "A"})
    stale = crm.delete(f"/api/customer/{customer['id']}", headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert crm.get(f"/api/customer/{customer['id']}").status_code == 200
    assert crm.get("/api/customer/deleted").json["items"] == []
    current = crm.delete(f"/api/customer/{customer['id']}", headers={"If-Match": '"2"'})
    assert current.status_code == 204
    assert crm.get(f"/api/customer/{customer['id']}").status_code == 404


def test_without_if_match_the_last_writer_wins(crm) -> None:
    customer = _customer(crm)
    crm.patch(f"/api/customer/{customer['id']}", json={"grade": "A"})
    response = crm.patch(f"/api/customer/{customer['id']}", json={"grade": "B"})
    assert response.status_code == 200
    assert (response.json["grade"], response.json["version"]) == ("B", 3)


# --- concurrent writers -------------------------------------------------------------


def test_concurrent_creates_get_gap_free_unique_autonumbers(crm) -> None:
    per_thread = 4

    def create(client, index: int) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
        made = []
        for n in range(per_thread):
            response = client.post("/api/customer", json={"name": f"客户 {index}-{n}"})
            assert response.status_code == 201, response.json
            made.append((response.json["id"], response.json["code"]))
        return made

    made = [pair for result in _in_parallel(crm, create) for pair in result]
    total = THREADS * per_thread
    codes = sorted(code for _, code in made)
    assert codes == [f"CUS-{n:06d}" for n in range(1, total + 1)]
    assert len({record_id for record_id, _ in made}) == total
    listed = crm.get("/api/customer?limit=500&fields=code").json["items"]
    assert sorted(item["code"] for item in listed) == codes


def test_concurrent_bulk_and_single_creates_share_one_counter(crm) -> None:
    def create(client, index: int) -> list[str]:  # type: ignore[no-untyped-def]
        if index % 2:
            response = client.post("/api/customer/bulk", json={"items": [
                {"name": f"批量 {index}-{n}"} for n in range(3)]})
            assert response.status_code == 201, response.json
            return [item["code"] for item in response.json["items"]]
        response = client.post("/api/customer", json={"name": f"单个 {index}"})
        assert response.status_code == 201, response.json
        return [response.json["code"]]

    results = _in_parallel(crm, create)
    codes = sorted(code for result in results for code in result)
    assert codes == [f"CUS-{n:06d}" for n in range(1, len(codes) + 1)]
    for result in results:  # a bulk's numbers are consecutive
        numbers = [int(code[4:]) for code in result]
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def test_failed_creates_among_concurrent_ones_leave_no_gap(crm) -> None:
    def create(client, index: int) -> int:  # type: ignore[no-untyped-def]
        body = {"name": f"客户 {index}"}
        if index % 3 == 0:
            body["lifecycle"] = "customer"  # breaks the phone rule: refused
        return client.post("/api/customer", json=body).status_code

    statuses = _in_parallel(crm, create)
    created = statuses.count(201)
    assert Counter(statuses) == {201: created, 422: THREADS - created}
    codes = sorted(i["code"] for i in crm.get("/api/customer?limit=500").json["items"])
    assert codes == [f"CUS-{n:06d}" for n in range(1, created + 1)]


def test_concurrent_patches_with_the_same_if_match_let_exactly_one_win(crm) -> None:
    customer = _customer(crm)

    def patch(client, index: int) -> tuple[int, str]:  # type: ignore[no-untyped-def]
        response = client.patch(f"/api/customer/{customer['id']}",
                                json={"city": f"城市{index}"}, headers={"If-Match": '"1"'})
        return response.status_code, f"城市{index}"

    results = _in_parallel(crm, patch)
    statuses = Counter(status for status, _ in results)
    assert statuses == {200: 1, 412: THREADS - 1}
    winner = next(city for status, city in results if status == 200)
    record = crm.get(f"/api/customer/{customer['id']}").json
    assert (record["city"], record["version"]) == (winner, 2)
    updates = [h for h in crm.get(f"/api/customer/{customer['id']}/history").json["items"]
               if h["action"] == "update"]
    assert len(updates) == 1 and updates[0]["changes"] == {"city": [None, winner]}


def test_concurrent_patches_without_if_match_all_count(crm) -> None:
    customer = _customer(crm)

    def patch(client, index: int) -> int:  # type: ignore[no-untyped-def]
        return client.patch(f"/api/customer/{customer['id']}",
                            json={"city": f"城市{index}"}).status_code

    assert _in_parallel(crm, patch) == [200] * THREADS
    record = crm.get(f"/api/customer/{customer['id']}").json
    assert record["version"] == 1 + THREADS  # no update was lost
    history = crm.get(f"/api/customer/{customer['id']}/history").json["items"]
    assert [h["action"] for h in history] == ["update"] * THREADS + ["create"]


def test_concurrent_deletes_with_the_same_if_match_delete_once(crm) -> None:
    customer = _customer(crm)

    def delete(client, index: int) -> int:  # type: ignore[no-untyped-def]
        return client.delete(f"/api/customer/{customer['id']}",
                             headers={"If-Match": '"1"'}).status_code

    statuses = Counter(_in_parallel(crm, delete))
    assert statuses[204] == 1
    assert set(statuses) <= {204, 404, 412}
    history = crm.get(f"/api/customer/{customer['id']}/history").json["items"]
    assert [h["action"] for h in history] == ["delete", "create"]
