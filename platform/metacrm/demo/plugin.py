"""The shipped CRM's demo generator as a plugin: its ``demo_data`` hook fills the
records of the organisation that ``demo/organisation.yaml`` declares."""

from __future__ import annotations

from collections.abc import Mapping

from ..plugins import DEMO_HOOK, DemoRequest
from .generate import fill_demo

# Who goes out to customers for the on-site service and delivery records.
ENGINEER_ROLE = "service_engineer"


def demo_data(request: DemoRequest) -> Mapping[str, int]:
    owners = [p.id for p in request.people if p.holds_records]
    engineers = [p.id for p in request.people if ENGINEER_ROLE in p.roles]
    return fill_demo(request.create_many, users=owners, engineers=engineers,
                     scale=request.scale)


class CrmDemo:
    """What METACRM_PLUGINS-style loading asks of a plugin: a name and hooks."""

    name = "crm_demo"
    hooks = {DEMO_HOOK: demo_data}


plugin = CrmDemo()
