"""The generated pages: the configuration reference covers every kind and class, with valid examples."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import attrs
import pytest

import noether
from noether.core.config.examples import ExampleError
from noether.core.registry import get_registry
from noether.core.schemas import ConstantScheduleConfig, Schema
from noether_docs import generated_pages, write_generated_pages
from noether_docs.reference import family_page

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return generated_pages()


def test_every_registered_kind_is_on_its_family_page(pages: dict[str, str]) -> None:
    for reg in get_registry().registrations():
        page = pages[f"reference/{family_page(reg.family)}"]
        assert f"| `{reg.kind}`" in page, f"{reg.family} kind {reg.kind} is missing"


def test_every_schema_class_has_a_section(pages: dict[str, str]) -> None:
    import noether.core.schemas as schemas

    text = "\n".join(pages.values())
    for name in schemas.__all__:
        obj = getattr(schemas, name)
        if isinstance(obj, type) and issubclass(obj, Schema) and obj is not Schema:
            assert f"## {name} {{#{name.lower()}}}" in text, f"{name} has no section"


def test_fields_rules_and_examples_come_from_the_code(pages: dict[str, str]) -> None:
    trainers = pages["reference/trainers.md"]
    assert "Exactly one of `max_epochs`, `max_updates`, `max_samples` must be set." in trainers
    assert "| `effective_batch_size` | integer | **required** | > 0 | Samples per optimizer update" in trainers
    callbacks = pages["reference/callbacks.md"]
    assert "`batch_size`: 'batch_size' is required when 'every_n_samples' is set" in callbacks
    schedules = pages["reference/schedules.md"]
    assert "The rules of [ScheduleBaseConfig](#schedulebaseconfig) apply too." in schedules
    assert "```yaml\nkind: noether.core.schedules.ConstantSchedule\nvalue: 1.0\n```" in schedules


def test_the_minimal_examples_validate(pages: dict[str, str]) -> None:
    from noether_docs.snippets import extract_snippets

    config = pages["reference/config.md"]
    example = next(s.code for s in extract_snippets(config) if "datasets:" in s.code)
    from ruamel.yaml import YAML

    noether.structure(YAML(typ="safe").load(example))


def test_a_plugins_kind_is_documented_with_its_own_example(noether_register: Callable[..., Any]) -> None:
    @attrs.frozen(kw_only=True)
    class ShiftedConstantConfig(ConstantScheduleConfig):
        """A constant schedule that registers under a test kind."""

        kind: str = "tests.docs.ShiftedConstant"  # type: ignore[assignment]
        #: Added to the value.
        shift: float = 0.0

    noether_register("schedule", "tests.docs.ShiftedConstant", config=ShiftedConstantConfig)
    page = generated_pages()["reference/schedules.md"]
    assert "| `tests.docs.ShiftedConstant` |" in page
    assert "| `shift` | number | `0.0` |  | Added to the value. |" in page
    assert "```yaml\nkind: tests.docs.ShiftedConstant\nvalue: 1.0\n```" in page


def test_a_kind_without_a_possible_example_fails_the_build(noether_register: Callable[..., Any]) -> None:
    @attrs.frozen(kw_only=True)
    class PickyConfig(Schema):
        """Accepts only one exact value."""

        kind: str = "tests.docs.Picky"
        code: str

        def _check(self) -> Iterator[tuple[str, str]]:
            if self.code != "xyzzy":
                yield "code", "must be the magic word"

    noether_register("schedule", "tests.docs.Picky", config=PickyConfig)
    with pytest.raises(ExampleError, match="PickyConfig"):
        generated_pages()

    @attrs.frozen(kw_only=True)
    class ExplainedConfig(PickyConfig):
        """The same, with its example given."""

        __doc_example__: ClassVar[dict[str, str]] = {"code": "xyzzy"}

    noether_register("schedule", "tests.docs.Explained", config=ExplainedConfig)
    reg = get_registry().find("schedule", "tests.docs.Picky")
    assert reg is not None
    get_registry().remove(reg)
    assert "code: xyzzy" in generated_pages()["reference/schedules.md"]


def test_the_api_page_names_public_objects_that_exist() -> None:
    """``docs/api.md`` (rendered by mkdocstrings): every ``::: path`` is a real object, the public names covered."""
    import importlib

    text = (ROOT / "docs" / "api.md").read_text()
    paths = [line[4:].strip() for line in text.splitlines() if line.startswith("::: ")]
    for path in paths:
        module, _, attr = path.rpartition(".")
        try:
            obj = importlib.import_module(path)
        except ImportError:
            obj = getattr(importlib.import_module(module), attr)
        assert obj is not None, path
    public = [noether.load_config, noether.structure, noether.unstructure, noether.ConfigError, noether.run,
              noether.RunResult]
    for obj in public:
        assert f"::: {obj.__module__}.{obj.__qualname__}" in text, obj


def test_write_generated_pages(tmp_path: Path) -> None:
    written = write_generated_pages(tmp_path)
    names = {str(p.relative_to(tmp_path)) for p in written}
    assert {"reference/index.md", "reference/config.md", "reference/callbacks.md"} <= names


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("mkdocs") is None and not (Path(sys.executable).parent / "mkdocs").exists(),
                    reason="mkdocs is not installed (pip install -e '.[docs]')")
def test_the_site_builds_strictly(tmp_path: Path) -> None:
    """``mkdocs build --strict``: navigation, links and anchors resolve (snippets are compiled, not run)."""
    env = dict(os.environ, NOETHER_DOCS_EXECUTE="0")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert (tmp_path / "site" / "reference" / "callbacks" / "index.html").is_file()
    api = (tmp_path / "site" / "api" / "index.html").read_text()
    assert "Register components in the process-wide registry for one test only." in api
    assert "loss_compute" in api
