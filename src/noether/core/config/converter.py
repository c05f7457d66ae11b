"""The one cattrs converter: strict scalars, constraint types, open kind unions and located errors.

Public functions: :func:`structure` and :func:`unstructure`.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping, MutableMapping, MutableSequence, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import attrs
import cattrs
from cattrs.errors import ClassValidationError
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn

if typing.TYPE_CHECKING:
    from noether.core.registry import Registry

from noether.core.config.kind_checks import CLASS_CHECKS, kind_problem, registered_problems
from noether.core.config.located import (
    LocatedError,
    NestedError,
    ProblemGroup,
    errors_to_issues,
    first_message,
)
from noether.core.errors import ConfigError, Issue, PathPart, describe_value
from noether.core.schemas._base import Schema, trusted_construction
from noether.core.schemas._constraints import Constraint
from noether.core.schemas._types import (
    AllowNonFinite,
    NumberArray,
    OpenUnion,
    PlainData,
    TypeHint,
    annotation,
    bool_problem,
    canonical_float,
    describe_shape,
    float_problem,
    int_problem,
    is_union,
    literal_problem,
    number_array_issues,
    plain_data_issues,
    plausible,
    str_problem,
    type_name,
)


def _unknown_key_message(key: Any, known: set[str]) -> str:
    import difflib  # only when a suggestion is made: slow to import
    if not isinstance(key, str):
        return f"keys must be strings, got the key {describe_value(key)}"
    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else f"; valid keys: {', '.join(sorted(known))}"
    return f"unknown key '{key}'{hint}"


def _plugin_settings(section: Mapping[str, Any]) -> dict[str, Any]:
    """``plugins.disable/autoload/prefer`` of a raw config, read leniently (the section is validated later)."""

    def names(key: str) -> list[str]:
        value = section.get(key) or []
        return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []

    return {"disable": names("disable"), "autoload": section.get("autoload", True) is not False,
            "prefer": names("prefer")}


def _fail(message: str) -> typing.NoReturn:
    raise TypeError(message)


def _raise_all(errors: list[BaseException]) -> typing.NoReturn:
    raise errors[0] if len(errors) == 1 else ProblemGroup(errors)


# -- strict scalars ---------------------------------------------------------------------------------------------
def _structure_int(value: Any, _: Any) -> int:
    message = int_problem(value)
    if message:
        _fail(message)
    return typing.cast(int, value)


def _structure_float(value: Any, _: Any) -> float:
    message = float_problem(value)
    if message:
        _fail(message)
    return canonical_float(value)


def _structure_any_float(value: Any) -> float:
    message = float_problem(value, finite=False)
    if message:
        _fail(message)
    return canonical_float(value)


def _structure_bool(value: Any, _: Any) -> bool:
    message = bool_problem(value)
    if message:
        _fail(message)
    return typing.cast(bool, value)


def _structure_str(value: Any, _: Any) -> str:
    message = str_problem(value)
    if message:
        _fail(message)
    return typing.cast(str, value)


def _structure_any(value: Any, _: Any) -> Any:
    return value


def _structure_path(value: Any, _: Any) -> Path:
    if isinstance(value, Path):
        return value
    if not isinstance(value, str) or not value.strip():
        _fail(f"expected a path, got {describe_value(value)}")
    return Path(value).expanduser()


def _plain(value: Any) -> Any:
    """Free-form data checked to be plain YAML data; NaN made canonical so configs compare equal."""
    issues = list(plain_data_issues(value))
    if issues:
        _raise_all([LocatedError(i.path, i.message) for i in issues])
    return _canonical_nan(value)


def _canonical_nan(value: Any) -> Any:
    if isinstance(value, float):
        return canonical_float(value)
    if isinstance(value, list):
        return [_canonical_nan(v) for v in value]
    if isinstance(value, dict):
        return {k: _canonical_nan(v) for k, v in value.items()}
    return value


def _number_array(value: Any) -> Any:
    issues = list(number_array_issues(value))
    if issues:
        _raise_all([LocatedError(i.path, i.message) for i in issues])
    return _canonical_nan(list(value) if isinstance(value, tuple) else value)


def _is_literal(tp: Any) -> bool:
    return typing.get_origin(tp) is Literal


def _structure_literal(value: Any, tp: Any) -> Any:
    message = literal_problem(value, tp)
    if message:
        _fail(message)
    return value


def _is_set_type(tp: Any) -> bool:
    origin = typing.get_origin(tp) or tp
    return origin is set or origin is frozenset


def _is_sequence_type(tp: Any) -> bool:
    origin = typing.get_origin(tp) or tp
    return origin in (list, tuple, set, frozenset, Sequence, MutableSequence)


def _is_mapping_type(tp: Any) -> bool:
    origin = typing.get_origin(tp) or tp
    return origin in (dict, Mapping, MutableMapping)


def _is_plain_annotated(tp: Any) -> bool:
    return typing.get_origin(tp) is Annotated and annotation(tp, OpenUnion) is None


class NoetherConverter(cattrs.Converter):
    """cattrs converter configured for Noether's schemas."""

    def __init__(self) -> None:
        super().__init__(detailed_validation=True)
        self.register_structure_hook(int, _structure_int)
        self.register_structure_hook(float, _structure_float)
        self.register_structure_hook(bool, _structure_bool)
        self.register_structure_hook(str, _structure_str)
        self.register_structure_hook(Path, _structure_path)
        self.register_structure_hook_func(lambda t: t is Any, _structure_any)
        self.register_structure_hook_func(_is_literal, _structure_literal)
        self.register_structure_hook_func(_is_sequence_type, self._structure_sequence)
        self.register_structure_hook_func(_is_mapping_type, self._structure_mapping)
        self.register_structure_hook_func(is_union, self._structure_union)
        self.register_structure_hook_func(_is_plain_annotated, self._structure_annotated)
        self.register_structure_hook_func(lambda t: annotation(t, OpenUnion) is not None, self._structure_open)
        self.register_structure_hook_factory(
            lambda t: isinstance(t, type) and issubclass(t, Schema), self._schema_structure_factory
        )
        self.register_unstructure_hook(Path, str)
        self.register_unstructure_hook_func(_is_set_type, sorted)
        self.register_unstructure_hook_func(
            lambda t: annotation(t, OpenUnion) is not None or ((isinstance(t, type) and issubclass(t, Schema))
            and t is Schema),
            self._unstructure_runtime,
        )
        self.register_unstructure_hook_factory(
            lambda t: isinstance(t, type) and issubclass(t, Schema) and t is not Schema,
            self._schema_unstructure_factory,
        )

    # -- containers: a list field takes a list, a mapping field a mapping; nothing is iterated into shape --------
    def _structure_sequence(self, value: Any, tp: Any) -> Any:
        origin = typing.get_origin(tp) or tp
        is_set = origin in (set, frozenset)
        if not isinstance(value, list | tuple) and not (is_set and isinstance(value, set | frozenset)):
            _fail(f"expected a list, got {describe_shape(value)}")
        args = typing.get_args(tp)
        items = list(value)
        if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            if len(items) != len(args):
                _fail(f"expected a list of {len(args)} items, got {len(items)}")
            item_types = list(args)
        else:
            item_types = [args[0] if args else Any] * len(items)
        result: list[Any] = []
        errors: list[BaseException] = []
        for index, (item_tp, item) in enumerate(zip(item_types, items, strict=True)):
            try:
                result.append(self.structure(item, item_tp))
            except Exception as exc:
                errors.append(NestedError(index, exc))
        if errors:
            _raise_all(errors)
        if origin is frozenset:
            return frozenset(result)
        if origin is set:
            return set(result)
        return tuple(result) if origin is tuple else result

    def _structure_mapping(self, value: Any, tp: Any) -> dict[Any, Any]:
        if not isinstance(value, Mapping):
            _fail(f"expected a mapping (key: value), got {describe_shape(value)}")
        args = typing.get_args(tp)
        key_tp, item_tp = args if len(args) == 2 else (Any, Any)
        result: dict[Any, Any] = {}
        errors: list[BaseException] = []
        for key, item in value.items():
            try:
                new_key = self.structure(key, key_tp)
            except Exception as exc:
                errors.append(LocatedError((), f"key {describe_value(key)}: {first_message(exc)}"))
                continue
            try:
                result[new_key] = self.structure(item, item_tp)
            except Exception as exc:
                errors.append(NestedError(new_key, exc))
        if errors:
            _raise_all(errors)
        return result

    # -- unions and annotations ----------------------------------------------------------------------------
    def _structure_union(self, value: Any, tp: Any) -> Any:
        members = [m for m in typing.get_args(tp) if m is not type(None)]
        if value is None:
            if len(members) != len(typing.get_args(tp)):
                return None
            _fail("a value is required here, got null")
        if len(members) == 1:
            return self.structure(value, members[0])
        candidates = [m for m in members if plausible(value, m)]
        if not candidates:
            _fail(f"expected {' or '.join(type_name(m) for m in members)}, got {describe_shape(value)}")
        if len(candidates) == 1:  # only the alternative that applies is reported
            return self.structure(value, candidates[0])
        first: Exception | None = None
        for member in candidates:
            try:
                return self.structure(value, member)
            except Exception as exc:
                first = first or exc
        assert first is not None
        raise first

    def _structure_annotated(self, value: Any, tp: Any) -> Any:
        base, *meta = typing.get_args(tp)
        if any(isinstance(m, PlainData) for m in meta):
            return _plain(value)
        if any(isinstance(m, NumberArray) for m in meta):
            return _number_array(value)
        try:
            if base is float and any(isinstance(m, AllowNonFinite) for m in meta):
                result = _structure_any_float(value)
            else:
                result = self.structure(value, base)
        except TypeError as exc:
            hint = next((m for m in meta if isinstance(m, TypeHint)), None)
            if hint is None:
                raise
            _fail(f"{exc}; {hint.text}")
        for constraint in (m for m in meta if isinstance(m, Constraint)):
            message = constraint.check(result)
            if message:
                raise ValueError(message)
        return result

    def _structure_open(self, value: Any, tp: Any) -> Any:
        union: OpenUnion = annotation(tp, OpenUnion)
        if union.none_strings and (
            (isinstance(value, str) and value.lower() in union.none_strings) or value == {}
        ):
            return None
        if not isinstance(value, Mapping):
            _fail(f"expected a mapping with '{union.discriminator}', got {describe_shape(value)}")
        try:
            cls = self.resolve_config_class(union, value)
        except LocatedError as kind_error:
            if union.base is None:
                raise
            beside = self._problems_beside_unknown_kind(value, union.base, {union.discriminator, "kind"})
            _raise_all([kind_error, *beside])
        obj: Any = self.structure(value, cls)
        if union.family == "callback" and union.discriminator in value:
            kind = getattr(obj, "kind", None)
            if isinstance(kind, str):
                problem = kind_problem("callback", kind)
                if problem is not None:
                    raise problem
        return obj

    def _problems_beside_unknown_kind(self, value: Mapping[str, Any], base: type,
                                      tags: set[str]) -> list[BaseException]:
        """What else is wrong in ``value`` when its kind is unknown, judged by the family's base class.

        So a typo in a nested schedule is reported together with a misspelled model kind. Unknown keys are
        left out: the intended class probably has them.
        """
        try:
            self.structure(value, base)
        except Exception as exc:
            return [LocatedError(i.path, i.message) for i in errors_to_issues(exc)
                    if not (len(i.path) == 1 and i.message.startswith("unknown key"))
                    and not (i.path and i.path[0] in tags)]
        return []

    def resolve_config_class(self, union: OpenUnion, value: Mapping[str, Any]) -> type:
        """The config class selected by the discriminator of ``value`` (registry lookup)."""
        from noether.core.registry import RegistryError, get_registry

        registry = get_registry()
        tag = value.get(union.discriminator)
        key = union.discriminator
        if tag is None and union.discriminator != "kind" and value.get("kind") is not None:
            tag, key = value["kind"], "kind"  # a callback by its implementation's kind (or class path)
        if tag is None:
            if union.base is not None:
                return union.base
            kinds = ", ".join(registry.kinds(union.family))
            raise LocatedError((key,), f"'{key}' is required to choose the {union.family}; known kinds: {kinds}")
        if not isinstance(tag, str):
            raise LocatedError((key,), f"expected a string, got {describe_value(tag)}")
        try:
            return registry.resolve(union.family, tag).config_class()
        except RegistryError as exc:
            by_kind = value.get("kind") if key != "kind" else None
            if isinstance(by_kind, str):  # a user's own callback: its config class (by kind) checks the name
                try:
                    return registry.resolve(union.family, by_kind).config_class()
                except RegistryError:
                    pass
            raise LocatedError((key,), str(exc)) from None

    # -- schema classes ------------------------------------------------------------------------------------
    def _schema_structure_factory(self, cls: type) -> Callable[[Any, Any], Any]:
        generated: Callable[..., Any] = make_dict_structure_fn(cls, self)
        names = {f.name for f in attrs.fields(cls) if f.init}
        aliases: dict[str, str] = getattr(cls, "__aliases__", {})
        ignored: frozenset[str] = getattr(cls, "__ignored_keys__", frozenset())
        extra_field: str | None = getattr(cls, "__extra_field__", None)
        class_check = CLASS_CHECKS.get(cls)
        has_kind = "kind" in names  # only a class with a kind can be a registered kind with a check

        def structure_schema(value: Any, _: Any) -> Any:
            if not isinstance(value, Mapping):
                _fail(f"expected a mapping (key: value), got {describe_shape(value)}")
            data = dict(value)
            problems: list[Exception] = []
            written_as: dict[str, str] = {}
            for alias, target in aliases.items():
                if alias in data:
                    if target in data:
                        problems.append(LocatedError((alias,), f"'{alias}' is an alias of '{target}'; give one"))
                    data[target] = data.pop(alias)
                    written_as[target] = alias
            unknown = [k for k in data if k not in names and k not in ignored]
            if extra_field and unknown:
                data[extra_field] = {k: data.pop(k) for k in unknown}
            else:
                for key in unknown:
                    data.pop(key)
                    problems.append(LocatedError((key,), _unknown_key_message(key, names | set(aliases))))
            for key in ignored:
                data.pop(key, None)
            found: list[Exception] = []
            try:
                with trusted_construction():  # every field is checked here; the object need not check again
                    obj = generated(data, cls)
            except ClassValidationError as exc:
                found.extend(exc.exceptions)
                found.extend(_cross_field_problems(cls, data, exc))
            except ConfigError as exc:
                found.extend(LocatedError(i.path, i.message) for i in exc.issues)
            else:
                if class_check is not None:
                    found.extend(class_check(obj))
                if has_kind:
                    found.extend(registered_problems(obj))
                if not problems and not found:
                    return obj
            if written_as and found:  # report under the key the user wrote, so the location is found
                found = [LocatedError(_as_written(i.path, written_as, extra_field), i.message)
                         for i in errors_to_issues(ClassValidationError("", found, cls))]
            elif extra_field and found:
                found = [LocatedError(_as_written(i.path, {}, extra_field), i.message)
                         for i in errors_to_issues(ClassValidationError("", found, cls))]
            raise ClassValidationError(f"While structuring {cls.__name__}", [*problems, *found], cls)

        return structure_schema

    def _schema_unstructure_factory(self, cls: type) -> Callable[[Any], Any]:
        generated: Callable[..., Any] = make_dict_unstructure_fn(cls, self)
        extra_field: str | None = getattr(cls, "__extra_field__", None)
        if extra_field is None:
            return generated

        def unstructure_schema(obj: Any) -> dict[str, Any]:
            data = generated(obj)
            data.update(data.pop(extra_field) or {})
            return data

        return unstructure_schema

    def _unstructure_runtime(self, obj: Any) -> Any:
        return None if obj is None else self.unstructure(obj, unstructure_as=type(obj))


def _as_written(path: tuple[PathPart, ...], written_as: Mapping[str, str],
                extra_field: str | None) -> tuple[PathPart, ...]:
    """A path with its first key as it appears in the input (alias, or flat extra key)."""
    if not path:
        return path
    head = path[0]
    if isinstance(head, str) and head in written_as:
        return (written_as[head], *path[1:])
    if extra_field is not None and head == extra_field and len(path) > 1:
        return path[1:]
    return path


def _cross_field_problems(cls: type, data: Mapping[str, Any], exc: ClassValidationError) -> list[Exception]:
    """Cross-field rules of ``cls`` on the raw values, when some fields failed to structure.

    So that "exactly one of max_epochs/max_updates" is reported together with a bad callback further down,
    not only after the callback is fixed. Fields that failed are left out of the result; rules that cannot be
    evaluated on raw values are skipped.
    """
    with_notes = exc.group_exceptions()[0]
    if any(isinstance(error, ConfigError) for error in exc.exceptions):
        return []  # the fields were valid and the class ran its own rules already
    if any(isinstance(error, KeyError) for error, _ in with_notes):
        return []  # a required field is missing: the rules would only repeat that
    failed = {note.name for _, note in with_notes if hasattr(note, "name")}
    check = getattr(cls, "_check", None)
    if check is None:
        return []
    shell: Any = object.__new__(cls)
    for f in attrs.fields(cls):
        if f.name in data:
            value = data[f.name]
        elif isinstance(f.default, attrs.Factory):  # type: ignore[arg-type]
            value = f.default.factory()
        elif f.default is not attrs.NOTHING:
            value = f.default
        else:
            value = None
        object.__setattr__(shell, f.name, value)
    try:
        found = list(check(shell))
    except Exception:  # a rule that needs structured values: it runs once the fields are valid
        return []
    return [LocatedError((name,) if name else (), message) for name, message in found if name not in failed]


_CONVERTER: NoetherConverter | None = None


def get_converter() -> NoetherConverter:
    """The process-wide converter."""
    global _CONVERTER
    if _CONVERTER is None:
        _CONVERTER = NoetherConverter()
    return _CONVERTER


def structure(data: Mapping[str, Any] | Any, cls: Any = None) -> Any:
    """Validate plain data into config objects (``cls`` defaults to :class:`ConfigSchema`).

    ``cls`` may be any schema class or union alias (``CallbacksConfig``, ``AnyScheduleConfig``, ...).
    Raises :class:`noether.ConfigError` listing every problem with its path. A ``plugins`` section applies to
    this config's kinds only (:func:`noether.core.registry.registry_for`); the process-wide registry is kept.
    """
    from noether.core.schemas import ConfigSchema

    if cls is None:
        cls = ConfigSchema
    registry = None
    if cls is ConfigSchema and isinstance(data, Mapping) and isinstance(data.get("plugins"), Mapping):
        from noether.core.registry import registry_for

        registry = registry_for(**_plugin_settings(data["plugins"]))  # for this config only
    try:
        return _structure_with(registry, data, cls)
    except ConfigError:
        raise
    except RecursionError:
        raise ConfigError([Issue((), "the config is nested too deeply to validate")]) from None
    except Exception as exc:
        issues = errors_to_issues(exc)
        raise ConfigError(issues) from None


def _structure_with(registry: Registry | None, data: Any, cls: Any) -> Any:
    from noether.core.registry import use_registry

    with use_registry(registry):
        return get_converter().structure(data, cls)


def unstructure(obj: Any) -> Any:
    """Config objects back to plain data (every field, defaults included)."""
    return get_converter().unstructure(obj, unstructure_as=type(obj))
