"""Checks run after a config class was structured: registered kinds' checks, ``kind`` strings, requirements.

Optimizers and parameter-group modifiers name their implementation in a ``kind`` string that does not select
the config class, and ``plugins.requires`` names distributions; these checks find them (without importing
torch) and report what is missing with the fix. Family-specific checks live on the registrations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from noether.core.config.located import LocatedError


def registered_problems(obj: Any) -> list[Exception]:
    """The problems the registry finds in ``obj``: an unknown implementation kind, and the registration's check.

    Generic over families: a config class registered under several kinds (``OptimizerConfig`` for every
    ``torch.optim`` class) does not select its implementation by class, so its ``kind`` must name a registered
    (or importable) one; then the ``check`` carried by the registration of that kind runs (see
    :class:`noether.core.registry.Registration`), for a plugin's kinds as for the built-in ones.
    """
    from noether.core.registry import get_registry

    registry = get_registry()
    regs = registry.registrations_of_config(type(obj))
    if not regs:
        return []
    kind = getattr(obj, "kind", None)
    family = regs[0].family
    if len({r.kind for r in regs}) > 1:  # the kind names the implementation, not the config class
        if kind is None:
            example = next((r.kind for r in regs if r.listed), regs[0].kind)
            return [LocatedError(("kind",), f"the {family.replace('_', '-')} class is required, e.g. '{example}'")]
        problem = kind_problem(family, kind)
        if problem is not None:
            return [problem]
    reg = next((r for r in regs if kind == r.kind or kind in r.aliases), None)
    if reg is None and isinstance(kind, str):
        reg = registry.find_by_component(family, kind)
    if reg is None or reg.check is None:
        return []
    return [LocatedError(issue.path, issue.message) for issue in reg.run_check(obj)]


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


def _class_checks() -> dict[type, Callable[[Any], list[Exception]]]:
    from noether.core.schemas import PluginsConfig

    return {PluginsConfig: _requires_check}


#: Checks of config classes that are no registered kind (``plugins``): ``config object -> problems``.
#: Registered kinds carry their checks on the registration (:func:`registered_problems`).
CLASS_CHECKS: dict[type, Callable[[Any], list[Exception]]] = _class_checks()
