"""A record page's related lists: the children that point at the record through a
reference field, each read through the list engine call in the viewer's scope
(the same records and fields ``GET /api/<child>?<via>=<id>`` gives them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import url_for

from ..base.problems import Forbidden
from ..compile.forms import CompiledForm
from ..compile.models import EntityModel
from ..definitions import FieldDef
from ..runtime.access import Viewer
from ..runtime.query import parse_list_query
from ..runtime.reads import list_records
from .display import display, link_of
from .form_layout import generated_related, generated_related_columns
from .layout import expandable
from .list_rows import cell_class


@dataclass(frozen=True)
class RelatedList:
    entity: str
    entity_label: str
    via: str
    label: str
    columns: tuple[FieldDef, ...]
    classes: tuple[str, ...]  # each column's cell class (list_rows.cell_class)
    rows: tuple[dict[str, Any], ...]
    more_url: str | None
    can_create: bool


def related_lists(conn: sa.Connection, viewer: Viewer, model: EntityModel,
                  form: CompiledForm | None, record_id: int, language: str
                  ) -> list[RelatedList]:
    """The layout's related lists the viewer may read, each with its first rows (without
    a layout, a list of each entity that references this one's)."""
    compiled = viewer.compiled
    found = []
    specs = form.form.related if form is not None else generated_related(compiled.catalog,
                                                                          model.name)
    for spec in specs:
        child = compiled.models.get(spec.entity)
        if child is None:
            continue
        access = viewer.of(child)
        if not access.allows("read") or spec.path[0] in access.hidden:
            continue  # a list the viewer may not read is not there at all
        names = spec.columns or generated_related_columns(child.entity, access.hidden,
                                                          spec.via)
        columns = tuple(child.entity.fields[n] for n in names
                        if n not in access.hidden and n in child.entity.fields)
        args = {spec.via: [str(record_id)], "limit": [str(spec.limit)],
                "fields": [",".join(c.name for c in columns)]}
        expand = expandable(columns, viewer)
        if expand:
            args["expand"] = [",".join(expand)]
        try:
            query = parse_list_query(args, child, viewer, child.entity.default_sort)
        except Forbidden:
            continue  # the chain passes through records the viewer may not read
        result = list_records(conn, viewer, child, query)
        rows = tuple({"id": item["id"],
                      "cells": [(display(compiled, c, item.get(c.name), language),
                                 link_of(c, item.get(c.name))) for c in columns]}
                     for item in result["items"])
        more = None
        if result.get("next_cursor"):
            more = url_for("metacrm_pages.list_page", entity=child.name) + "?" + urlencode(
                {spec.via: record_id})
        found.append(RelatedList(
            child.name, child.entity.label.get(language), spec.via,
            spec.label.get(language) or child.entity.plural.get(language), columns,
            tuple(cell_class(compiled, c) for c in columns), rows,
            more, spec.direct and access.allows("create")))
    return found
