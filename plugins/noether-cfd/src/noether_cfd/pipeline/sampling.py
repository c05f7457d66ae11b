"""Surface and volume point sampling (with AB-UPT anchor counts) as a per-sample pipeline processor.

It also samples a column-wise batch (:meth:`SurfaceVolumeSampling.process_batch`): the draws of each sample
come from its own generator, as per sample, and the kept points of a batched column are taken in one gather.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from noether.data.batch import SampleBatch
from noether_cfd import batch as keys
from noether_cfd.pipeline.schemas import DEFAULT_SURFACE_ITEMS, DEFAULT_VOLUME_ITEMS, SurfaceVolumeSamplingConfig
from noether_cfd.pipeline.seeding import SeededProcessor, choose, gather_points, point_counts

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

    def process_batch(self, batch: SampleBatch) -> SampleBatch | None:
        """Subsample a column-wise batch exactly as :meth:`__call__` does each of its samples.

        ``None`` (the pipeline then runs the per-sample form, which raises the message) when a sample lacks
        the index or a configured item, has point sets of different lengths, or has too few points.
        """
        indices = self.batch_indices(batch)
        if indices is None:
            return None
        cfg = self.config
        columns = batch.columns
        surface = self._present_columns(columns, cfg.surface_items, DEFAULT_SURFACE_ITEMS)
        volume = self._present_columns(columns, cfg.volume_items, DEFAULT_VOLUME_ITEMS)
        if surface is None or volume is None:
            return None
        # Everything is drawn into a new column dict: a batch handed back to the per-sample form is untouched.
        out = dict(columns)
        if surface:
            counts = self._counts(batch, surface, cfg.surface_points)
            if counts is None:
                return None
            if cfg.surface_weighting == "area" and keys.SURFACE_AREA not in columns:
                return None
            weighted = cfg.surface_weighting == "area" and cfg.surface_points is not None
            selections: list[np.ndarray] = []
            mean_areas: list[float | None] = []
            for position, (index, n) in enumerate(zip(indices, counts, strict=True)):
                rng = self.rng(index, SURFACE_STREAM)
                if weighted and cfg.surface_points is not None and cfg.surface_points < n:
                    weights = columns[keys.SURFACE_AREA][position].reshape(-1).double().numpy()
                    selections.append(choose(rng, n, cfg.surface_points, weights))
                    mean_areas.append(float(weights.sum()) / len(selections[-1]))
                else:
                    selections.append(choose(rng, n, cfg.surface_points))
                    mean_areas.append(None)
            for item in surface:
                out[item] = gather_points(columns[item], selections)
            sampled_area = keys.SURFACE_AREA in surface
            if sampled_area or any(m is not None for m in mean_areas):
                # As per sample: kept areas are rescaled; an area-weighted draw sets them to the mean area
                # (the whole, unsampled area when the area is not one of the sampled items).
                out[keys.SURFACE_AREA] = _weighted_areas(out[keys.SURFACE_AREA], counts, selections, mean_areas,
                                                         sampled_area)
            out[keys.SURFACE_ANCHOR_COUNT] = _anchor_counts(cfg.surface_anchors, selections)
        if volume:
            counts = self._counts(batch, volume, cfg.volume_points)
            if counts is None:
                return None
            selections = [choose(self.rng(index, VOLUME_STREAM), n, cfg.volume_points)
                          for index, n in zip(indices, counts, strict=True)]
            for item in volume:
                out[item] = gather_points(columns[item], selections)
            out[keys.VOLUME_ANCHOR_COUNT] = _anchor_counts(cfg.volume_anchors, selections)
        return SampleBatch(out, batch.size)

    @staticmethod
    def _present_columns(columns: dict[str, Any], configured: Sequence[str] | None,
                         defaults: Sequence[str]) -> list[str] | None:
        if configured is not None:
            return list(configured) if all(k in columns for k in configured) else None
        return [k for k in defaults if k in columns]

    def _counts(self, batch: SampleBatch, items: list[str], wanted: int | None) -> list[int] | None:
        counts = point_counts(batch, items)
        if counts is None:
            return None
        if wanted is not None and not self.config.allow_fewer and any(n < wanted for n in counts):
            return None
        return counts


def _weighted_areas(areas: Any, counts: list[int], selections: list[np.ndarray],
                    mean_areas: list[float | None], rescale: bool) -> Any:
    """The areas as the per-sample form leaves them: rescaled by ``all / kept`` points (if ``rescale``), or
    set to the mean area of an area-weighted draw."""
    factors = [n / len(s) if rescale else 1.0 for n, s in zip(counts, selections, strict=True)]
    if isinstance(areas, torch.Tensor) and all(m is None for m in mean_areas) and len(set(factors)) == 1:
        return areas * factors[0]  # the per-sample product, in one call (the factor is a Python float alike)
    values = [areas[i] for i in range(len(selections))]
    scaled = [torch.full_like(v, m) if m is not None else v * f
              for v, f, m in zip(values, factors, mean_areas, strict=True)]
    return torch.stack(scaled) if isinstance(areas, torch.Tensor) else scaled


def _anchor_counts(count: int | None, selections: list[np.ndarray]) -> torch.Tensor:
    """The anchor count of every sample ``(batch,)``: at most the points it kept, as per sample."""
    return torch.tensor([0 if count is None else min(count, len(s)) for s in selections], dtype=torch.int64)
