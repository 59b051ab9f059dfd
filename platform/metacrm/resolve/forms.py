"""Merge form layouts across bundles and check what they name: the entity, its
fields (each shown once), the roles (which must be able to read what is shown),
related lists and the CEL conditions, type-checked against the entity's fields."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from ..definitions import (
    COMPUTED_TYPES,
    DEFAULT_GRANT,
    BundleDefs,
    Catalog,
    EntityDef,
    FormDef,
    FormFieldDef,
    Location,
    RelatedListDef,
)
from ..errors import ErrorCollector, did_you_mean
from ..load.bundles import CUSTOMIZATIONS_BUNDLE
from .conditions import ConditionNames

# Fields nobody types: a condition that makes one required or read-only means nothing.
_NOT_TYPED = COMPUTED_TYPES + ("autonumber",)


def merge_forms(bundles: Iterable[BundleDefs], errors: ErrorCollector) -> dict[str, FormDef]:
    """Layouts by name. A later bundle (or a stored customization) replaces a layout by
    giving one of the same name; within one bundle a name is used once, except among
    the stored customizations, which are versions: the newest of a name counts (so
    going back to an earlier layout is saving it again)."""
    found: dict[str, FormDef] = {}
    for bundle in bundles:
        own: dict[str, FormDef] = {}
        versions = bundle.manifest.name == CUSTOMIZATIONS_BUNDLE
        for form in bundle.forms:
            if form.name in own and not versions:
                errors.add(form.location, f"form '{form.name}' is already defined at "
                           f"{own[form.name].location}")
                continue
            own[form.name] = form
        for name, form in own.items():
            earlier = found.get(name)
            if earlier is not None:  # the designer can go back to the bundles' layout
                own[name] = replace(form, replaces=earlier.replaces or earlier.bundle)
        found.update(own)
    return found


def check_forms(catalog: Catalog, errors: ErrorCollector,
                bundles: Sequence[BundleDefs] = ()) -> None:
    """``bundles`` in load order: a layout is checked against the roles as its own
    bundle (and those before it) define them. A later bundle that hides a field from
    a role does not make an earlier layout wrong: the pages drop what a viewer may not
    see, and the later bundle may give the role a layout of its own."""
    defaults: dict[str, FormDef] = {}
    order = [b.manifest.name for b in bundles]
    for form in sorted(catalog.forms.values(), key=lambda f: f.location):
        entity = catalog.entities.get(form.entity)
        if entity is None:
            errors.add(form.at("entity"), f"form '{form.name}': unknown entity "
                       f"'{form.entity}'{did_you_mean(form.entity, catalog.entities)}")
            continue
        if not form.roles:
            if form.entity in defaults:
                errors.add(form.location, f"form '{form.name}': '{form.entity}' already has a "
                           f"layout for every role ('{defaults[form.entity].name}' at "
                           f"{defaults[form.entity].location}); give this one 'roles'")
            else:
                defaults[form.entity] = form
        known = bundles[:order.index(form.bundle) + 1] if form.bundle in order else bundles
        _check_form(catalog, entity, form, errors, known)


def _check_form(catalog: Catalog, entity: EntityDef, form: FormDef,
                errors: ErrorCollector, bundles: Sequence[BundleDefs]) -> None:
    what = f"form '{form.name}'"
    reads = ConditionNames.of(catalog, entity)  # the system fields too
    own = dict.fromkeys(entity.fields, "")  # a layout places the entity's own fields
    hidden = _hidden_for_roles(catalog, entity, form, errors)
    if bundles:
        hidden = {field: role for field, role in hidden.items()
                  if field in _hidden_by(bundles, role, entity.name)}
    shown: dict[str, Location] = {}
    for _, item in form.fields():
        if _known(entity, own, item.name, item.location, what, errors):
            if item.name in shown:
                errors.add(item.location, f"{what}: field '{item.name}' is shown twice (also "
                           f"at {shown[item.name]})")
            shown.setdefault(item.name, item.location)
            _check_hidden(hidden, item.name, item.location, what, errors)
        _check_field(entity, reads, item, what, errors)
    for tab in form.tabs:
        for section in tab.sections:
            if section.visible_if:
                reads.check(section.visible_if, section.at("visible_if"),
                            f"{what}: section visible_if", errors)
    seen_tabs: set[str] = set()
    for tab in form.tabs:
        if tab.name in seen_tabs:
            errors.add(tab.location, f"{what}: tab '{tab.name}' is defined twice")
        seen_tabs.add(tab.name)
    quick: set[str] = set()
    for item in form.quick_create:
        if not _known(entity, own, item.name, item.location, f"{what}: quick_create",
                      errors):
            continue
        if item.name in quick:
            errors.add(item.location, f"{what}: quick_create: field '{item.name}' is shown "
                       "twice")
        quick.add(item.name)
        field = entity.fields.get(item.name)
        if field is None or not field.writable:
            errors.add(item.location, f"{what}: quick_create: '{item.name}' is not a field "
                       "anyone types (computed or system); it cannot be in a quick-create form")
        _check_hidden(hidden, item.name, item.location, f"{what}: quick_create", errors)
        _check_field(entity, reads, item, what, errors)
    for index, column in enumerate(form.list_columns):
        where = form.at(f"list[{index}]")
        if _known(entity, own, column, where, f"{what}: list column", errors):
            _check_hidden(hidden, column, where, f"{what}: list column", errors)
    for related in form.related:
        _check_related(catalog, entity, form, related, errors)


def _known(entity: EntityDef, names: dict[str, str], name: str, where: Location, what: str,
           errors: ErrorCollector) -> bool:
    if name not in names:
        errors.add(where, f"{what}: unknown field '{name}' of '{entity.name}'"
                   f"{did_you_mean(name, names)}")
        return False
    return True


def _check_field(entity: EntityDef, reads: ConditionNames, item: FormFieldDef, what: str,
                 errors: ErrorCollector) -> None:
    field = entity.fields.get(item.name)
    for kind, source in item.conditions():
        where = item.at(kind)
        if kind != "visible_if" and (field is None or field.type in _NOT_TYPED):
            errors.add(where, f"{what}: field '{item.name}': {kind} on a field nobody types "
                       "(computed or system) means nothing")
            continue
        reads.check(source, where, f"{what}: field '{item.name}' {kind}", errors)


def _hidden_for_roles(catalog: Catalog, entity: EntityDef, form: FormDef,
                      errors: ErrorCollector) -> dict[str, str]:
    """Field -> the first of the layout's roles that may not see it."""
    hidden: dict[str, str] = {}
    for index, name in enumerate(form.roles):
        where = form.at(f"roles[{index}]")
        role = catalog.roles.get(name)
        if role is None:
            errors.add(where, f"form '{form.name}': unknown role '{name}'"
                       f"{did_you_mean(name, catalog.roles)}")
            continue
        if role.admin:
            continue
        grant = role.grant(entity.name)
        if grant is None or "read" not in grant.operations:
            errors.add(where, f"form '{form.name}': role '{name}' may not read "
                       f"'{entity.name}', so a layout of it is never shown to that role")
            continue
        for field, access in grant.fields.items():
            if access == "hidden":
                hidden.setdefault(field, name)
    return hidden


def _hidden_by(bundles: Sequence[BundleDefs], role: str, entity: str) -> set[str]:
    """The fields of ``entity`` that ``bundles`` (in order) hide from ``role``."""
    hidden: set[str] = set()
    for bundle in bundles:
        for definition in bundle.roles:
            if definition.name == role:
                grant = definition.grant(entity)
                hidden = {f for f, a in (grant.fields if grant else {}).items()
                          if a == "hidden"}
        for extension in bundle.role_extensions:
            if extension.role != role:
                continue
            for patch in extension.patches:
                if patch.entity in (entity, DEFAULT_GRANT):
                    for field, access in patch.fields.items():
                        (hidden.add if access == "hidden" else hidden.discard)(field)
    return hidden


def _check_hidden(hidden: dict[str, str], name: str, where: Location, what: str,
                  errors: ErrorCollector) -> None:
    if name in hidden:
        errors.add(where, f"{what}: field '{name}' is hidden from role '{hidden[name]}', "
                   "which this layout is for; leave it out (or make a layout for the roles "
                   "that may see it)")


def _check_related(catalog: Catalog, entity: EntityDef, form: FormDef,
                   related: RelatedListDef, errors: ErrorCollector) -> None:
    what = f"form '{form.name}': related list"
    child = catalog.entities.get(related.entity)
    if child is None:
        errors.add(related.at("entity"), f"{what}: unknown entity '{related.entity}'"
                   f"{did_you_mean(related.entity, catalog.entities)}")
        return
    _check_via(catalog, entity, child, related, what, errors)
    names = dict.fromkeys(child.fields, "")
    for index, column in enumerate(related.columns):
        _known(child, names, column, related.at(f"columns[{index}]"), f"{what} column",
               errors)


def _check_via(catalog: Catalog, entity: EntityDef, child: EntityDef,
               related: RelatedListDef, what: str, errors: ErrorCollector) -> None:
    """``via`` is a chain of reference fields from the child that ends at this entity
    (``customer``, or ``contract.customer`` for the payments of a customer's contracts)."""
    step = child
    for index, name in enumerate(related.path):
        via = step.fields.get(name)
        target = via.to if via is not None and via.type == "reference" else None
        if via is None or target is None or target not in catalog.entities:
            errors.add(related.at("via"), f"{what}: 'via' must follow reference fields from "
                       f"'{child.name}' to '{entity.name}'; '{step.name}.{name}' is not a "
                       "reference field" + (did_you_mean(name, step.fields) if via is None
                                            else ""))
            return
        step = catalog.entities[target]
        if index == len(related.path) - 1 and step.name != entity.name:
            errors.add(related.at("via"), f"{what}: 'via' must end at '{entity.name}'; "
                       f"'{child.name}.{related.via}' points to '{step.name}'")
