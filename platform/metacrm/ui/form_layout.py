"""A page's arrangement of an entity's fields: the caller's form layout (tabs,
sections, spans, conditions) cut down to the fields the page may show, or the
generated one (ui/layout.py) when the entity has none."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext

from ..compile.forms import CompiledForm
from ..definitions import Catalog, EntityDef, FieldDef, FormFieldDef, Label
from ..definitions.forms import RelatedListDef
from .layout import NOT_IN_LISTS

# A field too long for one column of the generated layout takes the whole row.
WIDE_TYPES = ("text", "json")
GENERATED_COLUMNS = 2


@dataclass(frozen=True)
class PlacedField:
    definition: FieldDef
    span: int
    help: str
    placeholder: str
    visible_if: str | None = None
    required_if: str | None = None
    readonly_if: str | None = None

    @property
    def name(self) -> str:
        return self.definition.name


@dataclass(frozen=True)
class PlacedSection:
    key: str  # unique on the page, for ids
    title: str
    columns: int
    fields: tuple[PlacedField, ...]
    collapsible: bool = False
    collapsed: bool = False
    visible_if: str | None = None


@dataclass(frozen=True)
class PlacedTab:
    name: str
    label: str
    sections: tuple[PlacedSection, ...]


def _placed(definition: FieldDef, item: FormFieldDef | None, columns: int,
            language: str) -> PlacedField:
    if item is None:
        span = columns if definition.type in WIDE_TYPES else 1
        return PlacedField(definition, span, definition.help.get(language), "")
    return PlacedField(
        definition, min(item.span, columns),
        (item.help or definition.help).get(language), item.placeholder.get(language),
        item.visible_if, item.required_if, item.readonly_if)


def arrange(entity: EntityDef, form: CompiledForm | None, shown: Iterable[str],
            language: str) -> tuple[PlacedTab, ...]:
    """The tabs of a page that may show the fields ``shown`` (in this order for the
    generated layout); a layout's section left with no field is dropped, a tab too."""
    allowed = [name for name in shown if name in entity.fields]
    if form is None:
        fields = tuple(_placed(entity.fields[n], None, GENERATED_COLUMNS, language)
                       for n in allowed)
        return (PlacedTab("main", gettext("Details"),
                          (PlacedSection("s-main", "", GENERATED_COLUMNS, fields),)),)
    permitted = set(allowed)
    tabs = []
    for tab_index, tab in enumerate(form.form.tabs):
        sections = []
        for index, section in enumerate(tab.sections):
            fields = tuple(_placed(entity.fields[item.name], item, section.columns, language)
                           for item in section.fields if item.name in permitted)
            if fields:
                sections.append(PlacedSection(
                    f"s-{tab_index}-{index}", section.title.get(language), section.columns,
                    fields, section.collapsible, section.collapsed, section.visible_if))
        if sections:
            tabs.append(PlacedTab(tab.name, tab.label.get(language), tuple(sections)))
    return tuple(tabs)


def placed_names(tabs: tuple[PlacedTab, ...]) -> list[str]:
    return [f.name for tab in tabs for section in tab.sections for f in section.fields]


def layout_list_columns(entity: EntityDef, form: CompiledForm | None,
                        hidden: frozenset[str]) -> tuple[FieldDef, ...] | None:
    """The list columns a layout names (those the caller may see); None: generated."""
    if form is None or not form.form.list_columns:
        return None
    return tuple(entity.fields[n] for n in form.form.list_columns
                 if n not in hidden and n in entity.fields)


def generated_related(catalog: Catalog, entity: str) -> tuple[RelatedListDef, ...]:
    """A record page's related lists when no layout is written for it: the records of
    every entity with a reference to it (a child with two such references lists each,
    named by the field), in the order the entities are defined."""
    found = []
    for child in catalog.entities.values():
        via = [f for f in child.fields.values() if f.type == "reference" and f.to == entity]
        for f in via:
            label = child.plural if len(via) == 1 else Label.of(
                {lang: f"{child.plural.get(lang)} · {f.label.get(lang)}"
                 for lang in {lang for lang, _ in child.plural.texts + f.label.texts}})
            found.append(RelatedListDef(child.name, f.name, label=label))
    return tuple(found)


def generated_related_columns(entity: EntityDef, hidden: frozenset[str], via: str
                              ) -> tuple[str, ...]:
    """A related list's columns when its layout names none: the child's title and a
    few short fields, without the reference back to the parent."""
    names = [f.name for f in entity.fields.values()
             if f.name not in hidden and f.name != via and f.type not in NOT_IN_LISTS]
    title = [entity.title] if entity.title in names else []
    return tuple((title + [n for n in names if n not in title])[:5])
