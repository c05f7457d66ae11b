"""``${...}`` interpolation and top-level variables: resolved values, located errors, both ends of a reference."""

from __future__ import annotations

from pathlib import Path

import pytest

import noether
from noether.core.config.compose import load_document

CONFIG = """\
lr: 0.002
hidden: 16
optim: &optim
  kind: torch.optim.AdamW
  lr: ${lr}
output_path: {out}
run_id: mlp-${hidden}-${seed}
seed: 3
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
  hidden_dim: ${hidden}
  optimizer_config: ${optim}
trainer:
  kind: SupervisedTrainer
  max_epochs: 2
  effective_batch_size: 16
  forward_properties: [x]
  target_properties: [y]
  callbacks:
    - name: CheckpointCallback
      every_n_epochs: ${trainer.max_epochs}
"""


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # locations are shown relative to the working directory


def write(tmp_path: Path, text: str, name: str = "cfg.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text.replace("{out}", str(tmp_path / "out")), encoding="utf-8")
    return path


def test_whole_values_sections_and_strings_are_resolved(tmp_path: Path) -> None:
    cfg = noether.load_config(write(tmp_path, CONFIG))
    assert cfg.model.optimizer_config.lr == 0.002
    assert cfg.model.hidden_dim == 16
    assert cfg.run_id == "mlp-16-3"
    assert cfg.trainer.callbacks[0].every_n_epochs == 2
    # variables (lr, hidden, optim) are dropped from the structured config
    assert "lr" not in noether.unstructure(cfg) and "optim" not in noether.unstructure(cfg)


def test_references_are_resolved_after_overrides(tmp_path: Path) -> None:
    cfg = noether.load_config(write(tmp_path, CONFIG), ["lr=0.1", "trainer.max_epochs=7"])
    assert cfg.model.optimizer_config.lr == 0.1
    assert cfg.trainer.callbacks[0].every_n_epochs == 7


def test_references_through_base_files(tmp_path: Path) -> None:
    write(tmp_path, "dims: {d: 5}\nx: ${dims.d}\n", "base.yaml")
    write(tmp_path, "base: base.yaml\ny: ${x}\nz: ${.y}\n", "main.yaml")
    doc = load_document(tmp_path / "main.yaml")
    assert doc.data == {"dims": {"d": 5}, "x": 5, "y": 5, "z": 5}
    assert doc.referenced == {"dims", "x", "y"}


def test_relative_references_and_escapes(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "a:\n  name: n\n  b:\n    c: ${..name}\n    d: '\\${literal}'\n"
                                        "    e: ${.c}-x\n"))
    assert doc.data == {"a": {"name": "n", "b": {"c": "n", "d": "${literal}", "e": "n-x"}}}


def test_scalars_render_as_yaml_inside_strings(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "t: true\nn: null\nf: 0.5\ns: ${t}/${n}/${f}\n"))
    assert doc.data["s"] == "true/null/0.5"


def test_a_type_error_reached_through_a_reference_points_at_both_ends(tmp_path: Path) -> None:
    path = write(tmp_path, CONFIG.replace("hidden: 16", "hidden: sixteen"))
    with pytest.raises(noether.ConfigError) as info:
        noether.load_config(path)
    located = {issue.dotted_path: issue.location or "" for issue in info.value.issues}
    where = located["model.hidden_dim"]
    assert where.startswith("cfg.yaml:2:9") or "cfg.yaml:2:9" in where
    assert "through ${hidden} at" in where and "cfg.yaml:19:15" in where


def test_an_error_inside_an_interpolated_section_points_at_the_text_that_wrote_it(tmp_path: Path) -> None:
    path = write(tmp_path, CONFIG.replace("  lr: ${lr}", "  lr: -1"))
    with pytest.raises(noether.ConfigError) as info:
        noether.load_config(path)
    located = {issue.dotted_path: issue.location or "" for issue in info.value.issues}
    assert located["model.optimizer_config.lr"].startswith("cfg.yaml:5:7 (through ${optim} at cfg.yaml:20:21)")


def test_missing_target_has_both_locations_and_a_close_match(tmp_path: Path) -> None:
    path = write(tmp_path, CONFIG.replace("hidden_dim: ${hidden}", "hidden_dim: ${hiden}")
                 .replace("every_n_epochs: ${trainer.max_epochs}", "every_n_epochs: ${trainer.max_epoch}"))
    with pytest.raises(noether.ConfigError) as info:
        noether.load_config(path)
    issues = {issue.dotted_path: issue for issue in info.value.issues}
    assert len(issues) == 2
    hidden = issues["model.hidden_dim"]
    assert "the config root has no key 'hiden'; did you mean 'hidden'?" in hidden.message
    assert hidden.location == "cfg.yaml:19:15"
    epochs = issues["trainer.callbacks[0].every_n_epochs"]
    assert "trainer has no key 'max_epoch'; did you mean 'max_epochs'?" in epochs.message
    assert "(cfg.yaml:22:3)" in epochs.message  # where the section that lacks the key is


def test_cycles_are_reported_with_every_link(tmp_path: Path) -> None:
    doc_path = write(tmp_path, "a: ${b}\nb: ${c.x}\nc:\n  x: ${a}\n")
    with pytest.raises(noether.ConfigError) as info:
        load_document(doc_path)
    message = info.value.issues[0].message
    assert "circular interpolation" in message
    assert "a = ${b} (cfg.yaml:1:4)" in message and "c.x = ${a} (cfg.yaml:4:6)" in message


def test_a_section_that_refers_to_itself_is_a_cycle(tmp_path: Path) -> None:
    with pytest.raises(noether.ConfigError, match="circular"):
        load_document(write(tmp_path, "m:\n  name: x\n  copy: ${m}\n"))


def test_a_section_inside_a_string_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(noether.ConfigError, match="must name a single value") as info:
        load_document(write(tmp_path, "m: {a: 1}\ns: x-${m}\n"))
    assert "cfg.yaml:1:4" in info.value.issues[0].message


def test_resolvers_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(noether.ConfigError, match="resolvers"):
        load_document(write(tmp_path, "home: ${oc.env:HOME}\n"))


def test_an_unreferenced_unknown_top_level_key_is_still_an_error(tmp_path: Path) -> None:
    with pytest.raises(noether.ConfigError) as info:
        noether.load_config(write(tmp_path, CONFIG + "lr_unused: 1\n"))
    assert [issue.dotted_path for issue in info.value.issues] == ["lr_unused"]


def test_an_override_can_use_a_reference(tmp_path: Path) -> None:
    cfg = noether.load_config(write(tmp_path, CONFIG), ["trainer.max_epochs=${hidden}"])
    assert cfg.trainer.max_epochs == 16


def test_resolved_config_holds_no_references(tmp_path: Path) -> None:
    from noether.core.config.dump import dump_yaml

    text = dump_yaml(noether.unstructure(noether.load_config(write(tmp_path, CONFIG))))
    assert "${" not in text and "mlp-16-3" in text


def test_unresolvable_references_are_reported_with_the_other_problems(tmp_path: Path) -> None:
    path = write(tmp_path, CONFIG.replace("hidden_dim: ${hidden}", "hidden_dim: ${hiden}")
                 .replace("input_dim: 3", "input_dim: three"))
    with pytest.raises(noether.ConfigError) as info:
        noether.load_config(path)
    paths = [issue.dotted_path for issue in info.value.issues]
    assert paths == ["model.hidden_dim", "model.input_dim"]  # the reference once, not again as "not a number"
    assert "did you mean 'hidden'" in info.value.issues[0].message


def test_reference_copies_are_bounded_and_fast(tmp_path: Path) -> None:
    import time

    many = "a: [1, 2, 3]\nb:\n" + "  - ${a}\n" * 20_000
    start = time.monotonic()
    assert len(load_document(write(tmp_path, many)).data["b"]) == 20_000
    # inside a flow list a reference must be quoted: '{' would start a flow mapping
    doubling = "l0: [1, 2]\n" + "".join(f'l{i}: ["${{l{i - 1}}}", "${{l{i - 1}}}"]\n' for i in range(1, 30))
    with pytest.raises(noether.ConfigError, match="references copy more than"):
        load_document(write(tmp_path, doubling, "doubling.yaml"))
    assert time.monotonic() - start < 20


def test_a_cycle_is_reported_once_and_dependants_name_the_cause(tmp_path: Path) -> None:
    with pytest.raises(noether.ConfigError) as info:
        load_document(write(tmp_path, "a: ${b}\nb: ${a}\nc: ${a}\nd: ${nope}\ne: x-${d}\n"))
    messages = {issue.dotted_path: issue.message for issue in info.value.issues}
    assert list(messages) == ["a", "d", "c", "e"]
    assert messages["c"].startswith("${a} cannot be resolved: it refers to a value that cannot be resolved")
    assert "no key 'nope'" in messages["d"]
