"""The shipped CRM's sales chain (销售管理) and product service (产品服务) definitions:
they compile, and say what the CRM needs — each record's states and transitions, each
approval chain's steps and thresholds, who may do what. Only the definitions: what the
runtime does with them is tested with the runtime."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

import pytest

from metacrm.catalog_loader import load_catalog
from metacrm.compile.compiled import Compiled, compile_catalog
from metacrm.definitions import ApprovalDef, Catalog, WorkflowDef
from tests.conftest import SHIPPED_BUNDLE

CHAIN = [
    "requirement",
    "quote",
    "quote_line",
    "contract",
    "payment_plan",
    "payment",
    "invoice",
    "invoice_reissue",
    "service_booking",
    "delivery",
    "onsite_service",
    "ticket",
]
OPEN_STAGES = ["qualify", "needs_analysis", "proposal", "negotiation"]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog([SHIPPED_BUNDLE])


@pytest.fixture(scope="module")
def compiled(catalog: Catalog) -> Compiled:
    return compile_catalog(catalog)


def _workflow(catalog: Catalog, entity: str) -> WorkflowDef:
    workflow = catalog.workflow_of(entity)
    assert workflow is not None, f"{entity} has no workflow"
    return workflow


def _bilingual(label: Any, where: str) -> None:
    texts = label.as_dict()
    assert texts.get("en") and texts.get("zh"), f"{where}: {texts}"


# --- entities --------------------------------------------------------------------------


def test_every_chain_entity_compiles_into_a_table(compiled: Compiled) -> None:
    for name in CHAIN:
        assert name in compiled.models, name
        assert name in compiled.workflows or name == "quote_line", name


@pytest.mark.parametrize(
    ("entity", "owned_by"),
    [
        ("requirement", "owner"),
        ("quote", "owner"),
        ("quote_line", "quote"),
        ("contract", "owner"),
        ("payment_plan", "contract"),
        ("payment", "contract"),
        ("invoice", "contract"),
        ("invoice_reissue", "original_invoice"),
        ("service_booking", "customer"),
        ("delivery", "contract"),
        ("onsite_service", "contract"),
        ("ticket", "customer"),
    ],
)
def test_records_are_held_so_that_role_scopes_apply(
    catalog: Catalog, entity: str, owned_by: str
) -> None:
    assert catalog.entities[entity].owned_by == owned_by


def test_labels_are_in_english_and_chinese(catalog: Catalog) -> None:
    for name in CHAIN:
        entity = catalog.entities[name]
        _bilingual(entity.label, name)
        for field in entity.fields.values():
            _bilingual(field.label, f"{name}.{field.name}")
            if field.options:
                for option in catalog.optionsets[field.options].options:
                    _bilingual(option.label, f"{name}.{field.name}={option.value}")
    for workflow in catalog.workflows.values():
        _bilingual(workflow.label, workflow.name)
        for transition in workflow.transitions:
            _bilingual(transition.label, f"{workflow.name}.{transition.name}")
            if transition.when:
                _bilingual(transition.message, f"{workflow.name}.{transition.name} message")
            for action in transition.actions:
                if action.kind == "notify":
                    _bilingual(action.message, f"{workflow.name}.{transition.name} notify")
    for approval in catalog.approvals.values():
        _bilingual(approval.label, approval.name)
        for step in approval.steps:
            _bilingual(step.label, f"{approval.name}.{step.name}")


def test_quote_totals_roll_up_from_its_lines(catalog: Catalog) -> None:
    line = catalog.entities["quote_line"].fields
    assert line["line_total"].expression == "list_amount - discount_amount"
    assert line["list_amount"].expression == "quantity * unit_price"
    quote = catalog.entities["quote"].fields
    for name, of in [
        ("subtotal", "list_amount"),
        ("discount_amount", "discount_amount"),
        ("total", "line_total"),
    ]:
        assert (quote[name].type, quote[name].source, quote[name].aggregate, quote[name].of) == (
            "rollup",
            "quote_line.quote",
            "sum",
            of,
        )
    assert quote["discount_rate"].type == "formula"


def test_collections_and_invoices_roll_up_onto_the_contract(catalog: Catalog) -> None:
    contract = catalog.entities["contract"].fields
    assert (contract["received_amount"].source, contract["received_amount"].where) == (
        "payment.contract",
        {"status": "confirmed"},
    )
    assert contract["invoiced_amount"].source == "invoice.contract"
    plan = catalog.entities["payment_plan"].fields
    assert plan["received_amount"].source == "payment.plan"


# --- workflows ----------------------------------------------------------------------------

# entity: (state field, states, initial, final, {transition: (from, to, approval, pending,
# rejected)})
WORKFLOWS: dict[str, tuple[str, list[str], str, set[str], dict[str, tuple]]] = {
    "requirement": (
        "status",
        ["draft", "pending", "approved", "rejected", "cancelled"],
        "draft",
        {"approved", "cancelled"},
        {
            "submit": (
                ("draft", "rejected"),
                "approved",
                "requirement_approval",
                "pending",
                "rejected",
            ),
            "cancel": (("draft", "rejected"), "cancelled", None, None, None),
        },
    ),
    "quote": (
        "status",
        [
            "draft",
            "pending_approval",
            "approved",
            "rejected",
            "sent",
            "accepted",
            "declined",
            "expired",
            "cancelled",
        ],
        "draft",
        {"accepted", "cancelled"},
        {
            "submit": (
                ("draft", "rejected"),
                "approved",
                "quote_approval",
                "pending_approval",
                "rejected",
            ),
            "send": (("approved",), "sent", None, None, None),
            "accept": (("sent",), "accepted", None, None, None),
            "decline": (("sent",), "declined", None, None, None),
            "expire": (("approved", "sent"), "expired", None, None, None),
            "revise": (("approved", "declined", "expired"), "draft", None, None, None),
            "cancel": (
                ("draft", "rejected", "approved", "sent", "declined", "expired"),
                "cancelled",
                None,
                None,
                None,
            ),
        },
    ),
    "contract": (
        "status",
        ["draft", "pending_approval", "rejected", "active", "completed", "terminated", "cancelled"],
        "draft",
        {"active", "completed", "terminated", "cancelled"},
        {
            "submit": (
                ("draft", "rejected"),
                "active",
                "contract_approval",
                "pending_approval",
                "rejected",
            ),
            "complete": (("active",), "completed", None, None, None),
            "terminate": (("active",), "terminated", None, None, None),
            "cancel": (("draft", "rejected"), "cancelled", None, None, None),
        },
    ),
    "payment_plan": (
        "status",
        ["planned", "partially_received", "overdue", "received", "cancelled"],
        "planned",
        {"received", "cancelled"},
        {
            "record_partial": (("planned",), "partially_received", None, None, None),
            "mark_overdue": (("planned", "partially_received"), "overdue", None, None, None),
            "settle": (("planned", "partially_received", "overdue"), "received", None, None, None),
            "cancel": (("planned", "partially_received", "overdue"), "cancelled", None, None, None),
        },
    ),
    "payment": (
        "status",
        ["draft", "pending", "confirmed", "rejected", "cancelled"],
        "draft",
        {"confirmed", "cancelled"},
        {
            "submit": (
                ("draft", "rejected"),
                "confirmed",
                "payment_approval",
                "pending",
                "rejected",
            ),
            "cancel": (("draft", "rejected"), "cancelled", None, None, None),
        },
    ),
    "invoice": (
        "status",
        ["draft", "pending_approval", "rejected", "approved", "issued", "reissued", "cancelled"],
        "draft",
        {"issued", "reissued", "cancelled"},
        {
            "submit": (
                ("draft", "rejected"),
                "approved",
                "invoice_approval",
                "pending_approval",
                "rejected",
            ),
            "issue": (("approved",), "issued", None, None, None),
            "void_for_reissue": (("issued",), "reissued", None, None, None),
            "cancel": (("draft", "rejected", "approved"), "cancelled", None, None, None),
        },
    ),
    "invoice_reissue": (
        "status",
        ["draft", "pending_approval", "rejected", "approved", "done", "cancelled"],
        "draft",
        {"done", "cancelled"},
        {
            "submit": (
                ("draft", "rejected"),
                "approved",
                "invoice_reissue_approval",
                "pending_approval",
                "rejected",
            ),
            "complete": (("approved",), "done", None, None, None),
            "cancel": (("draft", "rejected"), "cancelled", None, None, None),
        },
    ),
    "service_booking": (
        "status",
        ["requested", "confirmed", "done", "cancelled"],
        "requested",
        {"done", "cancelled"},
        {
            "confirm": (("requested",), "confirmed", None, None, None),
            "complete": (("confirmed",), "done", None, None, None),
            "cancel": (("requested", "confirmed"), "cancelled", None, None, None),
        },
    ),
    "delivery": (
        "status",
        ["planned", "delivered", "accepted", "rejected", "cancelled"],
        "planned",
        {"accepted", "cancelled"},
        {
            "deliver": (("planned",), "delivered", None, None, None),
            "accept": (("delivered",), "accepted", None, None, None),
            "fail_acceptance": (("delivered",), "rejected", None, None, None),
            "redeliver": (("rejected",), "delivered", None, None, None),
            "cancel": (("planned",), "cancelled", None, None, None),
        },
    ),
    "onsite_service": (
        "status",
        ["planned", "in_progress", "completed", "cancelled"],
        "planned",
        {"completed", "cancelled"},
        {
            "start": (("planned",), "in_progress", None, None, None),
            "complete": (("in_progress",), "completed", None, None, None),
            "cancel": (("planned",), "cancelled", None, None, None),
        },
    ),
    "ticket": (
        "status",
        ["open", "assigned", "in_progress", "resolved", "closed"],
        "open",
        {"closed"},
        {
            "assign": (("open",), "assigned", None, None, None),
            "start": (("open", "assigned"), "in_progress", None, None, None),
            "resolve": (("in_progress",), "resolved", None, None, None),
            "close": (("resolved",), "closed", None, None, None),
            "reopen": (("resolved", "closed"), "assigned", None, None, None),
        },
    ),
}


@pytest.mark.parametrize("entity", sorted(WORKFLOWS))
def test_each_record_moves_through_its_states(
    catalog: Catalog, compiled: Compiled, entity: str
) -> None:
    field, states, initial, final, transitions = WORKFLOWS[entity]
    workflow = _workflow(catalog, entity)
    assert workflow.field == field
    assert list(compiled.workflows[entity].states) == states
    assert compiled.workflows[entity].initial == initial
    assert set(workflow.final) == final
    assert {
        t.name: (t.sources, t.to, t.approval, t.pending, t.rejected) for t in workflow.transitions
    } == transitions


def test_the_opportunity_moves_through_the_funnel(catalog: Catalog, compiled: Compiled) -> None:
    workflow = _workflow(catalog, "opportunity")
    assert workflow.field == "stage" and compiled.workflows["opportunity"].initial == "qualify"
    flow = {t.name: t for t in workflow.transitions}
    ladder = [
        (t.sources, t.to)
        for t in (flow["analyse_needs"], flow["propose"], flow["negotiate"], flow["win"])
    ]
    assert ladder == [
        (("qualify",), "needs_analysis"),
        (("needs_analysis",), "proposal"),
        (("proposal",), "negotiation"),
        (("negotiation",), "won"),
    ]
    assert "amount" in flow["win"].requires and flow["win"].when == "amount > 0.0"
    assert (flow["lose"].sources, flow["lose"].to) == (tuple(OPEN_STAGES), "lost")
    assert flow["lose"].requires == ("lost_reason",)
    assert (flow["reopen"].sources, flow["reopen"].to) == (("lost",), "qualify")
    assert set(workflow.final) == {"won", "lost"}
    # probability follows the stage (the option set's probabilities)
    probability = {t.to: t.actions[0].values["probability"] for t in workflow.transitions}
    options = {
        o.value: o.attributes["probability"]
        for o in catalog.optionsets["opportunity_stage"].options
    }
    assert {stage: float(p) for stage, p in probability.items()} == {
        stage: float(options[stage]) for stage in probability
    }


def test_requirements_of_transitions(catalog: Catalog) -> None:
    def requires(entity: str, name: str) -> set[str]:
        transition = _workflow(catalog, entity).transition(name)
        assert transition is not None
        return set(transition.requires)

    assert requires("ticket", "resolve") == {"resolution"}
    assert requires("ticket", "assign") == {"assignee"}
    assert requires("contract", "submit") == {"amount", "signed_on", "start_date", "end_date"}
    assert requires("invoice", "issue") == {"invoice_number", "issued_on"}
    assert requires("invoice_reissue", "complete") == {"new_invoice"}
    assert requires("service_booking", "confirm") == {"engineer", "scheduled_at"}


def test_actions_carry_the_chain_forward(catalog: Catalog) -> None:
    contract_submit = _workflow(catalog, "contract").transition("submit")
    assert contract_submit is not None
    creates = [a for a in contract_submit.actions if a.kind == "create"]
    assert [a.entity for a in creates] == ["payment_plan"]
    assert creates[0].values["contract"] == "id"
    assert creates[0].values["planned_amount"] == "amount * down_payment_rate / 100.0"
    notify = next(a for a in contract_submit.actions if a.kind == "notify")
    assert set(notify.to) == {"owner", "role:finance"}

    accept = _workflow(catalog, "quote").transition("accept")
    assert accept is not None
    contract = next(a for a in accept.actions if a.kind == "create")
    assert contract.entity == "contract"
    assert (contract.values["quote"], contract.values["amount"]) == ("id", "total")

    void = _workflow(catalog, "invoice").transition("void_for_reissue")
    assert void is not None and void.when == "approved_reissues > 0.0"
    reopen = _workflow(catalog, "ticket").transition("reopen")
    assert reopen is not None
    assert reopen.actions[0].values["reopened"] == "reopened + 1.0"


def test_guards_hold_and_fail_where_they_should(compiled: Compiled) -> None:
    today = datetime(2026, 3, 1, tzinfo=UTC)

    def holds(entity: str, transition: str, **values: Any) -> bool:
        guard = compiled.workflows[entity].transitions[transition].guard
        assert guard is not None
        return (
            guard.evaluate({"today": today, "now": today, "user": 1, "roles": [],
                            **_exact(values)}) is True
        )

    assert holds("opportunity", "win", amount=120000.0)
    assert not holds("opportunity", "win", amount=0.0)
    assert holds("contract", "complete", amount=100.0, received_amount=100.0)
    assert not holds("contract", "complete", amount=100.0, received_amount=99.99)
    assert holds("quote", "submit", line_count=2.0, total=5000.0, valid_until=today)
    assert not holds("quote", "submit", line_count=0.0, total=0.0, valid_until=today)
    assert holds(
        "payment_plan",
        "mark_overdue",
        due_date=datetime(2026, 2, 1, tzinfo=UTC),
        received_amount=0.0,
        planned_amount=10.0,
    )


# --- approval chains ------------------------------------------------------------------------

# approval: [(step, approver kind, approver, when)]
CHAINS = {
    "requirement_approval": [("manager", "manager", 1, None)],
    "quote_approval": [
        ("manager", "manager", 1, "!('sales_director' in roles)"),
        ("director", "role", "sales_director", "total > 500000.0 && !('sales_director' in roles)"),
        ("finance", "role", "finance", "discount_rate > 20.0"),
    ],
    "contract_approval": [
        ("manager", "manager", 1, "!('sales_director' in roles)"),
        (
            "director",
            "role",
            "sales_director",
            "amount > 1000000.0 && !('sales_director' in roles)",
        ),
        ("finance", "role", "finance", None),
    ],
    "payment_approval": [("finance", "role", "finance", None)],
    "invoice_approval": [
        ("finance", "role", "finance", None),
        ("finance_manager", "role", "finance_manager", "amount > 1000000.0 || before_payment"),
    ],
    "invoice_reissue_approval": [
        (
            "manager",
            "manager",
            1,
            (
                "!('sales_director' in roles) && !('finance' in roles) && "
                "!('finance_manager' in roles)"
            ),
        ),
        ("finance", "role", "finance", None),
    ],
}


def _approver(approval: ApprovalDef, step: str) -> tuple[str, object]:
    found = approval.step(step)
    assert found is not None
    who = found.approvers
    return who.kind, who.levels if who.kind == "manager" else who.role


@pytest.mark.parametrize("name", sorted(CHAINS))
def test_each_approval_chain_has_its_steps(catalog: Catalog, name: str) -> None:
    approval = catalog.approvals[name]
    assert [(s.name, *_approver(approval, s.name), s.when) for s in approval.steps] == CHAINS[name]
    # the record a chain approves has the workflow that starts it
    workflow = _workflow(catalog, approval.entity)
    assert any(t.approval == name for t in workflow.transitions)


def _exact(values: dict[str, Any]) -> dict[str, Any]:
    """Amounts as the engine hands them to expressions: exact, never binary floats."""
    return {k: Fraction(str(v)) if isinstance(v, float) else v for k, v in values.items()}


def _steps(
    compiled: Compiled, name: str, roles: tuple[str, ...] = ("salesperson",), **values: Any
) -> list[str]:
    """The steps a chain takes for a record with ``values``, as it is started."""
    approval = compiled.approvals[name]
    context = {"roles": list(roles), "today": datetime(2026, 3, 1, tzinfo=UTC), "user": 1,
               **_exact(values)}
    return [
        s.name
        for s in approval.definition.steps
        if s.name not in approval.conditions
        or approval.conditions[s.name].evaluate(context) is True
    ]


def test_quote_thresholds(compiled: Compiled) -> None:
    assert _steps(compiled, "quote_approval", total=80000.0, discount_rate=10.0) == ["manager"]
    assert _steps(compiled, "quote_approval", total=500000.01, discount_rate=10.0) == [
        "manager",
        "director",
    ]
    assert _steps(compiled, "quote_approval", total=80000.0, discount_rate=25.0) == [
        "manager",
        "finance",
    ]
    assert (
        _steps(
            compiled,
            "quote_approval",
            roles=("sales_director",),
            total=900000.0,
            discount_rate=20.0,
        )
        == []
    )


def test_contract_thresholds(compiled: Compiled) -> None:
    assert _steps(compiled, "contract_approval", amount=300000.0) == ["manager", "finance"]
    assert _steps(compiled, "contract_approval", amount=1500000.0) == [
        "manager",
        "director",
        "finance",
    ]
    assert _steps(compiled, "contract_approval", roles=("sales_director",), amount=1500000.0) == [
        "finance"
    ]


def test_invoice_thresholds(compiled: Compiled) -> None:
    assert _steps(compiled, "invoice_approval", amount=200000.0, before_payment=False) == [
        "finance"
    ]
    assert _steps(compiled, "invoice_approval", amount=1200000.0, before_payment=False) == [
        "finance",
        "finance_manager",
    ]
    assert _steps(compiled, "invoice_approval", amount=2000.0, before_payment=True) == [
        "finance",
        "finance_manager",
    ]


def test_rejections_reminders_and_escalations(catalog: Catalog) -> None:
    steps = {(a.name, s.name): s for a in catalog.approvals.values() for s in a.steps}
    assert steps["invoice_approval", "finance_manager"].reject_to == "previous"
    assert steps["invoice_reissue_approval", "finance"].reject_to == "manager"
    manager = steps["contract_approval", "manager"]
    assert (manager.remind_after, manager.escalate_after) == (86400, 3 * 86400)
    assert manager.escalate_to is not None and manager.escalate_to.kind == "manager"
    finance = steps["payment_approval", "finance"]
    assert finance.escalate_to is not None and finance.escalate_to.role == "finance_manager"
    assert sum(1 for s in steps.values() if s.remind_after) >= 8


# --- roles -----------------------------------------------------------------------------------


def test_roles_reach_the_chain(catalog: Catalog) -> None:
    roles = catalog.roles
    assert {"finance_manager", "service_engineer"} <= set(roles)
    for entity in ("requirement", "quote", "contract", "invoice"):
        grant = roles["salesperson"].grant(entity)
        assert grant is not None and grant.scope == "own" and "create" in grant.operations
        team = roles["sales_manager"].grant(entity)
        assert team is not None and team.scope == "team"
        director = roles["sales_director"].grant(entity)
        assert director is not None and director.scope == "all"
    for entity in ("payment", "invoice"):
        grant = roles["finance"].grant(entity)
        assert grant is not None and {"read", "create", "update"} <= grant.operations
    contract = roles["finance"].grant("contract")
    assert contract is not None and contract.operations == {"read", "export", "comment"}
    for entity in ("ticket", "service_booking"):
        grant = roles["service_agent"].grant(entity)
        assert grant is not None and "update" in grant.operations
        grant = roles["service_engineer"].grant(entity)
        assert grant is not None and "update" in grant.operations
    for entity in CHAIN:  # the auditor reads everything through its default
        grant = roles["auditor"].grant(entity)
        assert grant is not None and grant.operations == {"read", "export"}
    # the service desk never sees what a contract is worth
    hidden = roles["service_agent"].grant("contract")
    assert hidden is not None and hidden.fields["amount"] == "hidden"


def test_transition_roles_may_update_the_record(catalog: Catalog) -> None:
    """A role named in a transition's `who` can only fire it with the update operation."""
    for workflow in catalog.workflows.values():
        for transition in workflow.transitions:
            for role in transition.who.roles:
                grant = catalog.roles[role].grant(workflow.entity)
                assert grant is not None and "update" in grant.operations, (
                    workflow.name,
                    transition.name,
                    role,
                )
