"""Configs of the CFD datasets (torch-free: ``noether check`` validates them without importing torch)."""

from collections.abc import Iterator
from typing import Annotated, Literal

import attrs

from noether.core.schemas._constraints import Between, NonBlankStr, NonNegativeInt, PositiveFloat, PositiveInt
from noether.core.schemas.dataset import DatasetBaseConfig, StandardDatasetConfig

_P = "noether_cfd."


@attrs.frozen(kw_only=True)
class EllipsoidFlowDatasetConfig(StandardDatasetConfig):
    """Exact potential flow past ellipsoids of random semi-axes and orientation, generated on first use.

    Each sample is one ellipsoid (semi-axes drawn uniformly from ``major_axis`` for the first and
    ``minor_axes`` for the other two, then a uniformly random rotation) in a unit stream along ``+x``:
    surface points (an icosphere of ``subdivisions`` levels mapped onto the ellipsoid) with outward normals,
    areas, the exact pressure coefficient, and volume points outside the body with the exact velocity and
    pressure coefficient. The data is generated into ``root`` (a sub-folder per setting) and reused.
    """

    kind: NonBlankStr = _P + "EllipsoidFlowDataset"
    #: Where the generated data lives.
    root: NonBlankStr = "~/.cache/noether/ellipsoid"
    #: Samples in each split (each split has its own fixed seed; sample ``i`` never depends on the sizes).
    train_size: PositiveInt = 256
    val_size: PositiveInt = 32
    test_size: PositiveInt = 64
    #: Icosphere levels: ``10 * 4**subdivisions + 2`` surface points (3: 642, 4: 2562, 5: 10242).
    subdivisions: Annotated[int, Between(1, 7)] = 3
    #: Volume points per sample: half uniform in the box ``[-box, box]^3`` outside the body, half in a shell
    #: just outside the surface (where the flow changes fastest).
    num_volume_points: PositiveInt = 2048
    #: Half the edge of the sampling box, in the units of the semi-axes.
    box: PositiveFloat = 2.0
    #: Range of the first semi-axis.
    major_axis: tuple[PositiveFloat, PositiveFloat] = (0.6, 1.2)
    #: Range of the other two semi-axes.
    minor_axes: tuple[PositiveFloat, PositiveFloat] = (0.25, 0.6)
    #: Seed of the whole data set (the splits' seeds derive from it).
    seed: NonNegativeInt = 0

    def _check(self) -> Iterator[tuple[str, str]]:
        for name in ("major_axis", "minor_axes"):
            low, high = getattr(self, name)
            if low > high:
                yield name, f"range must be (low, high) with low <= high, got ({low}, {high})"
        if self.box <= self.major_axis[1]:
            yield "box", f"must exceed the largest semi-axis ({self.major_axis[1]}), got {self.box}"


@attrs.frozen(kw_only=True)
class CfdStoreDatasetConfig(DatasetBaseConfig):
    """Samples of a chunked store written by :func:`noether_cfd.data.store.convert_folder`.

    Only the properties a run uses are read (``included_properties``/``excluded_properties``), and of the
    points only the first ``surface_points``/``volume_points`` of each sample when set: the converter stores
    points in a random order, so a leading slice is a uniform random subset read in one contiguous piece.
    """

    kind: NonBlankStr = _P + "CfdStoreDataset"
    #: The store folder.
    root: NonBlankStr
    #: Which split (the store's ``splits.json``); ``None``: every sample of the store.
    split: NonBlankStr | None = None
    #: Read only the first N surface points of each sample (``None``: all).
    surface_points: PositiveInt | None = None
    #: Read only the first N volume points of each sample (``None``: all).
    volume_points: PositiveInt | None = None


@attrs.frozen(kw_only=True)
class _PublicCfdDatasetConfig(StandardDatasetConfig):
    """Fields shared by the loaders of public CFD data sets in their distributed on-disk layout."""

    #: Explicit sample ids for the chosen split, overriding the default split (e.g. from a split file).
    sample_ids: list[NonBlankStr] | None = None
    #: Where a chunked copy is kept (``None``: read the raw files each time). When set, the raw folder is
    #: converted into this store on first use (resumable), and samples are then read from the store.
    store: NonBlankStr | None = None


@attrs.frozen(kw_only=True)
class ShapeNetCarDatasetConfig(_PublicCfdDatasetConfig):
    """ShapeNet-Car (Umetani & Bickel 2018; 889 car shapes) in the layout its providers distribute.

    ``root`` holds ``param0`` ... ``param8``, each with one folder per simulation holding
    ``quadpress_smpl.vtk`` (surface quads) and ``hexvelo_smpl.vtk`` (volume hexahedra), ``press.npy`` and
    ``velo.npy`` (surface pressure and volume velocity per point) and ``cd.txt`` (the drag coefficient)
    where the distribution has them. The standard split: train =
    ``param1``-``param8``, test = ``param0`` (there is no validation split; ``val`` uses ``param0`` too).
    """

    kind: NonBlankStr = _P + "ShapeNetCarDataset"
    #: Keep the surface points that are corners of no quad (96 of the 3,682 per mesh; the published
    #: benchmarks use the other 3,586). They have no area and no normal.
    keep_unreferenced_points: bool = False


@attrs.frozen(kw_only=True)
class CaeMLDatasetConfig(_PublicCfdDatasetConfig):
    """DrivAerML or AhmedML (caemldatasets.org) in the layout of their distribution.

    ``root`` holds ``run_<i>/`` folders with ``boundary_<i>.vtp`` (surface: pressure and wall shear as cell
    data), ``volume_<i>.vtu`` (volume: velocity, pressure), the geometry STL and ``force_mom_<i>.csv``.
    """

    kind: NonBlankStr = _P + "DrivAerMLDataset"
    #: Which of the two data sets (they share the layout; the STL names and splits differ).
    variant: Literal["drivaerml", "ahmedml"] = "drivaerml"
    #: Where the surface fields come from: the boundary's cells (``cell``, the files' native location) or
    #: its points (``point``).
    surface_location: Literal["cell", "point"] = "cell"
    #: Read the volume file (large: tens of millions of cells in the full-resolution data).
    load_volume: bool = True


@attrs.frozen(kw_only=True)
class AhmedMLDatasetConfig(CaeMLDatasetConfig):
    """AhmedML (500 Ahmed bodies): :class:`CaeMLDatasetConfig` with ``variant: ahmedml``."""

    kind: NonBlankStr = _P + "AhmedMLDataset"
    variant: Literal["drivaerml", "ahmedml"] = "ahmedml"
