"""Turn schema-valid YAML documents into frozen definitions.

Checks here are the ones that need no other file: keys that do not apply to a
field's type, reserved names, regular expressions, bounds. Everything that
looks across files (references, extensions, expressions) is the resolver's (``resolve/``).
"""

from __future__ import annotations

from typing import Any

from ..base.words import with_article
from ..definitions import (
    BundleManifest,
    BundleSettings,
    EntityDef,
    EntityExtension,
    FieldDef,
    IndexDef,
    Label,
    Location,
    NavigationGroup,
    OptionDef,
    OptionSetDef,
    OptionSetExtension,
    RuleDef,
    humanize,
)
from ..errors import ErrorCollector
from ..expressions import check_regex
from ..fieldtypes import COMMON_KEYS, FieldTypes
from ..load.documents import Document
from .cleaning import build_clean, build_duplicates
from .ownership import build_assignment, build_pool, build_return_rules, build_transfer

SYSTEM_FIELDS = ("id", "created_at", "updated_at", "created_by", "updated_by", "version",
                 "deleted_at")
QUERY_WORDS = ("sort", "limit", "cursor", "q", "fields", "expand", "count", "deleted")
RESERVED_NAMES = frozenset(SYSTEM_FIELDS + QUERY_WORDS)
# Paths under /api/ and pages at the site's root that the platform serves itself
# (an entity's pages are /<entity>).
RESERVED_ENTITY_NAMES = frozenset(("meta", "users", "teams", "roles", "tokens", "auth",
                                   "approvals", "notifications", "jobs", "api", "static",
                                   "login", "logout", "search", "intake",
                                   "dashboard", "dashboards"))
# Defaults standing for the moment or the user of the write; which types each fits
# is the field types' (FieldType.macros).
DEFAULT_MACROS = ("$today", "$now", "$user")


def build_manifest(doc: Document, path: str) -> BundleManifest:
    data = doc.data
    return BundleManifest(
        name=data["bundle"], version=str(data["version"]),
        label=Label.of(data.get("label"), humanize(data["bundle"])),
        requires=tuple(data.get("requires", ())), path=path, location=doc.at(),
        navigation=tuple(
            NavigationGroup(Label.of(group["label"]), tuple(group["entities"]),
                            doc.at("navigation", i),
                            tuple(doc.at("navigation", i, "entities", j)
                                  for j in range(len(group["entities"]))))
            for i, group in enumerate(data.get("navigation", ()))),
        settings=_settings(doc),
    )


def _settings(doc: Document) -> BundleSettings:
    written = doc.data.get("settings", {})
    values = {name: str(written[name]) for name in BundleSettings.NAMES if name in written}
    if "phone_region" in values:
        values["phone_region"] = values["phone_region"].upper()
    return BundleSettings(**values, locations=tuple(
        (name, doc.at("settings", name)) for name in values))


def build_optionset(doc: Document, bundle: str, errors: ErrorCollector) -> OptionSetDef:
    data = doc.data
    name = data["optionset"]
    return OptionSetDef(
        name=name, label=Label.of(data.get("label"), humanize(name)),
        options=build_options(doc, ("options",), errors), location=doc.key_at("optionset"),
    )


def build_optionset_extension(doc: Document, bundle: str,
                              errors: ErrorCollector) -> OptionSetExtension:
    data = doc.data
    return OptionSetExtension(
        optionset=data["extend_optionset"], options=build_options(doc, ("options",), errors),
        label=Label.of(data["label"]) if "label" in data else None, bundle=bundle,
        location=doc.key_at("extend_optionset"),
    )


def build_options(doc: Document, path: tuple[Any, ...], errors: ErrorCollector
                  ) -> tuple[OptionDef, ...]:
    raw = _get(doc.data, path)
    options: list[OptionDef] = []
    seen: dict[str, Location] = {}
    for i, item in enumerate(raw):
        where = doc.at(*path, i)
        spec = item if isinstance(item, dict) else {"value": item}
        value = str(spec["value"])
        if value in seen:
            errors.add(where, f"option '{value}' is listed twice (first at {seen[value]})")
            continue
        seen[value] = where
        attributes = dict(spec.get("attributes", {}))
        for key in ("probability", "closed", "won"):
            if key in spec:
                attributes[key] = spec[key]
        options.append(OptionDef(
            value=value, label=Label.of(spec.get("label"), value if not isinstance(item, dict)
                                        else humanize(value)),
            help=Label.of(spec.get("help")), color=spec.get("color"), attributes=attributes,
            location=where,
        ))
    return tuple(options)


def build_entity(doc: Document, bundle: str, errors: ErrorCollector, types: FieldTypes
                 ) -> tuple[EntityDef, list[OptionSetDef]]:
    data = doc.data
    name = data["entity"]
    fields, inline_sets = _build_fields(doc, name, errors, types)
    title = data.get("title") or next(
        (f.name for f in fields.values() if f.type in ("string", "autonumber")), None)
    entity = EntityDef(
        name=name,
        label=Label.of(data.get("label"), humanize(name)),
        plural=Label.of(data.get("plural") or data.get("label"), humanize(name)),
        help=Label.of(data.get("help")),
        fields=fields, title=title,
        search=tuple(data.get("search", ())),
        indexes=_build_indexes(doc, errors),
        rules=_build_rules(doc),
        default_sort=tuple(data.get("default_sort", ("-id",))),
        owned_by=data.get("owned_by"), pool=build_pool(doc),
        assignment=build_assignment(doc), transfer=build_transfer(doc),
        duplicates=build_duplicates(doc, fields, errors),
        bundle=bundle, location=doc.key_at("entity"), key_locations=_key_locations(doc),
    )
    if name.startswith("mc_"):
        errors.add(entity.location, f"entity name '{name}': the prefix 'mc_' is reserved for "
                   "the platform's own tables")
    elif name in RESERVED_ENTITY_NAMES:
        errors.add(entity.location, f"entity name '{name}' is taken by the platform's own "
                   f"API (/api/{name}); choose another name")
    return entity, inline_sets


def build_entity_extension(doc: Document, bundle: str, errors: ErrorCollector,
                           types: FieldTypes) -> tuple[EntityExtension, list[OptionSetDef]]:
    data = doc.data
    name = data["extend"]
    fields, inline_sets = _build_fields(doc, name, errors, types)
    labels = {field: (Label.of(text), doc.at("labels", field))
              for field, text in data.get("labels", {}).items()}
    extension = EntityExtension(
        entity=name, fields=fields,
        label=Label.of(data["label"]) if "label" in data else None,
        plural=Label.of(data["plural"]) if "plural" in data else None,
        help=Label.of(data["help"]) if "help" in data else None,
        search=tuple(data.get("search", ())),
        indexes=_build_indexes(doc, errors), rules=_build_rules(doc),
        field_labels=labels, owned_by=data.get("owned_by"), pool=build_pool(doc),
        return_rules=build_return_rules(doc, ("return_rules",)),
        assignment=build_assignment(doc), transfer=build_transfer(doc),
        bundle=bundle, location=doc.key_at("extend"),
    )
    return extension, inline_sets


def _build_fields(doc: Document, entity: str, errors: ErrorCollector, types: FieldTypes
                  ) -> tuple[dict[str, FieldDef], list[OptionSetDef]]:
    fields: dict[str, FieldDef] = {}
    inline_sets: list[OptionSetDef] = []
    for name, spec in doc.data.get("fields", {}).items():
        where = doc.key_at("fields", name)
        if name in RESERVED_NAMES:
            kind = "a system field" if name in SYSTEM_FIELDS else "reserved for list queries"
            errors.add(where, f"field name '{name}' is {kind}; choose another name")
        ftype = spec["type"]
        field_type = types[ftype]
        for key in spec:
            if key not in COMMON_KEYS and key not in field_type.keys:
                allowed = types.keys_for(key)
                errors.add(doc.key_at("fields", name, key),
                           f"'{key}' does not apply to {with_article(ftype)} field (only to: "
                           f"{', '.join(allowed) or 'no type'})")
        options = spec.get("options")
        if isinstance(options, list):
            set_name = f"{entity}.{name}"
            inline_sets.append(OptionSetDef(
                name=set_name, label=Label.of(spec.get("label"), humanize(name)),
                options=build_options(doc, ("fields", name, "options"), errors), location=where))
            options = set_name
        _check_field_values(doc, name, spec, errors, types)
        fields[name] = FieldDef(
            name=name, type=ftype, label=Label.of(spec.get("label"), humanize(name)),
            help=Label.of(spec.get("help")), required=spec.get("required", False),
            unique=spec.get("unique", False), indexed=spec.get("indexed", False),
            readonly=spec.get("readonly", False), default=spec.get("default"),
            min=spec.get("min"), max=spec.get("max"), max_length=spec.get("max_length"),
            pattern=spec.get("pattern"), options=options, to=spec.get("to"),
            on_delete=spec.get("on_delete", "restrict"), format=spec.get("format"),
            expression=spec.get("expression"), result=spec.get("result"),
            source=spec.get("from"), aggregate=spec.get("aggregate"), of=spec.get("of"),
            where=spec.get("where"), scale=spec.get("scale"),
            rounding=spec.get("rounding", "half_up"),
            clean=build_clean(doc, name, spec, errors) if "clean" in field_type.keys else (),
            location=where,
            value_locations=_value_locations(doc, name, spec),
        )
    return fields, inline_sets


def _value_locations(doc: Document, name: str, spec: dict[str, Any]) -> dict[str, Location]:
    found = {key: doc.at("fields", name, key) for key in spec}
    if isinstance(spec.get("where"), dict):
        found.update({f"where.{key}": doc.at("fields", name, "where", key)
                      for key in spec["where"]})
    return found


def _key_locations(doc: Document) -> dict[str, Location]:
    found = {key: doc.key_at(key) for key in doc.data}
    pool = doc.data.get("pool")
    if isinstance(pool, dict):
        found.update({f"pool.{key}": doc.key_at("pool", key) for key in pool})
    return found


def _check_field_values(doc: Document, name: str, spec: dict[str, Any],
                        errors: ErrorCollector, types: FieldTypes) -> None:
    ftype = spec["type"]
    if "pattern" in spec and (problem := check_regex(spec["pattern"])):
        errors.add(doc.at("fields", name, "pattern"), f"pattern: {problem} (patterns use "
                   "RE2 syntax: no look-around or back-references)")
    default = spec.get("default")
    if isinstance(default, str) and default.startswith("$"):
        if default not in DEFAULT_MACROS:
            errors.add(doc.at("fields", name, "default"), f"unknown default '{default}'; "
                       f"use one of: {', '.join(DEFAULT_MACROS)} or a literal value")
        elif default not in types[ftype].macros:
            fitting = [t for t, kind in types.items() if default in kind.macros]
            errors.add(doc.at("fields", name, "default"), f"default '{default}' does not fit "
                       f"{with_article(ftype)} field (only: {', '.join(fitting)})")
    if types[ftype].computed and ("default" in spec or spec.get("required")):
        errors.add(doc.key_at("fields", name), f"{with_article(ftype)} field is computed: "
                   "it takes no 'default' and cannot be 'required'")
    low, high = spec.get("min"), spec.get("max")
    if low is not None and high is not None and type(low) is type(high) and low > high:
        errors.add(doc.at("fields", name, "min"), f"min ({low}) is greater than max ({high})")
    if spec.get("on_delete") == "set_null" and spec.get("required"):
        errors.add(doc.at("fields", name, "on_delete"), "on_delete: set_null cannot clear a "
                   "required reference; use restrict or cascade")


def _build_indexes(doc: Document, errors: ErrorCollector) -> tuple[IndexDef, ...]:
    return tuple(
        IndexDef(fields=tuple(spec["fields"]), unique=spec.get("unique", False),
                 name=spec.get("name"), location=doc.at("indexes", i),
                 include=tuple(spec.get("include", ())),
                 include_location=doc.at("indexes", i, "include"))
        for i, spec in enumerate(doc.data.get("indexes", ()))
    )


def _build_rules(doc: Document) -> tuple[RuleDef, ...]:
    return tuple(
        RuleDef(name=spec["name"], check=spec["check"], message=Label.of(spec["message"]),
                field=spec.get("field"), when=spec.get("when"), location=doc.at("rules", i),
                value_locations={key: doc.at("rules", i, key) for key in spec})
        for i, spec in enumerate(doc.data.get("rules", ()))
    )


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        data = data[step]
    return data
