"""Config of the CFD metrics callback (torch-free)."""

from collections.abc import Iterator
from typing import Literal

import attrs

from noether.core.schemas._base import Schema
from noether.core.schemas._constraints import NonBlankStr, PositiveFloat, PositiveInt
from noether.core.schemas.callbacks import PeriodicDataIteratorCallbackConfig

#: Coefficient names the callback can report: forces and moments about the reference point, in the data's axes.
COEFFICIENTS = ("cf_x", "cf_y", "cf_z", "cm_x", "cm_y", "cm_z")


@attrs.frozen(kw_only=True)
class ReferenceConfig(Schema):
    """Reference quantities of force and moment coefficients (``q = density * velocity^2 / 2``).

    For a pressure that is already a pressure coefficient use ``density: 2, velocity: 1`` (``q = 1``).
    """

    area: PositiveFloat = 1.0
    length: PositiveFloat = 1.0
    velocity: PositiveFloat = 1.0
    density: PositiveFloat = 1.0
    moment_center: list[float] = attrs.field(factory=lambda: [0.0, 0.0, 0.0])

    def _check(self) -> Iterator[tuple[str, str]]:
        if len(self.moment_center) != 3:
            yield "moment_center", f"expected 3 coordinates, got {len(self.moment_center)}"


@attrs.frozen(kw_only=True)
class CfdMetricsCallbackConfig(PeriodicDataIteratorCallbackConfig):
    """Field errors and integrated coefficients on a dataset, in physical units (denormalized).

    Logs, per field, ``rel_l2/<dataset>/<field>`` (and ``rel_l2_area/...`` for surface fields), ``mae/...``,
    ``mse/...``; per coefficient ``<coefficient>/<dataset>/{r2,spearman,mae}`` across the samples. With
    ``baseline_dataset_key`` the same metrics of the mean predictor (the mean field and mean coefficient of that
    dataset, usually the training set) are logged under ``baseline/...``.
    """

    # Callback configs are selected by a literal ``name``: each subclass narrows it (as the core's do).
    name: Literal["CfdMetricsCallback"] = "CfdMetricsCallback"  # type: ignore[assignment]
    #: Fields to evaluate; ``None``: the trainer's target properties.
    fields: list[NonBlankStr] | None = None
    #: Coefficients whose agreement across the samples is reported (needs surface pressure, normals, areas).
    coefficients: list[Literal["cf_x", "cf_y", "cf_z", "cm_x", "cm_y", "cm_z"]] = attrs.field(factory=list)
    #: Reference quantities of the coefficients.
    reference: ReferenceConfig = attrs.field(factory=ReferenceConfig)
    #: Evaluate the dataset this many times (its random sampling differs each time) and average the metrics.
    repeats: PositiveInt = 1
    #: Dataset whose mean field and mean coefficients form the baseline predictor (e.g. ``train``).
    baseline_dataset_key: NonBlankStr | None = None
    #: Evaluate query points in chunks of this many (models with a ``chunk_size`` argument); ``None``: at once.
    chunk_size: PositiveInt | None = None
