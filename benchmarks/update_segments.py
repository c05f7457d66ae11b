"""Where the trainer's extra microseconds are *inside the loop*: each segment of an update, noether against the
hand-written loop, interleaved update by update (``benchmarks/interleaved.py``).

Timed on its own, a piece of Python costs a fraction of what it costs right after an update's kernels: a
two-entry dict built 0.9 us apart in a loop of its own took 5-7 us right after ``backward()`` (both widths),
because the kernels have pushed the interpreter's data and code out of the CPU's caches. So the segments are
timed where they run: this script replaces ``BaseTrainer._loop`` by a copy of it with timers between the
segments (one micro-step per update, CPU, full precision: what ``overhead.py`` runs) and times the probe's
hand-written update the same way. A segment's time moves to the next one when the first Python after a kernel
changes (the first pays the cold start), so read the sum, then the segments.

Run: ``python benchmarks/update_segments.py [--width W] [--updates N] [--no-defaults]``.
"""

from __future__ import annotations

import argparse
import collections
import logging
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import benchmarks.interleaved as il
from noether.training import trainer as trainer_module

NOETHER: dict[str, list[float]] = collections.defaultdict(list)
RAW: dict[str, list[float]] = collections.defaultdict(list)
#: (segment, what noether does there, what the hand-written loop does there)
SEGMENTS = [
    ("schedules", "wrapper.schedule_step", "-"),
    ("data", "next batch: sampler, direct gather", "perm slice, x[idx], y[idx]"),
    ("forward", "train_step: dicts, model(**inputs), loss_compute, to_result", "mse_loss(model(x), y)"),
    ("backward", "total.backward()", "loss.backward()"),
    ("micro-step hooks", "detach, losses dict, online-loss append", "-"),
    ("optimizer", "wrapper.step: gradient check, AdamW.step", "AdamW.step"),
    ("zero_grad", "wrapper.zero_grad", "zero_grad(set_to_none=True)"),
    ("update hooks", "progress, timings (the probe excluded)", "-"),
    ("after update", "counters, due checks, firings, metrics row", "-"),
]


def _raw_step(self: il.RawStepper) -> None:
    perf = time.perf_counter
    t0 = perf()
    position = self.steps % self.per_epoch
    if position == 0:
        self.perm = torch.randperm(len(self.x), generator=self.generator)
    idx = self.perm[position * self.batch:(position + 1) * self.batch]
    xb, yb = self.x[idx], self.y[idx]
    t1 = perf()
    loss = torch.nn.functional.mse_loss(self.model(xb), yb)
    t2 = perf()
    loss.backward()
    t3 = perf()
    self.opt.step()
    t4 = perf()
    self.opt.zero_grad(set_to_none=True)
    t5 = perf()
    self.steps += 1
    for name, a, b in (("data", t0, t1), ("forward", t1, t2), ("backward", t2, t3), ("optimizer", t3, t4),
                       ("zero_grad", t4, t5)):
        RAW[name].append(b - a)


def _timed_loop(self: Any) -> None:
    """``BaseTrainer._loop`` for one micro-step per update on CPU in full precision, with timers."""
    perf = time.perf_counter
    counter = self.counter
    optimizers = list(self.optimizers.values())
    probes = [cb for cb in self.hooks.update_step if isinstance(cb, il.LockstepProbe)]
    update_hooks = [cb for cb in self.hooks.update_step if not isinstance(cb, il.LockstepProbe)]
    total_updates, upe = counter.end_update, counter.updates_per_epoch
    loader_iter = self.loaders.training_batches(counter.update)
    self.train_model.train()
    self._setup = self._micro_step_setup()
    model, accumulation_hooks = self.train_model, self.hooks.accumulation_step
    while not counter.is_finished:
        t0 = perf()
        for wrapper in optimizers:
            wrapper.schedule_step(counter.update, total_updates, upe)
        t1 = perf()
        batch = next(loader_iter)
        t2 = perf()
        result = self.train_step(batch, model)
        total = result.total_loss
        t3 = perf()
        total.backward()
        t4 = perf()
        if accumulation_hooks:
            detached = total.detach()
            losses = {"total": detached}
            for key, value in (result.losses_to_log or {}).items():
                losses[key] = detached if value is total else value.detach()
            for cb in accumulation_hooks:
                cb.track_after_accumulation_step(counter, batch, losses, result.additional_outputs, 1, 0)
        t5 = perf()
        for wrapper in optimizers:
            wrapper.step(None)
        t6 = perf()
        for wrapper in optimizers:
            wrapper.zero_grad()
        t7 = perf()
        times = {"data_wait": t2 - t1, "forward": t3 - t2, "backward": t4 - t3, "update": t4 - t2}
        for cb in update_hooks:
            cb.track_after_update_step(counter, times)
        t8 = perf()
        for cb in probes:
            cb.track_after_update_step(counter, times)
        t9 = perf()
        stop = self._after_update(counter.advance())
        t10 = perf()
        for (name, _, _), a, b in zip(SEGMENTS, (t0, t1, t2, t3, t4, t5, t6, t7, t9),
                                      (t1, t2, t3, t4, t5, t6, t7, t8, t10), strict=True):
            NOETHER[name].append(b - a)
        if stop:
            break


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--width", type=int, default=512)
    parser.add_argument("--updates", type=int, default=1500)
    parser.add_argument("--no-defaults", action="store_true", help="without the default callbacks")
    args = parser.parse_args()
    torch.set_num_threads(1)
    logging.getLogger("noether").setLevel(logging.ERROR)
    il.RawStepper.step = _raw_step  # type: ignore[method-assign]
    trainer_module.BaseTrainer._loop = _timed_loop  # type: ignore[method-assign]
    defaults = not args.no_defaults
    figures = il.summary(il.interleaved(args.width, args.updates, defaults), args.updates, defaults)
    print(f"width {args.width}, {args.updates} updates, {'default callbacks' if defaults else 'no default callbacks'}"
          f": noether / raw per update {figures['run_ratio']:.3f}x (plain updates {figures['plain_ratio']:.3f}x)")
    print(f"  {'segment':<18} {'noether us':>10} {'raw us':>8} {'adds us':>8}   noether | hand-written loop")
    skip = 50
    total = 0.0
    for name, ours, theirs in SEGMENTS:
        mean = statistics.fmean(NOETHER[name][skip:]) * 1e6
        raw = statistics.fmean(RAW[name][skip:]) * 1e6 if name in RAW else 0.0
        total += mean - raw
        print(f"  {name:<18} {mean:>10.1f} {raw:>8.1f} {mean - raw:>8.1f}   {ours} | {theirs}")
    print(f"  {'sum':<18} {'':>10} {'':>8} {total:>8.1f}   (means over updates {skip + 1}-{args.updates})")


if __name__ == "__main__":
    main()
