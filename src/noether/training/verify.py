"""Bit-exact resume as a check: an uninterrupted run against an interrupted and resumed one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import torch

from noether.core.layout import RunLayout
from noether.core.schemas import CheckpointCallbackConfig, ConfigSchema
from noether.core.writers.checkpoints import file_name
from noether.training.sharded_checkpoint import dcp_directory_name, load_full_state


@attrs.define
class ResumeReport:
    """Outcome of :func:`verify_resume`."""

    updates: int
    interrupt_at: int
    compared: list[str]
    differences: list[str]
    #: Configured callbacks that never fire within the compared updates (their resume goes unchecked).
    warnings: list[str] = attrs.field(factory=list)

    @property
    def identical(self) -> bool:
        """Whether nothing differed."""
        return not self.differences

    def text(self) -> str:
        """A human-readable report."""
        head = (f"verify-resume: {self.updates} updates straight vs. interrupted after update "
                f"{self.interrupt_at} and resumed")
        head += "".join(f"\nwarning: {w}" for w in self.warnings)
        if self.identical:
            return f"{head}\nIDENTICAL: " + ", ".join(self.compared)
        return f"{head}\nDIFFERENT: first difference: {self.differences[0]}" + (
            f"\n({len(self.differences)} differences in total)" if len(self.differences) > 1 else "")


#: The ``--kill`` cut run: a child process that SIGKILLs itself right after the checkpoint of update K is on disk
#: (``CheckpointStore._write`` is wrapped in the child only; nothing else differs from a normal run).
_KILL_CHILD = """
import os, signal, sys
from noether.core.config.loader import load_config
from noether.core.writers import checkpoints
from noether.training.runner import run
k = int(sys.argv[2])
original = checkpoints.CheckpointStore._write
def write_then_die(self, tag, blobs, iteration, update_latest, extra, ephemeral):
    path = original(self, tag, blobs, iteration, update_latest, extra, ephemeral)
    if update_latest and iteration.get("update") == k:
        os.kill(os.getpid(), signal.SIGKILL)
    return path
checkpoints.CheckpointStore._write = write_then_die
run(load_config(sys.argv[1]))
"""


def _killed_cut(config: ConfigSchema, updates: int, k: int) -> str | None:
    """Run the cut in a child process SIGKILLed right after checkpoint K; a problem as text, else ``None``."""
    import subprocess
    import sys

    from noether.core.config.converter import unstructure
    from noether.core.config.dump import dump_yaml

    cut = _with_updates(config, updates, "verify-cut", checkpoint_every=k)
    path = Path(config.output_path) / "verify-cut.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_yaml(unstructure(cut)), encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", _KILL_CHILD, str(path), str(k)], capture_output=True, text=True)
    if done.returncode != -9:
        return f"the killed run was not killed after update {k} (exit status {done.returncode}): " \
               f"{done.stderr.strip()[-500:]}"
    return None


def _with_updates(config: ConfigSchema, updates: int, run_id: str, *, checkpoint_every: int | None = None,
                  **extra: Any) -> ConfigSchema:
    trainer = attrs.evolve(config.trainer, max_epochs=None, max_samples=None, max_updates=updates)
    callbacks = [c for c in trainer.callbacks or [] if not isinstance(c, CheckpointCallbackConfig)]
    callbacks.append(CheckpointCallbackConfig(every_n_updates=checkpoint_every or updates, save_optim=True,
                                              id="verify-resume"))
    trainer = attrs.evolve(trainer, callbacks=callbacks)
    return attrs.evolve(config, trainer=trainer, run_id=run_id, tracker=None, **extra)


def _compare_tensors(label: str, a: Any, b: Any, out: list[str]) -> None:
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        if a.shape != b.shape or a.dtype != b.dtype or not torch.equal(a, b):
            delta = (a.double() - b.double()).abs().max().item() if a.shape == b.shape else float("nan")
            out.append(f"{label}: tensors differ (max abs difference {delta:.3g})")
    elif isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            out.append(f"{label}: keys differ ({sorted(set(a) ^ set(b))})")
        for key in sorted(set(a) & set(b), key=str):
            _compare_tensors(f"{label}.{key}", a[key], b[key], out)
    elif isinstance(a, list | tuple) and isinstance(b, list | tuple):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            _compare_tensors(f"{label}[{i}]", x, y, out)
    elif a != b:
        out.append(f"{label}: {a!r} != {b!r}")


def _metrics(run_dir: Path, after: int) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in RunLayout(run_dir).metrics.read_text().splitlines() if line.strip()]
    # Timings are measurements of the machine, not results of training.
    return [{k: v for k, v in r.items() if not k.startswith(("train_time/", "profiling/"))}
            for r in rows if r["update"] > after]


def _is_measurement(key: str) -> bool:
    return key.startswith(("train_time/", "profiling/"))


def _compare_run_files(straight: Path, resumed: Path, out: list[str]) -> list[str]:
    """The summary, the ``best_model`` sets and the callback and log-writer states of ``last``."""
    from noether.core.writers.atomic import verified_torch_load
    from noether.core.writers.checkpoints import CheckpointStore, logical_tag
    from noether.training.state import CALLBACKS, LOG_WRITER

    compared = []
    sa, sb = (json.loads(RunLayout(d).summary.read_text()) for d in (straight, resumed))
    _compare_tensors("summary.json", {k: v for k, v in sa.items() if not _is_measurement(k)},
                     {k: v for k, v in sb.items() if not _is_measurement(k)}, out)
    compared.append("summary.json")
    store_a, store_b = CheckpointStore(RunLayout(straight).checkpoints), CheckpointStore(RunLayout(resumed).checkpoints)
    for tag in sorted({logical_tag(m) for m in store_a.manifests() if logical_tag(m).startswith("best_model")}):
        try:
            _, objects_b = store_b.load_set(store_b.resolve(tag))
        except FileNotFoundError:
            out.append(f"{tag}: missing in the resumed run")
            continue
        stored_a = store_a.resolve(tag)
        _, objects_a = store_a.load_set(stored_a)
        strip = {name.replace(f"_cp={stored_a}_", "_cp=*_"): obj["state_dict"] for name, obj in objects_a.items()}
        stored_b = store_b.resolve(tag)
        other = {name.replace(f"_cp={stored_b}_", "_cp=*_"): obj["state_dict"] for name, obj in objects_b.items()}
        _compare_tensors(tag, strip, other, out)
        compared.append(tag)
    for path in sorted(RunLayout(straight).checkpoints.glob(file_name("*", "last", "trainer"))):
        a = verified_torch_load(path)
        b = verified_torch_load(RunLayout(resumed).checkpoints / path.name)
        for part in (CALLBACKS, LOG_WRITER):
            _compare_tensors(f"{path.name}:{part}", a.get(part), b.get(part), out)
        compared.append(f"callback and log-writer states in {path.name}")
    return compared


def verify_resume(config: ConfigSchema, *, updates: int, interrupt_at: int | None = None,
                  kill: bool = False) -> ResumeReport:
    """Train ``updates`` straight, then interrupted after ``interrupt_at`` and resumed; compare everything.

    ``kill``: the interrupted run is SIGKILLed right after its checkpoint instead of stopping like SIGTERM."""
    from noether.training.runner import run

    k = interrupt_at if interrupt_at is not None else updates // 2 + 1
    if not 0 < k < updates:
        raise ValueError(f"--interrupt-at must lie between 1 and {updates - 1}, got {k}")
    straight = run(_with_updates(config, updates, "verify-straight"))
    killed_problem = _killed_cut(config, updates, k) if kill else None
    cut = None if kill else run(_with_updates(config, updates, "verify-cut"), interrupt_at_update=k)
    resumed = run(_with_updates(config, updates, "verify-cut", resume_run_id="verify-cut",
                                resume_stage_name=config.stage_name))
    differences: list[str] = []
    compared = []
    for what in ("model", "optim"):
        for path in sorted(RunLayout(straight.run_dir).checkpoints.glob(file_name("*", "last", what))):
            other = RunLayout(resumed.run_dir).checkpoints / path.name
            a = torch.load(path, weights_only=True)
            b = torch.load(other, weights_only=True)
            if what == "model":
                a, b = a["state_dict"], b["state_dict"]
            _compare_tensors(path.name, a, b, differences)
            compared.append(path.name)
    # FSDP sets keep the optimizer state in shards: compare them as full tensors (read in this one process).
    for path in sorted(RunLayout(straight.run_dir).checkpoints.glob(dcp_directory_name("*", "last"))):
        other = RunLayout(resumed.run_dir).checkpoints / path.name
        if not other.is_dir():
            differences.append(f"{path.name}: missing in the resumed run")
            continue
        _compare_tensors(path.name, load_full_state(path), load_full_state(other), differences)
        compared.append(path.name)
    compared += _compare_run_files(straight.run_dir, resumed.run_dir, differences)
    ma, mb = _metrics(straight.run_dir, 0), _metrics(resumed.run_dir, 0)
    if len(ma) != len(mb):
        differences.append(f"metrics: {len(ma)} logged steps vs {len(mb)} (the row of update {k} lost?)")
    for row_a, row_b in zip(ma, mb, strict=False):
        if row_a != row_b:
            keys = sorted(set(row_a) | set(row_b))
            key = next(k for k in keys if row_a.get(k) != row_b.get(k))
            differences.append(f"metric '{key}' at update {row_a['update']}: {row_a.get(key)!r} != "
                               f"{row_b.get(key)!r}")
            break
    keys = sorted({key for row in ma for key in row} - {"epoch", "update", "sample"})
    compared.append(f"the whole metrics file ({len(ma)} steps; keys: {', '.join(keys)})")
    if cut is not None and not cut.interrupted:
        differences.append(f"the interrupted run was not interrupted (it ended at update {cut.update})")
    if killed_problem is not None:
        differences.insert(0, killed_problem)
    return ResumeReport(updates, k, compared, differences, _never_firing(config, updates))


def _never_firing(config: ConfigSchema, updates: int) -> list[str]:
    """Callbacks whose update interval is longer than the compared run."""
    found = []
    for callback in config.trainer.callbacks or []:
        every = getattr(callback, "every_n_updates", None)
        if isinstance(callback, CheckpointCallbackConfig) or not isinstance(every, int) or every <= updates:
            continue
        name = getattr(callback, "id", None) or type(callback).__name__
        found.append(f"{name} fires every {every} updates, never within --updates {updates}: its state after a "
                     "resume is not checked (pass a larger --updates)")
    return found
