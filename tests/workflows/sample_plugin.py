"""A plugin for the tests: it remembers what it was told and refuses big deals."""

from __future__ import annotations

from metacrm.plugins import HookEvent, HookRefused


class Recorder:
    name = "erp"

    def __init__(self) -> None:
        self.events: list[HookEvent] = []
        self.hooks = {"won": self.won}

    def won(self, event: HookEvent) -> None:
        if float(event.record["amount"] or 0) > 1_000_000:
            raise HookRefused("the ERP confirms deals above 1,000,000 by hand")
        self.events.append(event)


plugin = Recorder()
