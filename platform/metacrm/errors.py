"""Diagnostics: errors in definitions, collected and reported together."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

from .definitions import Location


@dataclass(frozen=True, order=True)
class Diagnostic:
    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class DefinitionError(Exception):
    """One or more definitions are wrong; ``str()`` lists them all, sorted."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        # The order of Diagnostic, as a tuple: dataclass comparisons run in Python,
        # a thousand times slower on the 100,000 unknown keys of a hostile document.
        self.diagnostics = sorted(set(diagnostics), key=lambda d: (
            d.location.file, d.location.line, d.location.col, d.message))
        super().__init__("\n".join(str(d) for d in self.diagnostics))


@dataclass
class ErrorCollector:
    """Gathers every problem before failing, like a compiler does."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    # "unknown entity 'order'" and the like, for definitions whose document was
    # reported and not built: saying that every file naming them is wrong too would
    # bury the one mistake (a misspelt type) under its echoes.
    _unbuilt: set[str] = field(default_factory=set)

    def add(self, location: Location, message: str) -> None:
        if self._unbuilt and any(echo in message for echo in self._unbuilt):
            return
        self.diagnostics.append(Diagnostic(location, message))

    def not_built(self, kind: str, name: str) -> None:
        """``kind`` ('entity', 'option set') ``name`` had errors and was left out."""
        self.silence(f"unknown {kind} '{name}'")

    def silence(self, echo: str) -> None:
        """Errors saying ``echo`` follow from one already reported: drop them."""
        self._unbuilt.add(echo)

    def __bool__(self) -> bool:
        return bool(self.diagnostics)

    def raise_if_any(self) -> None:
        if self.diagnostics:
            raise DefinitionError(self.diagnostics)


APPROVAL_CHAIN = "an approval chain"


def needs_on(need: str, entity: str) -> str:
    """How a check says an entity lacks what an operation needs ("an approval chain on
    'contract'"): one wording, so that a left-out approval can silence it."""
    return f"{need} on '{entity}'"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'email'?)`` or an empty string."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
