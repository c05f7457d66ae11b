"""Families and usage paths for the reference; fields, types and rules come from ``noether.core.config.introspect``.

The registry says which kinds exist and who provides them; the schema reading itself is the product's.
"""

from __future__ import annotations

import importlib
import types
import typing
from typing import Annotated, Any, Union

import attrs

from noether.core.config.introspect import (  # the shared schema reading; re-exported for the docs tools
    FamilyLinker,
    FieldInfo,
    Linker,
    check_rules,
    class_rules,
    default_text,
    describe,
    docstring,
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
from noether.core.registry import FAMILIES, Registration, get_registry
from noether.core.schemas._base import OpenUnion

#: Modules whose module-level names are searched for union aliases (``CallbacksConfig``, ``AnyModelConfig``).
ALIAS_MODULES = (
    "noether.core.schemas",
    "noether.core.schemas.callbacks",
    "noether.core.schemas.dataset",
    "noether.core.schemas.initializers",
    "noether.core.schemas.models",
    "noether.core.schemas.normalizers",
    "noether.core.schemas.schedules",
    "noether.core.schemas.trackers",
    "noether.core.schemas.trainers",
    "noether.core.schemas.wrappers",
    "noether.data.schemas",
)

__all__ = [
    "ALIAS_MODULES", "Family", "FamilyLinker", "FieldInfo", "Linker", "check_rules", "class_rules",
    "collect_classes", "default_text", "describe", "docstring", "families", "field_docs", "field_owner",
    "fields_of", "hints_of", "is_schema_class", "iter_types", "open_union", "own_field_names", "rst_to_md",
    "rules_of", "type_text", "usage_paths", "yaml_inline",
]


@attrs.frozen
class Family:
    """A component family: its registered kinds, the union type configs use, and its discriminator key."""

    name: str
    registrations: tuple[Registration, ...]
    union: Any = None
    union_name: str | None = None

    @property
    def marker(self) -> OpenUnion | None:
        """The union's marker (``None`` for families selected by a plain ``kind`` field)."""
        return open_union(self.union) if self.union is not None else None

    @property
    def discriminator(self) -> str:
        """The key that selects the kind (``name`` for callbacks, else ``kind``)."""
        marker = self.marker
        return marker.discriminator if marker is not None else "kind"

    @property
    def base(self) -> type | None:
        """The class used when the discriminator is absent or names an import path (``None``: required)."""
        marker = self.marker
        return marker.base if marker is not None else None

    def config_classes(self) -> list[type]:
        """The config classes of the registered kinds, in kind order, each once (broken ones skipped)."""
        out: list[type] = []
        for reg in self.registrations:
            try:
                cls = reg.config_class()
            except Exception:
                continue
            if cls not in out:
                out.append(cls)
        return out


def _union_aliases() -> dict[str, str]:
    """``family -> alias name`` for the union aliases exported by the schema modules."""
    names: dict[str, str] = {}
    for module_name in ALIAS_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for name, value in vars(module).items():
            marker = open_union(value)
            if marker is not None and not name.startswith("_"):
                names.setdefault(marker.family, name)
    return names


def collect_classes(roots: list[type]) -> list[type]:
    """Every schema class reachable from ``roots``: field types and base classes, recursively (stable order)."""
    seen: list[type] = []
    stack = list(roots)
    while stack:
        cls = stack.pop(0)
        if cls in seen or not is_schema_class(cls):
            continue
        seen.append(cls)
        for base in cls.__mro__[1:]:
            if is_schema_class(base) and not base.__name__.startswith("_"):
                stack.append(base)
        for tp in hints_of(cls).values():
            for inner in iter_types(tp):
                if is_schema_class(inner):
                    stack.append(inner)
    return seen


def families() -> list[Family]:
    """Every family with its registrations (installed plugins included) and its union type."""
    from noether.core.schemas import ConfigSchema

    registry = get_registry()
    regs = registry.registrations()
    roots: list[type] = [ConfigSchema]
    for reg in regs:
        try:
            roots.append(reg.config_class())
        except Exception:
            continue
    unions: dict[str, Any] = {}
    for cls in collect_classes(roots):
        for tp in hints_of(cls).values():
            for inner in iter_types(tp):
                marker = open_union(inner)
                if marker is not None:
                    unions.setdefault(marker.family, inner)
    aliases = _union_aliases()
    out = []
    for name in FAMILIES:
        mine = tuple(sorted((r for r in regs if r.family == name), key=lambda r: r.kind.lower()))
        out.append(Family(name, mine, unions.get(name), aliases.get(name)))
    return out


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


