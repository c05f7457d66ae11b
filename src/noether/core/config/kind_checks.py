"""Checks of plain ``kind`` fields against the registry, run after a config class was structured.

Optimizers and parameter-group modifiers name their implementation in a ``kind`` string that does not select
the config class, and ``plugins.requires`` names distributions; these checks find them (without importing
torch) and report what is missing with the fix.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from noether.core.config.located import LocatedError


def _optimizer_kind_check(obj: Any) -> list[Exception]:
    from noether.core.optimizer.signatures import check_optimizer_args, configured_arg_names

    problems: list[Exception] = []
    if obj.kind is None:
        return [LocatedError(("kind",), "the optimizer class is required, e.g. 'torch.optim.AdamW'")]
    problem = kind_problem("optimizer", obj.kind)
    if problem is not None:
        return [problem]
    names = configured_arg_names(obj.weight_decay, obj.lr, obj.extra_args)
    for name in names:
        problems.extend(LocatedError((name,), message) for message in check_optimizer_args(obj.kind, [name]))
    return problems


def _modifier_kind_check(obj: Any) -> list[Exception]:
    if obj.kind is None:
        return [LocatedError(("kind",), "the modifier class is required")]
    problem = kind_problem("param_group_modifier", obj.kind)
    return [] if problem is None else [problem]


def kind_problem(family: str, kind: str) -> LocatedError | None:
    """Why the implementation ``kind`` of a ``family`` cannot be found, or ``None``.

    Registered kinds (names, aliases, implementation paths) are never imported; the class path of the user's
    own code is imported, as the run would; nothing under ``noether`` or ``torch`` is (see
    :meth:`noether.core.registry.Registry.resolve`).
    """
    from noether.core.registry import RegistryError, get_registry
    from noether.core.registry.manager import import_dotted, importable_path

    registry = get_registry()
    try:
        if registry.find(family, kind) is not None or registry.find_by_component(family, kind) is not None:
            return None
    except RegistryError as exc:
        return LocatedError(("kind",), str(exc))
    tried = ""
    if importable_path(kind):
        try:
            import_dotted(kind)
        except Exception as exc:  # the user's module ran and failed: report it, do not crash
            tried = f"importing '{kind}' as a class path failed: {type(exc).__name__}: {exc}"
        else:
            return None
    return LocatedError(("kind",), str(registry.unknown_kind(family, kind, tried)))


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
            problems.append(LocatedError(path, f"not a valid requirement: {exc}"))
            continue
        try:
            version = importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            problems.append(LocatedError(path, f"this config requires '{text}', which is not installed: "
                                                f"pip install '{text}'"))
            continue
        if requirement.specifier and not requirement.specifier.contains(version, prereleases=True):
            problems.append(LocatedError(path, f"this config requires '{text}' but {requirement.name} {version} "
                                                f"is installed: pip install '{text}'"))
    return problems


def _kind_checks() -> dict[type, Callable[[Any], list[Exception]]]:
    from noether.core.schemas import OptimizerConfig, ParamGroupModifierConfig, PluginsConfig

    return {OptimizerConfig: _optimizer_kind_check, ParamGroupModifierConfig: _modifier_kind_check,
            PluginsConfig: _requires_check}


#: The check of each config class that has one: ``config object -> problems``.
KIND_CHECKS: dict[type, Callable[[Any], list[Exception]]] = _kind_checks()
