"""Configs of the airfoil dataset and its models (torch-free)."""


from collections.abc import Iterator
from typing import Annotated

import attrs

from noether.core.schemas._base import Schema
from noether.core.schemas._constraints import (
    Between,
    NonBlankStr,
    NonEmpty,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
)
from noether.core.schemas.dataset import StandardDatasetConfig
from noether.core.schemas.models import ModelBaseConfig

_P = "noether.data.airfoil."


@attrs.frozen(kw_only=True)
class AirfoilDatasetConfig(StandardDatasetConfig):
    """Potential flow past Joukowski airfoils, generated into ``root`` on first use (seconds) and reused.

    Splits are drawn with fixed seeds; changing a size or point count generates a separate copy next to the
    existing ones.
    """

    kind: NonBlankStr = _P + "AirfoilDataset"
    #: Where the generated data lives (a sub-folder per generation setting).
    root: NonBlankStr = "~/.cache/noether/airfoil"
    #: Samples (airfoil + angle of attack) in each split.
    train_size: PositiveInt = 512
    val_size: PositiveInt = 64
    test_size: PositiveInt = 128
    #: Points on the airfoil surface per sample (ordered along the surface).
    num_surface_points: Annotated[int, Between(8, 1_000_000)] = 128
    #: Points in the flow around the airfoil per sample.
    num_volume_points: PositiveInt = 512


@attrs.frozen(kw_only=True)
class PointSetConfig(Schema):
    """A set of query points: the batch key of its positions and the fields predicted at them."""

    #: Batch key of the positions, shape ``(batch, points, position_dim)``.
    position: NonBlankStr
    #: Further per-point inputs (e.g. ``surface_normal``) and their sizes, appended to the position features.
    features: dict[NonBlankStr, PositiveInt] = attrs.field(factory=dict)
    #: Predicted fields and their sizes, e.g. ``{surface_pressure: 1}``.
    outputs: Annotated[dict[NonBlankStr, PositiveInt], NonEmpty()]


def _surface() -> list[PointSetConfig]:
    return [PointSetConfig(position="surface_position", features={"surface_normal": 2},
                           outputs={"surface_pressure": 1})]


@attrs.frozen(kw_only=True)
class _AirfoilModelConfig(ModelBaseConfig):
    """Fields shared by the airfoil models."""

    #: Point sets to predict at (default: surface pressure from surface positions and normals).
    point_sets: Annotated[list[PointSetConfig], NonEmpty()] = attrs.field(factory=_surface)
    #: Batch key of the per-sample conditioning, shape ``(batch, 1, conditioning_dim)``; ``None``: none.
    conditioning: NonBlankStr | None = "conditioning"
    position_dim: PositiveInt = 2
    conditioning_dim: PositiveInt = 3
    #: Random Fourier features of the positions (0: raw positions only, enough for surface pressure).
    fourier_features: NonNegativeInt = 0
    #: Standard deviation of the Fourier frequencies (in units of the positions as the model sees them).
    fourier_scale: PositiveFloat = 2.0
    hidden_dim: PositiveInt = 64

    def _check(self) -> Iterator[tuple[str, str]]:
        keys = [k for ps in self.point_sets for k in ps.outputs]
        repeated = sorted({k for k in keys if keys.count(k) > 1})
        if repeated:
            yield "point_sets", f"outputs predicted by two point sets: {', '.join(repeated)}"


@attrs.frozen(kw_only=True)
class AirfoilTransformerConfig(_AirfoilModelConfig):
    """A Transformer over point tokens (position features + conditioning) with one conditioning token."""

    kind: NonBlankStr = _P + "AirfoilTransformer"
    depth: PositiveInt = 2
    num_heads: PositiveInt = 4
    #: Width of the feed-forward block relative to ``hidden_dim``.
    mlp_ratio: PositiveInt = 2
    dropout: Annotated[float, Between(0.0, 1.0, open_high=True)] = 0.0

    def _check(self) -> Iterator[tuple[str, str]]:
        yield from super()._check()
        if self.hidden_dim % self.num_heads:
            yield "num_heads", f"must divide hidden_dim={self.hidden_dim}, got {self.num_heads}"


@attrs.frozen(kw_only=True)
class AirfoilMLPConfig(_AirfoilModelConfig):
    """The baseline: an MLP applied to each point independently (position features + conditioning)."""

    kind: NonBlankStr = _P + "AirfoilMLP"
    depth: PositiveInt = 3
