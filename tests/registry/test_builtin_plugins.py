"""Built-in kinds modules run through one pluggy plugin, yet each is reported, and fails, as its own plugin."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from noether.core.registry import Registry
from noether.core.registry.builtin import BUILTIN_GROUP_NAME, BUILTIN_PLUGINS

GOOD = '''
from noether import hookimpl

@hookimpl
def noether_register_components(register):
    register("model", "{name}.Model", config="{name}:Config", aliases=("{name}_alias",))
'''
FAILING = '''
from noether import hookimpl

@hookimpl
def noether_register_components(register):
    register("model", "failing.Model", config="failing:Config")
    raise RuntimeError("this plugin is broken")
'''
UNMARKED = '''
def noether_register_components(register):
    register("model", "unmarked.Model", config="unmarked:Config")
'''


@pytest.fixture
def modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder on ``sys.path`` with kinds modules written by the test (removed from ``sys.modules`` after)."""
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("first", "second", "failing", "unmarked"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    (tmp_path / "first.py").write_text(textwrap.dedent(GOOD.format(name="first")))
    (tmp_path / "second.py").write_text(textwrap.dedent(GOOD.format(name="second")))
    (tmp_path / "failing.py").write_text(textwrap.dedent(FAILING))
    (tmp_path / "unmarked.py").write_text(textwrap.dedent(UNMARKED))
    return tmp_path


def test_each_builtin_module_is_its_own_plugin_in_order(modules: Path) -> None:
    registry = Registry(autoload=False, builtins=("first", "failing", "second"))
    registry.ensure_loaded()
    assert [(p.name, p.kinds, p.builtin) for p in registry.plugins] == [
        ("first", (("model", "first.Model"),), True),
        ("second", (("model", "second.Model"),), True),
    ]
    (broken,) = registry.broken
    assert (broken.name, broken.distribution) == ("failing", "noether")
    assert broken.error == "RuntimeError: this plugin is broken"
    assert registry.find("model", "failing.Model") is None  # the failed module's kinds are dropped
    found = registry.find("model", "second_alias")
    assert found is not None and found.provider.plugin == "second"
    # The modules ran through pluggy, as one plugin of the registry's manager.
    assert [registry._pm.get_name(p) for p in registry._pm.get_plugins()] == [f"{BUILTIN_GROUP_NAME} first"]


def test_a_module_that_is_no_plain_kinds_module_is_registered_and_checked_alone(modules: Path) -> None:
    registry = Registry(autoload=False, builtins=("first", "unmarked", "second"))
    registry.ensure_loaded()
    assert [p.name for p in registry.plugins] == ["first", "second"]
    (broken,) = registry.broken
    assert broken.name == "unmarked" and "lacks the @noether.hookimpl decorator" in broken.error
    names = sorted(str(registry._pm.get_name(p)) for p in registry._pm.get_plugins())
    assert names == [f"{BUILTIN_GROUP_NAME} first", f"{BUILTIN_GROUP_NAME} second"]  # two runs, around it


def test_the_real_builtins_register_as_before() -> None:
    registry = Registry(autoload=False)
    registry.ensure_loaded()
    assert [p.name for p in registry.plugins] == list(BUILTIN_PLUGINS)
    assert not registry.broken
    assert all(p.kinds and p.distribution == "noether" for p in registry.plugins)
    reg = registry.find("trainer", "SupervisedTrainer")
    assert reg is not None and reg.provider.plugin == "noether.training.kinds"
