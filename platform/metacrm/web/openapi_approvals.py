"""Describe the approvals API and the notifications in the OpenAPI document: the
inbox, one chain, decisions, comments, handing a task on, delegation periods, and
the caller's notifications, with the bodies the endpoints really take and give
(web/approvals_api.py, web/notifications_api.py, runtime/approval_views.py)."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from ..definitions.workflows import DECISIONS
from ..runtime.approval_views import CHAIN_STATES, STATE_FILTERS, TASK_STATES
from .approvals_api import MAX_COMMENT
from .openapi_parts import (
    FLAG,
    ID_SCHEMA,
    INTEGER,
    OPTIONAL_INTEGER,
    OPTIONAL_TEXT,
    OPTIONAL_WHEN,
    TEXT,
    WHEN,
    Schema,
    body,
    closed,
    items,
    obj,
    operation,
    param,
    params,
    path,
    ref,
    unique,
)

_CURSOR: Schema = {"type": ["string", "null"],
                   "description": "Pass back as `cursor`; null on the last page."}
# A step's status in a chain's detail (approval_views._status).
STEP_STATUSES = ("done", "current", "waiting", "rejected", "withdrawn", "not_reached")
# Kinds of a chain's timeline events (runtime/approvals.py, approval_actions.py,
# deadlines.py).
EVENT_KINDS = ("submit", "step", "skip", "approve", "reject", "withdraw", "comment",
               "delegate", "escalate", "remind", "done")
# Kinds of notifications (runtime/approvals.py, approval_actions.py, deadlines.py;
# "message": a workflow's notify action, runtime/actions.py).
NOTIFICATION_KINDS = ("approval_waiting", "approval_approved", "approval_rejected",
                      "approval_withdrawn", "approval_comment", "approval_delegated",
                      "approval_reminder", "approval_escalated", "approval_escalated_away",
                      "message")
# A user in an approvals body: a JSON integer, or its digits as text (what a page's
# select sends; web/approvals_api.py _user_id).
_USER_ID: Schema = {"anyOf": [ID_SCHEMA, {"type": "string", "pattern": "^0*[1-9][0-9]{0,17}$"}]}


def _person(nullable: bool = False) -> Schema:
    return {"oneOf": [ref("Person"), {"type": "null"}]} if nullable else ref("Person")


def _page(schema: Schema, **more: Schema) -> Schema:
    return obj(" ".join(("items", "next_cursor", *more)),
               items={"type": "array", "items": schema}, next_cursor=_CURSOR, **more)


def approval_schemas() -> dict[str, Schema]:
    """The schemas of the approvals API and of notifications."""
    about: dict[str, Schema] = {
        "id": {"type": "integer", "description": "The chain's id."},
        "approval": {"type": "string", "description": "The approval's name."},
        "label": TEXT, "entity": TEXT, "entity_label": TEXT, "record_id": INTEGER,
        "title": {"type": "string", "description": "The record's title field, or "
                  "`<Label> #<id>`."}}
    task: dict[str, Schema] = {"state": {"enum": list(TASK_STATES), "description": "The task's."},
            "chain_state": {"enum": list(CHAIN_STATES)}}
    comment = {"type": ["string", "null"], "maxLength": MAX_COMMENT}
    notification = obj(
        "id kind title body entity record_id approval_id created_at read_at",
        id=INTEGER, kind={"enum": list(NOTIFICATION_KINDS)},
        title={"type": "string", "description": "In the reader's language."},
        body=OPTIONAL_TEXT, entity=OPTIONAL_TEXT, record_id=OPTIONAL_INTEGER,
        approval_id=OPTIONAL_INTEGER, created_at=WHEN, read_at=OPTIONAL_WHEN)
    return deepcopy({  # the constants above go into documents their owners may change
        "Person": obj("id name", id=INTEGER, name=OPTIONAL_TEXT),
        "ApprovalTask": obj(
            f"{' '.join(about)} task_id step step_label submitter submitted_at state "
            "chain_state on_behalf_of assigned_at decided_at escalated_at",
            **about, task_id=INTEGER, step=TEXT, step_label=TEXT,
            submitter=_person(nullable=True), submitted_at=WHEN, **task,
            on_behalf_of={**_person(nullable=True), "description": "Whom the caller acts "
                          "for: a delegation, an escalation."},
            assigned_at=WHEN, decided_at=OPTIONAL_WHEN, escalated_at=OPTIONAL_WHEN),
        "ApprovalRequest": obj(
            f"{' '.join(about)} state step step_label submitter submitted_at finished_at",
            **about, state={"enum": list(CHAIN_STATES)},
            step={**OPTIONAL_TEXT, "description": "The current step."},
            step_label=OPTIONAL_TEXT, submitter=_person(nullable=True), submitted_at=WHEN,
            finished_at=OPTIONAL_WHEN),
        "ApprovalTaskList": _page(ref("ApprovalTask")),
        "ApprovalRequestList": _page(ref("ApprovalRequest")),
        "Approval": obj(
            f"{' '.join(about)} state step submitter submitted_at finished_at steps tasks "
            "timeline may",
            **about, state={"enum": list(CHAIN_STATES)},
            step={**OPTIONAL_TEXT, "description": "The current step, while pending."},
            submitter=_person(nullable=True), submitted_at=WHEN, finished_at=OPTIONAL_WHEN,
            steps={"type": "array", "items": obj(
                "name label decide status approvers", name=TEXT, label=TEXT,
                decide={"enum": list(DECISIONS)}, status={"enum": list(STEP_STATUSES)},
                approvers={"type": "array", "items": _person()})},
            tasks={"type": "array", "items": obj(
                "id step step_label user on_behalf_of state assigned_at decided_at comment "
                "reminded_at escalated_at", id=INTEGER, step=TEXT, step_label=TEXT,
                user=_person(nullable=True), on_behalf_of=_person(nullable=True),
                state={"enum": list(TASK_STATES)}, assigned_at=WHEN,
                decided_at=OPTIONAL_WHEN, comment=OPTIONAL_TEXT,
                reminded_at=OPTIONAL_WHEN, escalated_at=OPTIONAL_WHEN)},
            timeline={"type": "array", "items": obj(
                "id kind step step_label user comment at", id=INTEGER,
                kind={"enum": list(EVENT_KINDS)}, step=OPTIONAL_TEXT,
                step_label=OPTIONAL_TEXT, user=_person(nullable=True),
                comment={**OPTIONAL_TEXT, "description": "For `done`: the outcome."}, at=WHEN,
                to={"type": "array", "items": _person(nullable=True),
                    "description": "`delegate` and `escalate`: whom it went to."})},
            may=obj("approve reject delegate withdraw comment", approve=FLAG, reject=FLAG,
                    delegate=FLAG, withdraw=FLAG, comment=FLAG)),
        "ApprovalDecision": closed(obj("", comment=comment)),
        "ApprovalComment": closed(obj("comment", comment={
            "type": "string", "minLength": 1, "maxLength": MAX_COMMENT, "pattern": r"\S",
            "description": "Not only spaces."})),
        "ApprovalHandOn": closed(obj("to", to={**_USER_ID, "description": "An active "
                                               "user, not the caller nor the submitter."},
                                     comment=comment)),
        "Delegation": obj(
            "id user delegate starts_at ends_at created_at revoked_at running",
            id=INTEGER, user=_person(), delegate=_person(), starts_at=WHEN, ends_at=WHEN,
            created_at=WHEN, revoked_at=OPTIONAL_WHEN,
            running={**FLAG, "description": "Handing tasks over now."}),
        "DelegationCreate": closed(obj(
            "delegate ends_at",
            delegate={**_USER_ID, "description": "An active user other than `user`."},
            starts_at={**OPTIONAL_WHEN, "description": "Default: now. With its offset "
                       "(RFC 3339)."},
            ends_at={**WHEN, "description": "After `starts_at`, in the future."},
            user={"anyOf": [*_USER_ID["anyOf"], {"type": "null"}], "description": "Whose tasks "
                  "(default: the caller's; someone else's for administrators)."})),
        "Notification": notification,
        "NotificationList": _page(ref("Notification"), unread={
            "type": "integer", "description": "How many of the caller's are unread."}),
        "NotificationRead": {"allOf": [ref("Notification"), obj("unread", unread=INTEGER)]},
        "NotificationsRead": closed(obj("", up_to={
            "type": ["integer", "null"], "description": "Only those up to this id (the "
            "newest the reader saw)."})),
        "NotificationsMarked": obj("marked unread", marked=INTEGER, unread=INTEGER),
    })


def approval_paths(tags: list[dict[str, str]], taken: set[str]) -> dict[str, Any]:
    """The approvals API and the notifications; adds their ``tags``."""
    names = {t["name"] for t in tags}
    chains, news = (unique(name, names, " (api)") for name in ("approvals", "notifications"))
    tags += [{"name": chains, "description": "The inbox, decisions, delegation "
              "(docs/approvals.md)."},
             {"name": news, "description": "The caller's notifications (docs/approvals.md)."}]

    def op(tag: str, op_id: str, summary: str, errors: str, schema: Schema | None,
           code: str = "200", **more: Any) -> Schema:
        return operation(op_id, tag, summary, code, schema, "401 " + errors, taken, **more)

    def me(key: str, text: str) -> Schema:
        return param(key, "query", {"enum": ["me"]}, text)

    chain = ref("Approval")
    optional = body(ref("ApprovalDecision"), required=False)
    decided = "`403`: no pending task of the current step; `409`: the chain has ended."
    listing = [
        me("assigned", "My tasks (the default)."), me("submitted", "The chains I submitted."),
        param("state", "query", {"enum": list(STATE_FILTERS), "default": "pending"},
              "`done`: decided or ended; `all`: both."), *params("Limit", "Cursor")]
    return deepcopy({  # see approval_schemas
        "/api/approvals": path(get=op(
            chains, "list_approvals", "My approval inbox, or the chains I submitted", "400",
            {"anyOf": [ref("ApprovalTaskList"), ref("ApprovalRequestList")]},
            parameters=listing, description="Newest first. `assigned=me` (the default) "
            "answers `ApprovalTaskList`, `submitted=me` `ApprovalRequestList`; not both.")),
        "/api/approvals/{id}": path("RecordId", get=op(
            chains, "get_approval", "One chain: steps, tasks, timeline, what I may do",
            "404", chain, description="`404` also for a chain the caller may not see.")),
        "/api/approvals/{id}/approve": path("RecordId", post=op(
            chains, "approve_approval", "Approve my task of the current step",
            "400 403 404 409 422", chain, requestBody=optional, description=decided)),
        "/api/approvals/{id}/reject": path("RecordId", post=op(
            chains, "reject_approval", "Reject my task of the current step",
            "400 403 404 409 422", chain, requestBody=optional, description=decided)),
        "/api/approvals/{id}/withdraw": path("RecordId", post=op(
            chains, "withdraw_approval", "Take a pending request back (its submitter, "
            "administrators)", "400 403 404 409 422", chain, requestBody=optional,
            description="The record goes back to the state it left.")),
        "/api/approvals/{id}/comment": path("RecordId", post=op(
            chains, "comment_approval", "Comment on a chain's timeline", "400 403 404 422",
            chain, requestBody=body(ref("ApprovalComment")))),
        "/api/approvals/{id}/delegate": path("RecordId", post=op(
            chains, "delegate_approval", "Hand my task of the current step to someone else",
            "400 403 404 409 422", chain, requestBody=body(ref("ApprovalHandOn")),
            description="`403`: no pending task of the current step; `409`: they already "
            "hold a task of it, or the chain has ended.")),
        "/api/approvals/delegations": path(
            get=op(chains, "list_delegations", "My delegation periods", "400 403 422",
                   items(ref("Delegation")), parameters=[param(
                       "user", "query", ID_SCHEMA, "Someone else's (administrators).")]),
            post=op(chains, "create_delegation", "While I am away, tasks given to me go to "
                    "a delegate", "400 403 409 422", ref("Delegation"), "201",
                    requestBody=body(ref("DelegationCreate")),
                    description="`409`: it overlaps another period of the same user.")),
        "/api/approvals/delegations/{id}": path("RecordId", delete=op(
            chains, "revoke_delegation", "Revoke a delegation period", "403 404", None,
            "204", description="Tasks it handed over stay with the delegate.")),
        "/api/notifications": path(get=op(
            news, "list_notifications", "My notifications, newest first", "400",
            ref("NotificationList"), parameters=[
                param("unread", "query", {"type": "boolean"}, "Only the unread ones."),
                *params("Limit", "Cursor")])),
        "/api/notifications/{id}/read": path("RecordId", post=op(
            news, "read_notification", "Mark one of mine read", "403 404",
            ref("NotificationRead"), description="It keeps its first `read_at`; answers "
            "it with how many stay unread.")),
        "/api/notifications/read": path(post=op(
            news, "read_notifications", "Mark all of mine read", "400 403 422",
            ref("NotificationsMarked"), requestBody=body(ref("NotificationsRead"),
                                                         required=False))),
    })
