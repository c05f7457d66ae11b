"""Upstream's Hydra layout composed by noether's loader: defaults lists, groups, packages, experiments."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import noether
from noether.core.config.compose import load_document

LAYOUT = Path(__file__).parent / "upstream_layout"


@pytest.fixture
def layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "configs"
    shutil.copytree(LAYOUT, target)
    monkeypatch.chdir(tmp_path)
    return target


def test_the_primary_config_composes_its_groups(layout: Path) -> None:
    cfg = noether.load_config(layout / "train.yaml")
    assert cfg.model.name == "airfoil_mlp" and cfg.model.hidden_dim == 32
    assert cfg.model.optimizer_config.kind == "torch.optim.AdamW"
    assert cfg.datasets["train"].root == "data/airfoil"
    assert [c.every_n_epochs for c in cfg.trainer.callbacks] == [2, 2]
    data = noether.unstructure(cfg)
    assert not {"hidden", "optimizer", "callbacks", "defaults"} & set(data)


def test_an_experiment_overrides_groups_and_values(layout: Path) -> None:
    cfg = noether.load_config(layout / "train.yaml", ["experiment=wide"])
    assert cfg.model.name == "airfoil_wide" and cfg.model.hidden_dim == 48
    assert cfg.model.optimizer_config.kind == "torch.optim.SGD"
    assert cfg.trainer.max_epochs == 1
    assert [c.every_n_epochs for c in cfg.trainer.callbacks] == [1, 1]


def test_group_selection_and_value_overrides_on_the_command_line(layout: Path) -> None:
    cfg = noether.load_config(layout / "train.yaml", ["optimizer=sgd", "model=wide", "hidden=8",
                                                      "trainer.max_epochs=3"])
    assert cfg.model.optimizer_config.kind == "torch.optim.SGD"
    assert cfg.model.name == "airfoil_wide" and cfg.model.hidden_dim == 8
    assert cfg.trainer.callbacks[0].every_n_epochs == 3


def test_values_keep_the_location_of_their_group_file(layout: Path) -> None:
    doc = load_document(layout / "train.yaml")
    assert doc.locations[("trainer", "effective_batch_size")].endswith("trainer/supervised.yaml:3:23")
    (layout / "trainer" / "supervised.yaml").write_text(
        (layout / "trainer" / "supervised.yaml").read_text().replace("effective_batch_size: 32",
                                                                     "effective_batch_size: many"))
    with pytest.raises(noether.ConfigError) as info:
        noether.load_config(layout / "train.yaml")
    located = {issue.dotted_path: issue.location or "" for issue in info.value.issues}
    assert located["trainer.effective_batch_size"].endswith("trainer/supervised.yaml:3:23")


def test_an_unknown_option_lists_the_options_at_the_entry(layout: Path) -> None:
    (layout / "train.yaml").write_text((layout / "train.yaml").read_text().replace("model: mlp", "model: mpl"))
    with pytest.raises(noether.ConfigError) as info:
        noether.load_config(layout / "train.yaml")
    issue, = info.value.issues
    assert "group 'model' has no option 'mpl'" in issue.message and "options: mlp, wide" in issue.message
    assert (issue.location or "").endswith("train.yaml:4:5")


def test_malformed_entries_are_located(layout: Path) -> None:
    (layout / "train.yaml").write_text("defaults:\n  - model: [a, b]\n  - 5\n  - bogus flag: x\n")
    with pytest.raises(noether.ConfigError) as info:
        load_document(layout / "train.yaml")
    assert [(issue.location or "").rsplit(":", 2)[-2] for issue in info.value.issues] == ["2", "3", "4"]


def test_package_entry_and_plain_config_entries(layout: Path) -> None:
    (layout / "shared.yaml").write_text("seed: 7\n")
    (layout / "main.yaml").write_text("defaults:\n  - shared\n  - optimizer@backup: sgd\n  - _self_\nname: x\n")
    doc = load_document(layout / "main.yaml")
    assert doc.data == {"seed": 7, "backup": {"optimizer": {"kind": "torch.optim.SGD", "lr": 0.01}}, "name": "x"}


def test_the_layout_checks_and_runs_from_the_cli(layout: Path, tmp_path: Path) -> None:
    run = [sys.executable, "-m", "noether"]
    checked = subprocess.run([*run, "check", str(layout / "train.yaml"), "experiment=wide", "--quiet"],
                             capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert checked.returncode == 0, checked.stderr
    done = subprocess.run([*run, "run", str(layout / "train.yaml"), "experiment=wide", "trainer.max_epochs=1",
                           f"output_path={tmp_path / 'out'}", "run_id=layout"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    resolved = (tmp_path / "out" / "layout" / "hp_resolved.yaml").read_text()
    assert "${" not in resolved and "airfoil_wide" in resolved and "\nhidden:" not in resolved
