"""``noether.data``: datasets, normalizers, wrappers, pipelines, statistics and the built-in datasets.

Names are imported lazily: the schema module :mod:`noether.data.schemas` lives in this package and must stay
importable without torch (``noether check`` validates dataset configs without it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from noether._lazy import lazy_getattr

_LAZY = {
    "ArrayDataset": "noether.data.arrays",
    "gather_rows": "noether.data.arrays",
    "SampleBatch": "noether.data.batch",
    "Dataset": "noether.data.dataset",
    "with_normalizers": "noether.data.dataset",
    "build_dataset": "noether.data.dataset",
    "SampleError": "noether.data.errors",
    "MeanStdNormalizer": "noether.data.normalizers",
    "PositionNormalizer": "noether.data.normalizers",
    "ShiftAndScaleNormalizer": "noether.data.normalizers",
    "NormalizerChain": "noether.data.normalizers",
    "DatasetWrapper": "noether.data.wrappers",
    "PropertySubsetWrapper": "noether.data.wrappers",
    "RepeatWrapper": "noether.data.wrappers",
    "ShuffleWrapper": "noether.data.wrappers",
    "SubsetWrapper": "noether.data.wrappers",
    "Pipeline": "noether.data.pipeline",
    "build_pipeline": "noether.data.pipeline",
    "FolderDataset": "noether.data.folder",
    "compute_statistics": "noether.data.stats",
}

if TYPE_CHECKING:
    from noether.data.arrays import ArrayDataset, gather_rows
    from noether.data.batch import SampleBatch
    from noether.data.dataset import Dataset, build_dataset, with_normalizers
    from noether.data.errors import SampleError
    from noether.data.folder import FolderDataset
    from noether.data.normalizers import (
        MeanStdNormalizer,
        NormalizerChain,
        PositionNormalizer,
        ShiftAndScaleNormalizer,
    )
    from noether.data.pipeline import Pipeline, build_pipeline
    from noether.data.stats import compute_statistics
    from noether.data.wrappers import (
        DatasetWrapper,
        PropertySubsetWrapper,
        RepeatWrapper,
        ShuffleWrapper,
        SubsetWrapper,
    )

__all__ = [
    "ArrayDataset",
    "Dataset",
    "DatasetWrapper",
    "FolderDataset",
    "MeanStdNormalizer",
    "NormalizerChain",
    "Pipeline",
    "PositionNormalizer",
    "PropertySubsetWrapper",
    "RepeatWrapper",
    "SampleBatch",
    "SampleError",
    "ShiftAndScaleNormalizer",
    "ShuffleWrapper",
    "SubsetWrapper",
    "build_dataset",
    "build_pipeline",
    "compute_statistics",
    "gather_rows",
    "with_normalizers",
]


__getattr__ = lazy_getattr("noether.data", _LAZY)
