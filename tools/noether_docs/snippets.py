"""Every code block of a markdown page, validated or executed, so that the docs cannot drift from the code.

Sybil parses the page (:mod:`noether_docs.sybil_blocks`, one region per fenced block) and evaluates the
blocks in order with the page's checker defined here.
Each page gets a fresh working directory (with ``examples/`` and ``plugins/`` of the repository linked in) and
its blocks are checked in order:

* ``yaml``: a complete config (``datasets``, ``model`` and ``trainer``, or ``base``) is loaded like
  ``noether check`` does (``output_path`` is filled in when missing). Any other mapping is validated as a part
  of a config: top-level keys of the root config, or a single key that is a field somewhere (``optimizer_config:``),
  where missing required fields are tolerated. ``# fragment: NAME`` validates the block (or each item of a list)
  as the class or union ``NAME`` (``CallbacksConfig``, ``MLPConfig``, ``trainer.callbacks``); add ``(partial)`` to
  tolerate missing fields.
* ``python``: executed in a fresh namespace. Calls of ``noether.run`` are shortened (one epoch, or at most 8
  updates) and never archive code.
* ``bash``/``sh``/``console``: every ``noether`` command is parsed with the real argument parser, so renamed
  commands and options are caught, and ``noether check`` commands are run. ``# exit: N`` runs every
  ``noether`` command of the block and expects that status; a ``text`` block right after it is then compared
  with the output (console log lines left out; a line ``...`` matches any lines).
* ``toml``/``json``: parsed.

The plugin packages of the repository (``plugins/*``) are made discoverable for every page, installed or not.

Markers are comment lines at the top of a block:

* ``# file: PATH`` writes the block to ``PATH`` in the page's directory (later blocks and commands use it). A
  Python file is imported as a module; a ``pyproject.toml`` with ``noether.plugins`` entry points is "installed"
  (a ``.dist-info`` next to its packages, on the path) so that later blocks see the plugin.
* ``# invalid: TEXT`` expects the YAML block to fail validation with ``TEXT`` in the error.
* ``# pytest`` runs a Python file block with pytest.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import re
import runpy
import shlex
import subprocess
import sys
import tempfile
import tomllib
import traceback
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from noether.core.errors import ConfigError, Issue

#: Marker names recognised in the leading comment lines of a block.
MARKERS = ("file", "fragment", "invalid", "exit", "pytest")
#: Updates a shortened run may take when its config counts updates or samples (epochs are cut to one).
SHORT_UPDATES = 8
#: Directories of the repository linked into each page's working directory.
LINKED_DIRS = ("examples", "plugins")

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`]*)$")
_MARKER = re.compile(r"^#\s*(?P<key>[a-z]+)\s*(?::\s*(?P<value>.*?))?\s*$")
#: Console log lines (``12:00:01 I message``): left out when outputs are compared.
_LOG_LINE = re.compile(r"^\d\d:\d\d:\d\d [DIWEC] ")
_LOCATION = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+)$")


class SnippetError(AssertionError):
    """One or more code blocks of the docs are broken; ``failures`` has one line per block."""

    def __init__(self, failures: list[str]) -> None:
        self.failures = failures
        super().__init__(f"{len(failures)} broken snippet{'s' if len(failures) != 1 else ''}:\n"
                         + "\n".join(f"- {f}" for f in failures))


class _Failure(Exception):
    """A problem with one block (its message is reported with the block's position)."""


@attrs.frozen
class Snippet:
    """One fenced code block: its language, text, the line of its opening fence and its markers."""

    lang: str
    code: str
    line: int
    markers: Mapping[str, str] = attrs.field(factory=dict)


def extract_snippets(markdown: str) -> list[Snippet]:
    """Every fenced code block of a markdown text, in order (indented fences in lists included)."""
    lines = markdown.splitlines()
    out: list[Snippet] = []
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        indent, fence = match.group("indent"), match.group("fence")
        info = match.group("info").strip().strip("{}").lstrip(".")
        lang = info.split()[0].lower() if info else ""
        body: list[str] = []
        j = i + 1
        while j < len(lines):
            stripped = lines[j].strip()
            if stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0]):
                break
            body.append(lines[j][len(indent):] if lines[j].startswith(indent) else lines[j].lstrip())
            j += 1
        code = "\n".join(body) + "\n"
        out.append(Snippet(lang, code, i + 1, _markers(code)))
        i = j + 1
    return out


def _markers(code: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in code.splitlines():
        match = _MARKER.match(line.strip())
        if not match or match.group("key") not in MARKERS:
            break
        found[match.group("key")] = match.group("value") or ""
    return found


def check_markdown(path: str | Path, *, repo_root: str | Path | None = None, execute: bool = True,
                   text: str | None = None) -> int:
    """Check every code block of one markdown file; returns how many blocks were checked.

    ``execute=False`` compiles Python blocks instead of running them (YAML, TOML, JSON and ``noether check``
    commands are still checked). Raises :class:`SnippetError` listing every broken block.
    """
    from sybil import Document
    from sybil.example import SybilFailure

    from noether_docs.sybil_blocks import CHECKER, NoetherBlocks

    source = Path(path)
    root = Path(repo_root) if repo_root is not None else _find_repo_root(source)
    markdown = source.read_text(encoding="utf-8") if text is None else text
    document = Document(markdown, str(source))
    for region in NoetherBlocks()(document):
        document.add(region)
    page = _Page(source, root, execute)
    document.namespace[CHECKER] = page
    checked = 0
    with page.isolated():
        for example in document:  # Sybil evaluates the blocks in order, in the page's namespace
            checked += 1
            try:
                example.evaluate()
            except SybilFailure as exc:
                page.failures.append(exc.result)
    if page.failures:
        raise SnippetError(page.failures)
    return checked


def pending_files(root: str | Path) -> list[str]:
    """Files other work is still adding (``extra.pending_files`` of ``mkdocs.yml``) that do not exist yet.

    Snippet failures that name one of them are expected until it lands.
    """
    from ruamel.yaml import YAML

    path = Path(root) / "mkdocs.yml"
    if not path.is_file():
        return []
    config = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8")) or {}
    listed = (config.get("extra") or {}).get("pending_files") or []
    return [name for name in listed if not (Path(root) / name).exists()]


def split_pending(failures: list[str], missing: list[str]) -> tuple[list[str], list[str]]:
    """``(real failures, failures that only name a missing pending file)``."""
    waiting = [f for f in failures if any(name in f for name in missing)]
    return [f for f in failures if f not in waiting], waiting


def _find_repo_root(path: Path) -> Path:
    for parent in path.resolve().parents:
        if (parent / "pyproject.toml").is_file() and (parent / "src" / "noether").is_dir():
            return parent
    return path.resolve().parent


# -- the page -------------------------------------------------------------------------------------------------
class _Page:
    def __init__(self, source: Path, root: Path, execute: bool) -> None:
        self.source = source
        self.root = root
        self.execute = execute
        self.failures: list[str] = []
        try:
            self.label = str(source.resolve().relative_to(root.resolve()))
        except ValueError:
            self.label = str(source)
        self.workspace = Path(".")
        self.paths: list[Path] = []
        self.written: dict[str, int] = {}
        self._skip_text: int | None = None

    @contextlib.contextmanager
    def isolated(self) -> Iterator[None]:
        """A fresh directory as cwd and on ``sys.path``, a fresh registry, shortened runs; all undone after."""
        from noether.core.registry import set_registry

        old_cwd = os.getcwd()
        old_path = list(sys.path)
        old_modules = set(sys.modules)
        with tempfile.TemporaryDirectory(prefix="noether-docs-") as tmp:
            self.workspace = Path(tmp).resolve()
            for name in LINKED_DIRS:
                if (self.root / name).exists():
                    (self.workspace / name).symlink_to(self.root / name, target_is_directory=True)
            self.paths = [self.workspace]
            previous = set_registry(None)
            os.chdir(self.workspace)
            sys.path.insert(0, str(self.workspace))
            try:
                self.install_repository_plugins()
                with _shortened_runs():
                    yield
            finally:
                os.chdir(old_cwd)
                sys.path[:] = old_path
                set_registry(previous)
                for name in set(sys.modules) - old_modules:
                    module_file = getattr(sys.modules[name], "__file__", None) or ""
                    if module_file.startswith(str(self.workspace)):
                        del sys.modules[name]
                importlib.invalidate_caches()

    def env(self) -> dict[str, str]:
        """The environment of commands run for this page: its directories first on ``PYTHONPATH``."""
        env = dict(os.environ)
        parts = [str(p) for p in self.paths] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        env["PYTHONPATH"] = os.pathsep.join(parts)
        env.pop("NOETHER_TRACEBACK", None)
        return env

    def check_block(self, snippet: Snippet, following: Snippet | None) -> str | None:
        """Check one block: the failure (with the page and line), or ``None`` (the Sybil evaluator's contract)."""
        try:
            self.check(snippet, following)
        except _Failure as exc:
            return f"{self.label}:{snippet.line}: {snippet.lang} block: {exc}"
        except Exception as exc:  # a bug in a block must be reported, not crash the check of the others
            return f"{self.label}:{snippet.line}: {snippet.lang} block: {type(exc).__name__}: {exc}"
        return None

    def check(self, snippet: Snippet, following: Snippet | None) -> None:
        """Check one block."""
        if self._skip_text == snippet.line:
            return
        handler: dict[str, Callable[[Snippet, Snippet | None], None]] = {
            "yaml": self.yaml, "yml": self.yaml, "python": self.python, "py": self.python,
            "bash": self.shell, "sh": self.shell, "shell": self.shell, "console": self.shell,
            "toml": self.toml, "json": self.json,
        }
        check = handler.get(snippet.lang)
        if check is not None:
            check(snippet, following)

    def write(self, snippet: Snippet) -> Path | None:
        """Write a ``# file:`` block into the workspace."""
        name = snippet.markers.get("file")
        if not name:
            return None
        target = (self.workspace / name).resolve()
        if not target.is_relative_to(self.workspace):
            raise _Failure(f"'# file: {name}' must stay inside the page's directory")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(snippet.code, encoding="utf-8")
        self.written[str(target.relative_to(self.workspace))] = snippet.line
        return target

    # -- YAML ---------------------------------------------------------------------------------------------
    def yaml(self, snippet: Snippet, _: Snippet | None) -> None:
        from ruamel.yaml import YAML, YAMLError

        try:
            data = YAML(typ="safe", pure=True).load(snippet.code)
        except YAMLError as exc:
            raise _Failure(f"not valid YAML: {exc}") from None
        path = self.write(snippet)
        expected = snippet.markers.get("invalid")
        try:
            self.validate_yaml(snippet, data, path)
        except ConfigError as exc:
            exc = self.locate(exc, snippet)
            if expected is None:
                raise _Failure(self.render_error(exc, snippet)) from None
            if expected and expected not in str(exc):
                raise _Failure(f"marked '# invalid: {expected}' but the error does not say so:\n"
                               f"{self.render_error(exc, snippet)}") from None
            return
        if expected is not None:
            raise _Failure("marked '# invalid' but it is valid")

    def validate_yaml(self, snippet: Snippet, data: Any, path: Path | None) -> None:
        """Validate YAML data as a config, a part of one, or a ``# fragment:``."""
        from noether.core.schemas import ConfigSchema

        fragment = snippet.markers.get("fragment")
        if fragment:
            target, partial = resolve_target(fragment)
            items = data if isinstance(data, list) and not _is_list_type(target) else [data]
            issues: list[Issue] = []
            for index, item in enumerate(items):
                prefix: tuple[str | int, ...] = (index,) if items is data else ()
                issues += [i.prefixed(prefix) for i in structure_issues(item, target, partial)]
            if issues:
                raise ConfigError(issues, f"invalid {fragment}")
            return
        root_fields = {f.name for f in attrs.fields(ConfigSchema)} | {"base", "config_schema_kind"}
        if not isinstance(data, dict) or (path is not None and not set(data) <= root_fields):
            if path is not None:
                return  # a data file the page needs (splits.yaml, ...), not a config
            raise _Failure("cannot tell what this YAML configures: wrap it in its section or add a "
                           "'# fragment: <class or union>' marker")
        complete = "base" in data or {"datasets", "model", "trainer"} <= set(data)
        if complete:
            self.load_config_file(path or self.scratch_file(snippet))
            return
        if set(data) <= root_fields:
            _raise(structure_issues(data, ConfigSchema, partial=True))
            return
        self.validate_located(data)

    def locate(self, error: ConfigError, snippet: Snippet) -> ConfigError:
        """Give the issues without a location the line of their value in the block."""
        from noether.core.config.loader import locate
        from noether.core.config.yaml_source import parse_yaml

        name = f".snippet-{snippet.line}.yaml"
        self.written.setdefault(name, snippet.line)
        try:
            return locate(error, parse_yaml(snippet.code, name))
        except ConfigError:
            return error

    def scratch_file(self, snippet: Snippet) -> Path:
        """A complete config without ``# file:`` is loaded from a scratch file (for located errors)."""
        target = self.workspace / f".snippet-{snippet.line}.yaml"
        target.write_text(snippet.code, encoding="utf-8")
        self.written[target.name] = snippet.line
        return target

    def load_config_file(self, path: Path) -> None:
        """Load a config file as ``noether check`` does, filling in ``output_path`` when missing."""
        from noether.core.config.compose import load_document
        from noether.core.config.loader import structure_document

        doc = load_document(path)
        if isinstance(doc.data, dict) and "output_path" not in doc.data:
            doc.data["output_path"] = str(self.workspace / "outputs")
        structure_document(doc)

    def validate_located(self, data: dict[str, Any]) -> None:
        """A mapping whose keys are not root keys: find the class (or field) it belongs to."""
        index = field_index()
        if len(data) == 1:
            (key, value), = data.items()
            candidates = index.get(key, [])
            if not candidates:
                raise _Failure(f"'{key}' is not a field of any config class; add a '# fragment:' marker")
            first: list[Issue] = []
            for _, tp in candidates:
                issues = structure_issues(value, tp, partial=True)
                if not issues:
                    return
                first = first or [i.prefixed((key,)) for i in issues]
            _raise(first)
        owners = [cls for cls in classes_with_fields(set(data))]
        if not owners:
            raise _Failure(f"no config class has all of the keys {sorted(data)}; add a '# fragment:' marker")
        first_issues: list[Issue] = []
        for cls in owners:
            issues = structure_issues(data, cls, partial=True)
            if not issues:
                return
            first_issues = first_issues or issues
        _raise(first_issues)

    def render_error(self, error: ConfigError, snippet: Snippet) -> str:
        """A config error with the locations of written files turned into lines of the markdown page."""
        lines = []
        for issue in error.issues:
            where = ""
            match = _LOCATION.match(issue.location or "")
            if match:
                name = match.group("file")
                start = self.written.get(name) or self.written.get(str(Path(name)))
                line = match.group("line")
                where = f" (line {start + int(line)})" if start is not None else f" ({issue.location})"
            elif issue.location:
                where = f" ({issue.location})"
            lines.append(f"{issue.dotted_path}: {issue.message}{where}")
        return "invalid config: " + "; ".join(lines)

    # -- Python -------------------------------------------------------------------------------------------
    def python(self, snippet: Snippet, _: Snippet | None) -> None:
        path = self.write(snippet)
        label = f"{self.label}:{snippet.line}"
        try:
            code = compile(snippet.code, label, "exec")
        except SyntaxError as exc:
            raise _Failure(f"syntax error at line {snippet.line + (exc.lineno or 0)}: {exc.msg}") from None
        if not self.execute:
            return
        if path is None:
            namespace: dict[str, Any] = {"__name__": "__main__"}
            self._run_python(lambda: exec(code, namespace), label, snippet.line)
            return
        if path.suffix != ".py":
            return
        if "pytest" in snippet.markers:
            self.run_pytest(path)
            return
        from noether.core.registry import set_registry

        module = self.module_name(path)
        importlib.invalidate_caches()
        if self.importable_as(module):
            self._run_python(lambda: importlib.import_module(module), str(path), snippet.line)
        else:  # the name is taken by a module outside this page: run the file without importing it by name
            self._run_python(lambda: runpy.run_path(str(path), run_name=module), str(path), snippet.line)
        set_registry(None)  # a plugin module written just now must be found by the next discovery

    def importable_as(self, module: str) -> bool:
        """Whether ``module``'s top-level package is free, or one of this page's."""
        top = sys.modules.get(module.split(".")[0])
        if top is None:
            return True
        locations = [getattr(top, "__file__", None) or "", *list(getattr(top, "__path__", []))]
        return any(str(loc).startswith(str(base)) for loc in locations for base in self.paths if loc)

    def module_name(self, path: Path) -> str:
        """The import name of a file block, relative to the page directory entry it lies under."""
        for base in sorted(self.paths, key=lambda p: len(str(p)), reverse=True):
            if path.is_relative_to(base):
                return ".".join(path.relative_to(base).with_suffix("").parts)
        return path.stem

    def _run_python(self, call: Callable[[], Any], filename: str, start: int) -> None:
        try:
            call()
        except Exception as exc:
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
            where = f" at line {start + (frames[-1].lineno or 0)}" if frames else ""
            raise _Failure(f"raised {type(exc).__name__}{where}: {exc}") from None

    def run_pytest(self, path: Path) -> None:
        """Run one test file in a subprocess, with the page's directories on the path."""
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
                              cwd=self.workspace, env=self.env(), capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise _Failure(f"pytest failed ({done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-2000:]}")

    # -- shell --------------------------------------------------------------------------------------------
    def shell(self, snippet: Snippet, following: Snippet | None) -> None:
        expected_exit = int(snippet.markers.get("exit") or 0)
        outputs: list[str] = []
        run_all = "exit" in snippet.markers
        for argv in shell_commands(snippet.code):
            args = noether_args(argv)
            if args is None:
                continue
            parse_cli(args)
            if args[:1] == ["check"] or run_all:
                outputs.append(self.run_noether(args, expected_exit))
        compare = "exit" in snippet.markers and following is not None and following.lang in ("text", "")
        if compare and following is not None:
            if len(outputs) != 1:
                raise _Failure("'# exit:' with an output block needs exactly one 'noether' command")
            self._skip_text = following.line
            problem = compare_output(following.code, outputs[0])
            if problem:
                raise _Failure(f"the output block at line {following.line} differs from the output: {problem}")

    def run_noether(self, args: list[str], expected_exit: int) -> str:
        """Run a ``noether`` command in the page directory; returns stdout and stderr together."""
        done = subprocess.run([sys.executable, "-m", "noether", *args], cwd=self.workspace, env=self.env(),
                              capture_output=True, text=True, timeout=300)
        output = done.stdout + done.stderr
        if done.returncode != expected_exit:
            raise _Failure(f"'noether {' '.join(args)}' exited with {done.returncode}, expected {expected_exit}:\n"
                           f"{output[-3000:]}")
        return output

    # -- TOML and JSON -------------------------------------------------------------------------------------
    def toml(self, snippet: Snippet, _: Snippet | None) -> None:
        try:
            data = tomllib.loads(snippet.code)
        except tomllib.TOMLDecodeError as exc:
            raise _Failure(f"not valid TOML: {exc}") from None
        path = self.write(snippet)
        if path is not None and path.name == "pyproject.toml":
            self.install(path, data)

    def json(self, snippet: Snippet, _: Snippet | None) -> None:
        try:
            json.loads(snippet.code)
        except ValueError as exc:
            raise _Failure(f"not valid JSON: {exc}") from None
        self.write(snippet)

    def install(self, pyproject: Path, data: dict[str, Any], *, metadata_dir: Path | None = None) -> None:
        """Make the project of a ``pyproject.toml`` importable and its entry points discoverable.

        The ``.dist-info`` goes next to the project's packages, or into ``metadata_dir`` (for projects of the
        repository, which are never written to).
        """
        from noether.core.registry import set_registry

        project = data.get("project", {})
        name, version = project.get("name"), project.get("version", "0")
        if not name:
            raise _Failure("pyproject.toml has no [project] name")
        where = data.get("tool", {}).get("setuptools", {}).get("packages", {}).get("find", {}).get("where", ["."])
        site = (pyproject.parent / where[0]).resolve()
        info_root = metadata_dir or site
        info_root.mkdir(parents=True, exist_ok=True)
        info = info_root / f"{re.sub(r'[-_.]+', '_', name)}-{version}.dist-info"
        info.mkdir(exist_ok=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        groups = project.get("entry-points", {})
        text = "".join(f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in entries.items()) + "\n"
                       for group, entries in groups.items())
        (info / "entry_points.txt").write_text(text)
        for directory in (site, info_root):
            if directory not in self.paths:
                self.paths.insert(0, directory)
                sys.path.insert(0, str(directory))
        importlib.invalidate_caches()
        set_registry(None)

    def install_repository_plugins(self) -> None:
        """The plugin packages of the repository (``plugins/*``) that are not installed, made discoverable."""
        import importlib.metadata

        for pyproject in sorted(self.root.glob("plugins/*/pyproject.toml")):
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            name = data.get("project", {}).get("name")
            if not name or "noether.plugins" not in data.get("project", {}).get("entry-points", {}):
                continue
            try:
                importlib.metadata.distribution(name)
            except importlib.metadata.PackageNotFoundError:
                self.install(pyproject, data, metadata_dir=self.workspace / ".repository-plugins")


# -- helpers shared by the checks -------------------------------------------------------------------------------
def _raise(issues: list[Issue]) -> None:
    if issues:
        raise ConfigError(issues)


def _is_list_type(tp: Any) -> bool:
    import typing

    origin = typing.get_origin(tp)
    if origin in (list, tuple):
        return True
    return origin is not None and any(typing.get_origin(a) in (list, tuple) for a in typing.get_args(tp))


def structure_issues(data: Any, target: Any, partial: bool) -> list[Issue]:
    """The problems of ``data`` as ``target``; ``partial`` ignores fields (and kinds) that are simply missing."""
    from noether.core.config.converter import structure

    try:
        structure(data, target)
    except ConfigError as exc:
        issues = exc.issues
    else:
        return []
    if partial:
        issues = [i for i in issues if not (_is_missing(i) and not _present(data, i.path))]
    return issues


def _is_missing(issue: Issue) -> bool:
    return issue.message == "required field is missing" or bool(re.match(r"'\w+' is required to choose", issue.message))


def _present(data: Any, path: tuple[str | int, ...]) -> bool:
    node = data
    for part in path:
        if isinstance(node, list):
            if not isinstance(part, int) or not -len(node) <= part < len(node):
                return False
            node = node[part]
        elif isinstance(node, dict):
            if part not in node:
                return False
            node = node[part]
        else:
            return False
    return True


def resolve_target(text: str) -> tuple[Any, bool]:
    """The class or union a ``# fragment:`` marker names, and whether it is partial."""
    partial = text.endswith("(partial)")
    name = text.removesuffix("(partial)").strip()
    from noether.core.schemas import ConfigSchema

    for module_name in ("noether.core.schemas", "noether.data.schemas", "noether.data.airfoil.schemas"):
        module = importlib.import_module(module_name)
        if hasattr(module, name):
            return getattr(module, name), partial
    from noether.core.registry import get_registry

    for reg in get_registry().registrations():
        try:
            cls = reg.config_class()
        except Exception:
            continue
        if cls.__name__ == name:
            return cls, partial
    if "." in name:
        tp = _field_path_type(ConfigSchema, name.split("."))
        if tp is not None:
            return tp, partial
        module_name, _, attr = name.replace(":", ".").rpartition(".")
        try:
            return getattr(importlib.import_module(module_name), attr), partial
        except (ImportError, AttributeError):
            pass
    raise _Failure(f"'# fragment: {text}' names no config class, union or field path")


def _field_path_type(cls: type, parts: list[str]) -> Any:
    import typing

    from noether_docs.introspect import hints_of, is_schema_class, open_union

    tp: Any = cls
    for part in parts:
        while typing.get_origin(tp) is not None and open_union(tp) is None and not is_schema_class(tp):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            schema_args = [a for a in args if is_schema_class(a) or open_union(a) is not None]
            tp = (schema_args or args or [None])[0]
        marker = open_union(tp)
        if marker is not None:
            tp = marker.base
        if not is_schema_class(tp) or part not in hints_of(tp):
            return None
        tp = hints_of(tp)[part]
    return tp


_FIELD_INDEX: dict[str, list[tuple[type, Any]]] | None = None


def field_index() -> dict[str, list[tuple[type, Any]]]:
    """``field name -> [(class, type)]`` over every schema class reachable from the root and the registry."""
    from noether_docs.introspect import collect_classes, hints_of

    global _FIELD_INDEX
    if _FIELD_INDEX is None:
        index: dict[str, list[tuple[type, Any]]] = {}
        for cls in _all_classes(collect_classes):
            for name, tp in hints_of(cls).items():
                if name in {f.name for f in attrs.fields(cls)}:
                    index.setdefault(name, []).append((cls, tp))
        _FIELD_INDEX = index
    return _FIELD_INDEX


def _all_classes(collect: Callable[[list[type]], list[type]]) -> list[type]:
    from noether.core.registry import get_registry
    from noether.core.schemas import ConfigSchema

    roots: list[type] = [ConfigSchema]
    for reg in get_registry().registrations():
        with contextlib.suppress(Exception):
            roots.append(reg.config_class())
    return collect(roots)


def classes_with_fields(keys: set[str]) -> list[type]:
    """Schema classes that have every one of ``keys`` as a field."""
    from noether_docs.introspect import collect_classes

    return [cls for cls in _all_classes(collect_classes) if keys <= {f.name for f in attrs.fields(cls)}]


def shell_commands(code: str) -> list[list[str]]:
    """The commands of a shell block: continuation lines joined, ``$`` prompts dropped, split at ``&&``/``;``/``|``.

    Lines of a ``console`` block without a prompt are output and skipped when the block has prompts.
    """
    lines = code.splitlines()
    prompted = any(line.lstrip().startswith("$ ") for line in lines)
    joined: list[str] = []
    buffer = ""
    for line in lines:
        stripped = line.strip()
        if prompted and not buffer:
            if not stripped.startswith("$ "):
                continue
            stripped = stripped[2:]
        if stripped.endswith("\\"):
            buffer += stripped[:-1] + " "
            continue
        joined.append(buffer + stripped)
        buffer = ""
    commands: list[list[str]] = []
    for line in joined:
        for part in re.split(r"&&|\|\||;|\|", line):
            try:
                argv = shlex.split(part, comments=True)
            except ValueError:
                continue
            if argv:
                commands.append(argv)
    return commands


def noether_args(argv: list[str]) -> list[str] | None:
    """The arguments after ``noether`` (or ``python -m noether``) in a command, ``None`` for other commands."""
    for index, token in enumerate(argv):
        named = token == "noether" or token.endswith("/noether")
        if named and (index == 0 or argv[index - 1] in ("-m", "--no-python") or "=" in argv[index - 1]):
            return argv[index + 1:]
    return None


def parse_cli(args: list[str]) -> None:
    """Parse a ``noether`` command line with the real parser (nothing is run)."""
    from noether.cli.main import build_parser

    parser = build_parser()
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            namespace, extra = parser.parse_known_args(args)
    except SystemExit as exc:
        if exc.code in (0, None):
            return  # --help / --version
        raise _Failure(f"'noether {' '.join(args)}' is not a valid command: {stderr.getvalue().strip()}") from None
    if extra and not (hasattr(namespace, "overrides") and not any(e.startswith("-") and "=" not in e
                                                                  for e in extra)):
        raise _Failure(f"'noether {' '.join(args)}': unrecognized arguments {' '.join(extra)}")
    if getattr(namespace, "command", None) is None and args and not args[0].startswith("-"):
        raise _Failure(f"'noether {' '.join(args)}': no such command")


def compare_output(expected: str, actual: str) -> str | None:
    """``None`` when ``actual`` matches ``expected`` line by line (``...`` matches any lines), else why not."""
    want = [line.rstrip() for line in expected.strip("\n").splitlines()]
    have = [line.rstrip() for line in actual.strip("\n").splitlines() if not _LOG_LINE.match(line)]

    def match(i: int, j: int) -> bool:
        if i == len(want):
            return j == len(have)
        if want[i].strip() == "...":
            return any(match(i + 1, k) for k in range(j, len(have) + 1))
        return j < len(have) and want[i] == have[j] and match(i + 1, j + 1)

    if match(0, 0):
        return None
    return "got:\n" + "\n".join(have)


@contextlib.contextmanager
def _shortened_runs() -> Iterator[None]:
    """While active, ``noether.run`` trains one epoch (or at most a few updates) and archives no code."""
    from noether.training import runner

    original = runner.run

    def short_run(config: Any, **kwargs: Any) -> Any:
        trainer = config.trainer
        if trainer.max_epochs:
            trainer = attrs.evolve(trainer, max_epochs=1)
        elif trainer.max_updates:
            trainer = attrs.evolve(trainer, max_updates=min(trainer.max_updates, SHORT_UPDATES))
        elif trainer.max_samples:
            limit = SHORT_UPDATES * trainer.effective_batch_size
            trainer = attrs.evolve(trainer, max_samples=min(trainer.max_samples, limit))
        return original(attrs.evolve(config, trainer=trainer, store_code_in_output=False), **kwargs)

    runner.run = short_run
    try:
        yield
    finally:
        runner.run = original
