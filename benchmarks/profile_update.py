"""Where one update of ``noether.run`` goes: timed pieces, and cProfile over the width-64 run of ``overhead.py``.

Prints, first, each piece of an update timed on its own with ``timeit`` (best of several repeats) next to
what the hand-written tensor loop of ``overhead.py`` does for the same piece, so the difference is what the
framework adds, in microseconds; then the cumulative time of the parts of the loop under cProfile, next to
the same time per update measured without the profiler, and the functions with the most self time.
cProfile inflates Python-heavy parts (each Python call costs it about a microsecond), so read its parts as
shares; the timed pieces are the real costs.
Run: ``python benchmarks/profile_update.py [--updates N] [--width W] [--per-sample] [--no-profile]``.
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
    ("  data: next batch (main process: sampler + fetch)", "noether/training/loading.py", "fetch"),
    ("    sampler (indices of a batch)", "noether/training/sampler.py", "__iter__"),
    ("    dataset.__getitems__ (gathers)", "noether/data/dataset.py", "__getitems__"),
    ("    pipeline (collation)", "noether/data/pipeline.py", "__call__"),
    ("  forward + loss (train_step)", "noether/training/trainer.py", "train_step"),
    ("    loss_compute", "noether/training/supervised.py", "loss_compute"),
    ("    model forward", "torch/nn/modules/module.py", "_call_impl"),
    ("  backward", "torch/_tensor.py", "backward"),
    ("  optimizer step (with clipping, scaler)", "noether/core/optimizer/wrapper.py", "step"),
    ("    torch AdamW step (Adam.step)", "torch/optim/adam.py", "step"),
    ("  zero_grad", "noether/core/optimizer/wrapper.py", "zero_grad"),
    ("  schedules", "noether/core/optimizer/wrapper.py", "schedule_step"),
    ("  callbacks: after each update (timings, losses)", "noether/core/callbacks", "track_after_update_step"),
    ("  callbacks: after each micro-step", "noether/core/callbacks", "track_after_accumulation_step"),
    ("  due callbacks and log flush (_after_update)", "noether/training/trainer.py", "_after_update"),
    ("    periodic callbacks that fired", "noether/core/callbacks", "periodic_callback"),
    ("    model.eval() around them (only for evaluating callbacks)", "torch/nn/modules/module.py", "eval"),
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

    def direct(dataset: Any) -> Any:
        from noether.training.loading import fetcher

        fetch_batch = fetcher(dataset)
        batches = list(ResumableBatchSampler(SIZE, effective_batch_size=BATCH, accumulation_steps=1, seed=0,
                                             single_epoch=True).index_batches())

        def fetch() -> None:
            for i in range(repeats):
                fetch_batch(batches[i % len(batches)])

        return fetch

    batched, batched_set = through("RandomRegression")
    per_sample, _ = through("PerSampleRegression")
    contenders = {"raw x[idx], y[idx]": raw,
                  "noether, what training does: sampler's index batch, direct gather": direct(batched_set),
                  "noether batched: __getitems__ + pipeline": batched,
                  "noether per-sample: __getitems__ + pipeline": per_sample,
                  "noether batched through DataLoader + sampler": loader(batched_set)}
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(5):
        for name, fn in contenders.items():
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) / repeats * 1e6)
    return {name: statistics.median(values) for name, values in times.items()}


def per_call_us(fns: dict[str, Any], calls: int = 1500, inner: int = 1) -> dict[str, float]:
    """Microseconds per call of each function, timed call by call with the functions interleaved.

    Interleaving puts a slow spell of a shared machine on every function alike; the 10th percentile of the
    per-call times is the cost of an undisturbed call (the median moves with the machine's load). ``inner``
    calls are timed together for functions too short for the clock.
    """
    times: dict[str, list[float]] = {name: [] for name in fns}
    clock = time.perf_counter
    for _ in range(calls):
        for name, fn in fns.items():
            start = clock()
            for _ in range(inner):
                fn()
            times[name].append((clock() - start) / inner)
    return {name: sorted(values)[len(values) // 10] * 1e6 for name, values in times.items()}


def timed_pieces(width: int, updates: int) -> list[tuple[str, float, float | None, float]]:
    """``(piece, noether us, raw-loop us or None, calls per update)`` for each piece of a default update.

    The trainer of the benchmark run (defaults, ``updates`` long, so the default callbacks fire as in that
    run) is built and its pieces are called directly; the raw loop's counterparts use the same model,
    tensors and optimizer settings.
    """
    import noether
    from benchmarks.overhead import BATCH, SIZE
    from noether.core.registry import registry_for_plugins, use_registry
    from noether.core.time import Unit
    from noether.training.runner import build_components, resolve_run

    with tempfile.TemporaryDirectory() as out:
        config = noether.structure(noether_config(out, width, updates, True))
        with use_registry(registry_for_plugins(config.plugins)):
            trainer, _ = build_components(resolve_run(config), None)
            return _pieces(trainer, updates, BATCH, SIZE, Unit.UPDATE)


def _pieces(trainer: Any, updates: int, batch_size: int, size: int, unit: Any) -> list[Any]:
    model, counter, hooks = trainer.train_model, trainer.counter, trainer.hooks
    for cb in trainer.callbacks:
        cb.before_training(counter)
    model.train()
    wrapper = next(iter(trainer.optimizers.values()))
    dataset = trainer.loaders.train_dataset
    xs, ys = dataset.arrays["x"], dataset.arrays["y"]
    net = model.net
    raw_opt = torch.optim.AdamW(net.parameters(), lr=1e-3)
    batches = trainer.loaders.training_batches(0)
    batch = next(batches)
    perm = torch.randperm(size)
    step = [0]

    def raw_data() -> None:
        s = step[0] = (step[0] + 1) % (size // batch_size)
        idx = perm[s * batch_size:(s + 1) * batch_size]
        xs[idx], ys[idx]

    result = trainer.train_step(batch, model)
    result.total_loss.backward()  # gradients for the optimizer steps below (they stay: no zero_grad)
    times = {"data_wait": 1e-5, "forward": 1e-4, "backward": 1e-4, "update": 2e-4}

    def accumulation() -> None:
        detached = result.total_loss.detach()
        losses = {"total": detached, **{k: detached if v is result.total_loss else v.detach()
                                        for k, v in (result.losses_to_log or {}).items()}}
        for cb in hooks.accumulation_step:
            cb.track_after_accumulation_step(counter, batch, losses, None, 1, 0)

    def after_update_at(update: int) -> Any:
        def call() -> None:
            accumulation()  # something to log
            counter.start_at(update)
            trainer._after_update(False)
        return call

    def state() -> None:
        counter.start_at(1)

    track = next(cb.every.n for cb in hooks.update_firing if type(cb).__name__ == "LrCallback")
    log = next(cb.every.n for cb in hooks.update_firing if type(cb).__name__ == "ProgressCallback")
    # With fewer than 1,000 updates the track interval is 1: every update fires, none is "nothing due".
    not_due = next((u for u in range(1, 10**6) if u % track and u % log), track)
    t = per_call_us({"data": lambda: next(batches), "raw data": raw_data}, inner=5)
    f = per_call_us({"fwd": lambda: trainer.train_step(batch, model),
                     "raw fwd": lambda: torch.nn.functional.mse_loss(net(batch["x"]), batch["y"])}, calls=800)
    o = per_call_us({"opt": lambda: wrapper.step(None), "raw opt": raw_opt.step}, calls=800)
    small = per_call_us({
        "schedules": lambda: wrapper.schedule_step(0, updates, 100),
        "acc": accumulation,
        "upd": lambda: [cb.track_after_update_step(counter, times) for cb in hooks.update_step],
        "advance": counter.advance}, inner=10)
    due = per_call_us({"none": after_update_at(not_due), "track": after_update_at(track),
                       "log": after_update_at(track * log)}, calls=800)
    acc = small["acc"]
    rows = [
        ("data: next batch (sampler, direct gather) | x[idx], y[idx]", t["data"], t["raw data"], 1.0),
        ("forward + loss: train_step | mse_loss(net(x), y)", f["fwd"], f["raw fwd"], 1.0),
        ("optimizer: wrapper.step, AdamW | AdamW", o["opt"], o["raw opt"], 1.0),
        ("schedules (none configured)", small["schedules"], None, 1.0),
        ("callbacks after each micro-step (online losses: one append)", acc, None, 1.0),
        ("callbacks after each update (progress, timings)", small["upd"], None, 1.0),
        ("counters (advance)", small["advance"], None, 1.0),
        ("after the update, nothing due (due check, empty flush)", due["none"] - acc, None, 1.0 - 1.0 / track),
        (f"after the update, track interval due (every {track}: online loss, lr; metrics row)",
         due["track"] - acc, None, 1.0 / track - 1.0 / log),
        (f"after the update, log interval due (every {log}: + progress, timings, memory)",
         due["log"] - acc, None, 1.0 / log),
    ]
    state()
    return rows


def print_pieces(width: int, updates: int) -> None:
    """The timed pieces as a table: framework us per update = (noether - raw) x calls per update."""
    rows = timed_pieces(width, updates)
    print(f"timed pieces of one update (width {width}, a {updates}-update run with default callbacks; 10th "
          "percentile of interleaved per-call times):")
    print(f"  {'piece (noether | raw loop)':<84} {'noether':>8} {'raw':>8} {'calls/upd':>9} {'adds us/upd':>11}")
    total = 0.0
    for name, ours, raw, calls in rows:
        added = (ours - (raw or 0.0)) * calls
        total += added
        raw_text = f"{raw:8.1f}" if raw is not None else f"{'-':>8}"
        print(f"  {name:<84} {ours:8.1f} {raw_text} {calls:9.3f} {added:11.1f}")
    print(f"  {'sum of what the framework adds per update':<84} {'':8} {'':8} {'':9} {total:11.1f}")


def cumulative(stats: pstats.Stats, fragment: str, name: str) -> float:
    """Cumulative seconds of every function ``name`` defined in a file whose path contains ``fragment``."""
    table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    return sum(ct for (path, _, func), (_, _, _, ct, _) in table.items() if func == name and fragment in path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=1500)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--per-sample", action="store_true", help="the dataset without batch loaders")
    parser.add_argument("--no-profile", action="store_true", help="only the timed pieces and the data path")
    args = parser.parse_args()
    torch.set_num_threads(1)
    logging.getLogger("noether").setLevel(logging.ERROR)
    dataset = "PerSampleRegression" if args.per_sample else "RandomRegression"
    print_pieces(args.width, args.updates)
    print("\ndata path per batch of 64, unprofiled (median of 5):")
    for name, us in data_path_us().items():
        print(f"  {name:<52} {us:>8.1f} us")
    if args.no_profile:
        return
    short = max(args.updates // 10, 20)
    run_once(args.width, short, dataset, None)  # warm-up: imports and first calls stay out of the timing
    raw_tensors(args.width, short)
    plain = (run_once(args.width, args.updates, dataset, None) - run_once(args.width, short, dataset, None))
    plain_us = plain / (args.updates - short) * 1e6
    raw_us = ((raw_tensors(args.width, args.updates)[0] - raw_tensors(args.width, short)[0])
              / (args.updates - short) * 1e6)
    profile = cProfile.Profile()
    run_once(args.width, args.updates, dataset, profile)
    stats = pstats.Stats(profile)
    print(f"\nwidth {args.width}, {dataset}, 1 thread; without the profiler: noether defaults {plain_us:.0f} "
          f"us/update, raw tensor loop {raw_us:.0f} us/update (one run each; noisy)")
    print(f"under cProfile, per update ({args.updates} updates; includes profiler overhead):")
    for label, fragment, name in PARTS:
        seconds = cumulative(stats, fragment, name)
        print(f"  {label:<60} {seconds / args.updates * 1e6:>8.1f} us")
    print("\nmost self time (tottime per update):")
    table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    rows = sorted(table.items(), key=lambda item: item[1][2], reverse=True)[:18]
    for (path, line, func), (_, calls, tottime, _, _) in rows:
        where = f"{Path(path).parent.name}/{Path(path).name}:{line}" if path != "~" else "(built-in)"
        print(f"  {tottime / args.updates * 1e6:>8.1f} us  {calls / args.updates:>6.1f} calls  {func}  {where}")


if __name__ == "__main__":
    main()
