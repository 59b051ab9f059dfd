"""The kanban board lists cards per option of a choice field, within the viewer's
scope, and tells the browser which transition joins two states of a workflow."""

from __future__ import annotations

import json
import re
from html import unescape

from ..access.conftest import create


def test_cards_sit_in_their_options_column_within_the_scope(crm, org):
    mine = create(org["wang"], "customer", name="星河贸易", grade="A")
    create(org["yang"], "customer", name="西部物流", grade="A")
    html = org["wang"].get("/customer/board?by=grade").get_data(as_text=True)
    column_a = html[html.index('data-value="A"'):html.index('data-value="B"')]
    assert f'data-id="{mine}"' in column_a and "星河贸易" in column_a
    assert "西部物流" not in html


def test_a_workflow_state_board_carries_its_transitions(crm, org):
    html = org["wang"].get("/opportunity/board").get_data(as_text=True)
    moves = json.loads(unescape(re.search(r'data-moves="([^"]*)"', html).group(1)))
    assert moves["qualify"]["needs_analysis"] == "analyse_needs"
    assert "won" not in moves["qualify"]


def test_a_board_by_an_unknown_or_hidden_field_is_refused(crm, org):
    assert org["wang"].get("/customer/board?by=nonsense").status_code == 400
    assert org["wang"].get("/customer/board?by=name").status_code == 400  # not a choice
