"""Configs of the data components this package adds: pipeline steps and the folder dataset.

Torch-free, like every schema module: ``noether check`` validates these without importing torch.
A ``pipeline`` value is any config of the ``pipeline`` family: a whole :class:`PipelineConfig`, or a single
collator or per-sample processor (then the other stages are defaults).
"""


from collections.abc import Iterator
from typing import Annotated, Literal

import attrs

from noether.core.schemas._base import OpenUnion, Schema
from noether.core.schemas._constraints import NonBlankStr, NonEmpty, NonNegativeInt, PositiveInt
from noether.core.schemas.dataset import StandardDatasetConfig

#: Any step of the ``pipeline`` family (a collator, a processor or a whole pipeline), selected by ``kind``.
AnyPipelineStep = Annotated[Schema, OpenUnion("pipeline")]



@attrs.frozen(kw_only=True)
class DefaultCollatorConfig(Schema):
    """Stack samples with ``torch.utils.data.default_collate`` (every key, or only ``items``)."""

    kind: NonBlankStr = "noether.data.DefaultCollator"
    #: Keys this collator handles; ``None``: every key no other collator of the pipeline claims.
    items: Annotated[list[NonBlankStr], NonEmpty()] | None = None


@attrs.frozen(kw_only=True)
class ConcatCollatorConfig(Schema):
    """Concatenate variable-size point clouds along dim 0 and add a batch index per item."""

    kind: NonBlankStr = "noether.data.ConcatCollator"
    #: Keys of the point clouds (tensors of shape ``(num_points, ...)``) to concatenate.
    items: Annotated[list[NonBlankStr], NonEmpty()]
    #: The batch index of item ``x`` is stored as ``x + batch_index_suffix`` (int64, one entry per point).
    batch_index_suffix: NonBlankStr = "_batch_index"


@attrs.frozen(kw_only=True)
class PadCollatorConfig(Schema):
    """Pad variable-size point clouds to the largest in the batch and add a mask (``True`` = real point)."""

    kind: NonBlankStr = "noether.data.PadCollator"
    #: Keys of the point clouds (tensors of shape ``(num_points, ...)``) to pad.
    items: Annotated[list[NonBlankStr], NonEmpty()]
    #: Value written into padded positions.
    pad_value: float = 0.0
    #: The mask of item ``x`` is stored as ``x + mask_suffix`` (bool, shape ``(batch, max_points)``).
    mask_suffix: NonBlankStr = "_mask"


@attrs.frozen(kw_only=True)
class PointSamplingConfig(Schema):
    """Draw ``num_points`` points without replacement, the same points for every key in ``items``.

    The draw depends only on ``(seed, epoch, sample index)``, never on the DataLoader worker, so the batches
    are identical for any ``num_workers`` and can be reproduced on resume.
    """

    kind: NonBlankStr = "noether.data.PointSampling"
    #: Keys sampled together (e.g. ``surface_position`` and ``surface_pressure``); same length along dim 0.
    items: Annotated[list[NonBlankStr], NonEmpty()]
    #: Points kept per sample.
    num_points: PositiveInt
    #: Seed of the draws; ``None``: the run's seed (``torch.initial_seed()`` when the pipeline is built).
    seed: NonNegativeInt | None = None
    #: Samples with fewer points are an error unless this is true (then every point is kept, unshuffled).
    allow_fewer: bool = False


@attrs.frozen(kw_only=True)
class RenameKeysConfig(Schema):
    """Rename keys of a sample (or batch): ``{old: new}``."""

    kind: NonBlankStr = "noether.data.RenameKeys"
    mapping: Annotated[dict[NonBlankStr, NonBlankStr], NonEmpty()]

    def _check(self) -> Iterator[tuple[str, str]]:
        targets = list(self.mapping.values())
        repeated = sorted({t for t in targets if targets.count(t) > 1})
        if repeated:
            yield "mapping", f"several keys are renamed to {', '.join(repeated)}"


@attrs.frozen(kw_only=True)
class DuplicateKeysConfig(Schema):
    """Expose a value under more names: ``{source: [new, ...]}``. The value is shared, not copied."""

    kind: NonBlankStr = "noether.data.DuplicateKeys"
    mapping: Annotated[dict[NonBlankStr, list[NonBlankStr] | NonBlankStr], NonEmpty()]


@attrs.frozen(kw_only=True)
class PipelineConfig(Schema):
    """Samples become a batch in three stages: per-sample processors, collators, batch processors (§8.4)."""

    kind: NonBlankStr = "noether.data.Pipeline"
    #: Applied to every sample in order (e.g. ``PointSampling``, ``RenameKeys``).
    sample_processors: list[AnyPipelineStep] = attrs.field(factory=list)
    #: Each handles its ``items``; one without ``items`` takes the remaining keys. Empty: default stacking.
    collators: list[AnyPipelineStep] = attrs.field(factory=list)
    #: Applied to the collated batch in order.
    batch_processors: list[AnyPipelineStep] = attrs.field(factory=list)


@attrs.frozen(kw_only=True)
class FolderDatasetConfig(StandardDatasetConfig):
    """A folder with one file per sample (``.npz`` or ``.safetensors``), arrays named by property.

    The split's sample names come from ``<root>/splits.yaml`` (``{train: [...], val: [...], test: [...]}``),
    from ``<root>/<split>.txt`` (one name per line), or from the files in ``<root>/<split>/``.
    """

    kind: NonBlankStr = "noether.data.FolderDataset"
    #: Properties (array names) to expose; ``None``: the arrays of the split's first sample.
    properties: list[NonBlankStr] | None = None
    #: File format; ``auto`` picks by extension (``.npz`` first).
    format: Literal["auto", "npz", "safetensors"] = "auto"
    #: ``float32`` converts floating arrays to float32 (what models expect); ``keep`` keeps the stored dtype.
    dtype: Literal["float32", "keep"] = "float32"
