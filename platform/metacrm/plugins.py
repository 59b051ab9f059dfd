"""Plugins: Python objects, named by import string in METACRM_PLUGINS, that offer
hooks which definitions call by name (``hook: erp.push_contract``).

A bundle's demo organisation (``demo/``) names a plugin the same way as its
``generator``; its ``demo_data`` hook receives a ``DemoRequest`` and creates the
demo's records, so the engine knows nothing of what a bundle's records are.

A plugin is any object with a ``name`` and a ``hooks`` mapping of hook name to
callable, loaded when the platform is built; the definitions are then checked
against the hooks that exist, so a misspelt hook fails `metacrm check` and
startup, not the first transition that fires it. A plugin may also offer field
types (``field_types``: a function returning ``FieldType`` values, see
fieldtypes/): fields of every bundle may then have them. A hook receives a
``HookEvent``; raising ``HookRefused`` stops what fired it with its message
(409), and anything else it raises is a bug (500), both undoing the whole
transaction.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, cast

if TYPE_CHECKING:
    from .fieldtypes import FieldType, FieldTypes


class PluginError(Exception):
    """A plugin named in METACRM_PLUGINS cannot be loaded; the message says why."""


class HookRefused(Exception):
    """Raised by a hook to stop the operation that fired it, with a reason for the user."""


@dataclass(frozen=True)
class HookEvent:
    """What a hook is told: which record, what happened to it, who did it."""

    entity: str
    record: Mapping[str, Any]
    event: str  # "transition:<name>", "approved:<approval>", "rejected:<approval>"
    user_id: int | None
    locale: str = "en"
    details: Mapping[str, Any] = field(default_factory=dict)


Hook = Callable[[HookEvent], Any]


@dataclass(frozen=True)
class Plugin:
    name: str
    hooks: Mapping[str, Hook]
    field_types: tuple[FieldType, ...] = ()


def load_plugins(specs: Sequence[str]) -> dict[str, Plugin]:
    """Import each ``package.module:attribute``; the plugins by name."""
    plugins: dict[str, Plugin] = {}
    for spec in (s.strip() for s in specs if s.strip()):
        module_name, _, attribute = spec.partition(":")
        try:
            module = importlib.import_module(module_name)
            found = getattr(module, attribute) if attribute else module
        except (ImportError, AttributeError) as exc:
            raise PluginError(f"plugin '{spec}' cannot be loaded: {exc} (METACRM_PLUGINS "
                              "names plugins as package.module:attribute)") from None
        name, hooks = getattr(found, "name", None), getattr(found, "hooks", None)
        if not isinstance(name, str) or not isinstance(hooks, Mapping) or not all(
                callable(h) for h in hooks.values()):
            raise PluginError(f"plugin '{spec}' needs a 'name' (text) and 'hooks' (a mapping "
                              "of hook names to functions)")
        if name in plugins:
            raise PluginError(f"two plugins are named '{name}'")
        plugins[name] = Plugin(name, dict(hooks), _offered_types(spec, found))
    return plugins


def _offered_types(spec: str, found: Any) -> tuple[FieldType, ...]:
    from .fieldtypes import FieldType
    offer = getattr(found, "field_types", None)
    if offer is None:
        return ()
    types = tuple(offer()) if callable(offer) else ()
    if not callable(offer) or not all(isinstance(t, FieldType) for t in types):
        raise PluginError(f"plugin '{spec}': 'field_types' must be a function returning "
                          "FieldType values (see metacrm.fieldtypes)")
    return types


def field_types_of(plugins: Mapping[str, Plugin]) -> FieldTypes:
    """The built-in field types and those the plugins offer; PluginError when a plugin
    offers a type whose name is taken."""
    from .fieldtypes import builtin_field_types
    types = builtin_field_types()
    for plugin in plugins.values():
        try:
            types = types.with_types(plugin.field_types)
        except ValueError as exc:
            raise PluginError(f"plugin '{plugin.name}': {exc}") from None
    return types


@dataclass(frozen=True)
class DemoPerson:
    """A person of the demo organisation, as created in the database."""

    id: int
    username: str
    roles: tuple[str, ...]
    holds_records: bool


class CreateMany(Protocol):
    def __call__(self, entity: str, rows: list[dict[str, Any]],
                 created: Sequence[datetime] | None = None, /) -> list[int]: ...


@dataclass(frozen=True)
class DemoRequest:
    """What a ``demo_data`` hook is given: ``create_many(entity, rows, created=None) ->
    ids`` writes through the normal write path (payload checks, formulas, audit) as the
    platform; ``created``, a moment per row, says when each record came in (its
    ``created_at``, ``updated_at`` and audit entry), so a demo can have a history.
    The hook returns how many records of each kind it made."""

    create_many: CreateMany
    people: tuple[DemoPerson, ...]
    scale: float = 1.0


DEMO_HOOK = "demo_data"


def demo_generator(spec: str) -> Callable[[DemoRequest], Mapping[str, int]]:
    """The ``demo_data`` hook of the plugin ``spec`` names (loaded as METACRM_PLUGINS
    loads plugins)."""
    plugin = next(iter(load_plugins([spec]).values()))
    hook = plugin.hooks.get(DEMO_HOOK)
    if hook is None:
        raise PluginError(f"plugin '{spec}' has no '{DEMO_HOOK}' hook, which a demo's "
                          "generator must offer")
    # Hooks are typed for HookEvent; this one is called with a DemoRequest.
    return cast(Callable[[DemoRequest], Mapping[str, int]], hook)


def hook_names(plugins: Mapping[str, Plugin]) -> frozenset[str]:
    return frozenset(f"{p.name}.{h}" for p in plugins.values() for h in p.hooks)


def find_hook(plugins: Mapping[str, Plugin], dotted: str) -> Hook:
    plugin, _, hook = dotted.partition(".")
    return plugins[plugin].hooks[hook]
