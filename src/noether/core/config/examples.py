"""Minimal YAML examples of every kind, made from the schema classes and validated with ``noether.structure``.

An example names the kind, gives every required field a value, and adds the fewest optional fields that the
cross-field rules demand (for instance one of ``every_n_epochs``/``every_n_updates``/``every_n_samples``).
Values come from :data:`HINTS` (by field name) when one fits the field's type, else from the type and its
constraints. A config class can give its own example as a ``__doc_example__`` class attribute (a mapping).
"""

from __future__ import annotations

import itertools
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import attrs

from noether.core.config.introspect import Family, hints_of, is_schema_class, open_union
from noether.core.errors import ConfigError
from noether.core.registry import Registration
from noether.core.schemas._constraints import Constraint

#: Readable values for fields of these names (used when the value fits the field's type).
HINTS: dict[str, Any] = {
    "name": "my_model",
    "metric_key": "loss/val/total",
    "source_metric_key": "loss/val/total",
    "target_metric_keys": ["loss/test/total"],
    "dataset_key": "val",
    "run_id": "2024-05-01_abcde",
    "model_name": "my_model",
    "root": "data/my_dataset",
    "split": "train",
    "project": "my-project",
    "target_factors": [0.999],
    "effective_batch_size": 32,
    "input_dim": 3,
    "output_dim": 1,
    "items": ["surface_position"],
    "num_points": 64,
    "position": "surface_position",
    "outputs": {"surface_pressure": 1},
    "mapping": {"old_key": "new_key"},
    "mean": [0.0],
    "std": [1.0],
    "raw_pos_min": [0.0, 0.0],
    "raw_pos_max": [1.0, 1.0],
    "shift": [0.0],
    "scale": [1.0],
    "output_path": "outputs",
    "tolerance": 3,
    "max_value": 0.001,
    "factor": 0.5,
    "decreases_interval": 0.25,
    "update_interval": 0.25,
    "steps": [0.5, 0.75],
    "warmup_percent": 0.05,
    "values": [1.0, 0.5, 0.25],
    "repetitions": 2,
    "indices": [0, 1, 2],
    "keys": ["rel_l2/surface_pressure"],
    "every_n_epochs": 1,
    "min": 0.0,
    "max": 1.0,
    "lr": 0.001,
}


class ExampleError(ValueError):
    """No valid minimal example could be made for a kind."""


def fits(value: Any, tp: Any) -> bool:
    """Whether ``value`` has the shape of type ``tp`` (constraints are not checked)."""
    origin = typing.get_origin(tp)
    if open_union(tp) is not None:
        return isinstance(value, Mapping)
    if origin is Annotated:
        return fits(value, typing.get_args(tp)[0])
    if origin in (Union, types.UnionType):
        return any(fits(value, a) for a in typing.get_args(tp))
    if origin is Literal:
        return value in typing.get_args(tp)
    if origin in (list, tuple, set, frozenset):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        return isinstance(value, list) and all(fits(v, args[0]) for v in value) if args else isinstance(value, list)
    if origin is dict:
        key_value = typing.get_args(tp)
        return isinstance(value, dict) and (not key_value or all(fits(k, key_value[0]) and fits(v, key_value[1])
                                                                 for k, v in value.items()))
    if tp is Any:
        return True
    if tp is type(None):
        return value is None
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if tp in (str, Path):
        return isinstance(value, str)
    if is_schema_class(tp):
        return isinstance(value, Mapping)
    return False


def _constraints(tp: Any) -> list[Constraint]:
    if typing.get_origin(tp) is Annotated:
        return [m for m in typing.get_args(tp)[1:] if isinstance(m, Constraint)]
    return []


class ExampleMaker:
    """Makes minimal examples, remembering one example per family for nested fields."""

    def __init__(self, fams: list[Family]) -> None:
        self.families = {f.name: f for f in fams}
        self._family_examples: dict[str, dict[str, Any]] = {}
        self._class_examples: dict[type, dict[str, Any]] = {}

    # -- values -------------------------------------------------------------------------------------------
    def value(self, name: str, tp: Any) -> Any:
        """A value for field ``name`` of type ``tp``."""
        hint = HINTS.get(name)
        if hint is not None and fits(hint, tp) and all(c.check(hint) is None for c in _constraints(tp)):
            return hint
        return self.generated(tp)

    def generated(self, tp: Any) -> Any:
        """A value made from the type alone."""
        marker = open_union(tp)
        if marker is not None:
            return self.family_example(marker.family)
        origin = typing.get_origin(tp)
        if origin is Annotated:
            base = typing.get_args(tp)[0]
            constraints = _constraints(tp)
            if base in (int, float):
                for candidate in (1, 2, 0, 10, 100):
                    value = float(candidate) if base is float else candidate
                    if all(c.check(value) is None for c in constraints):
                        return value
                for candidate_f in (0.5, 0.25, 0.75):
                    if all(c.check(candidate_f) is None for c in constraints):
                        return candidate_f
            return self.generated(base)
        if origin in (Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            return self.generated(members[0]) if members else None
        if origin is Literal:
            return typing.get_args(tp)[0]
        if origin in (list, tuple, set, frozenset):
            args = [a for a in typing.get_args(tp) if a is not Ellipsis]
            return [self.generated(args[0])] if args else []
        if origin is dict:
            key_value = typing.get_args(tp)
            return {"train": self.generated(key_value[1])} if key_value else {}
        if tp is bool:
            return False
        if tp is int:
            return 1
        if tp is float:
            return 1.0
        if tp in (str, Path):
            return "example"
        if is_schema_class(tp):
            return self.class_example(tp)
        return {}

    # -- whole objects ------------------------------------------------------------------------------------
    def family_example(self, family: str) -> dict[str, Any]:
        """An example of the simplest kind of ``family`` (fewest required fields; Noether's own first)."""
        cached = self._family_examples.get(family)
        if cached is not None:
            return dict(cached)
        fam = self.families[family]
        candidates = []
        for reg in fam.registrations:
            try:
                cls = reg.config_class()
            except Exception:
                continue
            required = sum(f.default is attrs.NOTHING for f in attrs.fields(cls))
            candidates.append((reg.provider.distribution != "noether", required, reg.kind, reg))
        for *_, reg in sorted(candidates, key=lambda c: c[:3]):
            try:
                example = self.kind_example(reg, fam)
            except ExampleError:
                continue
            self._family_examples[family] = example
            return dict(example)
        raise ExampleError(f"no kind of family '{family}' has a valid example")

    def class_example(self, cls: type) -> dict[str, Any]:
        """A minimal example of a class used directly (not through a family)."""
        cached = self._class_examples.get(cls)
        if cached is None:
            cached = self._search(cls, {}, cls)
            self._class_examples[cls] = cached
        return dict(cached)

    def kind_example(self, reg: Registration, fam: Family) -> dict[str, Any]:
        """A minimal example selecting ``reg.kind``, validated against the family's union."""
        cls = reg.config_class()
        target = fam.union if fam.union is not None else cls
        return self._search(cls, {fam.discriminator: reg.kind}, target)

    def _search(self, cls: type, fixed: dict[str, Any], target: Any) -> dict[str, Any]:
        from noether.core.config.converter import structure

        own = getattr(cls, "__doc_example__", None)
        if isinstance(own, Mapping):
            data = {**fixed, **own}
            try:
                self._check(structure(dict(data), target), cls)
            except (ConfigError, ExampleError) as exc:
                raise ExampleError(f"{cls.__name__}.__doc_example__ is not valid: {exc}") from None
            return data
        hints = hints_of(cls)
        base = dict(fixed)
        for f in attrs.fields(cls):
            if f.default is attrs.NOTHING and f.name not in base:
                base[f.name] = self.value(f.name, hints[f.name])
        optional = [f.name for f in attrs.fields(cls)
                    if f.default is not attrs.NOTHING and f.name not in base and f.name not in ("kind", "name", "id")
                    and f.name != getattr(cls, "__extra_field__", None)]
        last: Exception | None = None
        for size in range(3):
            for extra in itertools.combinations(optional, size):
                data = dict(base)
                for name in extra:
                    data[name] = self.value(name, hints[name])
                try:
                    self._check(structure(dict(data), target), cls)
                except (ConfigError, ExampleError) as exc:
                    last = last or exc
                    continue
                return data
        raise ExampleError(f"no minimal example found for {cls.__name__} (first problem: {last}); give the class "
                           "a '__doc_example__' mapping")

    @staticmethod
    def _check(obj: Any, cls: type) -> None:
        if type(obj) is not cls:
            raise ExampleError(f"the example builds a {type(obj).__name__}, not a {cls.__name__}")
