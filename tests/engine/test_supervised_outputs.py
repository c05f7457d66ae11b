"""What the supervised trainer says when the model's output does not fit the targets (real runs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from noether.training.runner import run
from tests.engine.helpers import build, toy_config


def test_one_tensor_for_two_targets_names_them(tmp_path: Path) -> None:
    data = toy_config(tmp_path, max_updates=1, target_properties=["y", "x"])
    with pytest.raises(ValueError, match=r"returned one tensor but there are 2 targets; return a dict keyed by "
                                         r"\['x', 'y'\]"):
        run(build(data))


def test_a_dict_without_a_target_says_what_it_has(tmp_path: Path) -> None:
    data = toy_config(tmp_path, max_updates=1)
    data["model"]["kind"] = "tests.engine.toy.OtherKeyMLP"
    with pytest.raises(KeyError, match=r"the model output has no 'y' \(it has \['z'\]\)"):
        run(build(data))
