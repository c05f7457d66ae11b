"""GPU check of the distributed engine: DDP and FSDP with NCCL and bf16, a SIGTERM stop, a resume, bit-exactness.

For a machine with CUDA GPUs (none was available when this was written; the same flow runs on CPU with
``--cpu``, which is how the script itself was tried). For each case (1 GPU, and 2 GPUs when there are two)
and each strategy (ddp, fsdp):

1. a straight run of ``--updates`` updates under ``torchrun`` (``accelerator=gpu``, ``trainer.precision=bf16``);
2. the same run stopped by SIGTERM to the launcher, sent by rank 0 right after update ``--stop-at`` (a callback,
   so that the stop is at an exact update however fast the updates are: the metrics file, written once a
   second, would show it too late), which must leave a ``.signal_interrupt`` checkpoint;
3. a resume of (2) in the same run directory to the end;
4. the final weights of (1) and (3) compared with ``torch.equal``, and the optimizer state (``_optim.th`` or,
   under FSDP, the shard directory read as full tensors).

Prints one line per case: the verdict (IDENTICAL / DIFFERENT with the first difference) and the mean step time
of the straight run (the logged ``train_time/update`` means, the first logged step left out). Exit status 0
only when every case is identical::

    python benchmarks/gpu_distributed.py                # all cases the GPUs allow
    python benchmarks/gpu_distributed.py --cpu --updates 40 --stop-at 15   # the same flow on CPU (gloo)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "airfoil.yaml"
#: A 'last' checkpoint with the optimizer state, and the signal callback of the test suite: rank 0 sends SIGTERM
#: to the launcher after update ``at_update`` (never when it is null; both runs have it, so they are configured
#: alike).
CALLBACKS = ("[{{name: CheckpointCallback, every_n_updates: 1000000, save_optim: true}}, "
             "{{name: tests.distributed.helpers.SendSignal, every_n_updates: 1, at_update: {at}, target: parent}}]")


def _overrides(out: Path, updates: int, strategy: str, cpu: bool, signal_at: int | None = None) -> list[str]:
    return [
        f"output_path={out}", f"datasets.train.root={out.parent / 'data'}",
        f"datasets.test.root={out.parent / 'data'}", "~trainer.max_epochs", f"trainer.max_updates={updates}",
        "accelerator=cpu" if cpu else "accelerator=gpu", "trainer.precision=bf16",
        f"trainer.strategy={{kind: {strategy}}}",
        f"trainer.callbacks={CALLBACKS.format(at='null' if signal_at is None else signal_at)}",
    ]


def _torchrun(nproc: int, args: list[str], port: int) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={nproc}", "--nnodes=1",
            f"--master_port={port}", "-m", "noether", "run", str(EXAMPLE), *args]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR",
                                                             "MASTER_PORT")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("", 0))
        return int(sock.getsockname()[1])


def _mean_update_ms(run_dir: Path) -> float | None:
    """Mean time of one update from the logged ``train_time/update/mean`` values (first logged step dropped:
    it holds CUDA start-up, NCCL connection set-up and compilation)."""
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]
    values = [v for row in rows for k, v in row.items() if k.startswith("train_time/update/mean")]
    return 1000 * sum(values[1:]) / len(values[1:]) if len(values) > 1 else None


def _compare(a: Any, b: Any, label: str) -> str | None:
    import torch

    if isinstance(a, torch.Tensor):
        if not isinstance(b, torch.Tensor) or a.shape != b.shape or not torch.equal(a, b):
            return f"{label}: tensors differ"
        return None
    if isinstance(a, dict):
        if not isinstance(b, dict) or set(a) != set(b):
            return f"{label}: keys differ"
        for key in a:
            found = _compare(a[key], b[key], f"{label}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list | tuple):
        if not isinstance(b, list | tuple) or len(a) != len(b):
            return f"{label}: lengths differ"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _compare(x, y, f"{label}[{i}]")
            if found:
                return found
        return None
    return None if a == b else f"{label}: {a!r} != {b!r}"


def _final_state(run_dir: Path) -> dict[str, Any]:
    import torch

    from noether.training.sharded_checkpoint import load_full_state

    ckpt = run_dir / "checkpoints"
    state: dict[str, Any] = {}
    for path in sorted(ckpt.glob("*_cp=last_model.th")):
        state[path.name] = torch.load(path, map_location="cpu", weights_only=True)["state_dict"]
    for path in sorted(ckpt.glob("*_cp=last_optim.th")):
        state[path.name] = torch.load(path, map_location="cpu", weights_only=True)
    for path in sorted(ckpt.glob("*_cp=last_dcp")):
        state[path.name] = load_full_state(path)["optim"]
    return state


def run_case(root: Path, nproc: int, strategy: str, updates: int, stop_at: int, cpu: bool) -> tuple[bool, str]:
    """One case: straight, SIGTERM, resume, compare. Returns (identical, report line)."""
    env = _env()
    straight_out, cut_out = root / "straight", root / "cut"
    start = time.perf_counter()
    done = subprocess.run(_torchrun(nproc, [*_overrides(straight_out, updates, strategy, cpu), "run_id=straight"],
                                    _free_port()), env=env, capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        return False, f"straight run failed ({done.returncode}): {done.stderr[-2000:]}"
    step_ms = _mean_update_ms(straight_out / "straight") or 1000 * wall / updates

    cut_dir = cut_out / "cut"
    # torchrun forwards the SIGTERM it gets from rank 0 to every rank.
    done = subprocess.run(_torchrun(nproc, [*_overrides(cut_out, updates, strategy, cpu, stop_at), "run_id=cut"],
                                    _free_port()), env=env, capture_output=True, text=True, timeout=1800)
    interrupts = sorted((cut_dir / "checkpoints").glob("*.signal_interrupt.manifest.json"))
    if not interrupts:
        return False, (f"no .signal_interrupt checkpoint after SIGTERM (exit {done.returncode}): "
                       f"{done.stderr[-2000:]}")
    done = subprocess.run(_torchrun(nproc, [*_overrides(cut_out, updates, strategy, cpu, stop_at), "run_id=cut",
                                            "resume_run_id=cut"], _free_port()),
                          env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        return False, f"resume failed ({done.returncode}): {done.stderr[-2000:]}"
    a, b = _final_state(straight_out / "straight"), _final_state(cut_dir)
    if not a:
        return False, "the straight run wrote no 'last' checkpoint"
    difference = _compare(a, b, "last")
    stopped = interrupts[-1].name.removesuffix(".manifest.json")
    verdict = "IDENTICAL" if difference is None else f"DIFFERENT ({difference})"
    return difference is None, (f"{verdict}: {nproc} process(es), {strategy}, stopped at {stopped}, "
                                f"step time {step_ms:.2f} ms (mean logged update time of the straight run)")


def main(argv: list[str] | None = None) -> int:
    """Run every case the machine allows and print the verdicts."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=300)
    parser.add_argument("--stop-at", type=int, default=120)
    parser.add_argument("--cpu", action="store_true", help="run the same flow on CPU processes (gloo)")
    parser.add_argument("--strategies", default="ddp,fsdp")
    args = parser.parse_args(argv)

    import torch

    if args.cpu:
        sizes = [1, 2]
    else:
        if not torch.cuda.is_available():
            print("no CUDA GPU visible: nothing to check (use --cpu for the same flow on CPU)")
            return 2
        count = torch.cuda.device_count()
        sizes = [1, 2] if count >= 2 else [1]
        print(f"{count} GPU(s): {torch.cuda.get_device_name(0)}; torch {torch.__version__}, NCCL "
              f"{'.'.join(map(str, torch.cuda.nccl.version()))}")
    ok = True
    with tempfile.TemporaryDirectory(prefix="noether-gpu-check-") as tmp:
        for nproc in sizes:
            for strategy in args.strategies.split(","):
                root = Path(tmp) / f"{nproc}-{strategy}"
                identical, line = run_case(root, nproc, strategy, args.updates, args.stop_at, args.cpu)
                ok &= identical
                print(line, flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
