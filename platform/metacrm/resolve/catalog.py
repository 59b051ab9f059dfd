"""Merge bundles in order and check everything that looks across definitions.

Extensions are applied to what earlier bundles defined; then every reference
is checked: entities and option sets named by fields, fields named by
indexes, searches, titles and rules, expressions (parsed and tried), and
formula cycles. All problems are collected before failing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from ..base.words import with_article
from ..definitions import (
    BundleDefs,
    Catalog,
    EntityDef,
    EntityExtension,
    FieldDef,
    Location,
    OptionSetDef,
)
from ..errors import ErrorCollector, did_you_mean
from ..expressions import ExpressionError, check_expression
from ..fieldtypes import FieldTypes, builtin_field_types
from .conditions import ConditionNames
from .dashboards import check_dashboards, merge_dashboards
from .demo import check_demo, pick_demo
from .forms import check_forms, merge_forms
from .intake import check_intakes, merge_intakes
from .literals import literal_problem, unfit_literal
from .navigation import check_navigation
from .ownership import check_ownership, extend_ownership
from .reports import check_reports, merge_reports
from .roles import check_roles, resolve_roles
from .settings import apply_settings
from .tables import check_tables
from .workflows import check_workflows, initial_state, merge_named


def resolve_catalog(bundles: Iterable[BundleDefs], errors: ErrorCollector,
                    hooks: frozenset[str] = frozenset(),
                    field_types: FieldTypes | None = None) -> Catalog:
    """The merged, checked catalog; ``hooks`` are the "<plugin>.<hook>" names that
    the loaded plugins offer (actions may name only those), ``field_types`` the types
    fields may have (the built-in ones unless a plugin adds some)."""
    bundles = list(bundles)
    types = field_types if field_types is not None else builtin_field_types()
    _check_bundle_order(bundles, errors)
    optionsets: dict[str, OptionSetDef] = {}
    entities: dict[str, EntityDef] = {}
    for bundle in bundles:
        for optionset in bundle.optionsets:
            _add_unique(optionsets, optionset.name, optionset, "option set", errors)
        for optionset_extension in bundle.optionset_extensions:
            _extend_optionset(optionsets, optionset_extension, errors)
        for entity in bundle.entities:
            _add_unique(entities, entity.name, entity, "entity", errors)
        for extension in bundle.entity_extensions:
            _extend_entity(entities, extension, errors)
    for name in _children_first(entities):
        entities[name] = _resolve_rollups(entities, optionsets, entities[name], errors, types)
    roles = resolve_roles(bundles, errors)
    catalog = Catalog(tuple(b.manifest for b in bundles), entities, optionsets, roles,
                      merge_named(bundles, "workflows", errors),
                      merge_named(bundles, "approvals", errors), demo=pick_demo(bundles),
                      field_types=types, forms=merge_forms(bundles, errors),
                      reports=merge_reports(bundles, errors),
                      intakes=merge_intakes(bundles, errors),
                      dashboards=merge_dashboards(bundles, errors))
    catalog = apply_settings(catalog, errors)
    for entity in entities.values():
        check_entity(catalog, entity, errors)
        check_ownership(catalog, entity, errors)
    check_tables(catalog, errors)
    check_roles(catalog, errors)
    check_workflows(catalog, hooks, errors)
    check_demo(catalog, errors)
    check_forms(catalog, errors, bundles)
    check_reports(catalog, errors)
    check_dashboards(catalog, errors)
    check_navigation(catalog, errors)
    check_intakes(catalog, hooks, errors)
    return catalog if errors else _with_derived_facts(catalog)


def _with_derived_facts(catalog: Catalog) -> Catalog:
    """Store what later phases would otherwise recompute (and import the resolver for):
    the order of each entity's formulas and where each workflow starts."""
    entities = {name: replace(entity, formula_order=tuple(f.name for f in formula_order(entity)))
                for name, entity in catalog.entities.items()}
    workflows = {name: replace(workflow, initial_state=initial_state(catalog, workflow))
                 for name, workflow in catalog.workflows.items()}
    return replace(catalog, entities=entities, workflows=workflows)


def _check_bundle_order(bundles: list[BundleDefs], errors: ErrorCollector) -> None:
    loaded: dict[str, Location] = {}
    for bundle in bundles:
        manifest = bundle.manifest
        if manifest.name in loaded:
            errors.add(manifest.location, f"bundle '{manifest.name}' is loaded twice "
                       f"(also at {loaded[manifest.name]})")
        for required in manifest.requires:
            if required not in loaded:
                errors.add(manifest.location, f"bundle '{manifest.name}' requires bundle "
                           f"'{required}', which is not loaded before it")
        loaded[manifest.name] = manifest.location


def _add_unique(table: dict, name: str, definition, noun: str, errors: ErrorCollector) -> None:
    if name in table:
        errors.add(definition.location, f"{noun} '{name}' is already defined at "
                   f"{table[name].location}; use 'extend' to add to it")
        return
    table[name] = definition


def _extend_optionset(optionsets: dict[str, OptionSetDef], extension, errors) -> None:
    target = optionsets.get(extension.optionset)
    if target is None:
        errors.add(extension.location, f"cannot extend unknown option set "
                   f"'{extension.optionset}'{did_you_mean(extension.optionset, optionsets)}")
        return
    existing = {o.value: o for o in target.options}
    added = []
    for option in extension.options:
        if option.value in existing:
            errors.add(option.location, f"option '{option.value}' already exists in "
                       f"'{target.name}' (at {existing[option.value].location})")
            continue
        existing[option.value] = option
        added.append(option)
    optionsets[target.name] = replace(target, options=target.options + tuple(added),
                                      label=extension.label or target.label)


def _extend_entity(entities: dict[str, EntityDef], extension: EntityExtension,
                   errors: ErrorCollector) -> None:
    target = entities.get(extension.entity)
    if target is None:
        errors.add(extension.location, f"cannot extend unknown entity "
                   f"'{extension.entity}'{did_you_mean(extension.entity, entities)}")
        return
    fields = dict(target.fields)
    for name, field in extension.fields.items():
        if name in fields:
            errors.add(field.location, f"field '{extension.entity}.{name}' is already defined "
                       f"at {fields[name].location}")
            continue
        fields[name] = field
    for name, (label, where) in extension.field_labels.items():
        if name not in fields:
            errors.add(where, f"cannot relabel unknown field '{extension.entity}.{name}'"
                       f"{did_you_mean(name, fields)}")
            continue
        fields[name] = replace(fields[name], label=label)
    entities[target.name] = replace(
        target, fields=fields,
        label=extension.label or target.label, plural=extension.plural or target.plural,
        help=extension.help or target.help,
        search=target.search + tuple(s for s in extension.search if s not in target.search),
        indexes=target.indexes + extension.indexes, rules=target.rules + extension.rules,
        **extend_ownership(target, extension, errors),
    )


def _children_first(entities: dict[str, EntityDef]) -> list[str]:
    """Entity names with the children a rollup reads before their parent, so that a
    rollup of a rollup takes its source's resolved type (money, not decimal)."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen or name not in entities:
            return
        seen.add(name)
        for field in entities[name].fields.values():
            if field.type == "rollup":
                visit((field.source or "").partition(".")[0])
        order.append(name)

    for name in entities:
        visit(name)
    return order


_SUMMABLE = ("integer", "decimal", "money", "percent")
_ORDERABLE = _SUMMABLE + ("date", "datetime", "string", "autonumber")


def _resolve_rollups(entities: dict[str, EntityDef], optionsets: dict[str, OptionSetDef],
                     entity: EntityDef, errors: ErrorCollector, types: FieldTypes
                     ) -> EntityDef:
    """Check each rollup's source and give it the type of its result."""
    fields = dict(entity.fields)
    for field in entity.fields.values():
        if field.type != "rollup":
            continue
        where = f"rollup '{entity.name}.{field.name}'"
        child_name, _, ref_name = (field.source or "").partition(".")
        child = entities.get(child_name)
        if child is None:
            errors.add(field.at("from"), f"{where}: unknown entity '{child_name}'"
                       f"{did_you_mean(child_name, entities)}")
            continue
        ref = child.fields.get(ref_name)
        if ref is None or ref.type != "reference" or ref.to != entity.name:
            errors.add(field.at("from"), f"{where}: 'from' must name a reference field of "
                       f"'{child_name}' that points to '{entity.name}'; "
                       f"'{child_name}.{ref_name}' is not one")
            continue
        result = "integer"
        if field.aggregate != "count":
            source = child.fields.get(field.of or "")
            if field.of is None:
                errors.add(field.at("of"), f"{where}: '{field.aggregate}' needs 'of', a field "
                           f"of '{child_name}'")
                continue
            if source is None:
                errors.add(field.at("of"), f"{where}: 'of' names unknown field "
                           f"'{child_name}.{field.of}'{did_you_mean(field.of, child.fields)}")
                continue
            allowed = _SUMMABLE if field.aggregate in ("sum", "avg") else _ORDERABLE
            if source.value_type not in allowed:
                errors.add(field.at("of"), f"{where}: cannot take {field.aggregate} of "
                           f"'{field.of}', {with_article(source.value_type)} field")
                continue
            result = source.value_type
            if field.aggregate == "avg" and result == "integer":
                result = "decimal"  # the average of whole numbers has places
            if result == "decimal" and field.scale is None:
                field = replace(field, scale=source.scale)
        for name, wanted in (field.where or {}).items():
            if name not in child.fields:
                errors.add(field.at(f"where.{name}"), f"{where}: 'where' names unknown field "
                           f"'{child_name}.{name}'{did_you_mean(name, child.fields)}")
                continue
            problem = literal_problem(child.fields[name], wanted, optionsets, types)
            if problem:
                errors.add(field.at(f"where.{name}"), f"{where}: 'where' {name}: {problem}")
        fields[field.name] = replace(field, result=result)
    return replace(entity, fields=fields)


def check_entity(catalog: Catalog, entity: EntityDef, errors: ErrorCollector) -> None:
    names = entity.field_types()
    for field in entity.fields.values():
        _check_field(catalog, entity, field, errors)

    def known(name: str, where: Location, what: str, *, stored: bool = True) -> bool:
        if name not in names:
            errors.add(where, f"{what}: unknown field '{name}' of '{entity.name}'"
                       f"{did_you_mean(name, names)}")
            return False
        if stored and name in entity.fields and not entity.fields[name].stored:
            errors.add(where, f"{what}: '{name}' is a multi_reference (a link table) and "
                       "cannot be used here")
            return False
        return True

    for index in entity.indexes:
        for name in index.fields:
            known(name, index.location, "index")
        for name in index.include:
            if known(name, index.include_location, "index include") and name in index.fields:
                errors.add(index.include_location, f"index include: '{name}' is already one "
                           "of the index's fields")
    for name in entity.search:
        if known(name, entity.at("search"), "search") and not catalog.field_types[
                names[name]].textual:
            errors.add(entity.at("search"), f"search: '{name}' is "
                       f"{with_article(names[name])} field; text "
                       "search needs text fields")
    if entity.title:
        known(entity.title, entity.at("title"), "title")
    for key in entity.default_sort:
        known(key.lstrip("-"), entity.at("default_sort"), "default_sort")
    rules = ConditionNames.of(catalog, entity)
    for rule in entity.rules:
        if rule.field:
            known(rule.field, rule.at("field"), f"rule '{rule.name}'", stored=False)
        for key, part in (("when", rule.when), ("check", rule.check)):
            if part:
                rules.check(part, rule.at(key), f"rule '{rule.name}'", errors)
    _check_formulas(entity, names, errors, catalog.field_types)


def _check_field(catalog: Catalog, entity: EntityDef, field: FieldDef,
                 errors: ErrorCollector) -> None:
    where = f"field '{entity.name}.{field.name}'"
    if field.to is not None and field.to not in catalog.entities:
        errors.add(field.at("to"), f"{where}: unknown entity '{field.to}'"
                   f"{did_you_mean(field.to, catalog.entities)}")
    # A bound on a type without bounds was refused where it was written (build).
    for bound in ("min", "max") if catalog.field_types[field.type].bounded else ():
        value = getattr(field, bound)
        if value is not None and (problem := unfit_literal(field, value, catalog.field_types)):
            errors.add(field.at(bound), f"{where}: {bound} {problem}")
    if field.default is not None and not (isinstance(field.default, str)
                                          and field.default.startswith("$")):
        problem = unfit_literal(field, field.default, catalog.field_types)
        if problem:
            errors.add(field.at("default"), f"{where}: default {problem}")
    if field.options is not None:
        optionset = catalog.optionsets.get(field.options)
        if optionset is None:
            errors.add(field.at("options"), f"{where}: unknown option set '{field.options}'"
                       f"{did_you_mean(field.options, catalog.optionsets)}")
        elif field.default is not None:
            defaults = field.default if isinstance(field.default, list) else [field.default]
            for value in defaults:
                if str(value) not in optionset.values():
                    errors.add(field.at("default"), f"{where}: default '{value}' is not an option "
                               f"of '{optionset.name}' ({', '.join(optionset.values())})")


def _check_formulas(entity: EntityDef, names: dict[str, str], errors: ErrorCollector,
                    types: FieldTypes) -> None:
    formulas = {f.name: f for f in entity.fields.values() if f.type == "formula"}
    depends: dict[str, set[str]] = {}
    for field in formulas.values():
        try:
            expression = check_expression(field.expression or "", names,
                                          result=types.of(field).expression_type,
                                          kinds=types.expression_type)
        except ExpressionError as exc:
            errors.add(field.at("expression"), f"formula '{entity.name}.{field.name}': {exc}")
            continue
        depends[field.name] = set(expression.names) & set(formulas)
    for cycle in _cycles(depends):
        first = formulas[cycle[0]]
        errors.add(first.location, f"formula cycle in '{entity.name}': "
                   + " -> ".join(cycle + [cycle[0]]))


def formula_order(entity: EntityDef) -> list[FieldDef]:
    """The entity's formulas, each after the formulas it uses."""
    from ..expressions import parse_expression

    formulas = {f.name: f for f in entity.fields.values() if f.type == "formula"}
    ordered: list[FieldDef] = []
    placed: set[str] = set()

    def place(name: str, path: tuple[str, ...] = ()) -> None:
        if name in placed or name in path:
            return
        uses = parse_expression(formulas[name].expression or "").names & set(formulas)
        for other in sorted(uses):
            place(other, path + (name,))
        placed.add(name)
        ordered.append(formulas[name])

    for name in formulas:
        place(name)
    return ordered


def _cycles(depends: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    seen_cycles: set[frozenset[str]] = set()

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(depends.get(node, ())):
            if nxt in path:
                cycle = path[path.index(nxt):]
                if frozenset(cycle) not in seen_cycles:
                    seen_cycles.add(frozenset(cycle))
                    found.append(cycle)
            elif nxt in depends:
                visit(nxt, path + [nxt])

    for start in sorted(depends):
        visit(start, [start])
    return found
