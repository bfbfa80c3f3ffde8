"""Which pydantic model classes the value writer may read field by field instead of calling
``model_dump()`` (asked once per class by the native writer; the answer is cached there).

A class qualifies when ``model_dump()`` of its instances is, by construction, the stored field
values in ``__dict__`` order followed by the extra fields: pydantic's own ``model_dump``, no
field or model serializer, no computed field, no excluded field, no serialization by alias, not
a root model, and field types built only from JSON-like types, ``Literal``, ``Any`` and model
classes (``Annotated`` metadata only when pydantic ignores it when serializing). For each field
the answer lists the model classes its type names: pydantic serializes a model found there by
the declared class (a subclass instance loses its extra fields), so the writer accepts only
instances of exactly those classes and hands anything else back to ``model_dump()``.
"""

from __future__ import annotations

import types
import typing

from ferrotrace._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any, Optional

    # Per field: its name and the exact model classes allowed in its value (None: any value,
    # serialized by its runtime type).
    Fields = tuple[tuple[str, Optional[tuple[type, ...]]], ...]

_LEAVES = (str, int, float, bool, type(None), None)
_UNIONS: tuple[Any, ...] = (typing.Union, getattr(types, "UnionType", typing.Union))


class _Any:
    """Marks a type that lets any value through (serialized by its runtime type)."""


def _ignored_metadata(item: Any) -> bool:
    """Metadata pydantic does not act on when serializing: ``annotated_types`` constraints and
    foreign markers (a client library's own field info) without a pydantic schema hook."""
    module = getattr(type(item), "__module__", "") or ""
    if module.startswith("annotated_types"):
        return True
    if module.startswith("pydantic"):
        return False
    return not hasattr(item, "__get_pydantic_core_schema__")


def _scan(tp: Any, base: type, found: set[Any]) -> bool:
    """Adds the model classes (or ``_Any``) of type ``tp`` to ``found``; False for a type whose
    serialization may differ from its stored value."""
    if tp is typing.Any or tp is object:
        found.add(_Any)
        return True
    if tp in _LEAVES:
        return True
    if isinstance(tp, type):
        if issubclass(tp, base) and not getattr(tp, "__pydantic_root_model__", False):
            found.add(tp)
            return True
        if tp in (list, dict):  # items of any type
            found.add(_Any)
            return True
        return False
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Literal:
        return True
    if origin is typing.Annotated:
        return all(_ignored_metadata(m) for m in getattr(tp, "__metadata__", ())) and _scan(args[0], base, found)
    if origin in (list, dict) and not args:
        found.add(_Any)
        return True
    if origin in _UNIONS or origin in (list, dict):
        return all(_scan(a, base, found) for a in args)
    return False


def plain_fields(cls: Any) -> Optional[Fields]:
    """The fields of ``cls`` if its instances may be written field by field, else None."""
    try:
        import pydantic

        base = pydantic.BaseModel
        if not (isinstance(cls, type) and issubclass(cls, base)) or cls.model_dump is not base.model_dump:
            return None
        if getattr(cls, "__pydantic_root_model__", False) or cls.model_config.get("serialize_by_alias"):
            return None
        if getattr(cls, "__pydantic_computed_fields__", None):
            return None
        decorators = cls.__pydantic_decorators__
        if decorators.field_serializers or decorators.model_serializers or decorators.computed_fields:
            return None
        out = []
        for name, field in cls.__pydantic_fields__.items():
            if field.exclude or getattr(field, "exclude_if", None) is not None:
                return None
            if not all(_ignored_metadata(m) for m in field.metadata):
                return None
            found: set[Any] = set()
            if not _scan(field.annotation, base, found):
                return None
            out.append((name, None if _Any in found else tuple(found)))
        return tuple(out)
    except Exception:  # an unexpected pydantic version or class: model_dump() as before
        return None
