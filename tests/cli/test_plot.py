"""``noether plot``: curves of one or several runs into a PNG, without torch; clear errors for non-runs."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from noether.cli.commands.plot import metric_family, select_keys

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Runs main() in a fresh interpreter and reports whether torch got imported along the way.
PLOT_AND_CHECK_TORCH = (
    "import sys; from noether.cli.main import main; rc = main(sys.argv[1:]); "
    "print('TORCH', 'torch' in sys.modules); sys.exit(rc)"
)


def plot(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", PLOT_AND_CHECK_TORCH, "plot", *args], capture_output=True,
                          text=True, timeout=120)


def fake_run(directory: Path, run_id: str, *, scale: float = 1.0, updates: int = 40) -> Path:
    """A run directory as a training run leaves it: metrics.jsonl and hp_resolved.yaml."""
    directory.mkdir(parents=True)
    lines = []
    for update in range(1, updates + 1):
        entry: dict[str, object] = {"epoch": update // 10, "update": update, "sample": 16 * update,
                                    "loss/online/total/U1": scale * math.exp(-update / 8),
                                    "optim/lr/mlp/default": 1e-3, "train_time/update/mean/U1": 0.01}
        if update % 10 == 0:
            entry["loss/valid/total"] = scale * (0.5 + math.exp(-update / 10))
            entry["accuracy/valid"] = 1 - math.exp(-update / 10)
            entry["best_epoch"] = "E1"  # strings are not curves
        lines.append(json.dumps(entry))
    (directory / "metrics.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (directory / "hp_resolved.yaml").write_text(
        f"run_id: {run_id}\nstage_name: null\ndatasets:\n  train: {{kind: x}}\n  valid: {{kind: x}}\n",
        encoding="utf-8",
    )
    return directory


def assert_png(path: Path) -> tuple[int, int]:
    """Check the file is a decodable PNG; returns (height, width)."""
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    import matplotlib.image

    image = matplotlib.image.imread(str(path))
    assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 200
    # Not a blank canvas: curves and text make many distinct colours.
    assert len({tuple(px) for px in image.reshape(-1, image.shape[2])[::97].tolist()}) > 10
    return image.shape[0], image.shape[1]


def test_one_run_gives_a_png_without_importing_torch(tmp_path: Path) -> None:
    run = fake_run(tmp_path / "2026-01-01_aaaaa", "2026-01-01_aaaaa")
    out = tmp_path / "pictures" / "one.png"
    done = plot(str(run), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "TORCH False" in done.stdout
    assert_png(out)
    # Losses first, validation and online loss in one subplot; lr and timings (neutral) left out.
    assert "2 plots: loss/total, accuracy" in done.stdout


def test_several_runs_overlaid_and_metrics_chosen_by_pattern(tmp_path: Path) -> None:
    first = fake_run(tmp_path / "a", "2026-01-01_aaaaa")
    second = fake_run(tmp_path / "b", "2026-01-02_bbbbb", scale=2.0, updates=30)
    with (second / "metrics.jsonl").open("a") as f:
        f.write('{"epoch": 3, "update": 31, "loss/onl')  # a run killed while writing
    out = tmp_path / "two.png"
    done = plot(str(first), str(second), "--out", str(out), "--metrics", "loss/*", "optim/*")
    assert done.returncode == 0, done.stderr
    assert "not a JSON line" in done.stderr
    assert "loss/total" in done.stdout and "optim/lr/mlp/default" in done.stdout
    assert "accuracy" not in done.stdout
    assert_png(out)


def test_directory_without_metrics_is_a_clear_error(tmp_path: Path) -> None:
    fake_run(tmp_path / "output" / "2026-01-01_aaaaa", "2026-01-01_aaaaa")
    done = plot(str(tmp_path / "output"), "--out", str(tmp_path / "x.png"))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "has no metrics.jsonl" in done.stderr
    assert "2026-01-01_aaaaa" in done.stderr  # points at the run directory below
    assert not (tmp_path / "x.png").exists()

    missing = plot(str(tmp_path / "nope"))
    assert missing.returncode == 2
    assert "no such directory" in missing.stderr and "Traceback" not in missing.stderr


def test_no_matching_metric_lists_what_was_logged(tmp_path: Path) -> None:
    run = fake_run(tmp_path / "r", "2026-01-01_aaaaa")
    done = plot(str(run), "--out", str(tmp_path / "x.png"), "--metrics", "nothing*")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "loss/online/total/U1" in done.stderr


def test_families_and_default_selection() -> None:
    splits = frozenset({"online", "train", "val"})
    assert metric_family("loss/online/total/U1", splits) == "loss/total"
    assert metric_family("loss/val/total", splits) == "loss/total"
    assert metric_family("rel_l2/y/val", splits) == "rel_l2/y"
    assert metric_family("val", splits) == "val"
    keys = {"loss/val/total", "optim/lr/mlp/default", "train_time/update/mean/U1", "accuracy/val",
            "lossdiff/val/total"}
    assert select_keys(keys, None) == ["accuracy/val", "loss/val/total"]
    assert select_keys(keys, ["OPTIM/*"]) == ["optim/lr/mlp/default"]


@pytest.mark.slow
def test_plot_of_a_real_training_run(tmp_path: Path) -> None:
    import noether
    from tests.engine.helpers import build, toy_config

    data = toy_config(tmp_path, max_epochs=3)
    data["trainer"]["callbacks"] = [
        {"name": "OfflineLossCallback", "dataset_key": "val", "every_n_epochs": 1},
    ]
    result = noether.run(build(data))
    out = tmp_path / "run.png"
    done = plot(str(result.run_dir), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "loss/total" in done.stdout
    assert_png(out)
