"""Checkpoints: crash-safe write vs plain ``torch.save`` (10M parameters + AdamW state), and resume cost at
update 10 vs update 10,000 of one long epoch (must be equal: the data order is computed, never replayed).

Run: ``python benchmarks/checkpoints.py [--quick]``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def model_and_optimizer() -> tuple[torch.nn.Module, torch.optim.Optimizer]:
    model = torch.nn.Sequential(*[torch.nn.Linear(1000, 1000) for _ in range(10)])  # ~10M parameters
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model(torch.randn(2, 1000)).sum().backward()
    opt.step()
    return model, opt


def bench_save(repeats: int = 5) -> None:
    from noether.core.writers.checkpoints import CheckpointStore

    model, opt = model_and_optimizer()
    state = {"model": model.state_dict(), "optim": opt.state_dict()}
    plain: list[float] = []
    safe: list[float] = []
    foreground: list[float] = []
    load: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        store = CheckpointStore(Path(tmp) / "ckpt")
        background = CheckpointStore(Path(tmp) / "bg", background=True)
        for i in range(repeats):
            start = time.perf_counter()
            torch.save(state, Path(tmp) / "plain.th")
            plain.append(time.perf_counter() - start)
            start = time.perf_counter()
            store.save(f"E0_U{i}_S{i}", {f"m_cp=E0_U{i}_S{i}_model.th": state},
                       iteration={"epoch": 0, "update": i, "sample": i}, update_latest=True)
            safe.append(time.perf_counter() - start)
            start = time.perf_counter()
            background.save(f"E0_U{i}_S{i}", {f"m_cp=E0_U{i}_S{i}_model.th": state},
                            iteration={"epoch": 0, "update": i, "sample": i}, update_latest=True)
            foreground.append(time.perf_counter() - start)  # what the training loop waits for
            background.wait()
            start = time.perf_counter()
            store.load_set(f"E0_U{i}_S{i}")
            load.append(time.perf_counter() - start)
        background.close()
    n = sum(p.numel() for p in model.parameters())
    print(f"{n / 1e6:.1f}M parameters + AdamW state ({repeats} repeats, median and min-max)")
    for name, values in (("torch.save (plain, no fsync)", plain),
                         ("crash-safe save, synchronous (fsync+rename+manifest)", safe),
                         ("crash-safe save, as the trainer does it: loop waits", foreground),
                         ("verified load (size+crc32+weights_only)", load)):
        print(f"  {name:<54} {statistics.median(values):.3f} s  ({min(values):.3f}-{max(values):.3f})")
    print(f"  ratio synchronous crash-safe / plain: {statistics.median(safe) / statistics.median(plain):.2f}x")
    print(f"  ratio loop wait (background writer) / plain: "
          f"{statistics.median(foreground) / statistics.median(plain):.2f}x")


def bench_resume_position() -> None:
    from noether.training.sampler import ResumableBatchSampler

    def first_batch_seconds(update: int) -> float:
        sampler = ResumableBatchSampler(20_000 * 8, effective_batch_size=8, accumulation_steps=1, seed=0,
                                        start_update=update)
        start = time.perf_counter()
        next(iter(sampler))
        return time.perf_counter() - start

    for update in (10, 10_000):
        values = [first_batch_seconds(update) for _ in range(7)]
        print(f"  data position restored at update {update:>6} of an epoch of 20,000: "
              f"{statistics.median(values) * 1e3:.2f} ms")


if __name__ == "__main__":
    bench_save(2 if "--quick" in sys.argv else 5)
    print("\nresume position cost (no replay)")
    bench_resume_position()
