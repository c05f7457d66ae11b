"""The README's example trains a real surrogate: 10x better than predicting the training mean."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


def mean_baseline(data_root: Path) -> float:
    """Test-split relative L2 error of predicting the per-point training mean of the surface pressure."""
    import noether
    from noether.core.schemas import AnyDatasetConfig
    from noether.data.dataset import build_dataset

    def split(name: str) -> torch.Tensor:
        cfg = noether.structure({"kind": "noether.data.airfoil.AirfoilDataset", "root": str(data_root),
                                 "split": name}, AnyDatasetConfig)
        dataset = build_dataset(cfg, name=name)
        return torch.stack([dataset[i]["surface_pressure"] for i in range(len(dataset))])

    train, test = split("train"), split("test")
    mean = train.mean(dim=0, keepdim=True)
    diff = (test - mean).reshape(len(test), -1).norm(dim=1)
    return float((diff / test.reshape(len(test), -1).norm(dim=1)).mean())


@pytest.mark.slow
def test_readme_example_beats_the_mean_by_10x(tmp_path: Path) -> None:
    env = dict(os.environ)
    out = subprocess.run(
        [sys.executable, "-m", "noether", "run", str(ROOT / "examples" / "airfoil.yaml"),
         f"output_path={tmp_path / 'out'}", f"datasets.train.root={tmp_path / 'data'}",
         f"datasets.test.root={tmp_path / 'data'}"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=1800,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "rel_l2/surface_pressure/test:" in out.stdout
    run_dir = next((tmp_path / "out").iterdir())
    summary = json.loads((run_dir / "summary.json").read_text())
    error = summary["rel_l2/surface_pressure/test/last"]
    baseline = mean_baseline(tmp_path / "data")
    assert error * 10 < baseline, (error, baseline)


def test_every_example_runs_two_updates(tmp_path: Path) -> None:
    for example in sorted((ROOT / "examples").glob("*.yaml")):
        out = subprocess.run(
            [sys.executable, "-m", "noether", "run", str(example), f"output_path={tmp_path / 'out'}",
             f"datasets.train.root={tmp_path / 'data'}", f"datasets.test.root={tmp_path / 'data'}",
             "~trainer.max_epochs", "trainer.max_updates=2", "trainer.callbacks=[]"],
            capture_output=True, text=True, cwd=tmp_path, timeout=600,
        )
        assert out.returncode == 0, (example.name, out.stderr[-2000:])
