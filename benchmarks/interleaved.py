"""The trainer's updates and the hand-written loop's, interleaved one by one in one process.

Separate runs of two contenders on a shared machine see different moments of its load: on the 2-core VM the
same raw loop varies by ±30 % between runs, more than the 2 % to resolve. Here a probe callback of the
noether run performs one update of the hand-written tensor loop (its own model, optimizer, data and random
generator) after each of noether's updates, so every noether update is paired with a raw update measured a
millisecond later, and a slow spell hits both. The noether update is the time from the end of one probe call
to the start of the next (data, forward, backward, optimizer, counters, the due callbacks and the log writer:
everything of the loop), the raw update is the probe's own work. The probe costs noether one
``track_after_update_step`` call per update (the defaults already call that hook, for their timings), under
a microsecond.

Both alternate their working sets through the caches (each update starts after the other's), which a run of
one loop alone does not do: the absolute times are higher than those of separate runs, for both.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from typing import Any, ClassVar

import torch

from benchmarks.bench_data import make_tensors
from noether.core.callbacks.base import PeriodicCallback

#: Far beyond any run: the probe is never due, it only observes updates.
NEVER = 10**9


class RawStepper:
    """The hand-written tensor loop of ``overhead.py``, one update per :meth:`step`."""

    def __init__(self, model: torch.nn.Module, size: int, batch: int) -> None:
        self.generator = torch.Generator().manual_seed(1)  # its own: noether's random streams stay untouched
        self.x, self.y = make_tensors(size)
        self.model = model
        self.opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        self.batch, self.per_epoch, self.steps = batch, size // batch, 0
        self.perm = torch.randperm(size, generator=self.generator)

    def step(self) -> None:
        """One update: index the pre-made tensors, forward, backward, AdamW, drop the gradients."""
        position = self.steps % self.per_epoch
        if position == 0:
            self.perm = torch.randperm(len(self.x), generator=self.generator)
        idx = self.perm[position * self.batch:(position + 1) * self.batch]
        loss = torch.nn.functional.mse_loss(self.model(self.x[idx]), self.y[idx])
        loss.backward()
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)
        self.steps += 1


class LockstepProbe(PeriodicCallback):
    """After every noether update, one raw update; records both durations (seconds)."""

    may_use_rng = False
    needs_eval_mode = False
    #: Set by :func:`interleaved` before the run: ``() -> RawStepper``.
    make_stepper: ClassVar[Any] = None
    #: The last run's ``(noether, raw)`` update times, in order.
    pairs: ClassVar[list[tuple[float, float]]] = []

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.stepper: RawStepper = type(self).make_stepper()
        self.end: float | None = None
        type(self).pairs = []

    def track_after_update_step(self, counter: Any, times: dict[str, float]) -> None:
        """Close the noether update that just ended, run and time a raw one, then open the next."""
        start = time.perf_counter()
        self.stepper.step()
        end = time.perf_counter()
        if self.end is not None:
            type(self).pairs.append((start - self.end, end - start))
        self.end = time.perf_counter()


def interleaved(width: int, updates: int, defaults: bool = True) -> list[tuple[float, float]]:
    """``(noether, raw)`` seconds of each update of a noether run of ``updates`` updates, interleaved."""
    import noether
    from benchmarks.overhead import BATCH, SIZE, mlp, noether_config
    from noether.training.runner import run

    torch.manual_seed(0)
    LockstepProbe.make_stepper = lambda: RawStepper(mlp(width), SIZE, BATCH)
    with tempfile.TemporaryDirectory() as out:
        raw = noether_config(out, width, updates, defaults)
        raw["trainer"]["callbacks"] = [{"kind": "benchmarks.interleaved.LockstepProbe", "every_n_updates": NEVER}]
        run(noether.structure(raw))
    return list(LockstepProbe.pairs)


def summary(pairs: list[tuple[float, float]], skip: int = 50) -> dict[str, float]:
    """Microseconds per update after the first ``skip`` (warm-up): means, medians, and their ratios."""
    kept = pairs[skip:]
    ours, raw = [p[0] * 1e6 for p in kept], [p[1] * 1e6 for p in kept]
    return {"noether_mean": statistics.fmean(ours), "raw_mean": statistics.fmean(raw),
            "noether_median": statistics.median(ours), "raw_median": statistics.median(raw),
            "ratio_mean": statistics.fmean(ours) / statistics.fmean(raw),
            "ratio_median": statistics.median(ours) / statistics.median(raw),
            "ratio_pair_median": statistics.median(o / r for o, r in zip(ours, raw, strict=True))}
