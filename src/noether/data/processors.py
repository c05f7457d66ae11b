"""Processors: functions ``dict -> dict`` applied to each sample (or to a batch) before or after collation.

Processors replace entries of the dict they get; they never modify a tensor in place, because tensors may be
views into a dataset's in-memory storage. That is what makes copying samples unnecessary.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from noether.data.schemas import DuplicateKeysConfig, PointSamplingConfig, RenameKeysConfig


class Processor:
    """Base of processors: ``processor(sample) -> sample``."""

    def __call__(self, sample: dict[str, Any]) -> dict[str, Any]:
        """Process one sample (or batch) dict."""
        raise NotImplementedError

    def set_epoch(self, epoch: int) -> None:
        """Called by the pipeline when an epoch starts; random processors vary their draws by epoch."""


def _keys(sample: dict[str, Any]) -> str:
    return ", ".join(sample) or "(none)"


class PointSampling(Processor):
    """Keep ``num_points`` random points (the same ones for every key in ``items``)."""

    def __init__(self, config: PointSamplingConfig) -> None:
        self.config = config
        self.items = tuple(config.items)
        self.num_points = config.num_points
        # The run seeds torch before building datasets, so this makes the draws a function of the run's seed.
        self.seed = torch.initial_seed() if config.seed is None else config.seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Draw different points in every epoch."""
        self.epoch = int(epoch)

    def __call__(self, sample: dict[str, Any]) -> dict[str, Any]:
        """Subsample ``items`` of one sample; needs the sample's ``index``."""
        if "index" not in sample:
            raise KeyError("PointSampling needs the sample's 'index' (do not exclude it from the properties)")
        index = int(sample["index"])
        counts = {}
        for item in self.items:
            if item not in sample:
                raise KeyError(f"PointSampling: sample {index} has no '{item}'; its keys: {_keys(sample)}")
            counts[item] = int(sample[item].shape[0])
        n = counts[self.items[0]]
        if len(set(counts.values())) > 1:
            raise ValueError(f"PointSampling: sample {index} has items of different lengths {counts}")
        if n < self.num_points:
            if self.config.allow_fewer:
                return sample
            raise ValueError(
                f"PointSampling: sample {index} has {n} points, fewer than num_points={self.num_points} "
                "(set allow_fewer: true to keep all points)"
            )
        # A generator per (seed, epoch, sample): the draw does not depend on which worker loads the sample.
        rng = np.random.default_rng((self.seed, self.epoch, index))
        chosen = np.sort(rng.choice(n, size=self.num_points, replace=False))
        selection = torch.from_numpy(chosen)
        for item in self.items:
            sample[item] = sample[item].index_select(0, selection)
        return sample


class RenameKeys(Processor):
    """Rename keys: ``{old: new}``; a missing key or an overwrite is an error."""

    def __init__(self, config: RenameKeysConfig) -> None:
        self.config = config
        self.mapping = dict(config.mapping)

    def __call__(self, sample: dict[str, Any]) -> dict[str, Any]:
        """Rename in place (the dict, not its values)."""
        moved = {}
        for old, new in self.mapping.items():
            if old not in sample:
                raise KeyError(f"RenameKeys: no key '{old}' to rename; keys: {_keys(sample)}")
            moved[new] = sample.pop(old)
        clash = sorted(k for k in moved if k in sample)
        if clash:
            raise KeyError(f"RenameKeys: renaming would overwrite existing key(s) {', '.join(clash)}")
        sample.update(moved)
        return sample


class DuplicateKeys(Processor):
    """Expose values under more names; the value object is shared, not copied."""

    def __init__(self, config: DuplicateKeysConfig) -> None:
        self.config = config
        self.mapping = {
            source: (targets,) if isinstance(targets, str) else tuple(targets)
            for source, targets in config.mapping.items()
        }

    def __call__(self, sample: dict[str, Any]) -> dict[str, Any]:
        """Add the duplicate keys."""
        for source, targets in self.mapping.items():
            if source not in sample:
                raise KeyError(f"DuplicateKeys: no key '{source}' to duplicate; keys: {_keys(sample)}")
            for target in targets:
                sample[target] = sample[source]
        return sample
