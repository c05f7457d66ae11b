"""Per-update overhead: Noether against hand-written PyTorch loops (and PyTorch Lightning if installed).

Each contender trains the same MLP (batch 64, AdamW) twice, for LONG and SHORT updates; the time per update is
(t_long - t_short) / (LONG - SHORT), which cancels start-up costs. Contenders alternate, each is repeated,
and the table reports medians with min-max. Run: ``python benchmarks/overhead.py [--quick]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_data import make_tensors

BATCH = 64
SIZE = 6400


def mlp(width: int, dim: int = 64) -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Linear(dim, width), torch.nn.GELU(), torch.nn.Linear(width, width),
                               torch.nn.GELU(), torch.nn.Linear(width, 1))


def raw_tensors(width: int, updates: int) -> float:
    torch.manual_seed(0)
    x, y = make_tensors(SIZE, 64, 0)
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
    torch.manual_seed(0)
    x, y = make_tensors(SIZE, 64, 0)
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


def noether_run(width: int, updates: int, defaults: bool) -> float:
    import noether
    from noether.training.runner import run

    with tempfile.TemporaryDirectory() as out:
        config = noether.structure({
            "output_path": out, "store_code_in_output": False, "accelerator": "cpu",
            "datasets": {"train": {"kind": "benchmarks.bench_data.RandomRegression", "size": SIZE}},
            "model": {"kind": "noether.core.models.MLP", "name": "mlp", "input_dim": 64, "hidden_dim": width,
                      "depth": 2, "output_dim": 1, "optimizer_config": {"kind": "torch.optim.AdamW", "lr": 1e-3}},
            "trainer": {"kind": "SupervisedTrainer", "max_updates": updates, "effective_batch_size": BATCH,
                        "forward_properties": ["x"], "target_properties": ["y"],
                        "add_default_callbacks": defaults},
        })
        start = time.perf_counter()
        run(config)
        return time.perf_counter() - start


def lightning_run(width: int, updates: int, defaults: bool) -> float:
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
    x, y = make_tensors(SIZE, 64, 0)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=BATCH, shuffle=True,
                                         drop_last=True)
    with tempfile.TemporaryDirectory() as out:
        kwargs = {} if defaults else {"logger": False, "enable_checkpointing": False, "enable_progress_bar": False,
                                      "enable_model_summary": False}
        trainer = pl.Trainer(max_steps=updates, accelerator="cpu", devices=1, default_root_dir=out, **kwargs)
        start = time.perf_counter()
        trainer.fit(Module(), loader)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer updates and repeats")
    parser.add_argument("--threads", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--widths", type=int, nargs="*", default=[64, 512])
    parser.add_argument("--no-lightning", action="store_true", help="leave PyTorch Lightning out")
    args = parser.parse_args()
    long, short, repeats = (600, 100, 2) if args.quick else (2000, 200, 3)
    contenders: dict[str, Callable[[int, int], float]] = {
        "raw loop over tensors": raw_tensors,
        "raw loop over DataLoader": raw_dataloader,
        "noether (default callbacks)": lambda w, n: noether_run(w, n, True),
        "noether (no default callbacks)": lambda w, n: noether_run(w, n, False),
    }
    try:
        if args.no_lightning:
            raise ImportError
        import lightning.pytorch  # noqa: F401

        contenders["lightning (defaults)"] = lambda w, n: lightning_run(w, n, True)
        contenders["lightning (logger/ckpt/bar off)"] = lambda w, n: lightning_run(w, n, False)
    except ImportError:
        print("(PyTorch Lightning left out; pip install -e '.[bench]' to include it)")
    import logging

    logging.getLogger("noether").setLevel(logging.WARNING)
    logging.getLogger("lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    print(f"torch {torch.__version__}; batch {BATCH}; AdamW; {long}-{short} updates; {repeats} repeats")
    for threads in args.threads:
        torch.set_num_threads(threads)
        for width in args.widths:
            samples: dict[str, list[float]] = {name: [] for name in contenders}
            for _ in range(repeats):
                for name, fn in contenders.items():  # alternate contenders against machine noise
                    t_long, t_short = fn(width, long), fn(width, short)
                    samples[name].append((t_long - t_short) / (long - short) * 1e6)
            base = statistics.median(samples["raw loop over DataLoader"])
            print(f"\nwidth {width}, {threads} thread(s)")
            print(f"  {'contender':<34} {'us/update':>10} {'min-max':>17} {'x DataLoader':>13}")
            for name, values in samples.items():
                med = statistics.median(values)
                print(f"  {name:<34} {med:>10.1f} {min(values):>8.1f}-{max(values):<8.1f} {med / base:>12.2f}x")


if __name__ == "__main__":
    main()
