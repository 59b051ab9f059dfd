"""Compile an entity's writable fields into marshmallow schemas, one per language.

Each language gets its own schema so that messages are translated templates
formatted with the field's limits, never English text patched afterwards. What
each field reads is its field type's (fieldtypes/).
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields

from ..definitions import Catalog, EntityDef, FieldDef

# Re-exported: identity and the OpenAPI document check phone numbers the same way.
from ..fieldtypes.phone import PHONE_PATTERN  # noqa: F401


def compile_payload_schema(catalog: Catalog, entity: EntityDef, lang: str) -> type[Schema]:
    declared = {
        f.name: _field(catalog, f, lang) for f in entity.fields.values() if not f.computed
    }
    schema = Schema.from_dict(declared, name=f"{entity.name}_{lang}_payload")
    schema.Meta.unknown = RAISE
    return schema


def _field(catalog: Catalog, field: FieldDef, lang: str) -> fields.Field:
    optionset = catalog.optionsets.get(field.options or "")
    options = optionset.values() if optionset is not None else ()
    return catalog.field_types.of(field).payload(field, lang, options)
