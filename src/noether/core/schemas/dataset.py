"""Dataset configs."""


from collections.abc import Iterator
from typing import Annotated, ClassVar, Literal

import attrs

from noether.core.schemas._base import OpenUnion, Schema
from noether.core.schemas._constraints import NonBlankStr
from noether.core.schemas.unions import AnyNormalizer, DatasetWrappers


@attrs.frozen(kw_only=True)
class DatasetBaseConfig(Schema):
    """A dataset: its kind, how samples become batches, normalizers, wrappers and property selection."""

    __aliases__: ClassVar[dict[str, str]] = {
        "normalizers": "dataset_normalizers",
        "wrappers": "dataset_wrappers",
    }

    #: Registered kind or class path of the dataset.
    kind: NonBlankStr
    #: How samples become batches (a pipeline kind, e.g. ``noether.data.Pipeline``); ``None``: default stacking.
    pipeline: Annotated[Schema, OpenUnion("pipeline")] | None = None
    #: Normalizers per data source (key), one config or a list applied in order. Alias: ``normalizers``.
    dataset_normalizers: dict[NonBlankStr, list[AnyNormalizer] | AnyNormalizer] | None = None
    #: Wrappers applied in list order after property selection. Alias: ``wrappers``.
    dataset_wrappers: list[DatasetWrappers] | None = None
    #: Load only these properties (``getitem_<property>`` methods).
    included_properties: frozenset[NonBlankStr] | None = None
    #: Never load these properties.
    excluded_properties: frozenset[NonBlankStr] | None = None

    def _check(self) -> Iterator[tuple[str, str]]:
        if self.included_properties is not None and not self.included_properties:
            yield "included_properties", "must not be empty (leave it unset to load every property)"
        if self.included_properties and self.excluded_properties:
            left = self.included_properties - self.excluded_properties
            if not left:
                yield "excluded_properties", "excludes every included property; nothing would be loaded"


@attrs.frozen(kw_only=True)
class StandardDatasetConfig(DatasetBaseConfig):
    """A dataset with fixed train/val/test splits stored under ``root``."""

    #: Root directory of the dataset.
    root: NonBlankStr
    #: Which split to use.
    split: Literal["train", "val", "test"]


#: Any dataset config, selected by ``kind``.
AnyDatasetConfig = Annotated[DatasetBaseConfig, OpenUnion("dataset", base=DatasetBaseConfig)]
