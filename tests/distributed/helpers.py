"""Configs, test callbacks and launchers for multi-process tests (named by class path in configs)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import torch

from noether.core.callbacks.base import PeriodicCallback
from noether.core.callbacks.data_iterator import PeriodicDataIteratorCallback
from noether.core.schemas.callbacks import CallBackBaseConfig, PeriodicDataIteratorCallbackConfig

REPO = Path(__file__).resolve().parents[2]


@attrs.frozen(kw_only=True)
class SendSignalConfig(CallBackBaseConfig):
    """Send ``signal_name`` after update ``at_update`` from process ``rank``.

    ``target``: ``self``, ``parent``, or ``slurm-batch`` (the batch script of this SLURM job, through
    ``scancel --batch``: what ``sbatch --signal=B:USR1@<grace>`` does before the time limit).
    """

    name: str = "tests.distributed.helpers.SendSignal"  # type: ignore[assignment]
    at_update: int | None = None
    signal_name: str = "SIGTERM"
    rank: int = 0
    target: str = "self"


class SendSignal(PeriodicCallback):
    """Delivers a signal at an exact update, so that interrupted runs are reproducible."""

    config_class = SendSignalConfig

    def periodic_callback(self, interval_type: str, counter: Any) -> None:
        """Signal once, at ``at_update`` on ``rank``."""
        c = self.config
        if c.at_update is None or counter.update != c.at_update or self.ctx.rank != c.rank:
            return
        if c.target == "slurm-batch":
            job = os.environ["SLURM_JOB_ID"]
            subprocess.run(["scancel", "--batch", f"--signal={c.signal_name.removeprefix('SIG')}", job],
                           check=True, timeout=30)
            return
        os.kill(os.getpid() if c.target == "self" else os.getppid(), getattr(signal, c.signal_name))


@attrs.frozen(kw_only=True)
class RecordSamplesConfig(PeriodicDataIteratorCallbackConfig):
    """Log what an evaluation saw of ``dataset_key``."""

    name: str = "tests.distributed.helpers.RecordSamples"  # type: ignore[assignment]


class RecordSamples(PeriodicDataIteratorCallback):
    """Logs the number of evaluated samples and order-sensitive checksums of their targets.

    A padded or duplicated sample changes ``eval/<key>/count``; a wrong order changes ``eval/<key>/weighted``.
    """

    config_class = RecordSamplesConfig

    def process_data(self, batch: dict[str, Any], model: torch.nn.Module) -> dict[str, torch.Tensor]:
        """The targets of each sample."""
        return {"y": batch["y"].reshape(-1).double()}

    def process_results(self, results: dict[str, torch.Tensor], interval_type: str, counter: Any) -> None:
        """Count, sum and position-weighted sum."""
        y = results["y"]
        key = self.dataset_key
        self.log_writer.add_scalar(f"eval/{key}/count", int(y.numel()))
        self.log_writer.add_scalar(f"eval/{key}/sum", float(y.sum()))
        self.log_writer.add_scalar(f"eval/{key}/weighted", float((y * torch.arange(1, len(y) + 1)).sum()))


def config(
    output: Path,
    *,
    epochs: int = 3,
    max_batch_size: int | None = None,
    dropout: float = 0.0,
    signal_at: int | None = None,
    signal_rank: int = 0,
    signal_name: str = "SIGTERM",
    signal_target: str = "self",
    val_size: int = 32,
    keep_last: int | None = None,
) -> dict[str, Any]:
    """A small but complete run: shuffled data, an lr schedule, EMA, evaluation, periodic checkpoints."""
    callbacks: list[dict[str, Any]] = [
        {"name": "CheckpointCallback", "every_n_epochs": 1, "save_optim": True,
         **({"keep_last": keep_last} if keep_last else {})},
        {"name": "OfflineLossCallback", "dataset_key": "val", "every_n_epochs": 1},
        {"name": "tests.distributed.helpers.RecordSamples", "dataset_key": "val", "every_n_updates": 5,
         "batch_size": 4},
        {"name": "EmaCallback", "every_n_epochs": 2, "target_factors": [0.9]},
        {"name": "tests.distributed.helpers.SendSignal", "every_n_updates": 1, "at_update": signal_at,
         "rank": signal_rank, "signal_name": signal_name, "target": signal_target},
    ]
    trainer: dict[str, Any] = {
        "kind": "SupervisedTrainer", "max_epochs": epochs, "effective_batch_size": 16,
        "forward_properties": ["x"], "target_properties": ["y"],
        # Logging every 3 updates leaves running online-loss sums inside checkpoints written between firings.
        "log_every_n_updates": 3, "track_every_n_updates": 2,
        "callbacks": callbacks,
    }
    if max_batch_size is not None:
        trainer["max_batch_size"] = max_batch_size
        trainer["disable_gradient_accumulation"] = False
    return {
        "output_path": str(output),
        "store_code_in_output": False,
        "accelerator": "cpu",
        "seed": 5,
        "datasets": {
            "train": {"kind": "tests.engine.toy.ToyDataset", "size": 64},
            "val": {"kind": "tests.engine.toy.ToyDataset", "size": val_size, "seed": 1},
        },
        "model": {
            "kind": "noether.core.models.MLP", "name": "mlp", "input_dim": 3, "output_dim": 1,
            "hidden_dim": 16, "dropout": dropout,
            "optimizer_config": {
                "kind": "torch.optim.AdamW", "lr": 0.01,
                "schedule_config": {"kind": "noether.core.schedules.LinearWarmupCosineDecaySchedule",
                                    "warmup_percent": 0.2},
            },
        },
        "trainer": trainer,
    }


def write_config(path: Path, data: dict[str, Any]) -> Path:
    """Write ``data`` as a config file (JSON is YAML)."""
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return path


def child_env() -> dict[str, str]:
    """The environment for child processes: no inherited launcher variables, the repo importable."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLURM_", "TORCHELASTIC_")) and k not in
           ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT", "LOCAL_WORLD_SIZE")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def torchrun(cfg: Path, *overrides: str, nproc: int = 2,
             timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``torchrun --nproc_per_node=<nproc> -m noether run cfg overrides...`` on CPU (gloo)."""
    from noether.training.distributed import free_port

    cmd = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={nproc}", "--nnodes=1",
           f"--master_port={free_port()}", "-m", "noether", "run", str(cfg), *overrides]
    return subprocess.run(cmd, cwd=REPO, env=child_env(), capture_output=True, text=True, timeout=timeout)


def single(cfg: Path, *overrides: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``noether run cfg overrides...`` in one process."""
    cmd = [sys.executable, "-m", "noether", "run", str(cfg), *overrides]
    return subprocess.run(cmd, cwd=REPO, env=child_env(), capture_output=True, text=True, timeout=timeout)


def run_dirs(output: Path) -> list[Path]:
    """The run directories under ``output`` (anything but the slurm folder)."""
    return sorted(p for p in output.iterdir() if p.is_dir() and p.name != "slurm")


def metrics(run_dir: Path) -> list[dict[str, Any]]:
    """The lines of ``metrics.jsonl``."""
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]


def load(path: Path) -> Any:
    """A checkpoint file (never executes code)."""
    return torch.load(path, map_location="cpu", weights_only=True)


def weights(run_dir: Path, tag: str = "last") -> dict[str, torch.Tensor]:
    """The model weights of checkpoint ``tag``."""
    state: dict[str, torch.Tensor] = load(run_dir / "checkpoints" / f"mlp_cp={tag}_model.th")["state_dict"]
    return state


def optim_state(run_dir: Path, tag: str = "last") -> Any:
    """The optimizer file of checkpoint ``tag``."""
    return load(run_dir / "checkpoints" / f"mlp_cp={tag}_optim.th")


def assert_nested_equal(a: Any, b: Any, path: str = "") -> None:
    """Tensors ``torch.equal``, everything else ``==``, recursively."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and torch.equal(a, b), f"tensors differ at {path}"
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), f"keys differ at {path}: {a.keys()}, {b.keys()}"
        for key in a:
            assert_nested_equal(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list | tuple):
        assert isinstance(b, list | tuple) and len(a) == len(b), f"lengths differ at {path}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_nested_equal(x, y, f"{path}[{i}]")
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"
