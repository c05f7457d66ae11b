"""Property: for every schema class and every list/set/tuple/mapping field, a value of the wrong shape is rejected.

Both ways in are checked: ``noether.structure`` on plain data and direct construction in Python. The classes are
every subclass of ``Schema`` reachable from the core schemas, the data schemas and every config class in the
registry (so installed plugins' schemas are covered too).
"""

from __future__ import annotations

import importlib.util
import typing
from collections.abc import Iterator, Mapping
from typing import Annotated, Any

import attrs
import pytest

import noether
import noether.core.schemas
import noether.data.airfoil.schemas
import noether.data.schemas
from noether.core.registry import get_registry
from noether.core.schemas import Schema

_SEQUENCES = (list, tuple, set, frozenset)
_MAPPINGS = (dict, Mapping)


def _all_schema_classes() -> list[type]:
    for registration in get_registry().registrations():
        try:
            registration.config_class()
        except Exception:  # a broken plugin's config is the registry's concern, tested there
            continue
    seen: dict[str, type] = {}
    stack: list[type] = [Schema]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            name = f"{sub.__module__}.{sub.__qualname__}"
            if name not in seen and not sub.__module__.startswith(("tests.", "test_")):
                seen[name] = sub
                stack.append(sub)
    return [seen[name] for name in sorted(seen)]


def _shape(tp: Any) -> str | None:
    """``"list"`` or ``"mapping"`` when every non-None alternative of ``tp`` is a container of that shape."""
    if typing.get_origin(tp) is Annotated:
        return _shape(typing.get_args(tp)[0])
    if typing.get_origin(tp) in (typing.Union, __import__("types").UnionType):
        shapes = {_shape(m) for m in typing.get_args(tp) if m is not type(None)}
        return shapes.pop() if len(shapes) == 1 else None
    origin = typing.get_origin(tp) or tp
    if origin in _SEQUENCES:
        return "list"
    if origin in _MAPPINGS:
        return "mapping"
    return None


def _container_fields() -> Iterator[tuple[type, str, str]]:
    for cls in _all_schema_classes():
        hints = typing.get_type_hints(cls, include_extras=True)
        extra = getattr(cls, "__extra_field__", None)
        for f in attrs.fields(cls):
            shape = _shape(hints[f.name])
            if shape and f.init and f.name != extra:
                yield cls, f.name, shape


CASES = [
    pytest.param(cls, name, shape, bad, id=f"{cls.__name__}.{name}={bad!r}")
    for cls, name, shape in _container_fields()
    for bad in (("surface_pressure", {"a": 1}) if shape == "list" else ("surface_pressure", ["a"]))
]


def test_the_property_covers_the_known_families() -> None:
    covered = {cls.__module__.split(".")[1] if cls.__module__.startswith("noether.") else cls.__module__
               for cls, _, _, _ in (c.values for c in CASES)}
    assert {"core", "data"} <= covered
    if importlib.util.find_spec("noether_cfd") is not None:  # the project's plugin, found through the registry
        assert any(module.startswith("noether_cfd") for module in covered)
    assert len(CASES) >= 80  # every container field of every family, twice


@pytest.mark.parametrize(("cls", "name", "shape", "bad"), CASES)
def test_structure_rejects_the_wrong_shape_at_the_field(cls: type, name: str, shape: str, bad: Any) -> None:
    with pytest.raises(noether.ConfigError) as info:
        noether.structure({name: bad}, cls)
    messages = {issue.dotted_path: issue.message for issue in info.value.issues}
    assert name in messages, messages
    assert messages[name].startswith(f"expected a {shape}"), messages[name]


@pytest.mark.parametrize(("cls", "name", "shape", "bad"), CASES)
def test_direct_construction_rejects_the_wrong_shape_at_the_field(cls: type, name: str, shape: str,
                                                                  bad: Any) -> None:
    with pytest.raises(noether.ConfigError) as info:
        cls(**{name: bad})
    messages = {issue.dotted_path: issue.message for issue in info.value.issues}
    assert name in messages, messages
    assert messages[name].startswith(f"expected a {shape}"), messages[name]
