"""``noether schedule``: table and plot, with the config loader and run length stubbed out."""

from __future__ import annotations

import argparse
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from noether.cli.commands import schedule as command
from noether.core.optimizer.curves import optimizer_curves, sample_updates
from noether.core.schemas.optimizers import OptimizerConfig, ParamGroupModifierConfig
from noether.core.schemas.schedules import (
    ConstantScheduleConfig,
    LinearIncreasingScheduleConfig,
    LinearWarmupCosineDecayScheduleConfig,
)


def optim(**kwargs: Any) -> OptimizerConfig:
    kwargs.setdefault("kind", "torch.optim.AdamW")
    return OptimizerConfig(**kwargs)


WARMUP = optim(
    lr=1e-3,
    weight_decay=0.05,
    schedule_config=LinearWarmupCosineDecayScheduleConfig(warmup_steps=4, end_value=0.0),
    param_group_modifiers_config=[ParamGroupModifierConfig(name="head.weight", scale=0.1)],
)


def model(name: str, optimizer: OptimizerConfig | None, **subs: Any) -> types.SimpleNamespace:
    return types.SimpleNamespace(name=name, optimizer_config=optimizer, models=subs or None)


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Replace load_config and run_length; tests put the model and run length into the returned dict."""
    state: dict[str, Any] = {"model": model("net", WARMUP), "length": (20, 5), "loaded": None}

    def load_config(path: str, overrides: Any = ()) -> Any:
        state["loaded"] = (path, list(overrides))
        return types.SimpleNamespace(model=state["model"])

    length = types.ModuleType("noether.training.length")
    length.run_length = lambda config: state["length"]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "noether.training.length", length)
    monkeypatch.setattr("noether.core.config.loader.load_config", load_config)
    return state


def invoke(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    command.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["schedule", *argv])
    return int(args.handler(args))


def test_table(stub: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    assert invoke("cfg.yaml", "trainer.max_epochs=4") == 0
    assert stub["loaded"] == ("cfg.yaml", ["trainer.max_epochs=4"])
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "20 updates, 5 per epoch (4 epochs)"
    assert "net: torch.optim.AdamW" in out
    assert "lr of head.weight is scaled by 0.1" in out
    rows = {int(ln.split()[0]): ln.split() for ln in lines if ln.startswith("  ") and ln.split()[0].isdigit()}
    assert sorted(rows) == [0, 4, 5, 10, 15, 19]  # first, peak, epoch starts, last
    assert rows[0][2] == "0.0002"  # 1e-3 * 1 / 5
    assert rows[4][2] == "0.001"
    assert rows[19][2] == "0"
    assert rows[19][3] == "0.05"


def test_plot(stub: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stub["model"] = model(
        "composite",
        None,
        encoder=model("encoder", WARMUP),
        decoder=model("decoder", optim(lr=0.1, weight_decay_schedule=ConstantScheduleConfig(value=0.01))),
    )
    out = tmp_path / "plots" / "lr.png"
    assert invoke("cfg.yaml", "--out", str(out)) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {out}" in capsys.readouterr().out


def test_schedule_error_is_reported_without_traceback(
    stub: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    stub["model"] = model("net", optim(schedule_config=LinearWarmupCosineDecayScheduleConfig(warmup_steps=2)))
    assert invoke("cfg.yaml") == 2
    assert "needs a peak value" in capsys.readouterr().err


def test_no_optimizer(stub: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    stub["model"] = model("net", None)
    assert invoke("cfg.yaml") == 2
    assert "no optimizer_config" in capsys.readouterr().err


def test_composite_models_are_walked() -> None:
    tree = model("root", WARMUP, a=model("a", None, b=model("b", WARMUP)))
    assert [name for name, _ in command.optimizer_configs(tree)] == ["root", "root.a.b"]


def test_curves_match_the_schedule_and_default_lr() -> None:
    curves = optimizer_curves(
        "net",
        optim(lr=0.5, schedule_config=LinearIncreasingScheduleConfig(max_value=1.0, interval="epoch")),
        6,
        3,
    )
    assert curves.lr == pytest.approx([0, 0, 0, 0.6, 0.6, 0.6])
    assert optimizer_curves("net", optim(lr=None), 3, 3).lr == [None, None, None]


def test_long_runs_are_sampled_with_epoch_starts() -> None:
    updates = sample_updates(1_000_000, 50_000, limit=1000)
    assert len(updates) < 1100
    assert {0, 49_999, 50_000, 999_999} <= set(updates)
    assert sample_updates(5, 2) == [0, 1, 2, 3, 4]
