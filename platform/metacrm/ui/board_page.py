"""A kanban board of an entity by any of its choice fields: a column per option,
cards read through the list engine call (scope and hidden fields as everywhere).

Moving a card is an API call made by board.js: a PATCH of the field with the
card's version, or, when the field is the workflow's state, the transition that
leads from the card's state to the column's (refused with the engine's reason
when there is none or the viewer may not fire it)."""

from __future__ import annotations

import json
from typing import Any

from flask import render_template, request

from ..base.problems import BadQuery
from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..definitions.entities import FieldDef
from ..runtime.query import parse_list_query
from ..runtime.reads import list_records
from .blueprint import pages
from .display import display, record_title
from .entity_page import open_entity_page
from .layout import expandable

CARDS_PER_COLUMN = 25
CARD_LINES = 3  # fields under a card's title


def board_fields(model: EntityModel, hidden: frozenset[str]) -> list[FieldDef]:
    """The choice fields a board can be drawn by, the workflow's state first."""
    fields = [f for f in model.entity.fields.values()
              if f.type == "choice" and f.options and f.name not in hidden]
    return sorted(fields, key=lambda f: f.name != model.state_field)


def state_moves(compiled: Compiled, model: EntityModel, field: str) -> dict[str, dict[str, str]]:
    """{from state: {to state: transition}} when ``field`` is the workflow's state."""
    workflow = compiled.workflows.get(model.name)
    if workflow is None or workflow.field != field:
        return {}
    moves: dict[str, dict[str, str]] = {}
    for transition in workflow.transitions.values():
        # A transition through an approval chain lands in its pending state first.
        landing = transition.definition.pending or transition.definition.to
        for source in transition.definition.sources:
            moves.setdefault(source, {}).setdefault(landing, transition.name)
    return moves


# What a card shows under its title, most telling first: amounts, who, whom, when.
CARD_PRIORITY = ("money", "reference", "user", "date", "decimal", "percent", "choice")


def card_lines(model: EntityModel, hidden: frozenset[str], by: str) -> list[FieldDef]:
    fields = [f for f in model.entity.fields.values()
              if f.name not in hidden and f.name not in (by, model.entity.title)
              and f.value_type in CARD_PRIORITY]
    ranked = sorted(fields, key=lambda f: CARD_PRIORITY.index(f.value_type))
    chosen = {f.name for f in ranked[:CARD_LINES]}
    return [f for f in fields if f.name in chosen]  # in the definition's order


@pages.get("/<entity>/board")
def board(entity: str) -> Any:
    with open_entity_page(entity, "read") as page:
        compiled, model, shell = page.compiled, page.model, page.shell
        conn, viewer, access = page.conn, page.viewer, page.access
        choices = board_fields(model, access.hidden)
        if not choices:
            raise BadQuery({"by": [f"{entity} has no choice field to draw a board by"]})
        wanted = request.args.get("by", choices[0].name)
        by = next((f for f in choices if f.name == wanted), None)
        if by is None:
            raise BadQuery({"by": [", ".join(f.name for f in choices)]}, key="by")
        lines = card_lines(model, access.hidden, by.name)
        names = {by.name, *(f.name for f in lines)} | (
            {model.entity.title} if model.entity.title else set())
        columns = []
        for option in compiled.catalog.optionsets[by.options or ""].options:
            args = {by.name: [option.value], "limit": [str(CARDS_PER_COLUMN)],
                    "fields": [",".join(sorted(names))]}
            if expand := expandable(tuple(lines)):
                args["expand"] = [",".join(expand)]
            result = list_records(conn, viewer, model, parse_list_query(
                args, model, viewer, model.entity.default_sort))
            columns.append({"value": option.value, "label": option.label.get(shell.language),
                            "cards": result["items"], "more": bool(result.get("next_cursor"))})
    language = shell.language
    for column in columns:
        column["cards"] = [{
            "id": item["id"], "version": item["version"],
            "title": record_title(compiled, entity, item),
            "lines": [(f.label.get(language), display(compiled, f, item.get(f.name), language))
                      for f in lines if item.get(f.name) not in (None, "", [])]}
            for item in column["cards"]]
    return render_template(
        "ui/board.html", shell=shell, entity=model.entity, language=language,
        by=by, choices=choices, columns=columns,
        moves=json.dumps(state_moves(compiled, model, by.name)))
