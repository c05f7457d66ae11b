"""Per-update overhead: Noether against hand-written PyTorch loops (and PyTorch Lightning if installed).

Every contender trains the same MLP (32 -> width -> width -> 8, GELU), batch 64, AdamW, on the same 6,400
pre-made samples, twice: for LONG and for SHORT updates. The time per update is
(t_long - t_short) / (LONG - SHORT), which cancels start-up. Contenders alternate, each is repeated, and the
table gives medians with min-max and the ratio to the hand-written loop over pre-made tensors, next to the
targets (noether with its default callbacks within 10 % of that loop at width 64, 2 % at width 512).
Figures only, no pass/fail: shared machines are noisy. Run: ``python benchmarks/overhead.py [--quick]``.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

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
                  "optimizer_config": {"kind": "torch.optim.AdamW", "lr": 1e-3}},
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
        kwargs = {} if defaults else {"logger": False, "enable_checkpointing": False, "enable_progress_bar": False,
                                      "enable_model_summary": False}
        trainer = pl.Trainer(max_steps=updates, accelerator="cpu", devices=1, default_root_dir=out, **kwargs)
        start = time.perf_counter()
        trainer.fit(Module(), loader)
        return time.perf_counter() - start


def contenders(lightning: bool) -> dict[str, Callable[[int, int], float]]:
    """Name -> ``fn(width, updates) -> seconds``, in table order."""
    table: dict[str, Callable[[int, int], float]] = {
        BASELINE: raw_tensors,
        "raw loop over DataLoader": raw_dataloader,
        "noether (no default callbacks)": lambda w, n: noether_run(w, n, False),
        "noether (defaults)": lambda w, n: noether_run(w, n, True),
        "noether (defaults, per-sample data)": lambda w, n: noether_run(w, n, True, "PerSampleRegression"),
    }
    if not lightning:
        return table
    try:
        import lightning.pytorch
    except ImportError:
        print("(Lightning columns left out: PyTorch Lightning is not installed; pip install -e '.[bench]')")
        return table
    table["lightning (minimal)"] = lambda w, n: lightning_run(w, n, False)
    table["lightning (defaults)"] = lambda w, n: lightning_run(w, n, True)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer updates and repeats (for CI's log)")
    parser.add_argument("--threads", type=int, nargs="*", default=[1])
    parser.add_argument("--widths", type=int, nargs="*", default=[64, 512])
    parser.add_argument("--no-lightning", action="store_true", help="leave PyTorch Lightning out")
    args = parser.parse_args()
    long, short, repeats = (500, 100, 1) if args.quick else (2000, 200, 3)
    table = contenders(not args.no_lightning)
    for name in ("noether", "lightning", "lightning.pytorch"):
        logging.getLogger(name).setLevel(logging.ERROR)
    print(f"torch {torch.__version__}; MLP {IN_DIM}->w->w->{OUT_DIM}; batch {BATCH}; AdamW; "
          f"({long} - {short} updates) per repeat; {repeats} repeat(s); figures are noisy on shared machines")
    summary = []
    for threads in args.threads:
        torch.set_num_threads(threads)
        for width in args.widths:
            samples: dict[str, list[float]] = {name: [] for name in table}
            for _ in range(repeats):
                for name, fn in table.items():  # alternate contenders against machine noise
                    t_long, t_short = fn(width, long), fn(width, short)
                    samples[name].append((t_long - t_short) / (long - short) * 1e6)
            base = statistics.median(samples[BASELINE])
            print(f"\nwidth {width}, {threads} thread(s)")
            print(f"  {'contender':<38} {'us/update':>10} {'min-max':>17} {'x raw tensors':>14}")
            for name, values in samples.items():
                med = statistics.median(values)
                print(f"  {name:<38} {med:>10.1f} {min(values):>8.1f}-{max(values):<8.1f} {med / base:>13.2f}x")
            target = TARGETS.get(width)
            ratio = statistics.median(samples["noether (defaults)"]) / base
            if target is not None:
                summary.append(f"  width {width:>4}, {threads} thread(s): noether defaults / raw tensor loop = "
                               f"{ratio:.2f}x (target <= {target:.2f}x)")
    if summary:
        print("\nnoether (defaults) over the hand-written tensor loop, against the targets of issue 18:")
        print("\n".join(summary))


if __name__ == "__main__":
    main()
