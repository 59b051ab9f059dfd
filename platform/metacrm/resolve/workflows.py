"""Merge workflows and approval chains across bundles and check them against the
entities, roles and plugins they name: states, transitions and their guards and
actions, the state machine's shape (unreachable states, dead ends), approvers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from ..base.words import with_article
from ..definitions import (
    ActionDef,
    ApprovalDef,
    ApproverDef,
    BundleDefs,
    Catalog,
    EntityDef,
    Location,
    WorkflowDef,
)
from ..errors import ErrorCollector, did_you_mean
from ..expressions import ExpressionError, check_expression
from .conditions import ConditionNames

Named = TypeVar("Named", WorkflowDef, ApprovalDef)
# Names a guard or a step condition may use besides the record's fields.
CALLER_NAMES = {"roles": "multi_choice"}


def merge_named(bundles: Iterable[BundleDefs], kind: str, errors: ErrorCollector
                ) -> dict[str, Named]:
    """Workflows (or approvals) of every bundle by name; a name used twice is an error."""
    found: dict[str, Named] = {}
    for bundle in bundles:
        for item in getattr(bundle, kind):
            if item.name in found:
                errors.add(item.location, f"{kind[:-1]} '{item.name}' is already defined at "
                           f"{found[item.name].location}")
                continue
            found[item.name] = item
    return found


def check_workflows(catalog: Catalog, hooks: frozenset[str], errors: ErrorCollector) -> None:
    attached: dict[str, WorkflowDef] = {}
    for workflow in catalog.workflows.values():
        entity = catalog.entities.get(workflow.entity)
        if entity is None:
            errors.add(workflow.at("entity"), f"workflow '{workflow.name}': unknown entity "
                       f"'{workflow.entity}'{did_you_mean(workflow.entity, catalog.entities)}")
            continue
        if workflow.entity in attached:
            errors.add(workflow.location, f"'{workflow.entity}' already has workflow "
                       f"'{attached[workflow.entity].name}' (at "
                       f"{attached[workflow.entity].location}); one workflow per entity")
            continue
        attached[workflow.entity] = workflow
        _check_workflow(catalog, entity, workflow, hooks, errors)
    for approval in catalog.approvals.values():
        _check_approval(catalog, approval, hooks, errors)


def _states(catalog: Catalog, entity: EntityDef, workflow: WorkflowDef,
            errors: ErrorCollector) -> tuple[str, ...] | None:
    field = entity.fields.get(workflow.field)
    what = f"workflow '{workflow.name}'"
    if field is None:
        errors.add(workflow.at("field"), f"{what}: unknown field '{entity.name}."
                   f"{workflow.field}'{did_you_mean(workflow.field, entity.fields)}")
        return None
    if field.type != "choice" or not field.options:
        errors.add(workflow.at("field"), f"{what}: '{workflow.field}' is "
                                         f"{with_article(field.type)} "
                   "field; the state is a choice field (its options are the states)")
        return None
    return catalog.optionsets[field.options].values()


def initial_state(catalog: Catalog, workflow: WorkflowDef) -> str:
    """The state a new record starts in: ``initial``, the field's default, or its first
    option."""
    field = catalog.entities[workflow.entity].fields[workflow.field]
    options = catalog.optionsets[field.options or ""].values()
    return workflow.initial or (str(field.default) if field.default is not None else options[0])


def _check_workflow(catalog: Catalog, entity: EntityDef, workflow: WorkflowDef,
                    hooks: frozenset[str], errors: ErrorCollector) -> None:
    states = _states(catalog, entity, workflow, errors)
    if states is None:
        return
    what = f"workflow '{workflow.name}'"

    def known(state: str | None, where: Location, role: str) -> bool:
        if state is None or state in states:
            return True
        errors.add(where, f"{what}: {role} '{state}', which is not a state (the states are "
                   f"the options of '{entity.name}.{workflow.field}': {', '.join(states)})"
                   f"{did_you_mean(state, states)}")
        return False

    known(workflow.initial, workflow.at("initial"), "initial state")
    default = entity.fields[workflow.field].default
    if workflow.initial and default is not None and str(default) != workflow.initial:
        errors.add(workflow.at("initial"), f"{what}: initial state '{workflow.initial}' is not "
                   f"the default of '{entity.name}.{workflow.field}' ('{default}'): a new "
                   "record starts in the initial state, so give only one of them")
    for state in workflow.final:
        known(state, workflow.at("final"), "final state")
    for state in workflow.read_only:
        known(state, workflow.at("read_only"), "read-only state")
    _check_read_only(catalog, entity, workflow, errors)
    reads = ConditionNames.of(catalog, entity, CALLER_NAMES)
    seen: dict[str, Location] = {}
    for transition in workflow.transitions:
        where = transition.location
        label = f"{what}, transition '{transition.name}'"
        if transition.name in seen:
            errors.add(where, f"{label} is defined twice (also at {seen[transition.name]})")
        seen[transition.name] = where
        for state in transition.sources:
            known(state, where, f"transition '{transition.name}' leaves from")
        known(transition.to, where, f"transition '{transition.name}' leads to")
        known(transition.pending, where, f"transition '{transition.name}': pending state")
        known(transition.rejected, where, f"transition '{transition.name}': rejected state")
        if transition.when:
            reads.check(transition.when, where, f"{label}: when", errors)
        for name in transition.requires:
            if name not in entity.fields:
                errors.add(where, f"{label}: requires unknown field '{name}'"
                           f"{did_you_mean(name, entity.fields)}")
        _check_who(catalog, entity, transition.who, where, label, errors)
        if transition.approval is not None:
            approval = catalog.approvals.get(transition.approval)
            if approval is None:
                errors.add(where, f"{label}: unknown approval '{transition.approval}'"
                           f"{did_you_mean(transition.approval, catalog.approvals)}")
            elif approval.entity != entity.name:
                errors.add(where, f"{label}: approval '{approval.name}' is for "
                           f"'{approval.entity}', not '{entity.name}'")
        elif transition.pending or transition.rejected:
            errors.add(where, f"{label}: 'pending' and 'rejected' need an 'approval'")
        check_actions(catalog, entity, transition.actions, hooks, label, errors,
                      protected=workflow.field)
    _check_shape(catalog, workflow, states, errors)


def _check_read_only(catalog: Catalog, entity: EntityDef, workflow: WorkflowDef,
                     errors: ErrorCollector) -> None:
    what = f"workflow '{workflow.name}': read_only"
    where = workflow.at("read_only")
    initial = initial_state(catalog, workflow)
    if initial in workflow.read_only:
        errors.add(where, f"{what}: the initial state '{initial}' cannot be read-only (new "
                   "records start in it, and could never be filled in)")
    for item in workflow.read_only_with:
        child_name, _, name = item.partition(".")
        child = catalog.entities.get(child_name)
        if child is None:
            errors.add(where, f"{what} with: unknown entity '{child_name}'"
                       f"{did_you_mean(child_name, catalog.entities)}")
            continue
        field = child.fields.get(name)
        if field is None or field.type != "reference" or field.to != entity.name:
            errors.add(where, f"{what} with: '{item}' must be a reference field of "
                       f"'{child_name}' that points to '{entity.name}'"
                       + (did_you_mean(name, child.fields) if field is None else ""))


def _check_shape(catalog: Catalog, workflow: WorkflowDef, states: tuple[str, ...],
                 errors: ErrorCollector) -> None:
    """Every state reachable from the initial one; every state but the final ones (and
    those a pending approval leaves) has a way out."""
    initial = initial_state(catalog, workflow)
    reached = _reachable(workflow, initial)
    waiting = {t.pending for t in workflow.transitions if t.pending}
    what = f"workflow '{workflow.name}'"
    for state in states:
        if state not in reached:
            where = workflow.at("initial") if workflow.initial else workflow.at("transitions")
            errors.add(where, f"{what}: state '{state}' cannot be reached from "
                       f"'{initial}' by any transition")
        elif state not in workflow.final and state not in waiting and not any(
                state in t.sources for t in workflow.transitions):
            where = workflow.at("final") if workflow.final else workflow.at("transitions")
            errors.add(where, f"{what}: state '{state}' is a dead end: no "
                       "transition leaves it and it is not final")


def _reachable(workflow: WorkflowDef, initial: str) -> set[str]:
    """The states a record can get to from ``initial``. A record waiting for an
    approval leaves its pending state for the transition's target, its rejected
    state, or (withdrawn, or rejected without one) the state it came from: so a
    pending state is tracked with where the record came from, and a withdrawal
    never "reaches" a state the record was not in."""
    reached: set[str] = set()
    # (state, the transition it waits in, the state it came from); plain states: "", ""
    seen: set[tuple[str, str, str]] = set()
    frontier = [(initial, "", "")]
    while frontier:
        node = frontier.pop()
        if node in seen:
            continue
        seen.add(node)
        state, waiting_in, origin = node
        reached.add(state)
        if waiting_in:
            transition = workflow.transition(waiting_in)
            assert transition is not None
            frontier += [(transition.to, "", ""), (transition.rejected or origin, "", ""),
                         (origin, "", "")]
        for transition in workflow.transitions:
            if state not in transition.sources:
                continue
            if transition.approval and transition.pending:
                frontier.append((transition.pending, transition.name, state))
            else:
                frontier.append((transition.to, "", ""))
                if transition.approval and transition.rejected:
                    frontier.append((transition.rejected, "", ""))
    return reached


def _check_who(catalog: Catalog, entity: EntityDef, who: object, where: Location, label: str,
               errors: ErrorCollector) -> None:
    for role in getattr(who, "roles", ()):
        if role not in catalog.roles:
            errors.add(where, f"{label}: unknown role '{role}'{did_you_mean(role, catalog.roles)}")
    for name in getattr(who, "fields", ()):
        field = entity.fields.get(name)
        if field is None or field.type != "user":
            errors.add(where, f"{label}: who.fields: '{name}' must be a user field of "
                       f"'{entity.name}'")
    if getattr(who, "owner", False) and entity.owned_by is None:
        errors.add(where, f"{label}: who.owner needs 'owned_by' on '{entity.name}' (who "
                   "holds its records)")


def check_actions(catalog: Catalog, entity: EntityDef, actions: Iterable[ActionDef],
                  hooks: frozenset[str], label: str, errors: ErrorCollector,
                  protected: str | None = None) -> None:
    types = entity.field_types()
    for action in actions:
        where = action.location
        if action.kind == "set":
            _check_values(catalog, entity, action.values, types, where, f"{label}: set",
                          errors, protected)
        elif action.kind == "create":
            target = catalog.entities.get(action.entity or "")
            if target is None:
                errors.add(where, f"{label}: create: unknown entity '{action.entity}'"
                           f"{did_you_mean(action.entity or '', catalog.entities)}")
                continue
            _check_values(catalog, target, action.values, types, where,
                          f"{label}: create {target.name}", errors, None)
        elif action.kind == "notify":
            for recipient in action.to:
                _check_recipient(catalog, entity, recipient, where, label, errors)
        elif action.kind == "fire":
            _check_fire(catalog, entity, action, label, errors)
        elif action.hook not in hooks:
            errors.add(where, f"{label}: unknown hook '{action.hook}'"
                       f"{did_you_mean(action.hook or '', hooks)}" + (
                           "" if hooks else " (no plugin is loaded: METACRM_PLUGINS)"))


def _check_values(catalog: Catalog, target: EntityDef, values: Mapping[str, str],
                  types: Mapping[str, str], where: Location, label: str,
                  errors: ErrorCollector, protected: str | None) -> None:
    field_types = catalog.field_types
    for name, source in values.items():
        field = target.fields.get(name)
        if field is None:
            errors.add(where, f"{label}: unknown field '{target.name}.{name}'"
                       f"{did_you_mean(name, target.fields)}")
            continue
        if field.computed or name == protected:
            errors.add(where, f"{label}: '{name}' cannot be set (it is "
                       + ("the workflow's state" if name == protected else "computed") + ")")
            continue
        try:
            check_expression(source, types, result=field_types.of(field).expression_type,
                             kinds=field_types.expression_type)
        except ExpressionError as exc:
            hint = ""
            if source.isidentifier() and field_types.of(field).textual:
                hint = f" (to set the text, quote it: \"'{source}'\")"
            errors.add(where, f"{label}: {name}: {exc}{hint}")


def _check_fire(catalog: Catalog, entity: EntityDef, action: ActionDef, label: str,
                errors: ErrorCollector) -> None:
    where = action.location
    field = entity.fields.get(action.reference or "")
    if field is None or field.type != "reference":
        errors.add(where, f"{label}: fire: record '{action.reference}' must be a reference "
                   f"field of '{entity.name}'" + (did_you_mean(action.reference or "",
                                                           entity.fields) if field is None
                                                  else ""))
        return
    workflow = catalog.workflow_of(field.to or "")
    names = [t.name for t in workflow.transitions] if workflow else []
    if action.transition not in names:
        errors.add(where, f"{label}: fire: '{field.to}' has no transition "
                   f"'{action.transition}'{did_you_mean(action.transition or '', names)}"
                   + ("" if workflow else f" ('{field.to}' has no workflow)"))


def _check_recipient(catalog: Catalog, entity: EntityDef, recipient: str, where: Location,
                     label: str, errors: ErrorCollector) -> None:
    kind, _, name = recipient.partition(":")
    if kind == "owner" and entity.owned_by is None:
        errors.add(where, f"{label}: notify owner: '{entity.name}' has no 'owned_by' (who "
                   "holds its records)")
    elif kind == "role" and name not in catalog.roles:
        errors.add(where, f"{label}: notify: unknown role '{name}'"
                   f"{did_you_mean(name, catalog.roles)}")
    elif kind == "field":
        field = entity.fields.get(name)
        if field is None or field.type != "user":
            errors.add(where, f"{label}: notify: '{name}' must be a user field of "
                       f"'{entity.name}'")


# A step's reminder or escalation further off than this is a typo, and past what
# date arithmetic can hold at all (4,000,000 days) it would fail every submission.
MAX_DEADLINE_DAYS = 365


def _check_approval(catalog: Catalog, approval: ApprovalDef, hooks: frozenset[str],
                    errors: ErrorCollector) -> None:
    what = f"approval '{approval.name}'"
    entity = catalog.entities.get(approval.entity)
    if entity is None:
        errors.add(approval.location, f"{what}: unknown entity '{approval.entity}'"
                   f"{did_you_mean(approval.entity, catalog.entities)}")
        return
    reads = ConditionNames.of(catalog, entity, CALLER_NAMES)
    earlier: list[str] = []
    for step in approval.steps:
        label = f"{what}, step '{step.name}'"
        if step.name in earlier:
            errors.add(step.location, f"{label} is defined twice")
        _check_approver(catalog, entity, step.approvers, step.location, label, errors)
        if step.escalate_to is not None:
            _check_approver(catalog, entity, step.escalate_to, step.location,
                            f"{label}: escalate_to", errors)
        if step.when:
            reads.check(step.when, step.location, f"{label}: when", errors)
        for key, seconds in (("remind_after", step.remind_after),
                             ("escalate_after", step.escalate_after)):
            if seconds is not None and seconds > MAX_DEADLINE_DAYS * 86400:
                errors.add(step.location, f"{label}: {key} is longer than "
                           f"{MAX_DEADLINE_DAYS} days")
        if step.reject_to not in ("submitter", "previous") and step.reject_to not in earlier:
            errors.add(step.location, f"{label}: reject_to must be submitter, previous or an "
                       f"earlier step ({', '.join(earlier) or 'none before this one'}), got "
                       f"'{step.reject_to}'")
        if step.reject_to == "previous" and not earlier:
            errors.add(step.location, f"{label}: reject_to: previous, but it is the first step")
        earlier.append(step.name)
    check_actions(catalog, entity, approval.on_approve, hooks, f"{what}: on_approve", errors)
    check_actions(catalog, entity, approval.on_reject, hooks, f"{what}: on_reject", errors)
    starters = [f"'{w.name}.{t.name}'" for w in catalog.workflows.values()
                for t in w.transitions if t.approval == approval.name]
    if starters and (approval.on_approve or approval.on_reject):
        errors.add(approval.location, f"{what}: on_approve and on_reject run only for a chain "
                   f"submitted on its own, but transition {starters[0]} starts this one: "
                   "put the actions on the transition (they run once it is approved; a "
                   "rejection leads to its 'rejected' state)")


def _check_approver(catalog: Catalog, entity: EntityDef, approver: ApproverDef,
                    where: Location, label: str, errors: ErrorCollector) -> None:
    where = approver.location or where
    if approver.kind == "role" and approver.role not in catalog.roles:
        errors.add(where, f"{label}: unknown role '{approver.role}'"
                   f"{did_you_mean(approver.role or '', catalog.roles)}")
    elif approver.kind == "field":
        field = entity.fields.get(approver.field or "")
        if field is None or field.type != "user":
            errors.add(where, f"{label}: approvers field '{approver.field}' must be a user "
                       f"field of '{entity.name}'")


