"""YAML loading: composition of several files, dotted overrides, locations of every error, safety."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import noether
from noether.core.config.compose import parse_override_path

BASE = """\
output_path: {out}
store_code_in_output: false
datasets:
  train:
    kind: tests.engine.toy.ToyDataset
    size: 64
model:
  kind: noether.core.models.MLP
  name: mlp
  input_dim: 3
  output_dim: 1
  optimizer_config:
    kind: torch.optim.AdamW
    lr: 0.001
"""

MAIN = """\
base: base.yaml
trainer:
  kind: SupervisedTrainer
  max_epochs: 3
  effective_batch_size: 16
  forward_properties: [x]
  target_properties: [y]
  callbacks:
    - name: CheckpointCallback
      every_n_epochs: 1
    - name: EmaCallback
      every_n_updates: 2
      target_factors: [0.9]
"""


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "base.yaml").write_text(BASE.format(out=tmp_path / "out"))
    (tmp_path / "main.yaml").write_text(MAIN)
    return tmp_path


def test_composed_config_loads_and_round_trips(files: Path) -> None:
    cfg = noether.load_config(files / "main.yaml")
    assert cfg.model.optimizer_config.lr == 0.001
    assert cfg.trainer.callbacks[1].target_factors == [0.9]
    data = noether.unstructure(cfg)
    assert noether.structure(data) == cfg
    assert data["trainer"]["callbacks"][0]["save_latest_weights"] is True  # defaults filled in


def test_overrides_set_nested_and_indexed_values(files: Path) -> None:
    cfg = noether.load_config(
        files / "main.yaml",
        ["trainer.max_epochs=5", "trainer.callbacks[0].every_n_epochs=2", "model.optimizer_config.lr=1e-2",
         "name=exp", "trainer.callbacks[1].target_factors=[0.5, 0.99]"],
    )
    assert cfg.trainer.max_epochs == 5
    assert cfg.trainer.callbacks[0].every_n_epochs == 2
    assert cfg.model.optimizer_config.lr == 0.01
    assert cfg.trainer.callbacks[1].target_factors == [0.5, 0.99]
    assert cfg.name == "exp"


def test_delete_override(files: Path) -> None:
    cfg = noether.load_config(files / "main.yaml", ["~trainer.max_epochs", "trainer.max_updates=4"])
    assert cfg.trainer.max_epochs is None and cfg.trainer.max_updates == 4


def test_mistakes_in_two_files_and_an_override_are_all_located(files: Path) -> None:
    (files / "base.yaml").write_text(BASE.format(out=files / "out").replace("input_dim: 3", "input_dim: 3.5"))
    (files / "main.yaml").write_text(MAIN.replace("every_n_epochs: 1", "every_n_epochs: 0"))
    with pytest.raises(noether.ConfigError) as info:
        noether.load_config(files / "main.yaml", ["trainer.effective_batch_size=abc"])
    located = {i.dotted_path: i.location for i in info.value.issues}
    assert located["model.input_dim"].endswith("base.yaml:10:14")
    assert located["trainer.callbacks[0].every_n_epochs"].endswith("main.yaml:10:23")
    assert located["trainer.effective_batch_size"] == "override 'trainer.effective_batch_size=abc' (command line)"
    assert len(info.value.issues) == 3


def test_later_file_wins_and_lists_are_replaced(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("x: {a: 1, b: [1, 2]}\n")
    (tmp_path / "b.yaml").write_text("x: {b: [3]}\n")
    (tmp_path / "c.yaml").write_text("base: [a.yaml, b.yaml]\nx: {c: 1}\n")
    from noether.core.config.compose import load_document

    doc = load_document(tmp_path / "c.yaml")
    assert doc.data == {"x": {"a": 1, "b": [3], "c": 1}}
    assert doc.locations[("x", "b")].endswith("b.yaml:1:8")


def test_circular_base_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("base: b.yaml\n")
    (tmp_path / "b.yaml").write_text("base: a.yaml\n")
    with pytest.raises(noether.ConfigError, match="circular"):
        noether.load_config(tmp_path / "a.yaml")


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object/apply:os.system ['echo pwned']\n",
        "a: !!python/object:os.system {}\n",
        "a: !custom 3\n",
    ],
)
def test_tags_are_rejected(tmp_path: Path, text: str) -> None:
    path = tmp_path / "evil.yaml"
    path.write_text(text)
    with pytest.raises(noether.ConfigError, match="not allowed"):
        noether.load_config(path)


def test_yaml_syntax_error_is_located(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(textwrap.dedent("""\
        a: 1
        b: [1, 2
        c: 3
    """))
    with pytest.raises(noether.ConfigError) as info:
        noether.load_config(path)
    assert "bad.yaml:" in (info.value.issues[0].location or "")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(noether.ConfigError, match="cannot read"):
        noether.load_config(tmp_path / "nope.yaml")


def test_override_path_parsing() -> None:
    assert parse_override_path("trainer.callbacks[2].every_n_epochs") == ("trainer", "callbacks", 2,
                                                                         "every_n_epochs")
    with pytest.raises(ValueError):
        parse_override_path("a[x]")


def test_bad_override_syntax(files: Path) -> None:
    with pytest.raises(noether.ConfigError) as info:
        noether.load_config(files / "main.yaml", ["trainer.max_epochs", "trainer.callbacks[9].x=1"])
    messages = [i.message for i in info.value.issues]
    assert any("key.path=value" in m for m in messages)
    assert any("out of range" in m for m in messages)


def test_overrides_given_as_one_string_say_how_to_pass_them(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"overrides must be a list of strings, e.g. \['trainer.max_epochs=2'\]; "
                                        r"got the string 'trainer.max_epochs=2'"):
        noether.load_config(tmp_path / "cfg.yaml", "trainer.max_epochs=2")
