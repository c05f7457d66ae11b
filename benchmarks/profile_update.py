"""Where one update of ``noether.run`` goes: cProfile over the width-64 run of ``overhead.py``.

Prints, per update, the cumulative time of the parts of the loop (data, forward and loss, backward, optimizer,
schedules, callbacks, log writer), next to the same time per update measured without the profiler, and the
functions with the most self time. cProfile inflates Python-heavy parts (each Python call costs it about a
microsecond), so read the parts as shares, not as absolute figures.
Run: ``python benchmarks/profile_update.py [--updates N] [--width W] [--per-sample]``.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.overhead import noether_config, raw_tensors

#: (label, path fragment, function name): the parts of one update, outermost first.
PARTS = [
    ("training loop (everything below)", "noether/training/trainer.py", "_loop"),
    ("  data: next batch (DataLoader)", "torch/utils/data/dataloader.py", "__next__"),
    ("    DataLoader per epoch (iterator creation)", "noether/training/trainer.py", "make_loader"),
    ("    sampler (indices of a batch)", "noether/training/sampler.py", "__iter__"),
    ("    dataset.__getitems__ (gathers)", "noether/data/dataset.py", "__getitems__"),
    ("    pipeline (collation)", "noether/data/pipeline.py", "__call__"),
    ("  forward + loss (train_step)", "noether/training/supervised.py", "train_step"),
    ("    model forward", "torch/nn/modules/module.py", "_call_impl"),
    ("  backward", "torch/_tensor.py", "backward"),
    ("  optimizer step (with clipping, scaler)", "noether/core/optimizer/wrapper.py", "step"),
    ("    torch AdamW step", "torch/optim/adamw.py", "step"),
    ("  zero_grad", "noether/core/optimizer/wrapper.py", "zero_grad"),
    ("  schedules", "noether/core/optimizer/wrapper.py", "schedule_step"),
    ("  callbacks: after each update (timings, losses)", "noether/core/callbacks", "track_after_update_step"),
    ("  callbacks: after each micro-step", "noether/core/callbacks", "track_after_accumulation_step"),
    ("  due callbacks and log flush (_after_update)", "noether/training/trainer.py", "_after_update"),
    ("    periodic callbacks that fired", "noether/core/callbacks", "periodic_callback"),
    ("    model.eval() around them", "torch/nn/modules/module.py", "eval"),
    ("    model.train() after them", "torch/nn/modules/module.py", "train"),
    ("    log writer flush", "noether/core/writers/log_writer.py", "flush"),
    ("  counters", "noether/training/counters.py", "advance"),
]


def run_once(width: int, updates: int, dataset: str, profile: cProfile.Profile | None) -> float:
    import noether
    from noether.training.runner import run

    with tempfile.TemporaryDirectory() as out:
        config = noether.structure(noether_config(out, width, updates, True, dataset))
        start = time.perf_counter()
        if profile is None:
            run(config)
        else:
            profile.runcall(run, config)
        return time.perf_counter() - start


def data_path_us(repeats: int = 2000) -> dict[str, float]:
    """Microseconds per batch of 64 of each data path, unprofiled (median of 5 timings of ``repeats`` batches)."""
    import statistics

    import noether
    from benchmarks.bench_data import make_tensors
    from benchmarks.overhead import BATCH, SIZE
    from noether.core.schemas import AnyDatasetConfig
    from noether.data.dataset import build_dataset
    from noether.training.sampler import ResumableBatchSampler

    x, y = make_tensors(SIZE)
    perm = torch.randperm(SIZE)
    indices = [perm[i * BATCH:(i + 1) * BATCH].tolist() for i in range(SIZE // BATCH)]

    def raw() -> None:
        for i in range(repeats):
            idx = perm[(i % 100) * BATCH:(i % 100 + 1) * BATCH]
            x[idx], y[idx]

    def through(kind: str) -> Any:
        dataset = build_dataset(noether.structure({"kind": f"benchmarks.bench_data.{kind}", "size": SIZE},
                                                  AnyDatasetConfig))

        def fetch() -> None:
            for i in range(repeats):
                dataset.collate_fn(dataset.__getitems__(indices[i % 100]))

        return fetch, dataset

    def loader(dataset: Any) -> Any:
        def iterate() -> None:
            done = 0
            while done < repeats:
                sampler = ResumableBatchSampler(SIZE, effective_batch_size=BATCH, accumulation_steps=1, seed=0,
                                                single_epoch=True)
                for _ in torch.utils.data.DataLoader(dataset, batch_sampler=sampler, collate_fn=dataset.collate_fn):
                    done += 1
                    if done == repeats:
                        break

        return iterate

    batched, batched_set = through("RandomRegression")
    per_sample, _ = through("PerSampleRegression")
    contenders = {"raw x[idx], y[idx]": raw, "noether batched: __getitems__ + pipeline": batched,
                  "noether per-sample: __getitems__ + pipeline": per_sample,
                  "noether batched through DataLoader + sampler": loader(batched_set)}
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(5):
        for name, fn in contenders.items():
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) / repeats * 1e6)
    return {name: statistics.median(values) for name, values in times.items()}


def cumulative(stats: pstats.Stats, fragment: str, name: str) -> float:
    """Cumulative seconds of every function ``name`` defined in a file whose path contains ``fragment``."""
    table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    return sum(ct for (path, _, func), (_, _, _, ct, _) in table.items() if func == name and fragment in path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=1500)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--per-sample", action="store_true", help="the dataset without batch loaders")
    args = parser.parse_args()
    torch.set_num_threads(1)
    logging.getLogger("noether").setLevel(logging.ERROR)
    dataset = "PerSampleRegression" if args.per_sample else "RandomRegression"
    short = max(args.updates // 10, 20)
    plain = (run_once(args.width, args.updates, dataset, None) - run_once(args.width, short, dataset, None))
    plain_us = plain / (args.updates - short) * 1e6
    raw_us = (raw_tensors(args.width, args.updates) - raw_tensors(args.width, short)) / (args.updates - short) * 1e6
    print("data path per batch of 64, unprofiled (median of 5):")
    for name, us in data_path_us().items():
        print(f"  {name:<52} {us:>8.1f} us")
    profile = cProfile.Profile()
    run_once(args.width, args.updates, dataset, profile)
    stats = pstats.Stats(profile)
    print(f"width {args.width}, {dataset}, 1 thread; without the profiler: noether defaults {plain_us:.0f} us/update, "
          f"raw tensor loop {raw_us:.0f} us/update (noisy)")
    print(f"\nunder cProfile, per update ({args.updates} updates; includes profiler overhead):")
    for label, fragment, name in PARTS:
        seconds = cumulative(stats, fragment, name)
        print(f"  {label:<52} {seconds / args.updates * 1e6:>8.1f} us")
    print("\nmost self time (tottime per update):")
    table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    rows = sorted(table.items(), key=lambda item: item[1][2], reverse=True)[:18]
    for (path, line, func), (_, calls, tottime, _, _) in rows:
        where = f"{Path(path).parent.name}/{Path(path).name}:{line}" if path != "~" else "(built-in)"
        print(f"  {tottime / args.updates * 1e6:>8.1f} us  {calls / args.updates:>6.1f} calls  {func}  {where}")


if __name__ == "__main__":
    main()
