"""Field types: what each type of field means, one module per type, and the registry
(``FieldTypes``) a built platform holds.

Importing this package registers nothing: ``builtin_field_types()`` builds a new
registry of the built-in types, and a plugin adds its own (plugins.py). See
docs/definitions.md, "Adding a field type in a plugin".
"""

from __future__ import annotations

from .base import COMMON_KEYS as COMMON_KEYS
from .base import FieldType as FieldType
from .base import FieldTypes as FieldTypes
from .base import SchemaEnv as SchemaEnv
from .builtin import builtin_field_types as builtin_field_types
from .storage import DEFAULT_STRING_LENGTH as DEFAULT_STRING_LENGTH
from .storage import ID_TYPE as ID_TYPE
from .storage import JSON_TYPE as JSON_TYPE
from .storage import ExactNumeric as ExactNumeric
from .storage import MinorUnits as MinorUnits
from .storage import UtcDateTime as UtcDateTime
