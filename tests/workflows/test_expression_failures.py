"""A guard or an approval step condition that cannot be evaluated for a reason other
than an empty field is a 422 naming it, not a 500 and not a silent 'does not apply'."""

from __future__ import annotations

from typing import Any

from ..conftest import write_bundle

LOANS = {
    "entities/loan.yaml": """
        entity: loan
        fields:
          amount: {type: money}
          months: {type: integer}
          status: {type: choice, options: [draft, pending, approved, rejected], default: draft}
    """,
    "workflows/loan.yaml": """
        workflow: loan_flow
        entity: loan
        field: status
        final: [approved]
        transitions:
          - name: submit
            from: [draft, rejected]
            to: approved
            approval: loan_approval
            pending: pending
            rejected: rejected
          - name: check
            from: draft
            to: rejected
            when: "amount / months > 1000"
        ---
        approval: loan_approval
        entity: loan
        steps:
          - name: risk
            label: {en: Risk review, zh: 风控审核}
            approvers: {manager: 1}
            when: "amount / months > 1000"
    """,
}


def test_a_step_condition_dividing_by_zero_is_a_422_naming_the_step(make_client,
                                                                   tmp_path) -> None:
    crm: Any = make_client(write_bundle(tmp_path / "loans", LOANS))
    loan = crm.post("/api/loan", json={"amount": "5000.00", "months": 0}).json
    response = crm.post(f"/api/loan/{loan['id']}/transitions/submit")
    assert response.status_code == 422, response.json
    assert response.json["errors"]["_request"] == [
        "The condition of Risk review could not be evaluated: division by zero (at column 8)."]
    assert crm.get(f"/api/loan/{loan['id']}").json["status"] == "draft"


def test_a_guard_dividing_by_zero_is_a_422_naming_the_transition(make_client,
                                                                 tmp_path) -> None:
    crm: Any = make_client(write_bundle(tmp_path / "loans", LOANS))
    loan = crm.post("/api/loan", json={"amount": "5000.00", "months": 0}).json
    response = crm.post(f"/api/loan/{loan['id']}/transitions/check")
    assert response.status_code == 422, response.json
    assert "division by zero" in response.json["errors"]["_request"][0]
    empty = crm.post("/api/loan", json={"amount": "5000.00"}).json
    refused = crm.post(f"/api/loan/{empty['id']}/transitions/check")
    assert refused.status_code == 409  # an empty field: the guard simply does not hold
