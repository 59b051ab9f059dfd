"""The OpenAPI document describes the intake endpoint with each source's lead: its
keys, its external id, what it is stored with, and the source's token as security."""

from __future__ import annotations


def test_each_source_has_its_lead_schema(intake_client) -> None:
    doc = intake_client.get("/api/openapi.json").json
    post = doc["paths"]["/api/intake/{name}"]["post"]
    assert post["security"] == [{"bearerToken": []}]
    assert {"200", "201", "207", "401", "413", "422", "429"} <= set(post["responses"])
    name = next(p for p in doc["paths"]["/api/intake/{name}"]["parameters"]
                if p.get("name") == "name")
    assert name["schema"]["enum"] == ["fair_scans", "web_form"]
    lead = doc["components"]["schemas"]["IntakeLead_web_form"]
    assert lead["additionalProperties"] is False
    assert list(lead["properties"]) == ["company", "tel", "mail", "area", "message", "form_id"]
    assert lead["properties"]["area"]["description"] == "Stored as `prospect.region`."
    assert "`origin` = `web`" in lead["description"]
