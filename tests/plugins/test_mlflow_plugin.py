"""The MLflow tracker plugin end to end, as a user meets it: a fresh virtual environment, ``pip install`` of
Noether and of ``plugins/noether-mlflow`` (not editable), a run that fills an MLflow file store, then
``pip uninstall`` and the same config rejected with the package to install.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "plugins" / "noether-mlflow"
KIND = "noether_mlflow.MLflowTracker"

CONFIG = """\
output_path: {out}
store_code_in_output: false
datasets:
  train: {{kind: toy_data.ToyDataset, size: 64}}
  val: {{kind: toy_data.ToyDataset, size: 32, seed: 1}}
model:
  kind: noether.core.models.MLP
  name: mlp
  input_dim: 3
  output_dim: 1
  hidden_dim: 16
  optimizer_config: {{kind: torch.optim.AdamW, lr: 0.01}}
trainer:
  kind: SupervisedTrainer
  max_epochs: 2
  effective_batch_size: 16
  forward_properties: [x]
  target_properties: [y]
  callbacks:
    - {{name: OfflineLossCallback, dataset_key: val, every_n_epochs: 1}}
tracker:
  kind: {kind}
  experiment_name: plugin-test
"""

# Run with the fresh environment's Python: everything the MLflow store holds for the one run.
READ_STORE = """
import json, sys
from mlflow.tracking import MlflowClient
client = MlflowClient(tracking_uri=sys.argv[1])
experiment = client.get_experiment_by_name("plugin-test")
runs = client.search_runs([experiment.experiment_id])
run = runs[0]
print(json.dumps({
    "count": len(runs),
    "status": run.info.status,
    "tags": dict(run.data.tags),
    "params": dict(run.data.params),
    "metrics": sorted(run.data.metrics),
    "history": {key: [[m.step, m.value] for m in client.get_metric_history(run.info.run_id, key)]
                for key in run.data.metrics},
}))
"""


def _copy_source(source: Path, target: Path) -> Path:
    """A copy of a package's sources (metadata files and ``src/``), so that building it leaves no build/ or
    egg-info in the repository and two builds cannot collide."""
    target.mkdir()
    for path in source.iterdir():
        if path.is_file() and (path.name == "pyproject.toml" or path.name.startswith(("README", "LICENSE"))):
            shutil.copy(path, target / path.name)
    shutil.copytree(source / "src", target / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"))
    return target


def _run(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None,
         timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=timeout)


def _ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, f"{done.args}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done


@pytest.fixture
def venv(tmp_path: Path) -> Iterator[Path]:
    """A fresh virtual environment, deleted afterwards (with torch it takes over a gigabyte)."""
    path = tmp_path / "venv"
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.slow
def test_install_run_uninstall_in_a_fresh_environment(tmp_path: Path, venv: Path) -> None:
    _ok(_run(sys.executable, "-m", "venv", venv))  # no --system-site-packages: nothing leaks in
    python = venv / "bin" / "python"
    noether = venv / "bin" / "noether"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    pip = (python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check")

    _ok(_run(*pip, _copy_source(ROOT, tmp_path / "src_noether"), env=env, timeout=1200))
    _ok(_run(*pip, _copy_source(PLUGIN, tmp_path / "src_plugin"), env=env, timeout=1200))

    # The plugin is listed with its provenance.
    listed = json.loads(_ok(_run(noether, "plugins", "--json", env=env)).stdout)
    ours = [p for p in listed["plugins"] if p["distribution"] == "noether-mlflow"]
    assert len(ours) == 1, listed
    assert ours[0]["version"] == "0.1.0" and not ours[0]["builtin"]
    assert ("tracker", KIND) in {(k["family"], k["kind"]) for k in ours[0]["kinds"]}
    assert listed["broken"] == []

    # A user's project: a config and a dataset module in the working directory.
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "tests" / "engine" / "toy.py", project / "toy_data.py")
    cfg = project / "cfg.yaml"
    cfg.write_text(CONFIG.format(out=tmp_path / "out", kind=KIND), encoding="utf-8")
    _ok(_run(noether, "check", "--quiet", cfg, cwd=project, env=env))
    _ok(_run(noether, "run", cfg, cwd=project, env=env, timeout=600))

    run_dir = next((tmp_path / "out").iterdir())
    store = run_dir / "mlruns"
    assert store.is_dir()
    read_env = {**env, "MLFLOW_ALLOW_FILE_STORE": "true"}
    stored = json.loads(_ok(_run(python, "-c", READ_STORE, store.as_uri(), env=read_env)).stdout)
    assert stored["count"] == 1 and stored["status"] == "FINISHED"
    assert stored["tags"]["noether.run_id"] == run_dir.name
    assert stored["params"]["trainer.max_epochs"] == "2"
    assert stored["params"]["trainer.callbacks.0.name"] == "OfflineLossCallback"

    lines = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line]
    val = [(line["update"], line["loss/val/total"]) for line in lines if "loss/val/total" in line]
    assert len(val) == 2
    history = stored["history"]["loss/val/total"]
    assert [step for step, _ in history] == [update for update, _ in val]  # step = update number
    assert [value for _, value in history] == pytest.approx([value for _, value in val])
    summary = json.loads((run_dir / "summary.json").read_text())
    best = stored["history"]["summary/loss.val.total.min"]
    assert best[0][1] == pytest.approx(summary["loss/val/total/min"])

    # Uninstalled: the same config is rejected, naming the kind and the package that provides it.
    _ok(_run(python, "-m", "pip", "uninstall", "-y", "--quiet", "noether-mlflow", env=env))
    for command in ("check", "run"):
        failed = _run(noether, command, cfg, cwd=project, env=env)
        assert failed.returncode == 2, (command, failed.stdout[-2000:], failed.stderr[-2000:])
        assert "Traceback" not in failed.stderr
        assert KIND in failed.stderr and "pip install noether-mlflow" in failed.stderr
