"""Intake sources: where leads from outside systems come in (a form on a website, a
partner's feed) and how each incoming JSON object becomes a record of an entity."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as _field
from typing import Any

from .texts import NO_TEXT, UNKNOWN, Label, Location

# What a source accepts unless its definition says otherwise.
DEFAULT_REQUESTS = 60
DEFAULT_PER_SECONDS = 60
DEFAULT_MAX_BATCH = 100


@dataclass(frozen=True)
class RateLimitDef:
    """At most ``requests`` requests per ``per_seconds`` (a fixed window) per source."""

    requests: int = DEFAULT_REQUESTS
    per_seconds: int = DEFAULT_PER_SECONDS


@dataclass(frozen=True)
class PullDef:
    """A pull-style source: the plugin hook ``hook`` (``<plugin>.<hook>``) is asked
    every ``every_seconds`` for the leads since the stored cursor; ``options`` are
    handed to it as written (a URL, a folder)."""

    hook: str
    every_seconds: int
    options: Mapping[str, Any] = _field(default_factory=dict)


@dataclass(frozen=True)
class IntakeDef:
    """One source of leads: ``fields`` maps an incoming JSON key to a field of
    ``entity``; ``set`` gives fields fixed values (the source, a lifecycle stage);
    ``external_id`` names the incoming key that identifies a lead in the sender's
    system, so that a retried delivery does not create it twice."""

    name: str
    entity: str
    label: Label = NO_TEXT
    description: Label = NO_TEXT
    fields: Mapping[str, str] = _field(default_factory=dict)
    set: Mapping[str, Any] = _field(default_factory=dict)
    external_id: str | None = None
    # Keys a sender sends that are not stored (a feed's own bookkeeping); any other
    # key that is not mapped is refused, so that a misspelt key never loses its value.
    ignore: tuple[str, ...] = ()
    rate_limit: RateLimitDef = RateLimitDef()
    max_batch: int = DEFAULT_MAX_BATCH
    pull: PullDef | None = None
    bundle: str = ""
    location: Location = UNKNOWN
    key_locations: Mapping[str, Location] = _field(default_factory=dict, compare=False)

    def at(self, key: str) -> Location:
        return self.key_locations.get(key, self.location)

    def incoming_key(self, field_name: str) -> str | None:
        """The incoming JSON key mapped to ``field_name``, if any (errors name it)."""
        return next((key for key, name in self.fields.items() if name == field_name), None)
