"""Configs of the CFD pipeline steps (torch-free: ``noether check`` validates them without importing torch)."""

from collections.abc import Iterator
from typing import Literal

import attrs

from noether.core.schemas._base import Schema
from noether.core.schemas._constraints import NonBlankStr, NonNegativeInt, PositiveFloat, PositiveInt

#: Keys sampled together with ``surface_position`` when ``surface_items`` is not given (those present).
DEFAULT_SURFACE_ITEMS = ("surface_position", "surface_normal", "surface_area", "surface_pressure", "surface_wallshear")
#: Keys sampled together with ``volume_position`` when ``volume_items`` is not given (those present).
DEFAULT_VOLUME_ITEMS = ("volume_position", "volume_velocity", "volume_pressure")


@attrs.frozen(kw_only=True)
class SurfaceVolumeSamplingConfig(Schema):
    """Draw random surface and volume points per sample; the leading points of each set can be AB-UPT anchors.

    Surface items (positions, normals, areas, fields) are sampled with the same indices, volume items too.
    The area of each kept surface point is multiplied by ``N / n`` (all points / kept points), so that sums
    over the kept points estimate integrals over the whole surface (force coefficients stay unbiased).
    """

    kind: NonBlankStr = "noether_cfd.SurfaceVolumeSampling"
    #: Surface points kept per sample (anchors included); ``None``: keep every point (in random order).
    surface_points: PositiveInt | None = None
    #: Volume points kept per sample (anchors included); ``None``: keep every point; ``0``: no volume points.
    volume_points: NonNegativeInt | None = None
    #: How many of the kept surface points are anchors (AB-UPT); ``None``: none (``surface_anchor_count`` is 0).
    surface_anchors: NonNegativeInt | None = None
    #: How many of the kept volume points are anchors (AB-UPT).
    volume_anchors: NonNegativeInt | None = None
    #: Keys sampled with the surface points; ``None``: the keys of ``DEFAULT_SURFACE_ITEMS`` that a sample has.
    surface_items: list[NonBlankStr] | None = None
    #: Keys sampled with the volume points; ``None``: the keys of ``DEFAULT_VOLUME_ITEMS`` that a sample has.
    volume_items: list[NonBlankStr] | None = None
    #: ``uniform``: every point equally likely; ``area``: surface points drawn proportional to their area.
    surface_weighting: Literal["uniform", "area"] = "uniform"
    #: Seed of the draws; ``None``: the run's seed.
    seed: NonNegativeInt | None = None
    #: Draw the same points in every epoch (evaluation); otherwise the draw changes with the epoch.
    fixed: bool = False
    #: Samples with fewer points than asked keep all of them (shuffled) instead of raising an error.
    allow_fewer: bool = False

    def _check(self) -> Iterator[tuple[str, str]]:
        for anchors, total in (("surface_anchors", "surface_points"), ("volume_anchors", "volume_points")):
            a, n = getattr(self, anchors), getattr(self, total)
            if a is not None and n is not None and a > n:
                yield anchors, f"{a} anchors but only {n} {total}"


@attrs.frozen(kw_only=True)
class SupernodeSamplingConfig(Schema):
    """Pick geometry points and supernodes among them, and build each supernode's neighbour list.

    ``geometry_position`` gets ``geometry_points`` random points of ``source`` (by default the sample's full
    surface, before any surface sampling, if this step runs first). ``supernode_index`` indexes
    ``num_supernodes`` of them; ``supernode_neighbors`` holds, for each supernode, up to ``max_neighbors``
    geometry points (nearest first; ``radius`` graph: only those within ``radius``), padded with a mask.
    """

    kind: NonBlankStr = "noether_cfd.SupernodeSampling"
    #: Key of the points the geometry is drawn from.
    source: NonBlankStr = "surface_position"
    #: Geometry points per sample; ``None``: every point of ``source``.
    geometry_points: PositiveInt | None = None
    #: Supernodes per sample (pooling centres among the geometry points).
    num_supernodes: PositiveInt
    #: ``knn``: the ``max_neighbors`` nearest points; ``radius``: the nearest within ``radius``, at most that many.
    graph: Literal["knn", "radius"] = "radius"
    #: Neighbourhood radius (in the units of ``source``, i.e. after the dataset's position normalizer).
    radius: PositiveFloat | None = None
    #: Fixed neighbour-list length K (lists are padded, with ``supernode_neighbor_mask``).
    max_neighbors: PositiveInt = 32
    #: Seed of the draws; ``None``: the run's seed.
    seed: NonNegativeInt | None = None
    #: Draw the same points in every epoch (evaluation).
    fixed: bool = False

    def _check(self) -> Iterator[tuple[str, str]]:
        if self.graph == "radius" and self.radius is None:
            yield "radius", "a radius graph needs 'radius' (or set graph: knn)"
        if self.geometry_points is not None and self.num_supernodes > self.geometry_points:
            yield "num_supernodes", f"{self.num_supernodes} supernodes but only {self.geometry_points} geometry points"


@attrs.frozen(kw_only=True)
class CfdCollatorConfig(Schema):
    """Batch CFD samples: pad each point set to the largest sample with one mask per set, or concatenate.

    ``pad`` gives the layout of :mod:`noether_cfd.batch` (``surface_mask``, ``volume_mask``, ...); ``concat``
    gives ``(N_total, C)`` tensors plus ``<set>_batch_index``, with supernode indices offset into the
    concatenated geometry points. Every other key is stacked.
    """

    kind: NonBlankStr = "noether_cfd.CfdCollator"
    mode: Literal["pad", "concat"] = "pad"
