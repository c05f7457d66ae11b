"""Families and usage paths for the reference; fields, types and rules come from ``noether.core.config.introspect``.

The registry says which kinds exist and who provides them; the schema reading itself is the product's.
"""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any, Union

import attrs

from noether.core.config.introspect import (  # the shared schema reading; re-exported for the docs tools
    ALIAS_MODULES,
    Family,
    FamilyLinker,
    FieldInfo,
    Linker,
    check_rules,
    class_rules,
    collect_classes,
    default_text,
    describe,
    docstring,
    families,
    field_docs,
    field_owner,
    fields_of,
    hints_of,
    is_schema_class,
    iter_types,
    open_union,
    own_field_names,
    rst_to_md,
    rules_of,
    type_text,
    yaml_inline,
)

__all__ = [
    "ALIAS_MODULES", "Family", "FamilyLinker", "FieldInfo", "Linker", "check_rules", "class_rules",
    "collect_classes", "default_text", "describe", "docstring", "families", "field_docs", "field_owner",
    "fields_of", "hints_of", "is_schema_class", "iter_types", "open_union", "own_field_names", "rst_to_md",
    "rules_of", "type_text", "usage_paths", "yaml_inline",
]


def usage_paths(root: type, fams: list[Family]) -> tuple[dict[str, list[str]], dict[type, list[str]]]:
    """Where each family and each class can appear in a config, as dotted paths from the root.

    ``<key>`` stands for a mapping key of the user's choice, ``[]`` for a list item.
    """
    by_family: dict[str, list[str]] = {}
    by_class: dict[type, list[str]] = {}
    members = {f.name: [*f.config_classes(), *([f.base] if f.base else [])] for f in fams}

    def add(table: dict[Any, list[str]], key: Any, path: str) -> None:
        paths = table.setdefault(key, [])
        if path not in paths:
            paths.append(path)

    def walk_class(cls: type, path: str, stack: tuple[type, ...]) -> None:
        if cls in stack or len(stack) > 8:
            return
        for f in attrs.fields(cls):
            tp = hints_of(cls)[f.name]
            walk_type(tp, f"{path}.{f.name}" if path else f.name, (*stack, cls))

    def walk_type(tp: Any, path: str, stack: tuple[type, ...]) -> None:
        marker = open_union(tp)
        if marker is not None:
            add(by_family, marker.family, path)
            for cls in members.get(marker.family, []):
                add(by_class, cls, path)
                walk_class(cls, path, stack)
            return
        origin = typing.get_origin(tp)
        if origin is Annotated:
            walk_type(typing.get_args(tp)[0], path, stack)
        elif origin in (Union, types.UnionType):
            for arg in typing.get_args(tp):
                walk_type(arg, path, stack)
        elif origin in (list, tuple, set, frozenset):
            args = [a for a in typing.get_args(tp) if a is not Ellipsis]
            if args:
                walk_type(args[0], f"{path}[]", stack)
        elif origin is dict:
            key_value = typing.get_args(tp)
            if key_value:
                walk_type(key_value[1], f"{path}.<key>", stack)
        elif is_schema_class(tp):
            add(by_class, tp, path)
            walk_class(tp, path, stack)

    walk_class(root, "", ())
    for fam in fams:
        if fam.name not in by_family:
            for cls in fam.config_classes():
                for path in by_class.get(cls, []):
                    add(by_family, fam.name, path)
    return by_family, by_class


