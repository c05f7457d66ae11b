"""``noether sweep`` and ``noether compare``: the points, the sweep directory, local runs, the SLURM array."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from noether.sweep.compare import build_table, render_table
from noether.sweep.index import SweepIndex, SweepIndexError
from noether.sweep.space import SpaceError, grid, parse_word, random_points, split_words

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "airfoil.yaml"
GRID = ["model.optimizer_config.lr=0.001,0.003", "model.depth=2,3", "trainer.max_epochs=2"]

TOY = """\
output_path: {out}
store_code_in_output: false
tracker: disabled
datasets:
  train: {{kind: tests.engine.toy.ToyDataset, size: 16}}
model:
  kind: noether.core.models.MLP
  name: mlp
  input_dim: 3
  output_dim: 1
  optimizer_config: {{kind: torch.optim.SGD, lr: 0.01}}
trainer:
  kind: SupervisedTrainer
  max_epochs: 1
  effective_batch_size: 8
  forward_properties: [x]
  target_properties: [y]
  callbacks: []
"""


def noether(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "noether", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


# --- the search space -------------------------------------------------------------------------------------------
def test_grid_is_every_combination_last_axis_fastest() -> None:
    fixed, axes = split_words(["a=1,2", "b=range(0,3)", "c=[1, 2]", "d=x", "e=choice(p,q)"])
    assert fixed == ["c=[1, 2]", "d=x"]
    points = grid(axes)
    assert len(points) == 2 * 3 * 2
    assert points[0].overrides == ["a=1", "b=0", "e=p"] and points[1].overrides == ["a=1", "b=0", "e=q"]
    assert points[-1].overrides == ["a=2", "b=2", "e=q"] and points[-1].run_id == "p011"


def test_random_search_is_seeded() -> None:
    _, axes = split_words(["lr=loguniform(1e-4,1e-2)", "depth=randint(2,4)", "act=relu,gelu"])
    first, again, other = (random_points(axes, 5, seed) for seed in (1, 1, 2))
    assert first == again and first != other
    for point in first:
        values = dict(point.assignments)
        assert 1e-4 <= float(values["lr"]) <= 1e-2 and values["depth"] in {"2", "3", "4"}
        assert values["act"] in {"relu", "gelu"}


@pytest.mark.parametrize(
    ("word", "expected"),
    [("a=range(0.5,2)", "integers"), ("a=range(3,3)", "empty"), ("a=uniform(2,1)", "low < high"),
     ("a=loguniform(0,1)", "low > 0"), ("a=1,,2", "empty value"), ("a=randint(1.5,3)", "integers")],
)
def test_bad_sweep_words_are_explained(word: str, expected: str) -> None:
    with pytest.raises(SpaceError, match=expected):
        parse_word(word)


def test_distributions_need_a_random_search() -> None:
    with pytest.raises(SpaceError, match="--random"):
        grid(split_words(["a=uniform(0,1)"])[1])


# --- the CLI without running ------------------------------------------------------------------------------------
def test_dry_run_lists_the_grid_and_writes_nothing(tmp_path: Path) -> None:
    done = noether("sweep", str(EXAMPLE), *GRID, f"output_path={tmp_path}", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("(to run)") == 4
    assert "model.optimizer_config.lr=0.003 model.depth=3" in done.stdout
    assert not (tmp_path / "sweeps").exists()


def test_dry_run_names_what_every_point_gets(tmp_path: Path) -> None:
    done = noether("sweep", str(EXAMPLE), *GRID, "trainer.max_epochs=3", f"output_path={tmp_path}", "--dry-run")
    assert done.returncode == 0, done.stderr
    [line] = [line for line in done.stdout.splitlines() if line.startswith("  every point:")]
    assert "trainer.max_epochs=3" in line and f"output_path={tmp_path}" in line
    assert all("max_epochs" not in line for line in done.stdout.splitlines() if "(to run)" in line)


def test_dry_run_slurm_renders_one_array_job(tmp_path: Path) -> None:
    done = noether("sweep", str(EXAMPLE), *GRID, f"output_path={tmp_path}", "slurm={time: '1:00:00'}",
                   "--dry-run", "--slurm", "--max-parallel", "2")
    assert done.returncode == 0, done.stderr
    script = done.stdout
    assert script.count("#SBATCH --array=") == 1 and "#SBATCH --array=0,1,2,3%2" in script
    assert "    3) run_id=p003; point=(model.optimizer_config.lr=0.003 model.depth=3) ;;" in script
    assert 'args+=("resume_run_id=\\"$run_id\\"" resume_checkpoint=latest' in script  # resume on requeue
    assert "/done/\"$run_id\"" in script
    bash = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
    assert bash.returncode == 0, bash.stderr


def test_an_invalid_point_stops_the_sweep_before_anything_runs(tmp_path: Path) -> None:
    done = noether("sweep", str(EXAMPLE), "model.depth=2,zero", f"output_path={tmp_path}")
    assert done.returncode == 2
    assert "point p001 (model.depth=zero)" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "sweeps").exists()


def test_nothing_varies_is_an_error(tmp_path: Path) -> None:
    done = noether("sweep", str(EXAMPLE), "seed=1", f"output_path={tmp_path}", "--dry-run")
    assert done.returncode == 2 and "nothing varies" in done.stderr


# --- local runs -------------------------------------------------------------------------------------------------
def test_points_run_one_after_another_a_failure_does_not_stop_the_others_and_a_rerun_skips(tmp_path: Path) -> None:
    config = tmp_path / "toy.yaml"
    config.write_text(TOY.format(out=tmp_path / "out"))
    # dim=4 validates but cannot run (the model takes 3 inputs): that point fails at run time.
    words = [str(config), "datasets.train.dim=4,3", "--sweep-dir", str(tmp_path / "sweep")]
    first = noether("sweep", *words)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "p000 datasets.train.dim=4: failed" in first.stdout and "p001 datasets.train.dim=3: done" in first.stdout
    index = json.loads((tmp_path / "sweep" / "sweep.json").read_text())
    assert [p["status"] for p in index["points"]] == ["failed", "done"]
    assert (tmp_path / "sweep" / "p001" / "hp_resolved.yaml").exists()
    assert (tmp_path / "sweep" / "logs" / "p000.log").read_text()

    again = noether("sweep", *words)
    assert again.returncode == 1
    assert "p001 datasets.train.dim=3: finished before, skipped" in again.stdout
    assert "p000 datasets.train.dim=4: failed" in again.stdout

    table = noether("compare", str(tmp_path / "sweep"), "--metric", "loss/online/total/U1/last")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:3] == ["run", "status", "overrides"]
    assert lines[1].startswith("p001  done") and lines[2].startswith("p000  failed")

    picture = noether("plot", str(tmp_path / "sweep"), "--out", str(tmp_path / "sweep.png"))
    assert picture.returncode == 0, picture.stderr  # a sweep directory stands for its points' run directories
    assert (tmp_path / "sweep.png").stat().st_size > 0


def test_another_sweep_in_the_same_directory_is_refused(tmp_path: Path) -> None:
    from noether.sweep.space import Point

    SweepIndex.create(tmp_path, "a.yaml", [], "grid", None, [Point(0, (("x", "1"),))]).save()
    with pytest.raises(SweepIndexError, match="another sweep"):
        SweepIndex.create(tmp_path, "a.yaml", [], "grid", None, [Point(0, (("x", "2"),))])


# --- compare ----------------------------------------------------------------------------------------------------
def test_compare_orders_best_first_by_the_metric_direction(tmp_path: Path) -> None:
    from noether.sweep.space import Point

    points = [Point(i, (("lr", str(lr)),)) for i, lr in enumerate([0.1, 0.2, 0.3])]
    index = SweepIndex.create(tmp_path, "a.yaml", [], "grid", None, points)
    index.save()
    for point, loss, acc in zip(index.points, [0.5, 0.2, None], [0.7, 0.9, 0.95], strict=True):
        (tmp_path / point.run_id).mkdir()
        summary = {"accuracy/test/last": acc, "loss/online/total/last": 1.0, "epoch/last": 3}
        if loss is not None:
            summary["loss/test/total/last"] = loss
            summary["loss/test/total/min"] = loss / 2
        (tmp_path / point.run_id / "summary.json").write_text(json.dumps(summary))
        index.mark_done(point)
    metrics, rows = build_table(tmp_path)
    assert metrics == ["loss/test/total", "accuracy/test"]  # no online loss, no counters
    assert [r.run_id for r in rows] == ["p001", "p000", "p002"]  # lower loss first, missing last
    _, rows = build_table(tmp_path, ["accuracy/test"])
    assert [r.run_id for r in rows] == ["p002", "p001", "p000"]  # higher accuracy first
    _, rows = build_table(tmp_path, ["loss/test/total/min"])
    assert rows[0].values == (0.1,)
    text = render_table(*build_table(tmp_path))
    assert text.splitlines()[1].split()[:3] == ["p001", "done", "lr=0.2"]
    assert " - " in text.splitlines()[3] + " "  # the missing value


def test_compare_of_a_directory_without_index_exits_2(tmp_path: Path) -> None:
    done = noether("compare", str(tmp_path))
    assert done.returncode == 2 and "not a sweep directory" in done.stderr
