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
from collections.abc import Callable
from typing import Any, ClassVar, Protocol

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


class Stepper(Protocol):
    """One update of a hand-written loop per :meth:`step` (its own model, optimizer, data and generator)."""

    def step(self) -> None:
        """Perform one update."""


class LockstepProbe(PeriodicCallback):
    """After every noether update, one raw update; records both durations (seconds)."""

    may_use_rng = False
    needs_eval_mode = False
    #: Set by :func:`interleaved_run` before the run: ``() -> Stepper``.
    make_stepper: ClassVar[Callable[[], Stepper] | None] = None
    #: The last run's ``(update, noether seconds, raw seconds)``, in order: ``update`` counts the updates done
    #: when the noether interval began, whose due callbacks (if any) fired within it.
    pairs: ClassVar[list[tuple[int, float, float]]] = []

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        make = type(self).make_stepper
        assert make is not None, "set LockstepProbe.make_stepper (interleaved_run does)"
        self.stepper: Stepper = make()
        self.end: float | None = None
        type(self).pairs = []

    def track_after_update_step(self, counter: Any, times: dict[str, float]) -> None:
        """Close the noether update that just ended, run and time a raw one, then open the next."""
        start = time.perf_counter()
        self.stepper.step()
        end = time.perf_counter()
        if self.end is not None:
            type(self).pairs.append((counter.update, start - self.end, end - start))
        self.end = time.perf_counter()


def interleaved(width: int, updates: int, defaults: bool = True) -> list[tuple[int, float, float]]:
    """``(update, noether seconds, raw seconds)`` of each update of a noether run of ``updates`` updates."""
    from benchmarks.overhead import BATCH, SIZE, mlp, noether_config

    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as out:
        return interleaved_run(noether_config(out, width, updates, defaults),
                               lambda: RawStepper(mlp(width), SIZE, BATCH))


def interleaved_run(config: dict[str, Any], make_stepper: Callable[[], Stepper]) -> list[tuple[int, float, float]]:
    """Run the noether config ``config`` (a dict; its trainer gets the probe) with every update paired with one
    ``make_stepper()`` update; ``(update, noether seconds, raw seconds)`` of each pair."""
    import noether
    from noether.training.runner import run

    LockstepProbe.make_stepper = make_stepper
    trainer = config["trainer"]
    probe = {"kind": "benchmarks.interleaved.LockstepProbe", "every_n_updates": NEVER}
    trainer["callbacks"] = [*(trainer.get("callbacks") or []), probe]
    run(noether.structure(config))
    return list(LockstepProbe.pairs)


def firing_updates(updates: int) -> set[int]:
    """The updates after which the default tracking or logging interval fires (behaviour.md)."""
    track, log = max(updates // 500, 1), max(updates // 100, 1)
    return {u for u in range(1, updates + 1) if u % track == 0 or u % log == 0}


def summary(pairs: list[tuple[int, float, float]], updates: int, defaults: bool, skip: int = 50) -> dict[str, float]:
    """Microseconds per update after the first ``skip`` (warm-up).

    ``plain_*``: updates after which nothing fired (with default callbacks: the per-update cost of a long
    run, where the callbacks' 600 firings are spread thin); ``firing_extra``: what an update with firings
    costs more than a plain one (per firing, raw-corrected); ``run_*``: every update of this run.
    """
    fired = firing_updates(updates) if defaults else set()
    kept = pairs[skip:]
    plain = [(n, r) for u, n, r in kept if u not in fired]
    firing = [(n, r) for u, n, r in kept if u in fired]
    if not plain:
        raise ValueError(f"no update of this {updates}-update run is without firings (the default tracking fires "
                         f"every {max(updates // 500, 1)} updates); measure at least 1,000 updates")
    out = {
        "plain_noether": statistics.fmean(n for n, _ in plain) * 1e6,
        "plain_raw": statistics.fmean(r for _, r in plain) * 1e6,
        "run_noether": statistics.fmean(n for _, n, _ in kept) * 1e6,
        "run_raw": statistics.fmean(r for _, _, r in kept) * 1e6,
    }
    out["plain_ratio"] = out["plain_noether"] / out["plain_raw"]
    out["run_ratio"] = out["run_noether"] / out["run_raw"]
    # The median of per-pair ratios: a slow spell of the machine hits both halves of a pair.
    out["plain_pair_median"] = statistics.median(n / r for n, r in plain)
    out["firing_extra"] = (statistics.fmean(n - r for n, r in firing) * 1e6
                           - (out["plain_noether"] - out["plain_raw"])) if firing else 0.0
    out["firings"] = len(firing)
    return out
