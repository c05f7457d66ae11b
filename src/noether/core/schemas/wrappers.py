"""Dataset-wrapper configs: repeat, shuffle or subset a dataset, applied in list order."""


from collections.abc import Iterator
from typing import Annotated, Literal

import attrs

from noether.core.schemas._base import Schema
from noether.core.schemas._constraints import Ge, NonNegativeInt, UnitFloat

_P = "noether.data.base.wrappers."


@attrs.frozen(kw_only=True)
class RepeatWrapperConfig(Schema):
    """Repeats the dataset ``repetitions`` times (0, 1, ..., n-1, 0, 1, ...)."""

    kind: Literal["noether.data.base.wrappers.RepeatWrapper"] = _P + "RepeatWrapper"
    repetitions: Annotated[int, Ge(2)]


@attrs.frozen(kw_only=True)
class ShuffleWrapperConfig(Schema):
    """A fixed permutation of the dataset (``numpy.random.default_rng(seed)``)."""

    kind: Literal["noether.data.base.wrappers.ShuffleWrapper"] = _P + "ShuffleWrapper"
    #: Seed of the permutation; ``None`` draws it from the run's seeded NumPy RNG.
    seed: NonNegativeInt | None = None


@attrs.frozen(kw_only=True)
class SubsetWrapperConfig(Schema):
    """A subset by explicit ``indices``, by an index range, or by a fraction range (exactly one mode)."""

    kind: Literal["noether.data.base.wrappers.SubsetWrapper"] = _P + "SubsetWrapper"
    indices: list[NonNegativeInt] | None = None
    start_index: NonNegativeInt | None = None
    #: Exclusive end; clamped to the dataset length. ``0`` means an empty subset, not "unset".
    end_index: NonNegativeInt | None = None
    start_percent: UnitFloat | None = None
    end_percent: UnitFloat | None = None

    def _check(self) -> Iterator[tuple[str, str]]:
        by_index = self.start_index is not None or self.end_index is not None
        by_percent = self.start_percent is not None or self.end_percent is not None
        modes = [m for m, on in (("indices", self.indices is not None), ("index range", by_index),
                                 ("percent range", by_percent)) if on]
        if len(modes) > 1:
            yield "indices", f"choose one way to select the subset, got {' and '.join(modes)}"
        elif not modes:
            yield "indices", "give 'indices', 'start_index'/'end_index' or 'start_percent'/'end_percent'"
        if self.start_index is not None and self.end_index is not None and self.start_index > self.end_index:
            yield "end_index", f"must be >= start_index={self.start_index}, got {self.end_index}"
        start = 0.0 if self.start_percent is None else self.start_percent
        end = 1.0 if self.end_percent is None else self.end_percent
        if by_percent and end <= start:
            yield "end_percent", f"must be greater than start_percent={start}, got {end}"
