"""Data: samples per second of the airfoil pipeline with 0, 1 and 2 DataLoader workers, next to iterating the
dataset directly. Run: ``python benchmarks/data.py [--quick]``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import noether
from noether.core.schemas import AnyDatasetConfig
from noether.data.dataset import build_dataset

BATCH = 32


def main() -> None:
    with tempfile.TemporaryDirectory() as root:
        config = noether.structure({"kind": "noether.data.airfoil.AirfoilDataset", "root": root, "split": "train"},
                                   AnyDatasetConfig)
        dataset = build_dataset(config, name="train")
        n = len(dataset)

        def direct() -> float:
            start = time.perf_counter()
            for i in range(n):
                dataset[i]
            return n / (time.perf_counter() - start)

        def loader(workers: int) -> float:
            dl = torch.utils.data.DataLoader(dataset, batch_size=BATCH, shuffle=True, drop_last=True,
                                             num_workers=workers, collate_fn=dataset.collate_fn)
            start = time.perf_counter()
            count = sum(len(batch["index"]) for batch in dl)
            return count / (time.perf_counter() - start)

        contenders = {"dataset[i] directly": direct, "DataLoader, 0 workers": lambda: loader(0),
                      "DataLoader, 1 worker": lambda: loader(1), "DataLoader, 2 workers": lambda: loader(2)}
        samples: dict[str, list[float]] = {k: [] for k in contenders}
        for _ in range(2 if "--quick" in sys.argv else 5):
            for name, fn in contenders.items():
                samples[name].append(fn())
    print(f"airfoil train split: {n} samples, batch {BATCH} (worker start-up included per epoch)")
    print(f"{'contender':<26} {'samples/s':>10} {'min-max':>19}")
    for name, values in samples.items():
        print(f"{name:<26} {statistics.median(values):>10.0f} {min(values):>9.0f}-{max(values):<9.0f}")


if __name__ == "__main__":
    main()
