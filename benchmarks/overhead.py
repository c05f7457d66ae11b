"""Per-update overhead: Noether against hand-written PyTorch loops (and PyTorch Lightning if installed).

Every contender trains the same MLP (32 -> width -> width -> 8, GELU), batch 64, AdamW (lr 1e-3, weight
decay 0.01; noether excludes biases from it, its default), on the same 6,400 pre-made samples, twice: for
LONG and for SHORT updates. The time per update is (t_long - t_short) / (LONG - SHORT), which cancels
start-up. Each contender runs once untimed first (imports,
first-call costs); then rounds of every contender alternate (the order reversed every other round, so a slow
spell of the shared machine does not always hit the same contender), many short rounds rather than a few
long ones. The table gives, per contender, the median and the minimum over the rounds (the minimum is the
least-disturbed run), and the ratio of each to the hand-written loop over pre-made tensors, next to the
targets (noether with its default callbacks within 10 % of that loop at width 64, 2 % at width 512).
Figures only, no pass/fail: shared machines are noisy. Run: ``python benchmarks/overhead.py [--quick]``.
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


def mlp(width: int) -> torch.nn.Module:
    """The model every contender trains (the layers of ``noether.core.models.MLP`` with depth 2)."""
    return torch.nn.Sequential(torch.nn.Linear(IN_DIM, width), torch.nn.GELU(), torch.nn.Linear(width, width),
                               torch.nn.GELU(), torch.nn.Linear(width, OUT_DIM))


def raw_tensors(width: int, updates: int) -> float:
    """The hand-written limit: index pre-made tensors with a fresh permutation per epoch."""
    torch.manual_seed(0)
    x, y = make_tensors(SIZE)
    model = mlp(width)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    start = time.perf_counter()
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
    return time.perf_counter() - start


def raw_dataloader(width: int, updates: int) -> float:
    """The usual hand-written loop: ``TensorDataset`` + ``DataLoader(shuffle=True)``."""
    torch.manual_seed(0)
    x, y = make_tensors(SIZE)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=BATCH, shuffle=True,
                                         drop_last=True)
    model = mlp(width)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    start = time.perf_counter()
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
    return time.perf_counter() - start


def noether_config(out: str, width: int, updates: int, defaults: bool, dataset: str = "RandomRegression") -> dict:
    """The config of the noether contenders (also used by ``profile_update.py``)."""
    return {
        "output_path": out, "store_code_in_output": False, "accelerator": "cpu",
        "datasets": {"train": {"kind": f"benchmarks.bench_data.{dataset}", "size": SIZE}},
        "model": {"kind": "noether.core.models.MLP", "name": "mlp", "input_dim": IN_DIM, "hidden_dim": width,
                  "depth": 2, "output_dim": OUT_DIM,
                  # torch's default weight decay, as the hand-written loops get it (noether's default is 0,
                  # which would skip a multiply per weight and flatter noether); biases stay excluded.
                  "optimizer_config": {"kind": "torch.optim.AdamW", "lr": 1e-3, "weight_decay": 0.01}},
        "trainer": {"kind": "SupervisedTrainer", "max_updates": updates, "effective_batch_size": BATCH,
                    "forward_properties": ["x"], "target_properties": ["y"], "add_default_callbacks": defaults},
    }


def noether_run(width: int, updates: int, defaults: bool, dataset: str = "RandomRegression") -> float:
    """``noether.run`` of the same training; the timer covers the run (build, loop, final checkpoint)."""
    import noether
    from noether.training.runner import run

    with tempfile.TemporaryDirectory() as out:
        config = noether.structure(noether_config(out, width, updates, defaults, dataset))
        start = time.perf_counter()
        run(config)
        return time.perf_counter() - start


def lightning_run(width: int, updates: int, defaults: bool) -> float:
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
            start = time.perf_counter()
            trainer.fit(Module(), loader)
            return time.perf_counter() - start


def contenders(with_lightning: bool) -> dict[str, Callable[[int, int], float]]:
    """Name -> ``fn(width, updates) -> seconds``, in table order."""
    table: dict[str, Callable[[int, int], float]] = {
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


def measure(table: dict[str, Callable[[int, int], float]], width: int, long: int, short: int,
            rounds: int) -> dict[str, list[float]]:
    """Microseconds per update of every contender, one value per round (rounds alternate contenders)."""
    for fn in table.values():
        fn(width, short // 2)  # warm-up: imports and first calls stay out of the timed rounds
    samples: dict[str, list[float]] = {name: [] for name in table}
    names = list(table)
    for index in range(rounds):
        for name in names if index % 2 == 0 else names[::-1]:
            fn = table[name]
            t_long, t_short = fn(width, long), fn(width, short)
            samples[name].append((t_long - t_short) / (long - short) * 1e6)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer updates and rounds (for CI's log)")
    parser.add_argument("--threads", type=int, nargs="*", default=[1])
    parser.add_argument("--widths", type=int, nargs="*", default=[64, 512])
    parser.add_argument("--rounds", type=int, help="rounds per width (default 3 with --quick, else 7)")
    parser.add_argument("--no-lightning", action="store_true", help="leave PyTorch Lightning out")
    args = parser.parse_args()
    long, short, rounds = (400, 100, 3) if args.quick else (1000, 200, 7)
    rounds = args.rounds or rounds
    table = contenders(not args.no_lightning)
    for name in ("noether", "lightning", "lightning.pytorch"):
        logging.getLogger(name).setLevel(logging.ERROR)
    print(f"torch {torch.__version__}; MLP {IN_DIM}->w->w->{OUT_DIM}; batch {BATCH}; AdamW; "
          f"({long} - {short} updates) per round; {rounds} alternating round(s); figures are noisy on shared "
          "machines (the minimum is the least-disturbed round)")
    summary = []
    for threads in args.threads:
        torch.set_num_threads(threads)
        for width in args.widths:
            samples = measure(table, width, long, short, rounds)
            base, base_min = statistics.median(samples[BASELINE]), min(samples[BASELINE])
            print(f"\nwidth {width}, {threads} thread(s)")
            print(f"  {'contender':<38} {'median us':>10} {'min us':>9} {'max us':>9} {'x raw (median)':>15} "
                  f"{'x raw (min)':>12}")
            for name, values in samples.items():
                med, low = statistics.median(values), min(values)
                print(f"  {name:<38} {med:>10.1f} {low:>9.1f} {max(values):>9.1f} {med / base:>14.2f}x "
                      f"{low / base_min:>11.2f}x")
            target = TARGETS.get(width)
            ours = samples["noether (defaults)"]
            ratio, ratio_min = statistics.median(ours) / base, min(ours) / base_min
            if target is not None:
                summary.append(f"  width {width:>4}, {threads} thread(s): noether defaults / raw tensor loop = "
                               f"{ratio:.2f}x (target <= {target:.2f}x); ratio of minima {ratio_min:.2f}x")
    if summary:
        print("\nnoether (defaults) over the hand-written tensor loop, against the targets of issue 18 "
              "(median of rounds; minima):")
        print("\n".join(summary))


if __name__ == "__main__":
    main()
