"""Surface and volume point sampling (with AB-UPT anchor counts) as a per-sample pipeline processor."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from noether_cfd import batch as keys
from noether_cfd.pipeline.schemas import DEFAULT_SURFACE_ITEMS, DEFAULT_VOLUME_ITEMS, SurfaceVolumeSamplingConfig
from noether_cfd.pipeline.seeding import SeededProcessor, choose

SURFACE_STREAM = 1
VOLUME_STREAM = 2


def _present(sample: dict[str, Any], configured: Sequence[str] | None, defaults: Sequence[str]) -> list[str]:
    if configured is not None:
        missing = [k for k in configured if k not in sample]
        if missing:
            raise KeyError(
                f"SurfaceVolumeSampling: sample {sample.get('index')} has no {', '.join(map(repr, missing))}; "
                f"its keys: {', '.join(sample)}"
            )
        return list(configured)
    return [k for k in defaults if k in sample]


def _count(sample: dict[str, Any], items: Sequence[str]) -> int:
    counts = {k: int(sample[k].shape[0]) for k in items}
    if len(set(counts.values())) > 1:
        raise ValueError(
            f"SurfaceVolumeSampling: sample {sample.get('index')} has point sets of different lengths {counts}"
        )
    return next(iter(counts.values()))


class SurfaceVolumeSampling(SeededProcessor):
    """Keep random surface and volume points of a sample (see :class:`SurfaceVolumeSamplingConfig`)."""

    config: SurfaceVolumeSamplingConfig

    def __call__(self, sample: dict[str, Any]) -> dict[str, Any]:
        """Subsample the surface and volume items of one sample; needs the sample's ``index``."""
        if "index" not in sample:
            raise KeyError("SurfaceVolumeSampling needs the sample's 'index' (do not exclude it)")
        index = int(sample["index"])
        cfg = self.config
        surface = _present(sample, cfg.surface_items, DEFAULT_SURFACE_ITEMS)
        if surface:
            weights = None
            if cfg.surface_weighting == "area":
                weights = sample[keys.SURFACE_AREA].reshape(-1).double().numpy()
            rng = self.rng(index, SURFACE_STREAM)
            kept = self._select(sample, surface, cfg.surface_points, rng, weights)
            if keys.SURFACE_AREA in surface and kept is not None:
                total, chosen = kept
                # Each kept point stands for total/chosen points, so area sums estimate the whole surface.
                sample[keys.SURFACE_AREA] = sample[keys.SURFACE_AREA] * (total / chosen)
            sample[keys.SURFACE_ANCHOR_COUNT] = self._anchors(cfg.surface_anchors, sample, surface[0])
        volume = _present(sample, cfg.volume_items, DEFAULT_VOLUME_ITEMS)
        if volume:
            self._select(sample, volume, cfg.volume_points, self.rng(index, VOLUME_STREAM), None)
            sample[keys.VOLUME_ANCHOR_COUNT] = self._anchors(cfg.volume_anchors, sample, volume[0])
        return sample

    def _select(
        self, sample: dict[str, Any], items: list[str], wanted: int | None, rng: Any, weights: Any
    ) -> tuple[int, int] | None:
        n = _count(sample, items)
        if wanted is not None and n < wanted and not self.config.allow_fewer:
            raise ValueError(
                f"SurfaceVolumeSampling: sample {sample['index']} has {n} points in '{items[0]}', fewer than the "
                f"{wanted} asked for (lower the count or set allow_fewer: true)"
            )
        if weights is not None and wanted is not None and wanted < n:
            # Area-proportional draws are not uniform: the per-point weight is then the mean area.
            chosen = choose(rng, n, wanted, weights)
            selection = torch.from_numpy(chosen)
            for item in items:
                sample[item] = sample[item].index_select(0, selection)
            mean_area = float(weights.sum()) / len(chosen)
            sample[keys.SURFACE_AREA] = torch.full_like(sample[keys.SURFACE_AREA], mean_area)
            return None
        selection = torch.from_numpy(choose(rng, n, wanted))
        for item in items:
            sample[item] = sample[item].index_select(0, selection)
        return n, int(selection.numel())

    @staticmethod
    def _anchors(count: int | None, sample: dict[str, Any], first: str) -> torch.Tensor:
        """The anchor count as a 0-d tensor, at most the points the sample kept (``allow_fewer``)."""
        available = int(sample[first].shape[0])
        anchors = 0 if count is None else min(count, available)
        return torch.tensor(anchors, dtype=torch.int64)
