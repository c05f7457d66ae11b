"""Per-update overhead: Noether against hand-written PyTorch loops (and PyTorch Lightning if installed).

Every contender trains the same model (``noether.core.models.MLP``: 32 -> width -> width -> 8, GELU), batch 64,
AdamW (lr 1e-3, weight decay 0.01 on every parameter: one parameter group, as the hand-written loops'), on the
same 6,400 pre-made samples, in two ways:

* **Separate runs.** Each contender trains for LONG and for SHORT updates; the time per update is
  (t_long - t_short) / (LONG - SHORT), which cancels start-up and everything a run does a fixed number of
  times. With both runs at least 500 updates long, noether's default callbacks fire equally often in both
  (tracking every ``total // 500`` updates and logging every ``total // 100``: 600 firings a run), so their
  firings cancel too, as they are spread over a long run. Each contender runs once untimed first; then rounds
  alternate the contenders (the order reversed every other round). Per contender: the median and the minimum
  over the rounds of CPU time (not counting time the process waited for the CPU), and the wall-time median.
* **Interleaved** (``benchmarks/interleaved.py``): one noether run whose every update is paired with one update
  of the hand-written tensor loop, in the same process, so that a slow spell of a shared machine hits both.
  It separates plain updates (after which no callback fired) from updates with firings. Three runs of 2,000
  updates per width and contender (the issue's table), their median reported; ``--quick``: one of 1,000.

Targets (issue 18): noether with its default callbacks within 10 % of the hand-written tensor loop at width
64, 2 % at width 512. Figures only, no pass/fail: shared machines are noisy.
Run: ``python benchmarks/overhead.py [--quick] [--no-interleaved] [--updates LONG SHORT] [--repeats N]``.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_data import IN_DIM, OUT_DIM, make_tensors

BATCH = 64
SIZE = 6400
#: Allowed ratio of "noether (defaults)" to the raw tensor loop, per width (issue 18).
TARGETS = {64: 1.10, 512: 1.02}
BASELINE = "raw loop over tensors"
#: Updates of the long and the short run of every round (full run, ``--quick``).
LONG_SHORT = (1500, 500)
LONG_SHORT_QUICK = (1000, 500)
#: Updates of each interleaved run and runs per contender (full run, ``--quick``): the issue's table has
#: 2,000-update runs, the default callbacks firing 600 times in each.
INTERLEAVED = (2000, 3)
INTERLEAVED_QUICK = (1000, 1)


def firings(updates: int) -> int:
    """How often the default tracking and logging intervals fire in a run of ``updates`` updates together
    (every ``max(updates // 500, 1)`` and ``max(updates // 100, 1)`` updates: behaviour.md)."""
    return updates // max(updates // 500, 1) + updates // max(updates // 100, 1)

#: Seconds a run took: ``(wall, cpu)``.
Timing = tuple[float, float]


class Clock:
    """Wall time and the process's CPU time since creation. CPU time leaves out time the process waited for
    the CPU while other jobs ran; nothing here waits on I/O, so the two measure the same work. (On a VM whose
    cores are themselves shared they disagree little: that noise is in both.)"""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def stop(self) -> tuple[float, float]:
        """Seconds elapsed: ``(wall, cpu)``."""
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def mlp(width: int) -> torch.nn.Module:
    """The model every contender trains: ``noether.core.models.MLP`` of depth 2, the very class the noether
    contenders build from their config (so the hand-written loops call the same module, one level around its
    ``nn.Sequential``, as a hand-written model class would be; called with the input tensor)."""
    import noether
    from noether.core.models import MLP
    from noether.core.schemas.models import MLPConfig

    config = noether.structure({"kind": "noether.core.models.MLP", "name": "mlp", "input_dim": IN_DIM,
                                "hidden_dim": width, "depth": 2, "output_dim": OUT_DIM}, MLPConfig)
    return MLP(config)


def raw_tensors(width: int, updates: int) -> Timing:
    """The hand-written limit: index pre-made tensors with a fresh permutation per epoch."""
    torch.manual_seed(0)
    x, y = make_tensors(SIZE)
    model = mlp(width)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    clock = Clock()
    per_epoch = SIZE // BATCH
    perm = torch.randperm(SIZE)
    for step in range(updates):
        if step % per_epoch == 0:
            perm = torch.randperm(SIZE)
        idx = perm[(step % per_epoch) * BATCH:(step % per_epoch + 1) * BATCH]
        loss = torch.nn.functional.mse_loss(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    return clock.stop()


def raw_dataloader(width: int, updates: int) -> Timing:
    """The usual hand-written loop: ``TensorDataset`` + ``DataLoader(shuffle=True)``."""
    torch.manual_seed(0)
    x, y = make_tensors(SIZE)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=BATCH, shuffle=True,
                                         drop_last=True)
    model = mlp(width)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    clock = Clock()
    step = 0
    while step < updates:
        for xb, yb in loader:
            loss = torch.nn.functional.mse_loss(model(xb), yb)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            step += 1
            if step == updates:
                break
    return clock.stop()


def noether_config(out: str, width: int, updates: int, defaults: bool, dataset: str = "RandomRegression") -> dict:
    """The config of the noether contenders (also used by ``profile_update.py``)."""
    return {
        "output_path": out, "store_code_in_output": False, "accelerator": "cpu",
        "datasets": {"train": {"kind": f"benchmarks.bench_data.{dataset}", "size": SIZE}},
        "model": {"kind": "noether.core.models.MLP", "name": "mlp", "input_dim": IN_DIM, "hidden_dim": width,
                  "depth": 2, "output_dim": OUT_DIM,
                  # The hand-written loops' optimizer exactly: torch's AdamW with its default weight decay on
                  # every parameter, one parameter group. noether's defaults would differ in the maths (no
                  # weight decay at all, which would skip a multiply per weight and flatter noether; biases in
                  # a second group without it, which costs a second pass of torch's AdamW over its groups).
                  "optimizer_config": {"kind": "torch.optim.AdamW", "lr": 1e-3, "weight_decay": 0.01,
                                       "exclude_bias_from_weight_decay": False,
                                       "exclude_normalization_params_from_weight_decay": False}},
        "trainer": {"kind": "SupervisedTrainer", "max_updates": updates, "effective_batch_size": BATCH,
                    "forward_properties": ["x"], "target_properties": ["y"], "add_default_callbacks": defaults},
    }


def noether_run(width: int, updates: int, defaults: bool, dataset: str = "RandomRegression") -> Timing:
    """``noether.run`` of the same training; the timer covers the run (build, loop, final checkpoint)."""
    import noether
    from noether.training.runner import run

    with tempfile.TemporaryDirectory() as out:
        config = noether.structure(noether_config(out, width, updates, defaults, dataset))
        clock = Clock()
        run(config)
        return clock.stop()


def lightning_run(width: int, updates: int, defaults: bool) -> Timing:
    """``lightning.pytorch.Trainer.fit`` on the DataLoader of the raw loop."""
    import lightning.pytorch as pl

    class Module(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = mlp(width)

        def training_step(self, batch: list[torch.Tensor], _: int) -> torch.Tensor:
            xb, yb = batch
            loss = torch.nn.functional.mse_loss(self.net(xb), yb)
            if defaults:
                self.log("loss", loss)
            return loss

        def configure_optimizers(self) -> torch.optim.Optimizer:
            return torch.optim.AdamW(self.parameters(), lr=1e-3)

    torch.manual_seed(0)
    x, y = make_tensors(SIZE)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=BATCH, shuffle=True,
                                         drop_last=True)
    with tempfile.TemporaryDirectory() as out:
        kwargs: dict[str, Any] = {} if defaults else {
            "logger": False, "enable_checkpointing": False, "enable_progress_bar": False,
            "enable_model_summary": False}
        # Its model summary, progress bar and hints would fill the log (CI's too) once per run: not shown.
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trainer = pl.Trainer(max_steps=updates, accelerator="cpu", devices=1, default_root_dir=out, **kwargs)
            clock = Clock()
            trainer.fit(Module(), loader)
            return clock.stop()


def contenders(with_lightning: bool) -> dict[str, Callable[[int, int], Timing]]:
    """Name -> ``fn(width, updates) -> seconds``, in table order."""
    table: dict[str, Callable[[int, int], Timing]] = {
        BASELINE: raw_tensors,
        "raw loop over DataLoader": raw_dataloader,
        "noether (no default callbacks)": lambda w, n: noether_run(w, n, False),
        "noether (defaults)": lambda w, n: noether_run(w, n, True),
        "noether (defaults, per-sample data)": lambda w, n: noether_run(w, n, True, "PerSampleRegression"),
    }
    if not with_lightning:
        return table
    try:
        import lightning.pytorch  # noqa: F401 (only whether it is installed)
    except ImportError:
        print("(Lightning columns left out: PyTorch Lightning is not installed; pip install -e '.[bench]')")
        return table
    table["lightning (minimal)"] = lambda w, n: lightning_run(w, n, False)
    table["lightning (defaults)"] = lambda w, n: lightning_run(w, n, True)
    return table


def measure(table: dict[str, Callable[[int, int], Timing]], width: int, long: int, short: int,
            rounds: int) -> dict[str, dict[str, list[float]]]:
    """Per contender and clock (``wall``, ``cpu``): microseconds per update, one value per round (rounds
    alternate the contenders), and ``fixed_*``: what a run costs besides its updates, in milliseconds."""
    for fn in table.values():
        fn(width, short // 2)  # warm-up: imports and first calls stay out of the timed rounds
    samples: dict[str, dict[str, list[float]]] = {
        name: {"wall": [], "cpu": [], "fixed_wall": [], "fixed_cpu": []} for name in table}
    names = list(table)
    for index in range(rounds):
        for name in names if index % 2 == 0 else names[::-1]:
            fn = table[name]
            t_long, t_short = fn(width, long), fn(width, short)
            for clock, i in (("wall", 0), ("cpu", 1)):
                per_update = (t_long[i] - t_short[i]) / (long - short)
                samples[name][clock].append(per_update * 1e6)
                samples[name][f"fixed_{clock}"].append((t_short[i] - short * per_update) * 1e3)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer updates and rounds (for CI's log)")
    parser.add_argument("--threads", type=int, nargs="*", default=[1])
    parser.add_argument("--widths", type=int, nargs="*", default=[64, 512])
    parser.add_argument("--rounds", type=int, help="rounds per width (default 3 with --quick, else 7)")
    parser.add_argument("--updates", type=int, nargs=2, metavar=("LONG", "SHORT"),
                        help=f"updates of the long and the short run (default {LONG_SHORT} or with --quick "
                             f"{LONG_SHORT_QUICK}; both >= 500 make the default callbacks fire equally often "
                             "in both, see the module's docstring)")
    parser.add_argument("--no-lightning", action="store_true", help="leave PyTorch Lightning out")
    parser.add_argument("--no-interleaved", action="store_true",
                        help="leave out the interleaved measurement (benchmarks/interleaved.py)")
    parser.add_argument("--interleaved-updates", type=int,
                        help=f"updates of each interleaved run (default {INTERLEAVED[0]}, the issue's table, or "
                             f"with --quick {INTERLEAVED_QUICK[0]})")
    parser.add_argument("--repeats", type=int,
                        help=f"interleaved runs per width and contender, the median reported (default "
                             f"{INTERLEAVED[1]}, with --quick {INTERLEAVED_QUICK[1]})")
    args = parser.parse_args()
    if args.interleaved_updates is not None and args.interleaved_updates < 1000:
        # Below 1,000 updates the default tracking fires after every update: no plain update to measure.
        parser.error(f"--interleaved-updates {args.interleaved_updates}: use at least 1000 (below, the default "
                     "tracking interval max(updates // 500, 1) is 1 and every update fires)")
    long, short = args.updates or (LONG_SHORT_QUICK if args.quick else LONG_SHORT)
    rounds = args.rounds or (3 if args.quick else 7)
    table = contenders(not args.no_lightning)
    for name in ("noether", "lightning", "lightning.pytorch"):
        logging.getLogger(name).setLevel(logging.ERROR)
    print(f"torch {torch.__version__}; MLP {IN_DIM}->w->w->{OUT_DIM}; batch {BATCH}; AdamW; "
          f"({long} - {short} updates) per round; {rounds} alternating round(s); figures are noisy on shared "
          "machines (the minimum is the least-disturbed round; the interleaved table at the end resolves a few %)")
    print(f"noether's default callbacks fire {firings(long)} times in the long run and {firings(short)} in the "
          "short one (tracking, logging)")
    summary = []
    for threads in args.threads:
        torch.set_num_threads(threads)
        for width in args.widths:
            samples = measure(table, width, long, short, rounds)
            base = {clock: statistics.median(samples[BASELINE][clock]) for clock in ("cpu", "wall")}
            base_min = min(samples[BASELINE]["cpu"])
            print(f"\nwidth {width}, {threads} thread(s); us per update (CPU time: median, min; wall: median), "
                  "ratios to the raw tensor loop, what a run costs besides its updates (ms, CPU)")
            print(f"  {'contender':<38} {'cpu med':>9} {'cpu min':>9} {'wall med':>9} {'x cpu med':>10} "
                  f"{'x cpu min':>10} {'x wall med':>11} {'fixed ms':>9}")
            for name, values in samples.items():
                cpu, low, wall = (statistics.median(values["cpu"]), min(values["cpu"]),
                                  statistics.median(values["wall"]))
                print(f"  {name:<38} {cpu:>9.1f} {low:>9.1f} {wall:>9.1f} {cpu / base['cpu']:>9.3f}x "
                      f"{low / base_min:>9.3f}x {wall / base['wall']:>10.3f}x "
                      f"{statistics.median(values['fixed_cpu']):>9.1f}")
            target = TARGETS.get(width)
            ours = samples["noether (defaults)"]
            if target is not None:
                cpu_ratio = statistics.median(ours["cpu"]) / base["cpu"]
                wall_ratio = statistics.median(ours["wall"]) / base["wall"]
                summary.append(
                    f"  width {width:>4}, {threads} thread(s), separate runs: {cpu_ratio:.3f}x by CPU time (target "
                    f"<= {target:.2f}x); minima {min(ours['cpu']) / base_min:.3f}x; wall {wall_ratio:.3f}x")
    if not args.no_interleaved:
        default_updates, default_repeats = INTERLEAVED_QUICK if args.quick else INTERLEAVED
        summary += interleaved_section(args.widths, args.interleaved_updates or default_updates,
                                       args.repeats or default_repeats)
    if summary:
        print("\nnoether (defaults) over the hand-written tensor loop, against the targets of issue 18:")
        print("\n".join(summary))


def interleaved_section(widths: list[int], updates: int, repeats: int = 1) -> list[str]:
    """Print the interleaved measurement (``benchmarks/interleaved.py``), each run and, with ``repeats`` > 1,
    the median of the runs' ratios; return the summary lines (medians)."""
    from benchmarks.interleaved import interleaved, summary

    print(f"\ninterleaved in one process: each of a {updates}-update noether run's updates paired with one "
          "update of the hand-written tensor loop (us per update; 'plain': updates after which no callback "
          "fired, the per-update cost of a long run; 'run': every update of this run; 'per firing': what an "
          f"update whose default tracking/logging fired costs more); {repeats} run(s) each")
    print(f"  {'width':>5} {'noether':<30} {'plain us':>9} {'raw us':>8} {'x plain':>8} {'x pair med':>11} "
          f"{'x run':>7} {'per firing us':>14} {'firings':>8}")
    lines = []
    for width in widths:
        for defaults in (False, True):
            name = "defaults" if defaults else "no default callbacks"
            runs = []
            for _ in range(repeats):
                figures = summary(interleaved(width, updates, defaults), updates, defaults)
                runs.append(figures)
                print(f"  {width:>5} {name:<30} {figures['plain_noether']:>9.1f} {figures['plain_raw']:>8.1f} "
                      f"{figures['plain_ratio']:>7.3f}x {figures['plain_pair_median']:>10.3f}x "
                      f"{figures['run_ratio']:>6.3f}x {figures['firing_extra']:>14.1f} {int(figures['firings']):>8}")
            median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
            if repeats > 1:
                print(f"  {width:>5} {name + ', median':<30} {'':>9} {'':>8} {median['plain_ratio']:>7.3f}x "
                      f"{median['plain_pair_median']:>10.3f}x {median['run_ratio']:>6.3f}x "
                      f"{median['firing_extra']:>14.1f}")
            target = TARGETS.get(width)
            if defaults and target is not None:
                of = f"the median of {repeats} runs: " if repeats > 1 else ""
                lines.append(f"  width {width:>4}, interleaved, {of}plain updates {median['plain_ratio']:.3f}x "
                             f"(target <= {target:.2f}x); every update of a {updates}-update run, with its "
                             f"{int(median['firings'])} firings, {median['run_ratio']:.3f}x")
    return lines


if __name__ == "__main__":
    main()
