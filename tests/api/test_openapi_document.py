"""The OpenAPI 3.1 document: valid, complete, and strict where a client relies on it."""

from __future__ import annotations

import copy
import json
import re
import textwrap
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from metacrm.catalog_loader import load_catalog
from metacrm.definitions import Catalog
from metacrm.web.openapi import build_openapi

from .openapi_checks import (
    declared_answer,
    is_valid,
    request_validator,
    schema_of,
    schema_validator,
)

REPO = Path(__file__).resolve().parents[2]
ENTITY_PATHS = {
    "/api/{e}": {"get": "list_{e}", "post": "create_{e}"},
    "/api/{e}/bulk": {"post": "bulk_create_{e}"},
    "/api/{e}/deleted": {"get": "list_deleted_{e}"},
    "/api/{e}/{{id}}": {"get": "get_{e}", "patch": "update_{e}", "delete": "delete_{e}"},
    "/api/{e}/{{id}}/restore": {"post": "restore_{e}"},
    "/api/{e}/{{id}}/history": {"get": "history_{e}"},
}
EXPORT_PATHS = {"/api/{e}/export": {"get": "export_{e}"}}
IMPORT_PATHS = {"/api/{e}/imports": {"post": "import_{e}"},
                "/api/{e}/imports/{{id}}": {"get": "get_import_{e}"},
                "/api/{e}/imports/{{id}}/rows": {"get": "import_rows_{e}"},
                "/api/{e}/imports/{{id}}/failed.csv": {"get": "import_failed_rows_{e}"},
                "/api/{e}/imports/{{id}}/revert": {"post": "revert_import_{e}"},
                "/api/{e}/imports/{{id}}/resume": {"post": "resume_import_{e}"}}
VIEW_PATHS = {"/api/{e}/views": {"get": "list_views_{e}", "post": "save_view_{e}"},
              "/api/{e}/views/{{id}}": {"delete": "delete_view_{e}"}}
POOL_PATHS = {  # only for an entity with a pool
    "/api/{e}/pool": {"get": "list_pool_{e}"},
    "/api/{e}/{{id}}/claim": {"post": "claim_{e}"},
    "/api/{e}/{{id}}/release": {"post": "release_{e}"},
}
TRANSFER_PATHS = {"/api/{e}/transfer": {"post": "transfer_{e}"}}  # only with an owner field
DUPLICATE_PATHS = {  # every entity (docs/cleaning-and-duplicates.md)
    "/api/{e}/duplicates": {"get": "list_duplicates_{e}"},
    "/api/{e}/merge": {"post": "merge_{e}"},
    "/api/{e}/{{id}}/unmerge": {"post": "unmerge_{e}"}}
FLOW_PATHS = {  # only for an entity with a workflow
    "/api/{e}/{{id}}/transitions/{{name}}": {"post": "fire_transition_{e}"}}
OWN_APPROVAL_PATHS = {  # only for an entity with a chain no transition starts
    "/api/{e}/{{id}}/approvals": {"post": "submit_approval_{e}"}}
PLATFORM_PATHS = {
    "/api/meta/entities": {"get": "meta_list_entities"},
    "/api/meta/entities/{name}": {"get": "meta_get_entity"},
    "/api/meta/optionsets/{name}": {"get": "meta_get_optionset"},
    "/api/meta/customizations": {"get": "meta_list_customizations",
                                 "post": "meta_create_customization"},
    "/api/meta/customizations/{id}": {"delete": "meta_remove_customization"},
    "/api/meta/customizations/{id}/restore": {"post": "meta_restore_customization"},
    "/api/meta/forms": {"get": "designer_list_layouts"},
    "/api/meta/forms/{form}": {"get": "designer_get_layout", "put": "designer_save_layout"},
    "/api/meta/forms/{form}/versions": {"get": "designer_list_versions"},
    "/api/meta/forms/{form}/versions/{id}": {"get": "designer_get_version"},
    "/api/meta/forms/{form}/versions/{id}/revert": {"post": "designer_revert_layout"},
    "/api/meta/forms/conditions": {"post": "designer_check_condition"},
    "/api/meta/reports": {"get": "builder_list", "post": "builder_create_report"},
    "/api/meta/reports/preview": {"post": "builder_preview_report"},
    "/api/meta/reports/{name}": {"get": "builder_get_report", "put": "builder_save_report"},
    "/api/meta/reports/{name}/versions": {"get": "builder_list_versions"},
    "/api/meta/reports/{name}/versions/{id}/revert": {"post": "builder_revert_report"},
    "/api/openapi.json": {"get": "meta_get_openapi"},
    "/api/users": {"get": "list_users", "post": "create_user"},
    "/api/users/me": {"get": "get_current_user"},
    "/api/users/{id}": {"get": "get_user", "patch": "update_user"},
    "/api/teams": {"get": "list_teams", "post": "create_team"},
    "/api/teams/{id}": {"get": "get_team", "patch": "update_team", "delete": "delete_team"},
    "/api/roles": {"get": "list_roles"},
    "/api/tokens": {"get": "list_tokens", "post": "create_token"},
    "/api/tokens/{id}": {"delete": "revoke_token"},
    "/api/auth/login": {"post": "login"},
    "/api/auth/logout": {"post": "logout"},
    "/api/security/events": {"get": "list_security_events"},
}
APPROVAL_PATHS = {
    "/api/approvals": {"get": "list_approvals"},
    "/api/approvals/{id}": {"get": "get_approval"},
    "/api/approvals/{id}/approve": {"post": "approve_approval"},
    "/api/approvals/{id}/reject": {"post": "reject_approval"},
    "/api/approvals/{id}/withdraw": {"post": "withdraw_approval"},
    "/api/approvals/{id}/comment": {"post": "comment_approval"},
    "/api/approvals/{id}/delegate": {"post": "delegate_approval"},
    "/api/approvals/delegations": {"get": "list_delegations", "post": "create_delegation"},
    "/api/approvals/delegations/{id}": {"delete": "revoke_delegation"},
    "/api/notifications": {"get": "list_notifications"},
    "/api/notifications/{id}/read": {"post": "read_notification"},
    "/api/notifications/read": {"post": "read_notifications"},
}
REPORT_PATHS = {
    "/api/reports": {"get": "list_reports"},
    "/api/reports/{name}": {"get": "run_report"},
    "/api/reports/{name}/export": {"get": "export_report"},
    "/api/report-subscriptions": {"get": "list_report_subscriptions"},
    "/api/reports/{name}/subscription": {"get": "get_report_subscription",
                                         "put": "subscribe_report",
                                         "delete": "unsubscribe_report"},
}
INTAKE_PATHS = {"/api/intake/{name}": {"post": "intake_leads"}}
DASHBOARD_PATHS = {
    "/api/dashboards": {"get": "list_dashboards"},
    "/api/dashboards/{name}": {"get": "get_dashboard"},
    "/api/dashboards/{name}/widgets/{index}": {"get": "get_dashboard_widget"},
    "/api/dashboards/pins": {"get": "list_dashboard_pins", "post": "pin_to_dashboard"},
    "/api/dashboards/pins/{id}": {"delete": "unpin_from_dashboard"},
    "/api/dashboards/pins/{id}/widget": {"get": "get_pinned_widget"},
}
# Every action the engine writes into a record's history (runtime/writes.py, recycle.py,
# pool.py, pool_returns.py, transfer.py, transitions.py, approvals.py).
HISTORY_ACTIONS = ["create", "update", "delete", "restore", "merge", "claim", "release", "return",
                   "transfer", "transition", "submit", "approve", "reject", "approved",
                   "rejected", "withdraw"]
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
UNSAFE = ("post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog([REPO])


@pytest.fixture(scope="module")
def doc(catalog: Catalog) -> dict:
    return build_openapi(catalog)


@pytest.fixture(scope="module")
def doc_zh(catalog: Catalog) -> dict:
    return build_openapi(catalog, lang="zh", server_url="https://crm.example.com")


def own_approvals(catalog: Catalog, entity: str) -> list[str]:
    """The entity's approval chains that no transition starts."""
    workflow = catalog.workflow_of(entity)
    started = {t.approval for t in workflow.transitions} if workflow else set()
    return [a.name for a in catalog.approvals.values()
            if a.entity == entity and a.name not in started]


# --- the shipped CRM ----------------------------------------------------------------


def test_shipped_document_is_valid_openapi_31(doc: dict, doc_zh: dict) -> None:
    validate(doc)  # the zh document differs only in texts (the small bundle's is validated)
    for document in (doc, doc_zh):
        assert document["openapi"] == "3.1.0"
        json.dumps(document)  # served as is by /api/openapi.json
    assert doc["info"] == {**doc["info"], "title": "CRM", "version": "crm 1.0.0"}
    assert doc_zh["info"]["title"] == "客户关系管理"
    assert doc_zh["servers"] == [{"url": "https://crm.example.com"}]


def entity_templates(catalog: Catalog, entity: str) -> dict[str, dict[str, str]]:
    """The paths an entity should have, in the document's order."""
    defined = catalog.entities[entity]
    return {**ENTITY_PATHS, **EXPORT_PATHS, **IMPORT_PATHS, **VIEW_PATHS,
            **(POOL_PATHS if defined.pool else {}),
            **(TRANSFER_PATHS if defined.owner_field else {}), **DUPLICATE_PATHS,
            **(FLOW_PATHS if catalog.workflow_of(entity) else {}),
            **(OWN_APPROVAL_PATHS if own_approvals(catalog, entity) else {})}


def operations_of(item: dict) -> dict[str, dict]:
    return {method: op for method, op in item.items() if method in METHODS}


def test_every_entity_has_its_paths_in_catalog_order(catalog: Catalog, doc: dict) -> None:
    expected: list[str] = []
    for entity in catalog.entities:
        for template, operations in entity_templates(catalog, entity).items():
            path = template.format(e=entity)
            expected.append(path)
            item = doc["paths"][path]
            assert set(operations_of(item)) == set(operations), path
            for method, op_id in operations.items():
                assert item[method]["operationId"] == op_id.format(e=entity)
                assert item[method]["tags"] == [catalog.entities[entity].label.get("en")]
    entity_paths = [p for p in doc["paths"]
                    if p not in {**PLATFORM_PATHS, **APPROVAL_PATHS, **REPORT_PATHS,
                                     **INTAKE_PATHS, **DASHBOARD_PATHS}]
    assert entity_paths == expected
    assert [t["name"] for t in doc["tags"]] == [
        *(e.label.get("en") for e in catalog.entities.values()), "meta", "identity",
        "authentication", "approvals", "notifications", "reports", "intake",
        "dashboards"]


def test_pool_transfer_and_workflow_paths_only_where_the_definitions_allow(
        catalog: Catalog, doc: dict) -> None:
    def having(suffix: str) -> set[str]:
        return {p.split("/")[2] for p in doc["paths"]
                if p.endswith(suffix) and p.split("/")[2] in catalog.entities}

    pooled = {name for name, e in catalog.entities.items() if e.pool}
    assert having("/pool") == having("/{id}/claim") == having("/{id}/release") == pooled
    assert "customer" in pooled
    transferable = {name for name, e in catalog.entities.items() if e.owner_field}
    assert having("/transfer") == transferable
    # contact is owned through its customer: it does not change hands on its own
    assert {"customer", "opportunity"} <= transferable and "contact" not in transferable
    assert having("/export") == set(catalog.entities)
    with_workflow = {w.entity for w in catalog.workflows.values()}
    assert having("/transitions/{name}") == with_workflow
    assert {"opportunity", "quote", "contract", "invoice_reissue"} <= with_workflow
    # every shipped chain is started by a transition: none is submitted on its own
    assert having("/{id}/approvals") == set() == {
        a.entity for a in catalog.approvals.values() if own_approvals(catalog, a.entity)}


def test_platform_paths(doc: dict) -> None:
    for path, operations in PLATFORM_PATHS.items():
        item = doc["paths"][path]
        assert {m: op["operationId"] for m, op in operations_of(item).items()} == operations
        assert item["parameters"][0] == {"$ref": "#/components/parameters/AcceptLanguage"}
    for path, operations in APPROVAL_PATHS.items():
        item = doc["paths"][path]
        assert {m: op["operationId"] for m, op in operations_of(item).items()} == operations
    for path, operations in {**REPORT_PATHS, **DASHBOARD_PATHS}.items():
        item = doc["paths"][path]
        assert {m: op["operationId"] for m, op in operations_of(item).items()} == operations
    for path, operations in INTAKE_PATHS.items():
        item = doc["paths"][path]
        assert {m: op["operationId"] for m, op in operations_of(item).items()} == operations
    tail = [*PLATFORM_PATHS, *APPROVAL_PATHS, *REPORT_PATHS, *INTAKE_PATHS,
            *DASHBOARD_PATHS]
    assert list(doc["paths"])[-len(tail):] == tail
    schemas = doc["components"]["schemas"]
    assert schemas["History"]["properties"]["action"]["enum"] == HISTORY_ACTIONS
    assert is_valid(doc, "UserProfileCreate", {"username": "li.na", "password": "s3cret-pass",
                                               "roles": ["salesperson"], "email": ""})
    assert not is_valid(doc, "UserProfileCreate", {"username": "li na"})
    assert not is_valid(doc, "UserProfileCreate", {"name": "no username"})
    assert not is_valid(doc, "UserProfileCreate", {"username": "x", "current_password": "p"})
    assert is_valid(doc, "UserProfileUpdate", {"password": "a-new-passphrase",
                                               "current_password": "old"})
    assert not is_valid(doc, "TeamCreate", {"code": "East", "members": [1]})
    assert is_valid(doc, "TransferRequest", {"ids": [12, 15], "to": 7, "preview": True})
    assert is_valid(doc, "TransferRequest", {"from_owner": 4, "to": 7, "preview": False,
                                             "note": "王芳离职交接"})
    for wrong in ({"ids": [1], "from_owner": 4, "to": 7, "preview": True},
                  {"to": 7, "preview": True}, {"ids": [1], "to": 7}, {"ids": [], "to": 7,
                                                                       "preview": True}):
        assert not is_valid(doc, "TransferRequest", wrong), wrong
    release = doc["paths"]["/api/customer/{id}/release"]["post"]
    reason = release["requestBody"]["content"]["application/json"]["schema"]
    assert reason["required"] == ["reason"] and reason["properties"]["reason"]["maxLength"] == 500
    assert release["parameters"] == [{"$ref": "#/components/parameters/IfMatch"}]
    export = doc["paths"]["/api/customer/export"]["get"]
    names = [p["name"] for p in export["parameters"]]
    assert names[:5] == ["format", "lang", "sort", "q", "fields"] and "grade" in names
    assert not {"limit", "cursor", "expand", "count"} & set(names)
    assert set(export["responses"]["200"]["content"]) == {
        "text/csv", "application/x-ndjson",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def test_every_request_needs_credentials_but_signing_in(doc: dict) -> None:
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerToken"] == {**schemes["bearerToken"], "type": "http",
                                      "scheme": "bearer"}
    assert schemes["sessionCookie"] == {**schemes["sessionCookie"], "type": "apiKey",
                                        "in": "cookie", "name": "metacrm_session"}
    assert schemes["csrfToken"] == {**schemes["csrfToken"], "type": "apiKey",
                                    "in": "header", "name": "X-CSRF-Token"}
    assert doc["security"] == [{"bearerToken": []}, {"sessionCookie": []}]
    with_csrf = [{"bearerToken": []}, {"sessionCookie": [], "csrfToken": []}]
    for path, item in doc["paths"].items():
        for method, op in operations_of(item).items():
            if path == "/api/auth/login":
                assert op["security"] == [] and "401" in op["responses"]  # wrong password
            elif path == "/api/auth/logout":
                assert op["security"] == [{"sessionCookie": [], "csrfToken": []}, {}]
            elif path in INTAKE_PATHS:  # a source's own token only (docs/intake.md)
                assert op["security"] == [{"bearerToken": []}] and "401" in op["responses"]
            elif method in UNSAFE:
                assert op["security"] == with_csrf, (method, path)
                assert {"401", "403"} <= set(op["responses"]), (method, path)
            else:
                assert "security" not in op and "401" in op["responses"], (method, path)
    login = doc["paths"]["/api/auth/login"]["post"]["responses"]
    assert "Set-Cookie" in login["200"]["headers"] and "429" in login
    too_many = doc["components"]["responses"]["TooManyRequests"]
    assert too_many["headers"] == {"Retry-After": {"$ref": "#/components/headers/Retry-After"}}


def test_operation_ids_are_unique(doc: dict) -> None:
    ids = [op["operationId"] for item in doc["paths"].values()
           for method, op in item.items() if method in METHODS]
    assert len(ids) == len(set(ids))
    assert {"list_customer", "get_customer", "update_opportunity", "meta_get_entity",
            "meta_create_customization", "meta_get_openapi", "claim_customer",
            "transfer_opportunity", "export_tag", "login"} <= set(ids)


def test_meta_paths(doc: dict) -> None:
    paths = doc["paths"]
    assert paths["/api/meta/entities/{name}"]["parameters"][-1]["in"] == "path"
    post = paths["/api/meta/customizations"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["type"] == "object"
    assert "422" in post["responses"]
    one = paths["/api/meta/entities/{name}"]["get"]["responses"]["200"]
    assert one["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/EntityDescription"}


def test_create_schema_accepts_a_record_and_rejects_unknown_fields(doc: dict) -> None:
    create = doc["components"]["schemas"]["CustomerCreate"]
    assert create["additionalProperties"] is False
    body = {"name": "上海星河贸易有限公司", "grade": "A", "tags": [1, 4],
            "annual_revenue": "1250000.00", "email": "info@xinghe.example.com"}
    assert is_valid(doc, "CustomerCreate", body)
    assert not is_valid(doc, "CustomerCreate", {**body, "nmae": "typo"})
    for not_writable in ("id", "version", "created_at", "code"):  # system fields, autonumber
        assert not is_valid(doc, "CustomerCreate", {**body, not_writable: "1"}), not_writable
    assert not is_valid(doc, "CustomerCreate", {**body, "grade": "Z"})
    assert not is_valid(doc, "CustomerCreate", {**body, "email": "not an email"})
    assert not is_valid(doc, "CustomerCreate", {"grade": "A"})  # name is required
    assert not is_valid(doc, "CustomerCreate", {"name": ""})  # ... and "" is no value
    bulk = doc["paths"]["/api/customer/bulk"]["post"]["requestBody"]["content"]
    assert bulk["application/json"]["schema"]["properties"]["items"]["maxItems"] == 1000


def test_required_lists_are_required_fields_without_default(catalog: Catalog, doc: dict) -> None:
    schemas = doc["components"]["schemas"]
    assert schemas["CustomerCreate"]["required"] == ["name"]  # lifecycle has a default
    assert schemas["OpportunityCreate"]["required"] == ["name", "customer"]
    assert schema_of(doc, "invoice_reissue") == "InvoiceReissue"
    for name, entity in catalog.entities.items():
        base = schema_of(doc, name)
        workflow = catalog.workflow_of(name)
        state = workflow.field if workflow else None  # never sent: records start in it
        expected = [f.name for f in entity.fields.values()
                    if f.required and f.default is None and f.name != state]
        assert schemas[base + "Create"].get("required", []) == expected
        assert "required" not in schemas[base + "Update"]
        assert schemas[base + "Update"]["additionalProperties"] is False
        assert schemas[base]["required"] == ["id"]  # ?fields= may leave out the rest
    assert is_valid(doc, "OpportunityUpdate", {"amount": "880000"})
    assert not is_valid(doc, "OpportunityUpdate", {"stage": "won"})  # a transition wins it
    assert not is_valid(doc, "OpportunityUpdate", {"name": None})  # required: cannot be cleared


def test_choice_enum_is_the_option_values_in_order(catalog: Catalog, doc: dict) -> None:
    schemas = doc["components"]["schemas"]
    stages = list(catalog.optionsets["opportunity_stage"].values())
    assert schemas["Opportunity"]["properties"]["stage"]["enum"] == stages  # required: no null
    stage_filter = next(p for p in doc["paths"]["/api/opportunity"]["get"]["parameters"]
                        if p.get("name") == "stage")
    assert stage_filter["schema"]["enum"] == stages
    grade = schemas["Customer"]["properties"]["grade"]
    assert grade["enum"] == [*catalog.optionsets["customer_grade"].values(), None]
    assert grade["type"] == ["string", "null"]
    grade_filter = next(p for p in doc["paths"]["/api/customer"]["get"]["parameters"]
                        if p.get("name") == "grade")
    assert grade_filter["schema"]["enum"] == list(catalog.optionsets["customer_grade"].values())


def test_labels_follow_the_language(doc: dict, doc_zh: dict) -> None:
    en, zh = doc["components"]["schemas"], doc_zh["components"]["schemas"]
    assert (en["Customer"]["title"], zh["Customer"]["title"]) == ("Customer", "客户")
    assert zh["Customer"]["properties"]["name"]["title"] == "公司名称"
    assert zh["CustomerCreate"]["properties"]["name"]["title"] == "公司名称"
    assert zh["Opportunity"]["properties"]["weighted_amount"]["description"] == "预计金额 × 赢率"
    assert "客户" in [t["name"] for t in doc_zh["tags"]]
    assert doc_zh["paths"]["/api/customer"]["get"]["tags"] == ["客户"]


def test_computed_fields_are_read_only_and_not_writable(catalog: Catalog, doc: dict) -> None:
    schemas = doc["components"]["schemas"]
    weighted = schemas["Opportunity"]["properties"]["weighted_amount"]
    assert weighted["readOnly"] is True and "string" in weighted["type"]
    assert schemas["Customer"]["properties"]["code"]["readOnly"] is True
    computed = [(name, f.name) for name, e in catalog.entities.items()
                for f in e.fields.values() if not (f.writable or f.readonly)]
    assert ("opportunity", "weighted_amount") in computed and ("customer", "code") in computed
    for entity, field in computed:  # autonumbers, formulas and any later computed type
        base = schema_of(doc, entity)
        assert schemas[base]["properties"][field]["readOnly"] is True
        assert field not in schemas[base + "Create"]["properties"]
        assert field not in schemas[base + "Update"]["properties"]
    assert not schemas["Customer"]["properties"]["name"].get("readOnly")


def test_workflow_state_is_read_only_and_changed_by_transitions(catalog: Catalog,
                                                                doc: dict) -> None:
    schemas, paths = doc["components"]["schemas"], doc["paths"]
    for workflow in catalog.workflows.values():
        entity, base = workflow.entity, schema_of(doc, workflow.entity)
        record = schemas[base]["properties"]
        assert record[workflow.field]["readOnly"] is True, entity
        assert f"/api/{entity}/{{id}}/transitions/" in record[workflow.field]["description"]
        assert workflow.field not in schemas[base + "Create"]["properties"]
        assert workflow.field not in schemas[base + "Update"]["properties"]
        item = paths[f"/api/{entity}/{{id}}/transitions/{{name}}"]
        name = next(p for p in item["parameters"] if p.get("name") == "name")
        assert name["in"] == "path" and name["required"] is True
        assert name["schema"]["enum"] == [t.name for t in workflow.transitions]
        fire = item["post"]
        assert fire["operationId"] == f"fire_transition_{entity}"
        assert set(fire["responses"]) == {"200", "400", "401", "403", "404", "409", "412", "413",
                                          "422"}
        assert fire["requestBody"]["required"] is False
        assert fire["parameters"] == [{"$ref": "#/components/parameters/IfMatch"}]
        transitions = record["_transitions"]["items"]["properties"]
        assert transitions["name"]["enum"] == name["schema"]["enum"]
        assert set(transitions["to"]["enum"]) == {t.to for t in workflow.transitions}
        chains = [a.name for a in catalog.approvals.values() if a.entity == entity]
        shown = ["_transitions", *(["_approval"] if chains else [])]
        for answer in (paths[f"/api/{entity}/{{id}}"]["get"]["responses"]["200"],
                       fire["responses"]["200"]):
            assert answer["content"]["application/json"]["schema"] == {
                "allOf": [{"$ref": f"#/components/schemas/{base}"}, {"required": shown}]}
        if chains:
            assert record["_approval"]["oneOf"][1]["properties"]["approval"]["enum"] == chains

    # an opportunity is won by firing `win`, never by a PATCH of its stage
    validator = request_validator(doc, "/api/opportunity/{id}/transitions/{name}", "post")
    assert validator.is_valid({"values": {"amount": "880000"}, "comment": "签约"})
    assert validator.is_valid({})
    assert not validator.is_valid({"values": {"stage": "won"}})
    assert not validator.is_valid({"stage": "won"})
    opportunity = {"id": 1, "name": "ERP", "stage": "negotiation", "customer": 42,
                   "_transitions": [{"name": "win", "label": "Close as won", "to": "won",
                                     "approval": None, "allowed": False,
                                     "reason": "A won opportunity needs its amount"}]}
    assert is_valid(doc, "Opportunity", opportunity)
    assert not is_valid(doc, "Opportunity", {**opportunity, "_transitions": [
        {**opportunity["_transitions"][0], "name": "celebrate"}]})
    quote = {"id": 3, "status": "pending_approval", "_approval": {
        "id": 17, "approval": "quote_approval", "label": "Quote approval", "step": "manager",
        "submitted_at": "2026-03-01T01:20:00+00:00", "submitter": 7}}
    assert is_valid(doc, "Quote", quote) and is_valid(doc, "Quote", {"id": 3, "_approval": None})
    assert not is_valid(doc, "Quote", {**quote, "_approval": {**quote["_approval"],
                                                              "step": "nobody"}})


def test_decimals_travel_as_strings(doc: dict) -> None:
    amount = doc["components"]["schemas"]["Opportunity"]["properties"]["amount"]
    assert amount["type"] == ["string", "null"]
    assert re.search(amount["pattern"], "1250000.00") and not re.search(amount["pattern"], "1.5")
    assert not is_valid(doc, "Opportunity", {"id": 1, "amount": 1250000.0})
    assert is_valid(doc, "OpportunityUpdate", {"amount": 12.5})  # numbers accepted on input
    assert is_valid(doc, "OpportunityUpdate", {"amount": "12.5"})
    assert not is_valid(doc, "OpportunityUpdate", {"amount": "12,5"})
    assert not is_valid(doc, "OpportunityUpdate", {"amount": -1})  # min: 0
    assert not is_valid(doc, "OpportunityUpdate", {"probability": 120})  # percent: 0-100


def test_records_validate_including_expansion(doc: dict) -> None:
    record = {"id": 42, "name": "上海星河贸易有限公司", "grade": "A", "stage": "negotiation",
              "owner": 7, "tags": [1, 4], "annual_revenue": "1250000.00",
              "created_at": "2026-11-02T08:30:00+00:00", "version": 3}  # docs/api.md
    assert is_valid(doc, "Customer", record)
    assert not is_valid(doc, "Customer", {**record, "created_at": "yesterday"})
    customer = doc["components"]["schemas"]["Opportunity"]["properties"]["customer"]
    assert {"$ref": "#/components/schemas/Customer"} in customer["oneOf"]
    opportunity = {"id": 1, "name": "ERP", "stage": "won", "customer": 42}
    assert is_valid(doc, "Opportunity", opportunity)
    assert is_valid(doc, "Opportunity", {**opportunity, "customer": record})  # ?expand=customer
    assert not is_valid(doc, "Opportunity", {**opportunity, "customer": "42"})
    page = {"items": [record], "next_cursor": None, "count": 1}
    assert is_valid(doc, "CustomerList", page)
    assert not is_valid(doc, "CustomerList", {"items": [record]})  # next_cursor is always sent
    assert is_valid(doc, "Errors", {"errors": {"stage__gtx": ["unknown operator 'gtx'"]}})


def test_list_parameters(catalog: Catalog, doc: dict) -> None:
    listing = doc["paths"]["/api/customer"]["get"]
    params = {p.get("name"): p for p in listing["parameters"]}
    refs = {p["$ref"].rsplit("/", 1)[1] for p in listing["parameters"] if "$ref" in p}
    assert refs == {"Limit", "Cursor", "Count"}
    limit = doc["components"]["parameters"]["Limit"]["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 500, 50)
    assert {"sort", "q", "fields", "expand"} <= set(params)
    stored = [f.name for f in catalog.entities["customer"].fields.values() if f.stored]
    assert set(stored) <= set(params) and "tags" not in params  # a link table: no column
    assert {"id", "created_at", "updated_by", "version"} <= set(params)
    int64 = {"type": "integer", "format": "int64", "minimum": -2**63, "maximum": 2**63 - 1}
    assert params["owner"]["schema"] == int64 == params["id"]["schema"]
    assert "name__<op>" in params["name"]["description"]
    for op in ("gte", "in", "contains", "startswith", "isnull"):
        assert f"`{op}`" in listing["description"]
    deleted = doc["paths"]["/api/customer/deleted"]["get"]["parameters"]
    assert [p.get("name", p.get("$ref")) for p in deleted] == [
        p.get("name", p.get("$ref")) for p in listing["parameters"]]
    one = doc["paths"]["/api/customer/{id}"]["get"]["parameters"]
    assert [p["name"] for p in one] == ["fields", "expand"]


def test_concurrency_headers_and_error_responses(doc: dict) -> None:
    item = doc["paths"]["/api/opportunity/{id}"]
    if_match = {"$ref": "#/components/parameters/IfMatch"}
    assert item["patch"]["parameters"] == [if_match] == item["delete"]["parameters"]
    assert doc["components"]["parameters"]["IfMatch"]["in"] == "header"
    assert "ETag" in item["get"]["responses"]["200"]["headers"]
    assert set(item["patch"]["responses"]) >= {"200", "400", "404", "409", "412", "422"}
    assert "204" in item["delete"]["responses"]
    created = doc["paths"]["/api/opportunity"]["post"]["responses"]["201"]
    assert set(created["headers"]) == {"Location", "ETag"}
    errors = {"$ref": "#/components/schemas/Errors"}
    for response in doc["components"]["responses"].values():
        assert response["content"]["application/json"]["schema"] == errors


def test_building_is_pure(catalog: Catalog, doc: dict) -> None:
    again = build_openapi(catalog)
    assert again == doc
    mangled = copy.deepcopy(again)
    again["components"]["schemas"]["Customer"]["title"] = "changed"
    again["components"]["schemas"]["UserProfile"]["properties"]["name"]["type"] = "changed"
    again["paths"]["/api/users"]["get"]["parameters"][0]["schema"]["type"] = "changed"
    again["security"][0]["bearerToken"].append("changed")
    assert build_openapi(catalog) == doc == mangled


# --- a small bundle, extended by a second one ---------------------------------------


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


@pytest.fixture
def shop(tmp_path: Path) -> Catalog:
    write(tmp_path / "shop/bundle.yaml", """\
        bundle: shop
        version: 2.1.0
        label: {en: Shop, zh: 商店}
        """)
    write(tmp_path / "shop/entities/size.yaml", """\
        optionset: size
        label: {en: Size, zh: 尺码}
        options:
          - value: s
            label: {en: Small, zh: 小号}
          - value: m
          - value: l
        """)
    write(tmp_path / "shop/entities/item.yaml", """\
        entity: item
        label: {en: Item, zh: 商品}
        plural: {en: Items, zh: 商品}
        search: [name]
        fields:
          name: {type: string, label: {en: Name, zh: 名称}, required: true, max_length: 80,
                 pattern: "[A-Z][a-z]*"}
          sku: {type: autonumber, format: "IT-{seq:04}"}
          size: {type: choice, options: size, required: true}
          colours: {type: multi_choice, options: [red, green, blue]}
          weight: {type: decimal, scale: 3, min: 0}
          price: {type: money, required: true, default: 0}
          discount: {type: percent}
          net: {type: formula, result: money, expression: "price * (100.0 - discount) / 100.0"}
          parent: {type: reference, to: item, on_delete: set_null}
          related: {type: multi_reference, to: item}
          released: {type: date, default: $today}
          extra: {type: json}
          site: {type: url}
          serial: {type: string, readonly: true}
          in_stock: {type: boolean, default: true}
          quantity: {type: integer, min: 0, max: 1000}
        ---
        entity: history
        label: {en: History note, zh: 历史备注}
        fields:
          note: {type: text, required: true}
          item: {type: reference, to: item, required: true, on_delete: cascade}
        """)
    write(tmp_path / "extra/bundle.yaml", """\
        bundle: shop_extra
        version: 0.3.0
        label: Shop extras
        requires: [shop]
        """)
    write(tmp_path / "extra/entities/item.yaml", """\
        extend: item
        fields:
          barcode: {type: string, max_length: 13, label: {en: Barcode, zh: 条码}}
        """)
    return load_catalog([tmp_path / "shop", tmp_path / "extra"])


def test_small_bundle_document(shop: Catalog) -> None:
    doc = build_openapi(shop, lang="zh")
    validate(doc)
    assert doc["info"]["title"] == "Shop extras"  # the last bundle names the product
    assert doc["info"]["version"] == "shop 2.1.0, shop_extra 0.3.0"
    for entity in ("item", "history"):
        for template in ENTITY_PATHS:
            assert template.format(e=entity) in doc["paths"]
    schemas = doc["components"]["schemas"]
    # the entity 'history' must not replace the audit entry schema
    assert schemas["History"]["required"] == ["id", "action", "user_id", "at", "changes"]
    history_ref = {"$ref": "#/components/schemas/History_"}
    assert doc["paths"]["/api/history/{id}"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"] == history_ref
    assert schemas["History_Create"]["required"] == ["note", "item"]

    item, create, update = schemas["Item"], schemas["ItemCreate"], schemas["ItemUpdate"]
    props = item["properties"]
    assert item["title"] == "商品" and props["name"]["title"] == "名称"
    assert props["size"]["enum"] == ["s", "m", "l"]
    assert props["colours"]["items"]["enum"] == ["red", "green", "blue"]
    assert re.search(props["weight"]["pattern"], "1.250")
    assert not re.search(props["weight"]["pattern"], "1.25")
    assert props["net"]["readOnly"] and props["sku"]["readOnly"]
    assert props["parent"]["oneOf"][1] == {"$ref": "#/components/schemas/Item"}  # recursion
    assert props["related"]["type"] == "array"
    assert props["site"]["format"] == "uri" and props["released"]["type"] == ["string", "null"]
    assert "barcode" in create["properties"] and create["properties"]["barcode"]["title"] == "条码"

    assert create["required"] == ["name", "size"]  # price has a default
    assert create["properties"]["price"]["default"] == 0
    assert create["properties"]["in_stock"]["default"] is True
    assert "net" not in create["properties"] and "sku" not in create["properties"]
    assert "serial" in create["properties"] and "serial" not in update["properties"]
    assert create["properties"]["name"]["pattern"] == "^(?:[A-Z][a-z]*)$"

    body = {"name": "Mug", "size": "m", "extra": {"any": ["json", 1]}, "quantity": 10}
    assert is_valid(doc, "ItemCreate", body)
    assert not is_valid(doc, "ItemCreate", {**body, "name": "mug"})  # the whole value matches
    assert not is_valid(doc, "ItemCreate", {**body, "quantity": 1001})
    assert not is_valid(doc, "ItemCreate", {**body, "colours": ["pink"]})
    assert not is_valid(doc, "ItemCreate", {**body, "sku": "IT-0001"})
    assert not is_valid(doc, "ItemUpdate", {"serial": "X1"})
    assert is_valid(doc, "ItemUpdate", {})

    record = {"id": 3, "name": "Mug", "size": "s", "weight": "0.350", "net": None,
              "parent": {"id": 1, "name": "Cup", "size": "l"}, "related": [1, 2],
              "sku": "IT-0003", "updated_by": None}
    assert is_valid(doc, "Item", record)
    assert is_valid(doc, "Item", {**record, "related": [{"id": 1}, 2]})  # ?expand=related
    assert not is_valid(doc, "Item", {**record, "related": None})
    assert not is_valid(doc, "Item", {**record, "weight": "0.35"})  # scale 3


def test_the_document_states_the_limits_the_server_enforces(shop: Catalog) -> None:
    doc = build_openapi(shop)
    create = request_validator(doc, "/api/item", "post")
    body = {"name": "Mug", "size": "m"}

    def valid(**values: object) -> bool:
        return create.is_valid({**body, **values})

    # money: 18 digits, 2 after the point, as a number or as its digits
    assert valid(price=9999999999999998) and valid(price="9999999999999999.99")
    assert not valid(price="10000000000000000") and not valid(price=1e17)
    assert valid(price="0012.50") and valid(price="1.500") and valid(price=12.5)
    for text in ("1e3", "1_000", " 5", "5.", ".5", "+5", "1.505"):
        assert not valid(price=text), text
    assert not valid(price=1.505)  # multipleOf 0.01
    # a decimal with min 0 takes no minus sign, a percent 0 to 100
    assert valid(weight="0.125") and not valid(weight="-1") and not valid(weight=-1)
    assert valid(discount=100) and not valid(discount=100.01) and not valid(discount=-1)
    # whole numbers and ids are 64-bit; ids start at 1
    assert valid(quantity=1000) and not valid(quantity=1001) and not valid(quantity="5")
    assert valid(parent=2**63 - 1) and not valid(parent=2**63) and not valid(parent=0)
    assert not valid(related=[0]) and valid(related=[1])
    # RFC 3339 dates; strings at most as long as their column
    assert valid(released="2026-01-05") and not valid(released="20260105")
    assert not valid(name="M" + "a" * 80) and not valid(site="https://" + "a" * 2041)
    item = doc["components"]["parameters"]
    assert item["RecordId"]["schema"] == {"type": "integer", "format": "int64", "minimum": 1,
                                          "maximum": 2**63 - 1}
    etag = re.compile(item["IfMatch"]["schema"]["pattern"])
    assert all(etag.search(t) for t in ('"3"', 'W/"3"', "3", "*", ' "3" '))
    assert not any(etag.search(t) for t in ('"+3"', '"3', "'3'", '"1_0"', '"3", "4"'))
    # every operation with a body may answer 400, 413 and 422 with the shared error shape
    for path_item in doc["paths"].values():
        for method, operation in path_item.items():
            if method != "parameters" and "requestBody" in operation:
                assert {"400", "413"} <= set(operation["responses"]), (method, operation)
    filters = {p["name"]: p["schema"] for p in doc["paths"]["/api/item"]["get"]["parameters"]
               if "name" in p}
    assert re.search(filters["price"]["pattern"], "-12.50")
    assert not re.search(filters["price"]["pattern"], "12.505")
    assert not re.search(filters["price"]["pattern"], "1e3")


def test_pool_transfer_and_names_the_platform_takes(tmp_path: Path) -> None:
    write(tmp_path / "sales/bundle.yaml", "bundle: sales\nversion: 1.0.0\n")
    write(tmp_path / "sales/entities/lead.yaml", """\
        entity: lead
        owned_by: owner
        fields:
          name: {type: string, required: true}
          owner: {type: user}
        pool:
          label: {en: Lead pool, zh: 线索公海}
        ---
        entity: visit
        owned_by: lead
        fields:
          lead: {type: reference, to: lead, required: true}
          format: {type: choice, options: [call, meeting]}
        ---
        entity: team
        fields:
          name: {type: string}
        ---
        entity: user
        fields:
          name: {type: string}
        """)
    doc = build_openapi(load_catalog([tmp_path / "sales"]))
    validate(doc)
    paths = doc["paths"]
    assert {"/api/lead/pool", "/api/lead/{id}/claim", "/api/lead/transfer"} <= set(paths)
    assert not [p for p in paths if p.startswith("/api/visit/") and p.endswith(
        ("/pool", "/claim", "/release", "/transfer"))]  # owned through its lead
    # the export's own `format` wins over a filter on a field of that name
    export = [p["name"] for p in paths["/api/visit/export"]["get"]["parameters"]]
    assert export.count("format") == 1 and "format" in [
        p.get("name") for p in paths["/api/visit"]["get"]["parameters"]]
    schemas = doc["components"]["schemas"]
    assert schemas["Team"]["required"] == ["id", "code", "name", "members"]  # the platform's
    assert paths["/api/team/{id}"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"] == {"$ref": "#/components/schemas/Team_"}
    assert paths["/api/user/{id}"]["get"]["operationId"] == "get_user"
    assert paths["/api/users/{id}"]["get"]["operationId"] == "get_user_"


# --- the document against the running API ------------------------------------------


def test_live_answers_match_the_served_document(crm) -> None:  # type: ignore[no-untyped-def]
    served = crm.get("/api/openapi.json", headers={"Accept-Language": "zh"})
    assert served.status_code == 200
    doc = served.json
    assert doc["info"]["title"] == "客户关系管理" and doc["servers"] == [{"url": "/"}]

    def check(response, status: int, schema: str):  # type: ignore[no-untyped-def]
        assert response.status_code == status, response.json
        errors = list(schema_validator(doc, schema).iter_errors(response.json))
        assert not errors, [e.message for e in errors]
        return response.json

    body = {"name": "上海星河贸易有限公司", "grade": "A", "annual_revenue": 1250000,
            "email": "info@xinghe.example.com"}
    assert is_valid(doc, "CustomerCreate", body)
    created = crm.post("/api/customer", json=body)
    customer = check(created, 201, "Customer")
    assert created.headers["ETag"] == f'"{customer["version"]}"' and created.headers["Location"]
    deal = {"name": "ERP 项目", "customer": customer["id"], "amount": "880000", "probability": 40}
    opportunity = check(crm.post("/api/opportunity", json=deal), 201, "Opportunity")
    page = check(crm.get("/api/opportunity?expand=customer,owner&count=true"), 200,
                 "OpportunityList")
    assert page["items"][0]["customer"]["id"] == customer["id"]
    url = f"/api/opportunity/{opportunity['id']}"
    assert not is_valid(doc, "OpportunityUpdate", {"stage": "won"})
    check(crm.patch(url, json={"stage": "won"}), 422, "Errors")  # only transitions move it
    check(crm.patch(url, json={"amount": "990000"}, headers={"If-Match": '"99"'}), 412, "Errors")
    shown = crm.get(url)
    assert "propose" not in [t["name"] for t in declared_answer(
        doc, "/api/opportunity/{id}", "get", shown)["_transitions"]]
    check(crm.patch(url, json={"amount": "990000"}, headers={"If-Match": shown.headers["ETag"]}),
          200, "Opportunity")
    moved = declared_answer(doc, "/api/opportunity/{id}/transitions/{name}", "post", crm.post(
        f"{url}/transitions/analyse_needs", json={"comment": "客户确认需求"}))
    assert moved["stage"] == "needs_analysis" and "propose" in [
        t["name"] for t in moved["_transitions"]]
    invalid = {"name": "X", "grade": "Z"}
    assert not is_valid(doc, "CustomerCreate", invalid)
    check(crm.post("/api/customer", json=invalid), 422, "Errors")
    check(crm.get("/api/customer?stage__gtx=1"), 400, "Errors")
    history = crm.get(f"{url}/history")
    assert [entry["action"] for entry in history.json["items"]] == [
        "transition", "update", "create"]
    for entry in history.json["items"]:
        assert is_valid(doc, "History", entry), entry
    tags = crm.post("/api/tag/bulk", json={"items": [{"name": "VIP"}, {"name": "出口"}]})
    assert tags.status_code == 201, tags.json
    assert all(is_valid(doc, "Tag", tag) for tag in tags.json["items"])
    assert crm.delete(f"/api/tag/{tags.json['items'][0]['id']}").status_code == 204
    assert check(crm.get("/api/tag/deleted"), 200, "TagList")["items"]


def test_live_platform_answers_match_the_served_document(crm) -> None:  # type: ignore[no-untyped-def]
    doc = crm.get("/api/openapi.json").json

    def call(method: str, template: str, *values: object, client=crm, **kw):  # type: ignore[no-untyped-def]
        given = iter(values)  # fill in the template's {id} or {name}
        url = re.sub(r"\{\w+\}", lambda _: str(next(given)), template)
        response = getattr(client, method)(url, **kw)
        return response.status_code, declared_answer(doc, template, method, response)

    # the meta API
    assert "customer" in [e["name"] for e in call("get", "/api/meta/entities")[1]["items"]]
    assert call("get", "/api/meta/entities/{name}", "customer")[1]["pool"] is True
    assert call("get", "/api/meta/entities/{name}", "custmer")[0] == 404
    assert call("get", "/api/meta/optionsets/{name}", "customer_grade")[0] == 200
    assert call("get", "/api/meta/customizations")[1]["items"] == []

    # users, teams, roles, tokens
    status, li = call("post", "/api/users", json={
        "username": "li.na", "name": "李娜", "password": "s3cret-pass", "roles": ["salesperson"],
        "email": "li.na@example.com"})
    assert status == 201
    assert call("get", "/api/users", query_string={"q": "li"})[1]["items"][0]["id"] == li["id"]
    assert call("get", "/api/users", query_string={"qq": "li"})[0] == 400
    assert call("get", "/api/users/{id}", li["id"])[0] == 200
    assert call("patch", "/api/users/{id}", li["id"], json={"language": "zh"})[0] == 200
    assert call("patch", "/api/users/{id}", li["id"], json={"language": "fr"})[0] == 422
    admin = call("get", "/api/users/me")[1]
    assert admin["administrator"] is True and "csrf_token" not in admin  # a token: no CSRF
    status, team = call("post", "/api/teams", json={"code": "east", "members": [li["id"]]})
    assert status == 201 and call("post", "/api/teams", json={"code": "east"})[0] == 409
    assert call("get", "/api/teams")[0] == call("get", "/api/teams/{id}", team["id"])[0] == 200
    assert call("patch", "/api/teams/{id}", team["id"], json={"name": "华东"})[0] == 200
    assert call("delete", "/api/teams/{id}", team["id"])[0] == 204
    assert call("get", "/api/teams/{id}", team["id"])[0] == 404
    assert "salesperson" in [role["name"] for role in call("get", "/api/roles")[1]["items"]]
    status, token = call("post", "/api/tokens", json={"name": "nightly export"})
    assert status == 201 and token["token"].startswith("mcrm_")
    assert call("get", "/api/tokens")[1]["items"][-1]["id"] == token["id"]
    assert call("delete", "/api/tokens/{id}", token["id"])[0] == 204
    assert call("delete", "/api/tokens/{id}", token["id"])[0] == 404

    # signing in and out
    browser = crm.application.test_client()
    assert call("get", "/api/users", client=browser)[0] == 401
    login = {"username": "li.na", "password": "s3cret-pass"}
    assert call("post", "/api/auth/login", client=browser, data="{}",
                content_type="text/plain")[0] == 400
    status, me = call("post", "/api/auth/login", client=browser, json=login)
    assert status == 200 and me["permissions"]["customer"]
    assert call("get", "/api/users/me", client=browser)[1]["csrf_token"] == me["csrf_token"]
    own = browser.get("/api/openapi.json").json  # the salesperson's document, by the cookie
    validate(own)
    assert "/api/customer/{id}/claim" in own["paths"] and "/api/users" in own["paths"]
    assert call("post", "/api/auth/logout", client=browser)[0] == 403  # no CSRF token
    assert call("post", "/api/auth/logout", client=browser,
                headers={"X-CSRF-Token": me["csrf_token"]})[0] == 204
    wrong = {**login, "password": "not-her-password"}
    statuses = [call("post", "/api/auth/login", client=browser, json=wrong)[0] for _ in range(6)]
    assert statuses == [401] * 5 + [429]

    # the pool, a transfer, the audit trail
    status, customer = call("post", "/api/customer", json={"name": "杭州江南丝绸", "owner": None})
    assert status == 201 and customer["owner"] is None
    pool = call("get", "/api/customer/pool", query_string={"count": "true"})[1]
    assert [c["id"] for c in pool["items"]] == [customer["id"]]
    status, claimed = call("post", "/api/customer/{id}/claim", customer["id"])
    assert status == 200 and claimed["owner"] == admin["id"]
    assert call("post", "/api/customer/{id}/claim", customer["id"])[0] == 409
    stale = {"If-Match": f'"{customer["version"]}"'}
    assert call("post", "/api/customer/{id}/release", customer["id"], json={"reason": "x"},
                headers=stale)[0] == 412
    assert call("post", "/api/customer/{id}/release", customer["id"], json={})[0] == 422
    status, released = call("post", "/api/customer/{id}/release", customer["id"],
                            json={"reason": "暂无采购计划"})
    assert status == 200 and released["owner"] is None
    assert call("post", "/api/customer/{id}/claim", customer["id"])[0] == 200
    move = {"ids": [customer["id"]], "to": li["id"], "preview": True}
    preview = call("post", "/api/customer/transfer", json=move)[1]
    assert preview["done"] is False and preview["records"]["customer"]["count"] == 1
    assert call("post", "/api/customer/transfer", json={**move, "preview": "no"})[0] == 422
    assert call("post", "/api/customer/transfer", json={**move, "ids": [10**6]})[0] == 404
    done = call("post", "/api/customer/transfer", json={**move, "preview": False})[1]
    assert done["done"] is True and done["transfer"]
    history = call("get", "/api/customer/{id}/history", customer["id"])[1]["items"]
    assert [entry["action"] for entry in history] == [
        "transfer", "claim", "release", "claim", "create"]

    # export
    lines = call("get", "/api/customer/export", query_string={"format": "json"})[1]
    item = doc["paths"]["/api/customer/export"]["get"]["responses"]["200"]["content"][
        "application/x-ndjson"]["x-item-schema"]["$ref"].rsplit("/", 1)[1]
    records = [json.loads(line) for line in lines.splitlines()]
    assert [r["id"] for r in records] == [customer["id"]]
    assert all(is_valid(doc, item, record) for record in records)
    text = call("get", "/api/customer/export", query_string={"fields": "name,owner"})[1]
    assert text.splitlines()[0] == "\ufeffname,owner"
    assert call("get", "/api/customer/export", query_string={"format": "pdf"})[0] == 400
    status, book = call("get", "/api/customer/export", query_string={"format": "xlsx"})
    assert status == 200 and book[:2] == b"PK"  # a zip, as every XLSX
    status, book = call("get", "/api/reports/{name}/export", "sales_funnel",
                        query_string={"format": "xlsx"})
    assert status == 200 and book[:2] == b"PK"
    assert call("get", "/api/reports/{name}/export", "sales_funnel")[1].startswith("\ufeff")
    assert call("get", "/api/reports/{name}/export", "sales_funnel",
                query_string={"format": "json"})[0] == 400

    # last: a customization changes the schema the document above describes
    extend = {"extend": "customer", "fields": {"wechat": {"type": "string"}}}
    assert call("post", "/api/meta/customizations", json=extend)[0] == 201
