"""A configured property the batch lacks: named at the first batch as a config problem, with its list, the
closest key the batch has, and (from ``noether run``) where the list was written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from noether.core.errors import ConfigError
from noether.training.runner import run
from tests.engine.helpers import build, toy_config


def test_a_misspelt_forward_property_names_its_list_and_the_close_key(tmp_path: Path) -> None:
    data = toy_config(tmp_path, max_updates=1, forward_properties=["xx"])
    with pytest.raises(ConfigError) as caught:
        run(build(data))
    [issue] = caught.value.issues
    assert issue.path == ("trainer", "forward_properties")
    assert "'xx' (did you mean 'x'?)" in issue.message and "the training batch has: index, x, y" in issue.message


def test_both_lists_are_reported_at_once(tmp_path: Path) -> None:
    data = toy_config(tmp_path, max_updates=1, forward_properties=["x", "nope"], target_properties=["yy"])
    with pytest.raises(ConfigError) as caught:
        run(build(data))
    assert [i.path for i in caught.value.issues] == [("trainer", "forward_properties"),
                                                     ("trainer", "target_properties")]
    assert "names 'nope', which" in caught.value.issues[0].message  # no key is close to it: no guess
    assert "'yy' (did you mean 'y'?)" in caught.value.issues[1].message


def test_noether_run_says_where_the_list_was_written(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(json.dumps(toy_config(tmp_path / "out", max_updates=1, target_properties=["yy"]), indent=1))
    line = next(n for n, text in enumerate(cfg.read_text().splitlines(), 1) if '"target_properties"' in text)
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-m", "noether", "run", str(cfg)], capture_output=True, text=True,
                          cwd=root, timeout=300)
    assert done.returncode == 2, done.stderr
    assert f"{cfg}:{line}:" in done.stderr and "trainer.target_properties:" in done.stderr
    assert "did you mean 'y'?" in done.stderr and "Traceback" not in done.stderr and "raised at" not in done.stderr
    over = subprocess.run([sys.executable, "-m", "noether", "run", str(cfg), "trainer.target_properties=[yyy]"],
                          capture_output=True, text=True, cwd=root, timeout=300)
    assert over.returncode == 2, over.stderr
    assert "override 'trainer.target_properties=[yyy]' (command line)" in over.stderr


def test_a_models_own_list_is_the_one_named(tmp_path: Path) -> None:
    data = toy_config(tmp_path, max_updates=1)
    data["model"]["forward_properties"] = ["xs"]
    with pytest.raises(ConfigError) as caught:
        run(build(data))
    [issue] = caught.value.issues
    assert issue.path == ("model", "forward_properties") and "'xs' (did you mean 'x'?)" in issue.message
