"""Datasets for the batched-path tests: one with batch loaders, and its twin that loads sample by sample."""

from __future__ import annotations

import os
from typing import Any, ClassVar

import attrs
import torch

from noether.core.schemas import DatasetBaseConfig
from noether.core.schemas._base import Schema
from noether.data.arrays import ArrayDataset, row
from noether.data.batch import SampleBatch
from noether.data.dataset import with_normalizers
from noether.data.processors import Processor


@attrs.frozen(kw_only=True)
class CloudsConfig(DatasetBaseConfig):
    """``size`` point clouds of ``points`` points in 3-d, a field ``y = sin(x @ w)`` on them, a label each."""

    size: int = 40
    points: int = 10
    seed: int = 0


def make_clouds(config: CloudsConfig) -> dict[str, torch.Tensor]:
    """The arrays of both twins (the same for the same config)."""
    g = torch.Generator().manual_seed(config.seed)
    x = torch.randn(config.size, config.points, 3, generator=g) * 2 + 0.5
    w = torch.randn(3, 1, generator=g)
    return {"x": x, "y": torch.sin(x @ w), "label": torch.arange(config.size, dtype=torch.float32)[:, None]}


class BatchedClouds(ArrayDataset):
    """``x`` and ``y`` (normalized by their keys) served by one gather per batch; ``tag`` only per sample."""

    config_class = CloudsConfig
    array_properties: ClassVar[dict[str, str]] = {
        "x": "Points ``(points, 3)``.", "y": "Field ``(points, 1)``.", "label": "Sample number ``(1,)``."}

    def __init__(self, config: CloudsConfig, **kwargs: Any) -> None:
        super().__init__(config, make_clouds(config))

    def getitem_tag(self, idx: int) -> int:
        """A per-sample-only property (no batch loader): the batch mixes both kinds."""
        return idx * 10


class PerSampleClouds(BatchedClouds):
    """The same data and normalization without any batch loader."""

    getitems_x = None
    getitems_y = None
    getitems_label = None


class GatherCounting(BatchedClouds):
    """Counts per-sample reads of ``x``, to show the batched path does none."""

    single_reads = 0

    @with_normalizers(required=False)
    def getitem_x(self, idx: int) -> torch.Tensor:
        """``x`` of one sample, counted."""
        type(self).single_reads += 1
        return row(self.arrays["x"], idx)


@attrs.frozen(kw_only=True)
class LoggedReadsConfig(CloudsConfig):
    """Config of :class:`LoggedReads`."""

    #: A file that gets one line (the process id) per per-sample read of ``x``.
    log: str = ""


class LoggedReads(BatchedClouds):
    """Writes each per-sample read of ``x`` to a file, so that reads in DataLoader workers are seen too."""

    config_class = LoggedReadsConfig

    @with_normalizers(required=False)
    def getitem_x(self, idx: int) -> torch.Tensor:
        """``x`` of one sample, logged."""
        with open(self.config.log, "a", encoding="utf-8") as log:
            log.write(f"{os.getpid()}\n")
        return row(self.arrays["x"], idx)


BATCHED = "tests.data.batched_toys.BatchedClouds"
PER_SAMPLE = "tests.data.batched_toys.PerSampleClouds"


class PlainArrays(ArrayDataset):
    """Unnormalized in-memory tensors only: what ``ArrayDataset.collated_loader`` gathers by itself."""

    config_class = CloudsConfig
    array_properties: ClassVar[dict[str, str]] = {"x": "Points ``(points, 3)``.", "y": "Field ``(points, 1)``."}
    normalize_arrays = False

    def __init__(self, config: CloudsConfig, **kwargs: Any) -> None:
        arrays = make_clouds(config)
        super().__init__(config, {"x": arrays["x"], "y": arrays["y"]})


class NormalizedPlainArrays(PlainArrays):
    """The same arrays, normalized by their keys: no direct gather (the normalizers must run)."""

    array_properties: ClassVar[dict[str, str]] = {"x": "Points ``(points, 3)``.", "y": "Field ``(points, 1)``."}
    normalize_arrays = True


class MisalignedClouds(BatchedClouds):
    """A batch loader with a bug: ``y`` of every sample but the first comes from the next sample of the batch."""

    @with_normalizers(required=False)
    def getitems_y(self, indices: list[int]) -> torch.Tensor:
        """``y`` rolled by one row after the first: the per-sample ``getitem_y`` stays right."""
        shifted = [indices[0], *indices[2:], indices[1]] if len(indices) > 2 else list(indices)
        return self.arrays["y"][torch.tensor(shifted)]


@attrs.frozen(kw_only=True)
class DoubleXConfig(Schema):
    """Config of :class:`DoubleX`."""

    kind: str = "tests.data.batched_toys.DoubleX"


class DoubleX(Processor):
    """Doubles ``x``; its batched form forgets the last sample of the batch (a bug to be found)."""

    config_class = DoubleXConfig

    def __init__(self, config: DoubleXConfig) -> None:
        self.config = config

    def __call__(self, sample: dict[str, Any]) -> dict[str, Any]:
        """``x`` times two."""
        sample["x"] = sample["x"] * 2
        return sample

    def process_batch(self, batch: SampleBatch) -> SampleBatch | None:
        """``x`` times two, but not for the last sample."""
        x = batch.columns["x"].clone()
        x[:-1] *= 2
        batch.columns["x"] = x
        return batch
