"""The on-disk layouts of public CFD data sets: which folders are samples, their splits, and reading one.

A layout turns one simulation's files into arrays named as in :mod:`noether_cfd.batch`
(``surface_position`` ``(S, 3)``, ``surface_normal`` ``(S, 3)``, ``surface_area`` ``(S,)``,
``surface_pressure`` ``(S, 1)``, ``surface_wallshear`` ``(S, 3)``, ``volume_position`` ``(V, 3)``,
``volume_velocity`` ``(V, 3)``, ``volume_pressure`` ``(V, 1)``, ``conditions`` ``(C,)``) plus
``force_coefficients`` ``(K,)`` where the data set ships them. Surfaces are oriented outward (flipped when
their triangles enclose a negative volume: OpenFOAM's boundary faces point into the body).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from noether_cfd import batch as keys
from noether_cfd.data.mesh import READ_SUFFIXES, Mesh, MeshError, read_mesh

#: The point sets a layout can read; ``read(..., point_sets=...)`` skips the files of the others.
POINT_SETS = ("surface", "volume")


class LayoutError(ValueError):
    """Files that do not match the layout (the message names the file and what was expected)."""


def _first_array(data: Mapping[str, np.ndarray], names: Iterable[str], components: int, where: str) -> np.ndarray:
    """The first array among ``names`` (then: the only array with ``components`` columns)."""
    for name in names:
        if name in data:
            return np.asarray(data[name])
    fitting = [n for n, v in data.items() if (v.shape[1] if v.ndim > 1 else 1) == components]
    if len(fitting) == 1:
        return np.asarray(data[fitting[0]])
    raise LayoutError(f"{where}: none of the arrays {', '.join(names)} (found: {', '.join(data) or 'none'})")


def _column(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.float32).reshape(-1, 1)


def read_csv_row(path: Path) -> tuple[list[str], np.ndarray]:
    """Column names and the numbers of a one-row CSV (header + values), e.g. ``force_mom_<i>.csv``."""
    with path.open(newline="", encoding="utf-8") as f:
        rows = [r for r in csv.reader(f) if any(cell.strip() for cell in r)]
    if len(rows) < 2:
        raise LayoutError(f"{path}: expected a header row and a row of values")
    names = [n.strip() for n in rows[0]]
    try:
        values = np.array([float(v) for v in rows[1]], dtype=np.float64)
    except ValueError:
        raise LayoutError(f"{path}: the second row must hold numbers, got {rows[1]}") from None
    if len(values) != len(names):
        raise LayoutError(f"{path}: {len(names)} column names but {len(values)} values")
    return names, values


def standard_fractions(ids: list[str], split: str, *, val: float, test: float, seed: int = 0) -> list[str]:
    """A fixed random split of ``ids`` (sorted first) into train/val/test by fractions."""
    order = np.random.default_rng(seed).permutation(len(ids))
    ordered = [sorted(ids, key=_natural)[i] for i in order]
    n_test, n_val = round(test * len(ids)), round(val * len(ids))
    parts = {"test": ordered[:n_test], "val": ordered[n_test:n_test + n_val], "train": ordered[n_test + n_val:]}
    return sorted(parts[split], key=_natural)


def _natural(text: str) -> list[Any]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


@attrs.frozen
class ShapeNetCarLayout:
    """ShapeNet-Car as distributed: ``param<k>/<shape id>/{quadpress_smpl.vtk, hexvelo_smpl.vtk, ...}``.

    The surface is the quad mesh of ``quadpress_smpl.vtk`` (3,682 points, of which 3,586 are corners of its
    quads; the others are dropped unless ``keep_unreferenced_points``) with the pressure per point from
    ``press.npy`` (else the file's point scalars); the volume is the points of ``hexvelo_smpl.vtk`` with the
    velocity from ``velo.npy`` (else the file's point vectors); ``cd.txt`` (the drag coefficient), where
    present, becomes ``force_coefficients``. Folders without ``quadpress_smpl.vtk`` (four in the
    distribution) are skipped.
    """

    #: Keep surface points that are on no quad (they have no area and no normal).
    keep_unreferenced_points: bool = False
    name: str = "shapenet_car"
    description: str = "param<k>/<id>/quadpress_smpl.vtk and hexvelo_smpl.vtk"

    def sample_ids(self, root: Path) -> list[str]:
        """``param<k>/<id>`` of every complete simulation folder."""
        ids = [f"{p.parent.parent.name}/{p.parent.name}" for p in root.glob("param*/*/quadpress_smpl.vtk")
               if (p.parent / "hexvelo_smpl.vtk").is_file()]
        return sorted(ids, key=_natural)

    def split_ids(self, ids: list[str], split: str) -> list[str]:
        """Train: ``param1``-``param8``; test (and val: there is no separate one): ``param0``."""
        test = [i for i in ids if i.split("/", 1)[0] == "param0"]
        return [i for i in ids if i not in test] if split == "train" else test

    def read(self, root: Path, sample_id: str, point_sets: Iterable[str] = POINT_SETS) -> dict[str, np.ndarray]:
        """The arrays of one simulation (of the ``point_sets`` asked for: ``surface``, ``volume``)."""
        folder = root / sample_id
        out: dict[str, np.ndarray] = {}
        if "surface" in point_sets:
            out.update(self._surface(folder))
        if "volume" in point_sets:
            volume = read_mesh(folder / "hexvelo_smpl.vtk")
            velo_file = folder / "velo.npy"
            if velo_file.is_file():
                velocity = np.load(velo_file, allow_pickle=False).reshape(-1, 3)
            else:
                velocity = _first_array(volume.point_data, ("velocity", "velo", "U", "u"), 3, volume.source)
            if len(velocity) != len(volume.points):
                raise LayoutError(f"{folder}: {len(velocity)} velocities for {len(volume.points)} volume points")
            out[keys.VOLUME_POSITION] = volume.points.astype(np.float32)
            out[keys.VOLUME_VELOCITY] = np.asarray(velocity, np.float32).reshape(-1, 3)
        cd_file = folder / "cd.txt"
        if cd_file.is_file():
            try:
                out["force_coefficients"] = np.loadtxt(cd_file, dtype=np.float64, ndmin=1).astype(np.float32)
            except ValueError:
                raise LayoutError(f"{cd_file}: expected numbers (the drag coefficient)") from None
        return out

    def _surface(self, folder: Path) -> dict[str, np.ndarray]:
        surface = read_mesh(folder / "quadpress_smpl.vtk", require_faces=True).oriented_outward()
        press_file = folder / "press.npy"
        if press_file.is_file():
            pressure = np.load(press_file, allow_pickle=False).reshape(-1)
        else:
            pressure = _first_array(surface.point_data, ("press", "pressure", "p"), 1, surface.source)
        if len(pressure) != len(surface.points):
            raise LayoutError(f"{folder}: {len(pressure)} pressure values for {len(surface.points)} surface points")
        keep = np.ones(len(surface.points), bool)
        if not self.keep_unreferenced_points:
            keep[:] = False
            keep[np.unique(surface.triangles)] = True
        # Normals and areas come from the whole mesh (unreferenced points have neither).
        return {
            keys.SURFACE_POSITION: surface.points[keep].astype(np.float32),
            keys.SURFACE_NORMAL: surface.point_normals()[keep].astype(np.float32),
            keys.SURFACE_AREA: surface.point_areas()[keep].astype(np.float32),
            keys.SURFACE_PRESSURE: _column(pressure[keep]),
        }


_CAEML_NAMES = {
    "pressure": ("pMeanTrim", "pMean", "p", "pressure"),
    "wallshear": ("wallShearStressMeanTrim", "wallShearStressMean", "wallShearStress", "WallShearStress"),
    "velocity": ("UMeanTrim", "UMean", "U", "velocity"),
}


@attrs.frozen
class CaeMLLayout:
    """DrivAerML / AhmedML: ``run_<i>/{boundary_<i>.vtp, volume_<i>.vtu, <geometry>_<i>.stl, force_mom_<i>.csv}``.

    Surface fields (time-averaged pressure and wall shear, ``pMeanTrim``/``wallShearStressMeanTrim``) are
    cell data of ``boundary_<i>.vtp``: with ``surface_location="cell"`` each polygon is one surface point
    (its centroid, area and normal); with ``"point"`` the mesh points carry point data. The volume points
    and velocity/pressure come from ``volume_<i>.vtu`` (point data, else cell data at cell centres).
    ``force_mom_<i>.csv`` becomes ``force_coefficients`` (in its column order) and ``geo_parameters_<i>.csv``
    (the design parameters) ``conditions``.
    """

    variant: str = "drivaerml"
    surface_location: str = "cell"
    load_volume: bool = True

    @property
    def name(self) -> str:
        """The data set's name."""
        return self.variant

    @property
    def description(self) -> str:
        """What the layout looks like, for messages."""
        return "run_<i>/boundary_<i>.vtp (+ volume_<i>.vtu, force_mom_<i>.csv)"

    def sample_ids(self, root: Path) -> list[str]:
        """The run numbers ``<i>`` of every ``run_<i>`` folder holding ``boundary_<i>.vtp``."""
        ids = [p.name[len("run_"):] for p in root.glob("run_*") if (p / f"boundary_{p.name[4:]}.vtp").is_file()]
        return sorted(ids, key=_natural)

    def split_ids(self, ids: list[str], split: str) -> list[str]:
        """A fixed random split of the runs: 10% test, 6.8% validation, the rest training.

        These are the sizes of the standard DrivAerML split (400/34/50 of 484 public runs); the run lists of
        other projects are not reproduced here: pass ``sample_ids`` to use them.
        """
        return standard_fractions(ids, split, val=34 / 484, test=50 / 484)

    def files(self, root: Path, sample_id: str) -> dict[str, Path]:
        """The files of one run by role (``boundary``, ``volume``, ``geometry``, ``forces``, ``parameters``)."""
        run = root / f"run_{sample_id}"
        found = {
            "boundary": run / f"boundary_{sample_id}.vtp",
            "volume": run / f"volume_{sample_id}.vtu",
            "forces": run / f"force_mom_{sample_id}.csv",
            "parameters": run / f"geo_parameters_{sample_id}.csv",
        }
        stl = sorted(p for p in run.glob(f"*_{sample_id}.stl"))
        if stl:
            found["geometry"] = stl[0]
        return found

    def read(self, root: Path, sample_id: str, point_sets: Iterable[str] = POINT_SETS) -> dict[str, np.ndarray]:
        """The arrays of one run (of the ``point_sets`` asked for; the volume only with ``load_volume``)."""
        files = self.files(root, sample_id)
        out: dict[str, np.ndarray] = {}
        if "surface" in point_sets:
            out.update(self._surface(read_mesh(files["boundary"], require_faces=True).oriented_outward()))
        if self.load_volume and "volume" in point_sets:
            if not files["volume"].is_file():
                raise LayoutError(f"{files['volume']}: no such file (for surface-only data: 'load_volume: false' "
                                  "in the dataset config, '--surface-only' for noether cfd convert)")
            out.update(self._volume(read_mesh(files["volume"])))
        if files["forces"].is_file():
            out["force_coefficients"] = read_csv_row(files["forces"])[1].astype(np.float32)
        if files["parameters"].is_file():
            out[keys.CONDITIONS] = read_csv_row(files["parameters"])[1].astype(np.float32)
        return out

    def _surface(self, boundary: Mesh) -> dict[str, np.ndarray]:
        where = boundary.source
        if self.surface_location == "cell":
            cells = boundary.surface_cells()
            data, out = cells.data, {
                keys.SURFACE_POSITION: cells.centers.astype(np.float32),
                keys.SURFACE_NORMAL: cells.normals.astype(np.float32),
                keys.SURFACE_AREA: cells.areas.astype(np.float32),
            }
        else:
            data, out = boundary.point_data, {
                keys.SURFACE_POSITION: boundary.points.astype(np.float32),
                keys.SURFACE_NORMAL: boundary.point_normals().astype(np.float32),
                keys.SURFACE_AREA: boundary.point_areas().astype(np.float32),
            }
        out[keys.SURFACE_PRESSURE] = _column(_first_array(data, _CAEML_NAMES["pressure"], 1, where))
        shear = [n for n in _CAEML_NAMES["wallshear"] if n in data]
        if shear:
            out[keys.SURFACE_WALLSHEAR] = np.asarray(data[shear[0]], np.float32).reshape(-1, 3)
        return out

    def _volume(self, volume: Mesh) -> dict[str, np.ndarray]:
        where = volume.source
        if any(n in volume.point_data for n in _CAEML_NAMES["velocity"]):
            positions, data = volume.points, volume.point_data
        elif any(n in volume.cell_data for n in _CAEML_NAMES["velocity"]):
            positions, data = volume.cell_centers, volume.cell_data
        else:
            raise LayoutError(f"{where}: no velocity array ({', '.join(_CAEML_NAMES['velocity'])})")
        out = {
            keys.VOLUME_POSITION: np.asarray(positions, np.float32),
            keys.VOLUME_VELOCITY: np.asarray(_first_array(data, _CAEML_NAMES["velocity"], 3, where),
                                             np.float32).reshape(-1, 3),
        }
        if any(n in data for n in _CAEML_NAMES["pressure"]):
            out[keys.VOLUME_PRESSURE] = _column(_first_array(data, _CAEML_NAMES["pressure"], 1, where))
        return out


@attrs.frozen
class GenericLayout:
    """One sub-folder per simulation with ``surface.<ext>`` and optionally ``volume.<ext>`` (any readable mesh).

    Every point array of the surface becomes ``surface_<name>`` and of the volume ``volume_<name>`` (names
    lower-cased, non-alphanumerics as ``_``); ``conditions.csv`` (header + one row) becomes ``conditions``.
    """

    name: str = "generic"
    description: str = "<sample>/surface.(stl|vtp|vtu|vtk) [+ volume.(vtu|vtk)]"

    def sample_ids(self, root: Path) -> list[str]:
        """Names of the sub-folders holding a surface file."""
        return sorted((p.name for p in root.iterdir() if p.is_dir() and self._find(p, "surface") is not None),
                      key=_natural)

    def split_ids(self, ids: list[str], split: str) -> list[str]:
        """A fixed random 80/10/10 split."""
        return standard_fractions(ids, split, val=0.1, test=0.1)

    @staticmethod
    def _find(folder: Path, stem: str) -> Path | None:
        for suffix in READ_SUFFIXES:
            if (folder / f"{stem}{suffix}").is_file():
                return folder / f"{stem}{suffix}"
        return None

    def read(self, root: Path, sample_id: str, point_sets: Iterable[str] = POINT_SETS) -> dict[str, np.ndarray]:
        """The arrays of one simulation (the generic layout reads both point sets: they are small)."""
        folder = root / sample_id
        surface_file = self._find(folder, "surface")
        if surface_file is None:
            raise LayoutError(f"{folder}: no surface file (surface{'|'.join(READ_SUFFIXES)})")
        surface = read_mesh(surface_file, require_faces=True).oriented_outward()
        out = {
            keys.SURFACE_POSITION: surface.points.astype(np.float32),
            keys.SURFACE_NORMAL: surface.point_normals().astype(np.float32),
            keys.SURFACE_AREA: surface.point_areas().astype(np.float32),
        }
        out.update({f"surface_{_clean(n)}": _as_rows(v) for n, v in surface.point_data.items()})
        volume_file = self._find(folder, "volume")
        if volume_file is not None:
            volume = read_mesh(volume_file)
            out[keys.VOLUME_POSITION] = volume.points.astype(np.float32)
            out.update({f"volume_{_clean(n)}": _as_rows(v) for n, v in volume.point_data.items()})
        if (folder / "conditions.csv").is_file():
            out[keys.CONDITIONS] = read_csv_row(folder / "conditions.csv")[1].astype(np.float32)
        return out


def _clean(name: str) -> str:
    return re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower() or "field"


def _as_rows(values: np.ndarray) -> np.ndarray:
    array = np.asarray(values, dtype=np.float32)
    return array.reshape(-1, 1) if array.ndim == 1 else array


Layout = ShapeNetCarLayout | CaeMLLayout | GenericLayout


def get_layout(name: str, **options: Any) -> Layout:
    """The layout of a data set by name (``shapenet_car``, ``drivaerml``, ``ahmedml``, ``generic``)."""
    if name == "shapenet_car":
        return ShapeNetCarLayout(**options)
    if name in ("drivaerml", "ahmedml"):
        return CaeMLLayout(variant=name, **options)
    if name == "generic":
        return GenericLayout()
    raise LayoutError(f"unknown layout '{name}'; known: shapenet_car, drivaerml, ahmedml, generic")


def detect_layout(root: Path) -> Layout:
    """The layout of a folder, recognised from its files."""
    if next(root.glob("param*/*/quadpress_smpl.vtk"), None) is not None:
        return ShapeNetCarLayout()
    if next(root.glob("run_*/boundary_*.vtp"), None) is not None:
        return CaeMLLayout(variant="ahmedml" if next(root.glob("run_*/ahmed_*.stl"), None) else "drivaerml")
    if GenericLayout().sample_ids(root):
        return GenericLayout()
    raise LayoutError(f"{root}: not a known layout (ShapeNet-Car param<k>/<id>/quadpress_smpl.vtk, "
                      "DrivAerML/AhmedML run_<i>/boundary_<i>.vtp, or <sample>/surface.<ext>)")


__all__ = ["CaeMLLayout", "GenericLayout", "Layout", "LayoutError", "MeshError", "ShapeNetCarLayout",
           "detect_layout", "get_layout", "read_csv_row"]
