"""The one cattrs converter: strict scalars, constraint types, open kind unions and located errors.

Public functions: :func:`structure` and :func:`unstructure`.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import attrs
import cattrs
from cattrs.errors import ClassValidationError, IterableValidationError
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn

from noether.core.errors import ConfigError, Issue, PathPart, describe_value
from noether.core.schemas._base import OpenUnion, Schema, check_value
from noether.core.schemas._base import _analyze as analyze_type
from noether.core.schemas._constraints import Constraint


class _LocatedError(ValueError):
    """An error that already knows its path relative to the value being structured."""

    def __init__(self, path: tuple[PathPart, ...], message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def _fail(message: str) -> typing.NoReturn:
    raise TypeError(message)


# -- strict scalars ---------------------------------------------------------------------------------------------
def _structure_int(value: Any, _: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(f"expected an integer, got {describe_value(value)}")
    return value


def _structure_float(value: Any, _: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        _fail(f"expected a number, got {describe_value(value)}")
    return float(value)


def _structure_bool(value: Any, _: Any) -> bool:
    if not isinstance(value, bool):
        _fail(f"expected true or false, got {describe_value(value)}")
    return value


def _structure_str(value: Any, _: Any) -> str:
    if not isinstance(value, str):
        _fail(f"expected a string, got {describe_value(value)}")
    return value


def _structure_any(value: Any, _: Any) -> Any:
    return value


def _structure_path(value: Any, _: Any) -> Path:
    if isinstance(value, Path):
        return value
    if not isinstance(value, str) or not value.strip():
        _fail(f"expected a path, got {describe_value(value)}")
    return Path(value).expanduser()


def _is_literal(tp: Any) -> bool:
    return typing.get_origin(tp) is Literal


def _structure_literal(value: Any, tp: Any) -> Any:
    allowed = typing.get_args(tp)
    if value not in allowed or isinstance(value, bool) != isinstance(allowed[0], bool):
        _fail(f"must be one of {', '.join(repr(a) for a in allowed)}, got {describe_value(value)}")
    return value


def _is_set_type(tp: Any) -> bool:
    origin = typing.get_origin(tp) or tp
    return origin is set or origin is frozenset


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (Union, types.UnionType)


def _annotation(tp: Any, marker: type) -> Any:
    if typing.get_origin(tp) is not Annotated:
        return None
    return next((m for m in typing.get_args(tp)[1:] if isinstance(m, marker)), None)


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
        self.register_structure_hook_func(_is_union, self._structure_union)
        self.register_structure_hook_func(
            lambda t: _annotation(t, Constraint) is not None, self._structure_constrained
        )
        self.register_structure_hook_func(lambda t: _annotation(t, OpenUnion) is not None, self._structure_open)
        self.register_structure_hook_factory(
            lambda t: isinstance(t, type) and issubclass(t, Schema), self._schema_structure_factory
        )
        self.register_unstructure_hook(Path, str)
        self.register_unstructure_hook_func(_is_set_type, sorted)
        self.register_unstructure_hook_func(
            lambda t: _annotation(t, OpenUnion) is not None or ((isinstance(t, type) and issubclass(t, Schema))
            and t is Schema),
            self._unstructure_runtime,
        )
        self.register_unstructure_hook_factory(
            lambda t: isinstance(t, type) and issubclass(t, Schema) and t is not Schema,
            self._schema_unstructure_factory,
        )

    # -- unions and annotations ----------------------------------------------------------------------------
    def _structure_union(self, value: Any, tp: Any) -> Any:
        members = [m for m in typing.get_args(tp) if m is not type(None)]
        if value is None:
            if len(members) != len(typing.get_args(tp)):
                return None
            _fail("a value is required here, got null")
        if len(members) == 1:
            return self.structure(value, members[0])
        errors: list[str] = []
        for member in sorted(members, key=lambda m: not _plausible(value, m)):
            try:
                return self.structure(value, member)
            except Exception as exc:
                errors.append(f"{_type_name(member)}: {_first_message(exc)}")
        if all(not _plausible(value, m) for m in members):
            _fail(f"expected {' or '.join(_type_name(m) for m in members)}, got {describe_value(value)}")
        raise _LocatedError((), "; ".join(errors))

    def _structure_constrained(self, value: Any, tp: Any) -> Any:
        base = typing.get_args(tp)[0]
        result = self.structure(value, base)
        message = check_value(analyze_type(tp), result)
        if message:
            raise ValueError(message)
        return result

    def _structure_open(self, value: Any, tp: Any) -> Any:
        union: OpenUnion = _annotation(tp, OpenUnion)
        if union.none_strings and (
            (isinstance(value, str) and value.lower() in union.none_strings) or value == {}
        ):
            return None
        if not isinstance(value, Mapping):
            _fail(f"expected a mapping with '{union.discriminator}', got {describe_value(value)}")
        cls = self.resolve_config_class(union, value)
        return self.structure(value, cls)

    def resolve_config_class(self, union: OpenUnion, value: Mapping[str, Any]) -> type:
        """The config class selected by the discriminator of ``value`` (registry lookup)."""
        from noether.core.registry import RegistryError, get_registry

        registry = get_registry()
        tag = value.get(union.discriminator)
        key = union.discriminator
        if tag is None and union.discriminator != "kind" and isinstance(value.get("kind"), str):
            tag, key = value["kind"], "kind"
            found = registry.find(union.family, tag)
            if found is None:
                return union.base or _fail("missing discriminator")
            return found.config_class()
        if tag is None:
            if union.base is not None:
                return union.base
            kinds = ", ".join(registry.kinds(union.family))
            raise _LocatedError((key,), f"'{key}' is required to choose the {union.family}; known kinds: {kinds}")
        if not isinstance(tag, str):
            raise _LocatedError((key,), f"expected a string, got {describe_value(tag)}")
        try:
            return registry.resolve(union.family, tag).config_class()
        except RegistryError as exc:
            raise _LocatedError((key,), str(exc)) from None

    # -- schema classes ------------------------------------------------------------------------------------
    def _schema_structure_factory(self, cls: type) -> Callable[[Any, Any], Any]:
        generated: Callable[..., Any] = make_dict_structure_fn(cls, self)
        names = {f.name for f in attrs.fields(cls) if f.init}
        aliases: dict[str, str] = getattr(cls, "__aliases__", {})
        ignored: frozenset[str] = getattr(cls, "__ignored_keys__", frozenset())
        extra_field: str | None = getattr(cls, "__extra_field__", None)
        kind_check = _KIND_CHECKS.get(cls)

        def structure_schema(value: Any, _: Any) -> Any:
            if not isinstance(value, Mapping):
                _fail(f"expected a mapping (key: value), got {describe_value(value)}")
            data = dict(value)
            problems: list[Exception] = []
            for alias, target in aliases.items():
                if alias in data:
                    if target in data:
                        problems.append(_LocatedError((alias,), f"'{alias}' is an alias of '{target}'; give one"))
                    data[target] = data.pop(alias)
            unknown = [k for k in data if k not in names and k not in ignored]
            if extra_field and unknown:
                data[extra_field] = {k: data.pop(k) for k in unknown}
            else:
                for key in unknown:
                    data.pop(key)
                    problems.append(_LocatedError((key,), _unknown_key_message(key, names | set(aliases))))
            for key in ignored:
                data.pop(key, None)
            try:
                obj = generated(data, cls)
            except ClassValidationError as exc:
                problems.extend(exc.exceptions)
                problems.extend(_cross_field_problems(cls, data, exc))
            except ConfigError as exc:
                problems.extend(_LocatedError(i.path, i.message) for i in exc.issues)
            else:
                if kind_check is not None:
                    problems.extend(kind_check(obj))
                if not problems:
                    return obj
            raise ClassValidationError(f"While structuring {cls.__name__}", problems, cls)

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
    return [_LocatedError((name,) if name else (), message) for name, message in found if name not in failed]


def _plausible(value: Any, tp: Any) -> bool:
    """A cheap test of whether ``value`` could be a ``tp``, to try likely union members first."""
    origin = typing.get_origin(tp) or tp
    if origin is Annotated:
        return _plausible(value, typing.get_args(tp)[0])
    if origin in (list, tuple, set, frozenset):
        return isinstance(value, list | tuple)
    if origin in (dict, Mapping) or (isinstance(origin, type) and issubclass(origin, Schema)):
        return isinstance(value, Mapping)
    if origin is bool:
        return isinstance(value, bool)
    if origin is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if origin is str:
        return isinstance(value, str)
    return True


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Annotated:
        union = _annotation(tp, OpenUnion)
        return f"a {union.family} mapping" if union else _type_name(typing.get_args(tp)[0])
    if origin in (list, tuple):
        return "a list"
    if origin is dict:
        return "a mapping"
    names = {int: "an integer", float: "a number", str: "a string", bool: "true/false"}
    if tp in names:
        return names[tp]
    return getattr(tp, "__name__", str(tp))


def _first_message(exc: BaseException) -> str:
    issues = list(_walk(exc, ()))
    return issues[0].message if issues else str(exc)


def _unknown_key_message(key: str, known: set[str]) -> str:
    close = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else f"; valid keys: {', '.join(sorted(known))}"
    return f"unknown key '{key}'{hint}"


def _walk(exc: BaseException, path: tuple[PathPart, ...]) -> Iterator[Issue]:
    """Flatten cattrs' exception groups into issues with full paths."""
    if isinstance(exc, ConfigError):
        yield from (issue.prefixed(path) for issue in exc.issues)
    elif isinstance(exc, ClassValidationError | IterableValidationError):
        with_notes, without = exc.group_exceptions()
        for sub, note in with_notes:
            key: PathPart = note.name if hasattr(note, "name") else note.index
            yield from _walk(sub, (*path, key))
        for plain in without:
            yield from _walk(plain, path)
    elif isinstance(exc, _LocatedError):
        yield Issue((*path, *exc.path), exc.message)
    elif isinstance(exc, BaseExceptionGroup):
        for member in exc.exceptions:
            yield from _walk(member, path)
    elif isinstance(exc, KeyError) and path:
        yield Issue(path, "required field is missing")
    else:
        yield Issue(path, str(exc) or type(exc).__name__)


def errors_to_issues(exc: BaseException) -> list[Issue]:
    """All issues contained in a structuring exception."""
    return list(_walk(exc, ()))


# -- registry checks of plain ``kind`` fields (optimizers, modifiers, callback implementations) -----------------
def _optimizer_kind_check(obj: Any) -> list[Exception]:
    from noether.core.optimizer.signatures import check_optimizer_args, configured_arg_names

    problems: list[Exception] = []
    if obj.kind is None:
        return [_LocatedError(("kind",), "the optimizer class is required, e.g. 'torch.optim.AdamW'")]
    problems.extend(_registered_or_importable("optimizer", obj.kind))
    if not problems:
        names = configured_arg_names(obj.weight_decay, obj.lr, obj.extra_args)
        for name in names:
            problems.extend(_LocatedError((name,), message) for message in check_optimizer_args(obj.kind, [name]))
    return problems


def _modifier_kind_check(obj: Any) -> list[Exception]:
    if obj.kind is None:
        return [_LocatedError(("kind",), "the modifier class is required")]
    return _registered_or_importable("param_group_modifier", obj.kind)


def _registered_or_importable(family: str, kind: str) -> list[Exception]:
    import importlib.util

    from noether.core.registry import RegistryError, get_registry

    registry = get_registry()
    try:
        if registry.find(family, kind) is not None:
            return []
    except RegistryError as exc:
        return [_LocatedError(("kind",), str(exc))]
    module = kind.rpartition(".")[0]
    if module and not module.startswith(("noether.", "torch.")):
        try:
            if importlib.util.find_spec(module) is not None:
                return []
        except (ImportError, ValueError):
            pass
    return [_LocatedError(("kind",), str(registry.unknown_kind(family, kind)))]


def _configure_plugins(section: Mapping[str, Any]) -> None:
    """Apply ``plugins.disable/autoload/prefer`` before any kind is resolved."""
    from noether.core.registry.manager import configure_registry

    def names(key: str) -> list[str]:
        value = section.get(key) or []
        return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []

    autoload = section.get("autoload", True)
    configure_registry(disable=names("disable"), autoload=autoload is not False, prefer=names("prefer"))


def _requires_check(obj: Any) -> list[Exception]:
    """Every distribution in ``requires`` is installed in a matching version."""
    import importlib.metadata

    from packaging.requirements import InvalidRequirement, Requirement

    problems: list[Exception] = []
    for index, text in enumerate(obj.requires):
        path = ("requires", index)
        try:
            requirement = Requirement(text)
        except InvalidRequirement as exc:
            problems.append(_LocatedError(path, f"not a valid requirement: {exc}"))
            continue
        try:
            version = importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            problems.append(_LocatedError(path, f"this config requires '{text}', which is not installed: "
                                                f"pip install '{text}'"))
            continue
        if requirement.specifier and not requirement.specifier.contains(version, prereleases=True):
            problems.append(_LocatedError(path, f"this config requires '{text}' but {requirement.name} {version} "
                                                f"is installed: pip install '{text}'"))
    return problems


def _kind_checks() -> dict[type, Callable[[Any], list[Exception]]]:
    from noether.core.schemas import OptimizerConfig, ParamGroupModifierConfig, PluginsConfig

    return {OptimizerConfig: _optimizer_kind_check, ParamGroupModifierConfig: _modifier_kind_check,
            PluginsConfig: _requires_check}


_KIND_CHECKS: dict[type, Callable[[Any], list[Exception]]] = _kind_checks()

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
    Raises :class:`noether.ConfigError` listing every problem with its path.
    """
    from noether.core.schemas import ConfigSchema

    if cls is None:
        cls = ConfigSchema
    if cls is ConfigSchema and isinstance(data, Mapping) and isinstance(data.get("plugins"), Mapping):
        _configure_plugins(data["plugins"])
    try:
        return get_converter().structure(data, cls)
    except ConfigError:
        raise
    except Exception as exc:
        issues = errors_to_issues(exc)
        raise ConfigError(issues) from None


def unstructure(obj: Any) -> Any:
    """Config objects back to plain data (every field, defaults included)."""
    return get_converter().unstructure(obj, unstructure_as=type(obj))
