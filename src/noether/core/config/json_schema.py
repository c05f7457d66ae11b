"""A JSON Schema of the whole config, generated from the schema classes and every registered kind.

The classes are read by :mod:`noether.core.config.introspect` (hints, field docs, union markers); this module
only maps Python types to JSON Schema keywords.

Editors use it through yaml-language-server (``# yaml-language-server: $schema=noether.schema.json``) for
completion and validation, so it reflects the installed plugins.
"""

from __future__ import annotations

import inspect
import typing
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import attrs

from noether.core.config.introspect import field_docs, hints_of, is_schema_class, open_union
from noether.core.schemas._base import OpenUnion
from noether.core.schemas._constraints import Between, Constraint, Ge, Gt, Matches, NonBlank, NonEmpty
from noether.core.schemas._types import NumberArray, PlainData


def _constraint_keywords(constraint: Constraint) -> dict[str, Any]:
    if isinstance(constraint, Gt):
        return {"exclusiveMinimum": constraint.bound}
    if isinstance(constraint, Ge):
        return {"minimum": constraint.bound}
    if isinstance(constraint, Between):
        out: dict[str, Any] = {}
        out["exclusiveMinimum" if constraint.open_low else "minimum"] = constraint.low
        if constraint.high != float("inf"):
            out["exclusiveMaximum" if constraint.open_high else "maximum"] = constraint.high
        return out
    if isinstance(constraint, NonBlank):
        return {"pattern": r"\S"}
    if isinstance(constraint, NonEmpty):
        return {"minItems": 1}
    if isinstance(constraint, Matches):
        return {"pattern": f"^(?:{constraint.pattern})$"}
    return {}


class SchemaBuilder:
    """Collects ``$defs`` while turning Python types into JSON Schema fragments."""

    def __init__(self) -> None:
        from noether.core.registry import get_registry

        self.registry = get_registry()
        self.defs: dict[str, Any] = {}

    def type_schema(self, tp: Any) -> dict[str, Any]:
        """The JSON Schema of one Python type."""
        union = open_union(tp)
        if union is not None:
            return self.union_schema(union)
        origin = typing.get_origin(tp)
        if origin is Annotated:
            base, *meta = typing.get_args(tp)
            if any(isinstance(m, NumberArray) for m in meta):
                return {"anyOf": [{"type": "number"}, {"type": "array", "minItems": 1}],
                        "description": "a number or a nested list of numbers"}
            if any(isinstance(m, PlainData) for m in meta):
                return {}
            out = self.type_schema(base)
            for m in meta:
                if isinstance(m, Constraint):
                    out = {**out, **_constraint_keywords(m)}
            return out
        if origin in (Union, typing.get_origin(int | None)):
            members = [self.type_schema(a) for a in typing.get_args(tp)]
            return {"anyOf": members}
        if origin is Literal:
            return {"enum": list(typing.get_args(tp))}
        if origin in (list, tuple, set, frozenset):
            args = typing.get_args(tp)
            return {"type": "array", "items": self.type_schema(args[0])} if args else {"type": "array"}
        if origin is dict:
            args = typing.get_args(tp)
            value = self.type_schema(args[1]) if args else {}
            return {"type": "object", "additionalProperties": value}
        if tp is type(None):
            return {"type": "null"}
        simple = {int: {"type": "integer"}, float: {"type": "number"}, bool: {"type": "boolean"},
                  str: {"type": "string"}, Path: {"type": "string"}}
        if tp in simple:
            return dict(simple[tp])
        if is_schema_class(tp):
            return {"$ref": f"#/$defs/{self.class_schema(tp)}"}
        return {}

    def union_schema(self, union: OpenUnion) -> dict[str, Any]:
        """Every registered config of a family (plus the base class when the discriminator is optional)."""
        classes: list[type] = []
        for kind in self.registry.kinds(union.family):
            reg = self.registry.find(union.family, kind)
            if reg is None:
                continue
            cls = reg.config_class()
            if cls not in classes:
                classes.append(cls)
        if union.base is not None and union.base not in classes:
            classes.append(union.base)
        options: list[dict[str, Any]] = [{"$ref": f"#/$defs/{self.class_schema(c)}"} for c in classes]
        if union.none_strings:
            options.append({"enum": list(union.none_strings)})
        return {"anyOf": options} if options else {"type": "object"}

    def class_schema(self, cls: type) -> str:
        """Define ``cls`` under ``$defs`` (once) and return its name."""
        name = f"{cls.__module__}.{cls.__qualname__}"
        if name in self.defs:
            return name
        self.defs[name] = {}  # placeholder against recursion
        hints = hints_of(cls)
        properties: dict[str, Any] = {}
        required: list[str] = []
        docs = field_docs(cls)
        for f in attrs.fields(cls):
            if f.name == getattr(cls, "__extra_field__", None):
                continue
            prop = self.type_schema(hints[f.name])
            if f.default is not attrs.NOTHING and not isinstance(f.default, attrs.Factory):  # type: ignore[arg-type]
                default = f.default
                if isinstance(default, str | int | float | bool) or default is None:
                    prop = {**prop, "default": default}
            else:
                if f.default is attrs.NOTHING:
                    required.append(f.name)
            if f.name in docs:
                prop = {**prop, "description": docs[f.name]}
            properties[f.name] = prop
        for alias, target in getattr(cls, "__aliases__", {}).items():
            properties[alias] = {**properties[target], "description": f"Alias of '{target}'."}
        for key in getattr(cls, "__ignored_keys__", ()):
            properties[key] = {"description": "Accepted and ignored."}
        schema: dict[str, Any] = {
            "type": "object",
            "title": cls.__name__,
            "description": inspect.getdoc(cls) or "",
            "properties": properties,
            "additionalProperties": getattr(cls, "__extra_field__", None) is not None,
        }
        if required:
            schema["required"] = required
        self.defs[name] = schema
        return name


def config_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a Noether config file."""
    from noether.core.schemas import ConfigSchema

    builder = SchemaBuilder()
    root = builder.class_schema(ConfigSchema)
    top = dict(builder.defs[root])
    top["properties"] = {
        **top["properties"],
        "base": {
            "description": "Config file(s) this one builds on, deep-merged in order underneath it.",
            "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://noether.dev/schema/config.json",
        **top,
        "$defs": builder.defs,
    }
