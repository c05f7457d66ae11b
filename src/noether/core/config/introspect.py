"""Reading the schema classes: fields, types, defaults, constraints, cross-field rules and docs, in words.

The one place that walks schema types for people: ``noether explain`` and the JSON Schema use it, and the
docs build renders the reference from it. Everything is derived from the code: field types and their
``Annotated`` constraints, attrs defaults, the ``#:`` comments above fields, class docstrings and the
cross-field rules of ``_check`` (read from its source). Nothing here imports torch.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import re
import sys
import textwrap
import types
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import attrs

from noether.core.registry import FAMILIES, Registration, get_registry
from noether.core.schemas._base import OpenUnion, Schema
from noether.core.schemas._constraints import Between, Constraint
from noether.core.schemas._types import NumberArray, PlainData

#: ``class -> link target`` (``None``: no link); ``family -> text`` naming a family.
Linker = Callable[[type], str | None]
FamilyLinker = Callable[[str], str]


def no_link(_: type) -> str | None:
    """The :data:`Linker` of plain text: no class is linked."""
    return None


def family_words(family: str) -> str:
    """The :data:`FamilyLinker` of plain text: ``"<family> config"``."""
    return f"{family.replace('_', '-')} config"


# -- classes ---------------------------------------------------------------------------------------
def is_schema_class(obj: object) -> bool:
    """Whether ``obj`` is a Noether schema class (an attrs subclass of :class:`Schema`, not ``Schema`` itself)."""
    return isinstance(obj, type) and issubclass(obj, Schema) and obj is not Schema and attrs.has(obj)


@functools.cache
def hints_of(cls: type) -> dict[str, Any]:
    """The resolved field annotations of a class, constraints included (cached)."""
    return typing.get_type_hints(cls, include_extras=True)


@functools.cache
def field_docs(cls: type) -> dict[str, str]:
    """The ``#:`` comments above the fields of ``cls`` and its bases (cached)."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not (isinstance(klass, type) and issubclass(klass, Schema)):
            continue
        try:
            lines = inspect.getsource(klass).splitlines()
        except (OSError, TypeError):
            continue
        pending: list[str] = []
        for line in lines:
            stripped = line.strip()
            if stripped.startswith("#:"):
                pending.append(stripped[2:].strip())
            elif ":" in stripped and pending and not stripped.startswith(("def ", "#")):
                docs[stripped.split(":", 1)[0].strip()] = " ".join(pending)
                pending = []
            else:
                pending = []
    return docs


def open_union(tp: Any) -> OpenUnion | None:
    """The :class:`OpenUnion` marker of an ``Annotated`` type, if any."""
    if typing.get_origin(tp) is Annotated:
        return next((m for m in typing.get_args(tp)[1:] if isinstance(m, OpenUnion)), None)
    return None


def iter_types(tp: Any) -> Iterator[Any]:
    """``tp`` and every type nested in it (union members, list items, mapping values, annotated bases)."""
    yield tp
    origin = typing.get_origin(tp)
    if origin is Annotated:
        yield from iter_types(typing.get_args(tp)[0])
    elif origin in (Union, types.UnionType, list, tuple, set, frozenset, dict):
        for arg in typing.get_args(tp):
            if arg is not Ellipsis:
                yield from iter_types(arg)


# -- families ---------------------------------------------------------------------------------------------
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


# -- fields ---------------------------------------------------------------------------------------------------
@attrs.frozen
class FieldInfo:
    """One field of a schema class, described for people."""

    name: str
    type_text: str
    default_text: str | None
    rules: tuple[str, ...]
    doc: str
    owner: type

    @property
    def required(self) -> bool:
        """Whether the field has no default."""
        return self.default_text is None


def own_field_names(cls: type) -> list[str]:
    """Fields that ``cls`` declares or redeclares itself (not only inherits)."""
    own = inspect.get_annotations(cls)
    return [f.name for f in attrs.fields(cls) if f.name in own]


def field_owner(cls: type, name: str) -> type:
    """The nearest class in the MRO that declares field ``name``."""
    for klass in cls.__mro__:
        if name in inspect.get_annotations(klass):
            return klass
    return cls


def fields_of(cls: type, link: Linker = no_link, family_link: FamilyLinker = family_words) -> list[FieldInfo]:
    """Every field of ``cls`` in declaration order."""
    hints = hints_of(cls)
    docs = field_docs(cls)
    out = []
    for f in attrs.fields(cls):
        if f.name == getattr(cls, "__extra_field__", None):
            continue
        tp = hints[f.name]
        out.append(FieldInfo(f.name, type_text(tp, link, family_link), default_text(f), tuple(rules_of(tp)),
                             rst_to_md(docs.get(f.name, "")), field_owner(cls, f.name)))
    return out


def default_text(field: attrs.Attribute) -> str | None:
    """The default as YAML text (``None`` for a required field)."""
    default = field.default
    if default is attrs.NOTHING:
        return None
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        value = default.factory(None) if default.takes_self else default.factory()  # type: ignore[union-attr]
        if is_schema_class(type(value)):
            from noether.core.config.converter import unstructure

            value = unstructure(value)
        default = value
    return yaml_inline(default)


def yaml_inline(value: Any) -> str:
    """A short YAML (flow style) rendering of a plain value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, str):
        return value if re.fullmatch(r"[A-Za-z_][\w./=-]*", value) and value not in ("null", "true", "false") \
            else f'"{value}"'
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value) if isinstance(value, set | frozenset) else value
        return "[" + ", ".join(yaml_inline(v) for v in items) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{yaml_inline(k)}: {yaml_inline(v)}" for k, v in value.items()) + "}"
    return repr(value)


_SIMPLE = {int: "integer", float: "number", bool: "boolean", str: "string", Path: "path", type(None): "null"}


def type_text(tp: Any, link: Linker = no_link, family_link: FamilyLinker = family_words) -> str:
    """A type in words, with links to the classes and families it names (markdown; no ``|``)."""
    marker = open_union(tp)
    if marker is not None:
        extra = " or `" + "`/`".join(marker.none_strings) + "`" if marker.none_strings else ""
        return f"a {family_link(marker.family)}{extra}"
    origin = typing.get_origin(tp)
    if origin is Annotated:
        meta = typing.get_args(tp)[1:]
        if any(isinstance(m, NumberArray) for m in meta):
            return "number or (nested) list of numbers"
        if any(isinstance(m, PlainData) for m in meta):
            return "plain data (string, number, boolean, null, list, mapping)"
        return type_text(typing.get_args(tp)[0], link, family_link)
    if origin in (Union, types.UnionType):
        members = typing.get_args(tp)
        parts = [type_text(a, link, family_link) for a in members if a is not type(None)]
        if type(None) in members:
            parts.append("`null`")
        return " or ".join(dict.fromkeys(parts))
    if origin is Literal:
        if len(typing.get_args(tp)) == 1:
            return f"`{yaml_inline(typing.get_args(tp)[0])}`"
        return "one of " + ", ".join(f"`{yaml_inline(v)}`" for v in typing.get_args(tp))
    if origin in (list, tuple, set, frozenset):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        word = "list of unique" if origin in (set, frozenset) else "list of"
        if not args:
            return "list"
        inner = type_text(args[0], link, family_link)
        return f"{word} {inner[2:]} configs" if inner.startswith("a [") else f"{word} {_plural(inner)}"
    if origin is dict:
        key_value = typing.get_args(tp)
        if not key_value:
            return "mapping"
        key, value = (type_text(t, link, family_link) for t in key_value)
        return f"mapping of {key} to {value}"
    if tp in _SIMPLE:
        return _SIMPLE[tp]
    if tp is Any:
        return "any value"
    if is_schema_class(tp):
        target = link(tp)
        return f"[{tp.__name__}]({target})" if target else f"`{tp.__name__}`"
    return f"`{getattr(tp, '__name__', str(tp))}`"


def _plural(text: str) -> str:
    for word in ("integer", "number", "boolean", "string", "path", "mapping"):
        if text.startswith(word) and not text.startswith(word + "s"):
            return word + "s" + text[len(word):]
    return text


def describe(constraint: Constraint) -> str:
    """A constraint in words (its ``describe()``; intervals without an upper end read as a bound)."""
    if isinstance(constraint, Between) and constraint.high == float("inf"):
        return f"{'>' if constraint.open_low else '>='} {constraint.low}"
    return constraint.describe()


def rules_of(tp: Any) -> list[str]:
    """The value rules of a type in words: constraints, and the rules of list items and mapping values."""
    origin = typing.get_origin(tp)
    if origin is Annotated:
        base, *meta = typing.get_args(tp)
        return rules_of(base) + [describe(m) for m in meta if isinstance(m, Constraint)]
    if origin in (Union, types.UnionType):
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(members) == 1:
            return rules_of(members[0])
        out = []
        for member in members:
            inner = rules_of(member)
            if inner:
                out.append(f"as {type_text(member, lambda _: None, str)}: {', '.join(inner)}")
        return out
    if origin in (list, tuple, set, frozenset):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        return [f"each item {r}" for r in rules_of(args[0])] if args else []
    if origin is dict:
        key_value = typing.get_args(tp)
        if not key_value:
            return []
        return [f"each key {r}" for r in rules_of(key_value[0])] + [f"each value {r}" for r in rules_of(key_value[1])]
    return []


# -- cross-field rules ----------------------------------------------------------------------------------------
def class_rules(cls: type, *, own_only: bool = False, link: Callable[[type], str] | None = None) -> list[str]:
    """The rules of ``cls`` beyond single fields, in words: aliases, ignored and extra keys, ``_check`` rules.

    ``own_only`` leaves out what ``cls`` inherits unchanged (documented with its parent). A ``_check`` that
    defers to its parent's (``super()._check()``) is summarised as "the rules of <parent>", named by ``link``.
    """

    def declared(name: str) -> bool:
        return not own_only or name in cls.__dict__

    out: list[str] = []
    if declared("__aliases__"):
        for alias, target in getattr(cls, "__aliases__", {}).items():
            out.append(f"`{alias}` is accepted as another name of `{target}` (give only one of them).")
    if declared("__ignored_keys__"):
        for key in sorted(getattr(cls, "__ignored_keys__", ())):
            out.append(f"`{key}` is accepted and ignored.")
    extra = getattr(cls, "__extra_field__", None)
    if extra and declared("__extra_field__"):
        out.append(f"Any other key is collected into `{extra}`.")
    if declared("_check"):
        out.extend(check_rules(cls, link))
    return out


def check_rules(cls: type, link: Callable[[type], str] | None = None) -> list[str]:
    """The cross-field rules of ``cls._check`` (and of the ``_check`` methods it defers to), in words.

    Without ``link`` the rules of parents are spelled out; with it, they are referred to by the link.
    """
    definer = next((k for k in cls.__mro__ if "_check" in k.__dict__), None)
    if definer is None or definer is Schema:
        return []
    return list(dict.fromkeys(_rules_of_check(definer, link)))


def _rules_of_check(klass: type, link: Callable[[type], str] | None = None) -> list[str]:
    try:
        source = textwrap.dedent(inspect.getsource(klass.__dict__["_check"]))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return []
    module = sys.modules.get(klass.__module__)
    namespace = vars(module) if module is not None else {}
    found: list[tuple[int, int, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.YieldFrom) and isinstance(node.value, ast.Call):
            found.append((node.lineno, node.col_offset, _rules_of_call(node.value, klass, namespace, link)))
        elif isinstance(node, ast.Yield) and isinstance(node.value, ast.Tuple) and len(node.value.elts) == 2:
            rule = _rule_of_yield(node.value.elts[0], node.value.elts[1])
            if rule:
                found.append((node.lineno, node.col_offset, [rule]))
    return [rule for _, _, rules in sorted(found, key=lambda t: (t[0], t[1])) for rule in rules]


def _names(node: ast.expr, namespace: dict[str, Any]) -> list[str]:
    try:
        value = namespace[node.id] if isinstance(node, ast.Name) else ast.literal_eval(node)
    except (KeyError, ValueError):
        return []
    return [str(v) for v in value] if isinstance(value, tuple | list) else [str(value)]


def _rules_of_call(call: ast.Call, klass: type, namespace: dict[str, Any],
                   link: Callable[[type], str] | None) -> list[str]:
    func = call.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    args = call.args
    if name == "_check" and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
        parent = next((k for k in klass.__mro__[1:] if "_check" in k.__dict__), None)
        if parent is None or parent is Schema:
            return []
        return [f"The rules of {link(parent)} apply too."] if link is not None else _rules_of_check(parent)
    if name == "exactly_one" and len(args) >= 2:
        fields = ", ".join(f"`{n}`" for n in _names(args[1], namespace))
        allow_none = any(k.arg == "allow_none" and isinstance(k.value, ast.Constant) and k.value.value
                         for k in call.keywords)
        return [f"At most one of {fields} may be set." if allow_none else f"Exactly one of {fields} must be set."]
    if name == "both_or_neither" and len(args) >= 3:
        first, second = (_names(a, namespace)[0] for a in args[1:3])
        return [f"`{first}` and `{second}` are set together or not at all."]
    strings = [a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    if strings:
        words = name.strip("_").replace("_", " ")
        return [f"{words.capitalize()}: " + ", ".join(f"`{s}`" for s in strings) + "."]
    return []


def _rule_of_yield(field: ast.expr, message: ast.expr) -> str | None:
    text = _message_text(message)
    if text is None:
        return None
    text = re.sub(r",?\s*got\s+(\S+|`[^`]*`)\s*$", "", text).strip()
    if not text:
        return None
    if isinstance(field, ast.Constant) and isinstance(field.value, str) and field.value:
        return f"`{field.value}`: {text}"
    if isinstance(field, ast.Tuple) and field.elts:  # a path below the class: ("trainer", "callbacks", i, ...)
        path = ""
        for part in field.elts:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                path += f".{part.value}" if path else part.value
            else:
                path += "[i]"
        return f"`{path}`: {text}"
    return text[0].upper() + text[1:]


def _message_text(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if not isinstance(node, ast.JoinedStr):
        return None
    out = ""
    for part in node.values:
        if isinstance(part, ast.Constant):
            out += str(part.value)
            continue
        expr = part.value if isinstance(part, ast.FormattedValue) else None
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "self":
            if out.endswith(f"{expr.attr}="):
                out = out[:-1]
            else:
                out += f"`{expr.attr}`"
        else:
            out += "…"
    return out


# -- docstrings -----------------------------------------------------------------------------------------------
_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|attr|data|mod|exc|obj):`~?([^`]+)`")


def rst_to_md(text: str) -> str:
    """Docstring markup (reStructuredText roles and double backticks) as markdown."""
    text = _ROLE.sub(lambda m: f"`{m.group(1).rsplit('.', 1)[-1] if '~' in m.group(0) else m.group(1)}`", text)
    text = re.sub(r"``([^`]+)``", r"`\1`", text)
    return text.replace("::\n", ":\n")


def docstring(obj: object) -> str:
    """The cleaned docstring of ``obj`` as markdown (empty when it has none; a class never inherits one)."""
    raw = obj.__doc__ if isinstance(obj, type) else inspect.getdoc(obj)
    return rst_to_md(inspect.cleandoc(raw)) if raw else ""
