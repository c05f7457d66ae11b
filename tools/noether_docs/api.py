"""The Python API page: the public names and the base classes a project subclasses, from their docstrings."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import attrs

from noether_docs.introspect import docstring, rst_to_md


@attrs.frozen
class Entry:
    """One documented name: where it is imported from, and whether its module docstring is shown too."""

    path: str
    module_doc: bool = False
    #: The public methods to show, in order (``None``: every public method the class defines itself).
    members: tuple[str, ...] | None = None
    #: The module whose ``#:`` comment documents an object that has no docstring of its own.
    doc_module: str | None = None


SECTIONS: tuple[tuple[str, str, tuple[Entry, ...]], ...] = (
    ("Configs", "Load, validate and convert configs. None of these imports torch.", (
        Entry("noether.load_config"),
        Entry("noether.structure"),
        Entry("noether.unstructure"),
        Entry("noether.ConfigError"),
        Entry("noether.Issue"),
    )),
    ("Running", "Train from Python, as `noether run` does.", (
        Entry("noether.run"),
        Entry("noether.RunResult"),
    )),
    ("Base classes", "What a project subclasses for its own components; each is built from its config object.", (
        Entry("noether.core.models.Model"),
        Entry("noether.training.trainer.BaseTrainer", module_doc=True,
              members=("loss_compute", "train_step", "get_trainer_callbacks", "forward_properties_for", "to_result",
                       "iterate_dataset", "to_device")),
        Entry("noether.training.result.TrainerResult"),
        Entry("noether.core.callbacks.PeriodicCallback"),
        Entry("noether.core.callbacks.CallbackBase"),
        Entry("noether.core.callbacks.EarlyStopIteration"),
        Entry("noether.core.callbacks.CallbackContext"),
        Entry("noether.core.callbacks.Event"),
        Entry("noether.core.time.Every"),
        Entry("noether.core.time.Unit"),
        Entry("noether.data.Dataset", module_doc=True,
              members=("properties", "getter", "apply_normalizer", "normalize", "denormalize")),
        Entry("noether.data.with_normalizers"),
        Entry("noether.core.schemas.Schema"),
    )),
    ("Plugins", "The hook a plugin implements, and the helpers for its tests.", (
        Entry("noether.hookimpl", doc_module="noether.core.registry.hookspecs"),
        Entry("noether.core.registry.hookspecs.NoetherHookSpec.noether_register_components"),
        Entry("noether.core.registry.hookspecs.RegisterFunction.__call__"),
        Entry("noether.testing.check_kind"),
        Entry("noether.testing.check_distribution"),
        Entry("noether.testing.run_cli"),
        Entry("noether.testing.CliResult"),
        Entry("noether.testing.pytest_plugin.noether_register"),
        Entry("noether.testing.pytest_plugin.run_noether"),
    )),
)


def resolve(path: str) -> tuple[Any, Any]:
    """Import ``path`` (the longest importable module prefix, then attributes): ``(object, owner)``."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        owner: Any = None
        for name in parts[cut:]:
            owner, obj = obj, getattr(obj, name)
        return obj, owner
    raise ImportError(f"cannot import {path}")


def _annotation(value: Any) -> str:
    return value if isinstance(value, str) else inspect.formatannotation(value)


def signature_text(obj: Any, *, drop_first: bool = False) -> str | None:
    """``(a: int, *, b: str = 'x') -> None`` with annotations as written in the source."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    params = list(sig.parameters.values())
    if drop_first and params:
        params = params[1:]
    out: list[str] = []
    star_done = False
    for p in params:
        text = p.name
        if p.annotation is not p.empty:
            text += f": {_annotation(p.annotation)}"
        if p.default is not p.empty:
            text += f" = {p.default!r}" if p.annotation is not p.empty else f"={p.default!r}"
        if p.kind is p.VAR_POSITIONAL:
            text, star_done = "*" + text, True
        elif p.kind is p.VAR_KEYWORD:
            text = "**" + text
        elif p.kind is p.KEYWORD_ONLY and not star_done:
            out.append("*")
            star_done = True
        out.append(text)
    ret = "" if sig.return_annotation is sig.empty else f" -> {_annotation(sig.return_annotation)}"
    return f"({', '.join(out)}){ret}"


def _anchor(path: str) -> str:
    return path.replace(".", "-").replace("_", "-").lower().strip("-")


def _short(path: str) -> str:
    return path.removeprefix("noether.core.registry.hookspecs.")


def _module_attr_doc(module_name: str, name: str) -> str:
    """The ``#:`` comment above ``name = ...`` at module level."""
    try:
        lines = inspect.getsource(importlib.import_module(module_name)).splitlines()
    except (OSError, TypeError, ImportError):
        return ""
    pending: list[str] = []
    for line in lines:
        if line.startswith("#:"):
            pending.append(line[2:].strip())
        elif line.startswith(f"{name} ="):
            return rst_to_md(" ".join(pending))
        else:
            pending = []
    return ""


def _is_fixture(obj: Any) -> bool:
    return type(obj).__name__ == "FixtureFunctionDefinition"


def _object_doc(obj: Any, entry: Entry) -> str:
    if _is_fixture(obj):
        return rst_to_md(inspect.cleandoc(obj.__doc__ or ""))
    if inspect.isclass(obj) or inspect.isroutine(obj):
        return docstring(obj)
    module, _, name = entry.path.rpartition(".")
    return _module_attr_doc(entry.doc_module or module, name)


def _member_names(cls: type, entry: Entry) -> list[str]:
    if entry.members is not None:
        return list(entry.members)
    names = []
    for name, value in vars(cls).items():
        if name.startswith("_"):
            continue
        if inspect.isfunction(value) or isinstance(value, property | staticmethod | classmethod):
            names.append(name)
    return names


def _member_lines(cls: type, name: str) -> list[str]:
    raw = inspect.getattr_static(cls, name)
    if isinstance(raw, property):
        head = f"`{name}` (property)"
        doc = rst_to_md(inspect.cleandoc(raw.__doc__ or ""))
    else:
        func = raw.__func__ if isinstance(raw, staticmethod | classmethod) else raw
        sig = signature_text(func, drop_first=not isinstance(raw, staticmethod))
        head = f"`{name}{sig or '()'}`"
        doc = docstring(func)
    return [f"* {head}" + (f": {_indent(doc)}" if doc else "")]


def _indent(text: str) -> str:
    return text.replace("\n", "\n  ")


def entry_lines(entry: Entry) -> list[str]:
    """The markdown of one API entry."""
    obj, _ = resolve(entry.path)
    path = _short(entry.path)
    lines = [f"### `{path}` {{#{_anchor(path)}}}", ""]
    if _is_fixture(obj):
        lines += [f"A pytest fixture (loaded automatically once Noether is installed): `{path.rsplit('.', 1)[-1]}`.",
                  ""]
    elif inspect.isclass(obj):
        kind = "exception" if issubclass(obj, BaseException) else "class"
        sig = (signature_text(obj) or "").removesuffix(" -> None")
        lines += ["```python", f"{kind} {obj.__name__}{sig}", "```", ""]
    elif inspect.isroutine(obj):
        routine_sig = signature_text(obj, drop_first=entry.path.endswith(("__call__", "noether_register_components")))
        lines += ["```python", f"{obj.__name__}{routine_sig or '()'}", "```", ""]
    doc = _object_doc(obj, entry)
    if doc:
        lines += [doc, ""]
    if entry.module_doc:
        module_doc = docstring(importlib.import_module(obj.__module__))
        if module_doc:
            lines += ["From the module `" + obj.__module__ + "`:", "", "> " + module_doc.replace("\n", "\n> "), ""]
    if inspect.isclass(obj) and not issubclass(obj, BaseException):
        fields = _attrs_fields(obj)
        if fields:
            lines += ["Fields:", "", *fields, ""]
        members = _member_names(obj, entry)
        if members:
            lines += ["Methods and properties:", ""]
            for name in members:
                lines += _member_lines(obj, name)
            lines.append("")
    return lines


def _attrs_fields(cls: type) -> list[str]:
    if not attrs.has(cls) or cls.__module__.startswith("noether.core.schemas"):
        return []
    docs = _class_comment_docs(cls)
    out = []
    for f in attrs.fields(cls):
        doc = docs.get(f.name, "")
        out.append(f"* `{f.name}`" + (f": {doc}" if doc else ""))
    return out


def _class_comment_docs(cls: type) -> dict[str, str]:
    try:
        lines = inspect.getsource(cls).splitlines()
    except (OSError, TypeError):
        return {}
    docs: dict[str, str] = {}
    pending: list[str] = []
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("#:"):
            pending.append(stripped[2:].strip())
        elif ":" in stripped and pending:
            docs[stripped.split(":", 1)[0].strip()] = rst_to_md(" ".join(pending))
            pending = []
        else:
            pending = []
    return docs


def api_page() -> str:
    """The markdown of the API page."""
    lines = [
        "<!-- Generated by noether_docs from the docstrings at build time; do not edit. -->", "",
        "# Python API", "",
        "The names a project uses from Python. Everything else is reached through configs. Guides that use "
        "them: [your own model and trainer](your-own-model-and-trainer.md), [callbacks and metrics]"
        "(callbacks-and-metrics.md), [writing a plugin](writing-a-plugin.md).", "",
    ]
    for title, intro, entries in SECTIONS:
        lines += [f"## {title}", "", intro, ""]
        for entry in entries:
            lines += entry_lines(entry)
    return "\n".join(lines) + "\n"
