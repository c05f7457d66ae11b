"""Random generators keyed by ``(seed, epoch, sample, stream)``: the same draws in any worker and after resume."""

from __future__ import annotations

from typing import Any

import numpy as np

from noether.data.processors import Processor


def run_seed(configured: int | None) -> int:
    """The configured seed, else the run's (the run seeds torch before it builds datasets and pipelines)."""
    if configured is not None:
        return int(configured)
    import torch

    return int(torch.initial_seed())


def sample_rng(seed: int, epoch: int, index: int, stream: int) -> np.random.Generator:
    """A generator for one draw; ``stream`` separates the steps of a pipeline so that they draw independently."""
    return np.random.default_rng((seed, epoch, index, stream))


def choose(rng: np.random.Generator, n: int, k: int | None, weights: np.ndarray | None = None) -> np.ndarray:
    """``k`` distinct indices out of ``n`` in random order (``None`` or ``k >= n``: a permutation of all ``n``)."""
    if k is None or k >= n:
        return rng.permutation(n)
    if weights is None:
        return rng.choice(n, size=k, replace=False)
    p = np.asarray(weights, dtype=np.float64).reshape(-1)
    return rng.choice(n, size=k, replace=False, p=p / p.sum())


class SeededProcessor(Processor):
    """A processor whose draws are keyed by ``(seed, epoch, sample, stream)``; its config has ``seed`` and ``fixed``."""

    def __init__(self, config: Any) -> None:
        self.config = config
        self.seed = run_seed(config.seed)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Draw other points in every epoch (unless the config is ``fixed``)."""
        self.epoch = int(epoch)

    def rng(self, index: int, stream: int) -> np.random.Generator:
        """The generator of one draw of sample ``index`` (epoch 0 when ``fixed``)."""
        return sample_rng(self.seed, 0 if self.config.fixed else self.epoch, index, stream)
