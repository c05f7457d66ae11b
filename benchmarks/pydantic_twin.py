"""A pydantic model with the same shape as ConfigSchema, built from the attrs classes (benchmark only).

Open kind unions become the union of the registered classes, discriminated by their kind literal where one
exists; field constraints are not carried over, so the twin does less work than Noether's converter.
"""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import attrs
import pydantic

from noether.core.registry import get_registry
from noether.core.schemas import ConfigSchema, OpenUnion, Schema

_CACHE: dict[type, type[pydantic.BaseModel]] = {}
_BUILDING: set[type] = set()


def _twin_type(tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin is Annotated:
        base, *meta = typing.get_args(tp)
        union = next((m for m in meta if isinstance(m, OpenUnion)), None)
        if union is None:
            return _twin_type(base)
        registry = get_registry()
        members = []
        for kind in registry.kinds(union.family):
            reg = registry.find(union.family, kind)
            if reg is not None and reg.config_class() not in _BUILDING:  # recursive (composite): left out
                members.append(twin(reg.config_class()))
        return Union[tuple(dict.fromkeys(members))] if members else dict  # noqa: UP007
    if origin in (Union, typing.get_origin(int | None)):
        return Union[tuple(_twin_type(a) for a in typing.get_args(tp))]  # noqa: UP007
    if origin in (list, tuple, set, frozenset):
        args = typing.get_args(tp)
        # Runtime-built generic aliases (not annotations): mypy cannot check a type computed here.
        return list[_twin_type(args[0])] if args else list  # type: ignore[misc]
    if origin is dict:
        k, v = typing.get_args(tp)
        return dict[_twin_type(k), _twin_type(v)]  # type: ignore[misc]
    if origin is Literal:
        return tp
    if isinstance(tp, type) and issubclass(tp, Schema):
        return twin(tp)
    if tp is Path:
        return str
    return tp


def twin(cls: type) -> type[pydantic.BaseModel]:
    """The pydantic twin of one attrs schema class."""
    if cls in _CACHE:
        return _CACHE[cls]
    _BUILDING.add(cls)
    hints = typing.get_type_hints(cls, include_extras=True)
    fields: dict[str, Any] = {}
    for f in attrs.fields(cls):
        default: Any = ... if f.default is attrs.NOTHING else f.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            default = pydantic.Field(default_factory=default.factory)
        fields[f.name] = (_twin_type(hints[f.name]), default)
    model = pydantic.create_model(f"{cls.__name__}Twin", __config__=pydantic.ConfigDict(extra="allow"), **fields)
    _CACHE[cls] = model
    _BUILDING.discard(cls)
    return model


def build_twin() -> type[pydantic.BaseModel]:
    """The twin of the root config."""
    return twin(ConfigSchema)
