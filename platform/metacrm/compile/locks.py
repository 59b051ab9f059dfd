"""Which records a record's lock reaches, worked out once per entity. Pure.

A record waiting for an approval chain is locked, and so must be every record whose
change would change what its approvers see: the children that feed its rollups (a
quote's lines), the grandchildren that feed those children's rollups when the
record's rollups read them, and so on up to the depth rollups are kept current.
For each entity, ``chain_locks`` lists the paths of references from its records up
to records an approval chain may hold, so that a write looks up pending chains only
where such a path exists, one indexed query per path's end.

A workflow's read-only states lock the records its ``read_only: with`` names along
with the record (an approved quote's lines): ``state_locks`` lists, per entity, the
references whose target's state may lock it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..definitions import Catalog

if TYPE_CHECKING:
    from .models import EntityModel, RollupFeed

# As far up as a child's change travels through rollups (runtime/rollups.py).
MAX_ROLLUP_DEPTH = 4


@dataclass(frozen=True)
class Hop:
    """One step up: the reference field of the entity left, and the entity reached."""

    reference: str
    entity: str


@dataclass(frozen=True)
class ChainLock:
    """A path of references from an entity's records to records of ``target``, an
    entity approval chains may hold, along which a change reaches ``target``'s rollups."""

    hops: tuple[Hop, ...]

    @property
    def target(self) -> str:
        return self.hops[-1].entity


@dataclass(frozen=True)
class StateLock:
    """Records of ``entity`` (through ``reference``) are read-only in ``states`` of their
    workflow's ``field``, and so is whatever points at them through ``reference``."""

    reference: str
    entity: str
    field: str
    states: frozenset[str]


def compile_state_locks(catalog: Catalog) -> dict[str, tuple[StateLock, ...]]:
    """Per entity, the read-only states of the records its references point at that
    lock it too (a workflow's ``read_only: with``)."""
    found: dict[str, list[StateLock]] = {}
    for workflow in catalog.workflows.values():
        for item in workflow.read_only_with:
            child, _, reference = item.partition(".")
            found.setdefault(child, []).append(StateLock(
                reference, workflow.entity, workflow.field, frozenset(workflow.read_only)))
    return {name: tuple(locks) for name, locks in found.items()}


def compile_chain_locks(models: Mapping[str, EntityModel]) -> dict[str, tuple[ChainLock, ...]]:
    """Per entity, the paths to records an approval chain may hold whose rollups (or
    formulas over them) its records' changes reach."""
    return {name: tuple(_paths(models, name)) for name in models}


def _paths(models: Mapping[str, EntityModel], start: str) -> list[ChainLock]:
    found: list[ChainLock] = []
    # (the path so far, the entity reached, the fields of it that the change reaches:
    # None for the written record itself, whose creation or deletion changes any count)
    frontier: list[tuple[tuple[Hop, ...], str, frozenset[str] | None]] = [((), start, None)]
    while frontier:
        path, name, changed = frontier.pop(0)
        if len(path) >= MAX_ROLLUP_DEPTH:
            continue
        grouped: dict[Hop, set[str]] = {}
        for feed in models[name].feeds:
            if changed is not None and not _reads(feed) & changed:
                continue  # this rollup aggregates nothing the change reaches
            grouped.setdefault(Hop(feed.reference, feed.parent), set()).add(feed.field.name)
        for hop, rollups in grouped.items():
            parent = models[hop.entity]
            longer = path + (hop,)
            if parent.approvals:
                found.append(ChainLock(longer))
            frontier.append((longer, hop.entity, parent.with_formulas(frozenset(rollups))))
    return found


def _reads(feed: RollupFeed) -> frozenset[str]:
    """The child's fields a rollup's value depends on (a plain count: none)."""
    names = set((feed.field.where or {}).keys())
    if feed.field.of:
        names.add(feed.field.of)
    return frozenset(names)
