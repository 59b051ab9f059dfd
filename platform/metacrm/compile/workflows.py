"""Compile workflows and approval chains: states, transitions with their guards and
actions parsed once, per entity; approval steps with their conditions. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from ..definitions import ActionDef, ApprovalDef, Catalog, TransitionDef, WorkflowDef
from ..expressions import Expression, parse_expression


@dataclass(frozen=True)
class CompiledAction:
    definition: ActionDef
    values: Mapping[str, Expression]  # set / create: each field's expression

    @cached_property
    def reads(self) -> frozenset[str]:
        """The names its expressions read (fields and built-ins)."""
        return frozenset().union(*(expression.names for expression in self.values.values()))


@dataclass(frozen=True)
class CompiledTransition:
    definition: TransitionDef
    guard: Expression | None
    actions: tuple[CompiledAction, ...]

    @property
    def name(self) -> str:
        return self.definition.name


@dataclass(frozen=True)
class CompiledWorkflow:
    definition: WorkflowDef
    field: str
    states: tuple[str, ...]
    initial: str
    transitions: Mapping[str, CompiledTransition]
    read_only: frozenset[str] = frozenset()  # states in which only transitions change it

    def leaving(self, state: str | None) -> list[CompiledTransition]:
        """The transitions that may leave ``state``, in definition order."""
        return [t for t in self.transitions.values() if state in t.definition.sources]

    @property
    def waiting_states(self) -> frozenset[str]:
        """States a record is in while an approval chain runs."""
        return frozenset(t.definition.pending for t in self.transitions.values()
                         if t.definition.pending)


@dataclass(frozen=True)
class CompiledApproval:
    definition: ApprovalDef
    conditions: Mapping[str, Expression]  # step name -> its `when`
    on_approve: tuple[CompiledAction, ...]
    on_reject: tuple[CompiledAction, ...]

    @property
    def name(self) -> str:
        return self.definition.name


def compile_actions(actions: tuple[ActionDef, ...]) -> tuple[CompiledAction, ...]:
    return tuple(CompiledAction(a, {name: parse_expression(source)
                                    for name, source in a.values.items()}) for a in actions)


def compile_workflows(catalog: Catalog) -> dict[str, CompiledWorkflow]:
    """The workflow of each entity that has one, by entity name."""
    compiled = {}
    for workflow in catalog.workflows.values():
        entity = catalog.entities[workflow.entity]
        field = entity.fields[workflow.field]
        compiled[workflow.entity] = CompiledWorkflow(
            definition=workflow, field=workflow.field,
            states=catalog.optionsets[field.options or ""].values(),
            initial=workflow.initial_state,
            transitions={t.name: CompiledTransition(
                t, parse_expression(t.when) if t.when else None, compile_actions(t.actions))
                for t in workflow.transitions},
            read_only=frozenset(workflow.read_only))
    return compiled


def compile_approvals(catalog: Catalog) -> dict[str, CompiledApproval]:
    return {name: CompiledApproval(
        definition=approval,
        conditions={s.name: parse_expression(s.when) for s in approval.steps if s.when},
        on_approve=compile_actions(approval.on_approve),
        on_reject=compile_actions(approval.on_reject))
        for name, approval in catalog.approvals.items()}
