"""A lead sent again with the same external id (a retried POST, a feed read twice) is
not created twice: the answer names the record made the first time."""

from __future__ import annotations

import threading

from metacrm.intake.receive import receive_lead, source_context

from .conftest import post_lead, records, source_token


def test_a_retried_post_answers_with_the_first_record(intake_client) -> None:
    token = source_token(intake_client, "web_form")
    lead = {"form_id": "F-1001", "company": "星河贸易", "tel": "13800138000"}
    first = post_lead(intake_client, token, lead)
    assert first.status_code == 201 and first.json["result"] == "created"
    again = post_lead(intake_client, token, lead)
    assert again.status_code == 200
    assert again.json == {"result": "existing", "id": first.json["id"], "external_id": "F-1001"}
    assert len(records(intake_client)) == 1


def test_ids_are_per_source_and_a_batch_repeating_one_stores_it_once(intake_client) -> None:
    token = source_token(intake_client, "web_form")
    answer = post_lead(intake_client, token, {"leads": [
        {"form_id": 7, "company": "A"}, {"form_id": "7", "company": "A again"},
        {"company": "no id"}, {"company": "no id"}]})
    assert answer.status_code == 201
    assert [r["result"] for r in answer.json["results"]] == [
        "created", "existing", "created", "created"]  # without an id, nothing to match
    assert answer.json["results"][1]["id"] == answer.json["results"][0]["id"]
    assert [r["name"] for r in records(intake_client)] == ["A", "no id", "no id"]


def test_a_bad_external_id_is_refused(intake_client) -> None:
    token = source_token(intake_client, "web_form")
    answer = post_lead(intake_client, token, {"form_id": {"x": 1}, "company": "A"})
    assert answer.status_code == 422 and "form_id" in answer.json["errors"]


def test_two_deliveries_racing_store_one_record(intake_client) -> None:
    platform = intake_client.application.extensions["metacrm"]
    compiled = platform.compiled
    source = compiled.catalog.intakes["web_form"]
    outcomes = []
    start = threading.Barrier(2)

    def deliver() -> None:
        start.wait()
        outcomes.append(receive_lead(platform.writing, compiled, source, 0,
                                     {"form_id": "race", "company": "R"}, source_context(None)))

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o.result for o in outcomes) == ["created", "existing"]
    assert len({o.id for o in outcomes}) == 1
    assert len(records(intake_client)) == 1
