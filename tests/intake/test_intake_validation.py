"""A lead the entity refuses is a 422 naming the sender's own key; in a batch each lead
is answered on its own (207 when some are stored), keyed ``leads[i].<key>``; bodies are
bounded."""

from __future__ import annotations

from .conftest import post_lead, records, source_token


def test_a_bad_lead_is_422_with_the_senders_key(intake_client) -> None:
    token = source_token(intake_client, "web_form")
    answer = post_lead(intake_client, token, {"company": "A", "area": "west"})
    assert answer.status_code == 422
    assert answer.json["result"] == "invalid"
    assert list(answer.json["errors"]) == ["area"]  # the field is `region`; the sender says area
    assert "north, south" in answer.json["errors"]["area"][0]
    missing = post_lead(intake_client, token, {"tel": "13800138000"})
    assert missing.status_code == 422 and "company" in missing.json["errors"]
    assert records(intake_client) == []


def test_an_unknown_key_is_refused_with_a_hint(intake_client) -> None:
    token = source_token(intake_client, "web_form")
    answer = post_lead(intake_client, token, {"emial": "a@example.com", "area": "west"})
    assert answer.status_code == 422
    text = answer.json["errors"]["emial"][0]
    assert "did you mean 'mail'" in text and "company, tel, mail, area, message" in text
    # every mistake of the lead at once, not only the first
    assert set(answer.json["errors"]) == {"emial", "area", "company"}


def test_chinese_messages_for_a_chinese_sender(intake_client) -> None:
    token = source_token(intake_client, "web_form")
    answer = post_lead(intake_client, token, {"company": "A", "junk": 1},
                       **{"Accept-Language": "zh-CN"})
    assert answer.status_code == 422 and "未知字段" in answer.json["errors"]["junk"][0]


def test_a_batch_answers_each_lead(intake_client) -> None:
    token = source_token(intake_client, "web_form")
    answer = post_lead(intake_client, token, {"leads": [
        {"company": "North Co", "area": "north"}, {"company": "Bad", "mail": "not-mail"},
        "not an object"]})
    assert answer.status_code == 207
    results = answer.json["results"]
    assert [r["result"] for r in results] == ["created", "invalid", "invalid"]
    assert set(answer.json["errors"]) == {"leads[1].mail", "leads[2]._lead"}
    assert [r["name"] for r in records(intake_client)] == ["North Co"]
    assert results[0]["id"] == records(intake_client)[0]["id"]


def test_batches_and_bodies_are_bounded(intake_client) -> None:
    token = source_token(intake_client, "web_form")
    too_many = post_lead(intake_client, token, {"leads": [{"company": str(i)} for i in range(6)]})
    assert too_many.status_code == 422 and "1 to 5 leads" in too_many.json["errors"]["leads"][0]
    empty = post_lead(intake_client, token, {"leads": []})
    assert empty.status_code == 422
    huge = post_lead(intake_client, token, {"company": "A", "message": "x" * 70_000})
    assert huge.status_code == 413 and "bytes" in huge.json["errors"]["_request"][0]
    assert records(intake_client) == []
