"""Meshes from files: STL, VTP, VTU and legacy VTK in; VTP, VTU (and bare STL) out; normals and areas when missing.

:func:`read_mesh` returns a :class:`Mesh`: points, the surface as triangles (polygons and quads are
triangulated, their cell data repeated per triangle), point data, triangle data, and for volume files the
centres and data of the 3-D cells. STL, VTU and legacy VTK grids are read with meshio; VTP and legacy
``POLYDATA`` (which meshio does not read) with :mod:`noether_cfd.data.vtk_xml` and
:mod:`noether_cfd.data.vtk_legacy`. Every failure a user can cause (missing file, unknown suffix, a file
that does not parse, a surface without faces) is a :class:`MeshError` that names the file.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from noether_cfd.data.vtk_legacy import is_legacy_polydata, read_legacy_polydata
from noether_cfd.data.vtk_xml import VtkXmlError, read_vtp, write_vtp

#: Suffixes :func:`read_mesh` reads.
READ_SUFFIXES = (".stl", ".vtp", ".vtu", ".vtk")
#: Suffixes :func:`write_mesh` writes.
WRITE_SUFFIXES = (".vtp", ".vtu", ".stl")
#: Point-data names taken as normals stored in the file (VTK's convention first).
NORMAL_NAMES = ("Normals", "normals", "Normal", "normal")
_SURFACE_CELLS = ("triangle", "quad", "polygon")
_VOLUME_CELLS = ("tetra", "hexahedron", "wedge", "pyramid", "tetra10", "hexahedron20", "hexahedron27",
                 "wedge15", "pyramid13", "polyhedron")


class MeshError(ValueError):
    """A mesh file that cannot be used, with the file and what to do in the message."""


@attrs.frozen
class Mesh:
    """A surface (triangles) and/or a volume (cell centres) with the data on them."""

    #: ``(N, 3)`` float64 point coordinates.
    points: np.ndarray
    #: ``(F, 3)`` int64 surface triangles (empty for a pure volume mesh).
    triangles: np.ndarray = attrs.field(factory=lambda: np.zeros((0, 3), np.int64))
    #: One row per point.
    point_data: dict[str, np.ndarray] = attrs.field(factory=dict)
    #: One row per triangle.
    triangle_data: dict[str, np.ndarray] = attrs.field(factory=dict)
    #: ``(F,)`` the surface cell (polygon/quad/triangle of the file) each triangle was cut from; ``None``:
    #: every triangle is a cell of its own.
    triangle_cells: np.ndarray | None = None
    #: ``(C, 3)`` centres of the 3-D cells (volume files; empty otherwise).
    cell_centers: np.ndarray = attrs.field(factory=lambda: np.zeros((0, 3)))
    #: One row per 3-D cell.
    cell_data: dict[str, np.ndarray] = attrs.field(factory=dict)
    #: The file it was read from, for messages.
    source: str = ""

    @property
    def has_faces(self) -> bool:
        """Whether the mesh has surface triangles."""
        return len(self.triangles) > 0

    def triangle_vertices(self) -> np.ndarray:
        """``(F, 3, 3)``: the corner coordinates of every triangle."""
        return self.points[self.triangles]

    def triangle_centers(self) -> np.ndarray:
        """``(F, 3)`` centroids of the triangles."""
        return np.asarray(sum(self.points[self.triangles[:, k]] for k in range(3)) / 3.0)

    def triangle_areas(self) -> np.ndarray:
        """``(F,)`` areas of the triangles."""
        return triangle_areas(self.points, self.triangles)

    def triangle_normals(self) -> np.ndarray:
        """``(F, 3)`` unit normals of the triangles, by the corner order (right-hand rule)."""
        return triangle_normals(self.points, self.triangles)

    def point_areas(self) -> np.ndarray:
        """``(N,)`` area of each point: a third of the area of every triangle it is a corner of.

        The sum over the points is the surface area, so ``sum(f * area)`` approximates a surface integral.
        """
        return point_areas(self.points, self.triangles)

    def point_normals(self) -> np.ndarray:
        """``(N, 3)`` unit normals at the points: the file's own if it stores them, else computed.

        Computed normals are the area-weighted mean of the adjacent triangles' normals.
        """
        for name in NORMAL_NAMES:
            stored = self.point_data.get(name)
            if stored is not None and stored.shape == (len(self.points), 3):
                norm = np.linalg.norm(stored, axis=1, keepdims=True)
                return np.asarray(stored / np.where(norm > 0, norm, 1.0), dtype=np.float64)
        return point_normals(self.points, self.triangles)

    def surface_cells(self) -> SurfaceCells:
        """The file's surface cells (before triangulation): centres, areas, normals and their data.

        Centres and normals are the area-weighted means over each cell's triangles; a cell's data is the
        value its triangles share. With ``cell_data`` on polygons (CFD boundary files) these are the
        positions and quadrature weights the values belong to.
        """
        owner = self.triangle_cells if self.triangle_cells is not None else np.arange(len(self.triangles))
        count = int(owner.max()) + 1 if len(owner) else 0
        doubled = _doubled_area_vectors(self.points, self.triangles)
        areas = 0.5 * np.linalg.norm(doubled, axis=1)
        area = _scatter(owner, areas, count)
        centers = _scatter(owner, self.triangle_centers() * areas[:, None], count)
        centers /= np.where(area > 0, area, 1.0)[:, None]
        normals = _unit(_scatter(owner, doubled, count))
        first = np.full(count, -1, np.int64)
        first[owner[::-1]] = np.arange(len(owner))[::-1]  # the first triangle of each cell
        data = {name: values[first] for name, values in self.triangle_data.items()}
        return SurfaceCells(centers=centers, areas=area, normals=normals, data=data)

    def signed_volume(self) -> float:
        """Volume enclosed by the triangles (positive when they are oriented outward; closed surfaces)."""
        v = self.triangle_vertices()
        return float(np.einsum("ij,ij->i", v[:, 0], np.cross(v[:, 1], v[:, 2])).sum() / 6.0)

    def oriented_outward(self) -> Mesh:
        """The same mesh with the triangles flipped if they enclose a negative volume (inward-facing)."""
        if not self.has_faces or self.signed_volume() >= 0:
            return self
        return attrs.evolve(self, triangles=np.ascontiguousarray(self.triangles[:, ::-1]))

    def require_faces(self) -> Mesh:
        """This mesh, or a :class:`MeshError` if it has no surface triangles."""
        if not self.has_faces:
            raise MeshError(
                f"{self.source or 'mesh'}: the mesh has no faces (no triangles, quads or polygons); a surface "
                "geometry is needed, e.g. an STL or a VTP with polygons"
            )
        return self


@attrs.frozen
class SurfaceCells:
    """The surface cells of a mesh as points: one row per cell."""

    #: ``(C, 3)`` area-weighted centroids.
    centers: np.ndarray
    #: ``(C,)`` areas.
    areas: np.ndarray
    #: ``(C, 3)`` unit normals.
    normals: np.ndarray
    #: The cell data, one row per cell.
    data: dict[str, np.ndarray]


def _doubled_area_vectors(points: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """``(F, 3)`` cross products of two edges: along the normal, twice the area long."""
    a, b, c = (points[triangles[:, k]] for k in range(3))
    return np.cross(b - a, c - a)


def triangle_areas(points: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """``(F,)`` areas of the triangles of ``points``."""
    return np.asarray(0.5 * np.linalg.norm(_doubled_area_vectors(points, triangles), axis=1))


def _unit(vectors: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.where(norm > 0, norm, 1.0))


def triangle_normals(points: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """``(F, 3)`` unit normals (zero for degenerate triangles)."""
    return _unit(_doubled_area_vectors(points, triangles))


def _scatter(index: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Sums of ``values`` rows by ``index`` (``np.bincount`` per column: much faster than ``np.add.at``)."""
    if values.ndim == 1:
        return np.bincount(index, weights=values, minlength=size)
    return np.stack([np.bincount(index, weights=values[:, c], minlength=size) for c in range(values.shape[1])],
                    axis=1)


def point_areas(points: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """``(N,)`` a third of the adjacent triangles' areas per point (zero for points on no triangle)."""
    areas = triangle_areas(points, triangles)
    return _scatter(triangles.ravel(), np.repeat(areas / 3.0, 3), len(points))


def point_normals(points: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """``(N, 3)`` area-weighted mean of the adjacent triangles' normals, normalised."""
    weighted = _doubled_area_vectors(points, triangles)  # length = 2 * area: the weighting for free
    return _unit(_scatter(triangles.ravel(), np.repeat(weighted, 3, axis=0), len(points)))


def _check_path(path: str | os.PathLike[str], suffixes: tuple[str, ...], verb: str) -> Path:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in suffixes:
        raise MeshError(
            f"{path}: cannot {verb} '{suffix or '(no suffix)'}' files; supported: {', '.join(suffixes)}"
        )
    return path


def read_mesh(path: str | os.PathLike[str], *, require_faces: bool = False) -> Mesh:
    """Read a mesh file (STL, VTP, VTU or legacy VTK) with all its point and cell data.

    ``require_faces``: a :class:`MeshError` unless the file has surface cells (what a geometry needs).
    """
    path = _check_path(path, READ_SUFFIXES, "read")
    if not path.is_file():
        raise MeshError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    suffix = path.suffix.lower()
    if suffix == ".vtp" or (suffix == ".vtk" and _is_legacy_polydata(path)):
        try:
            poly = read_vtp(path) if suffix == ".vtp" else read_legacy_polydata(path)
        except VtkXmlError as exc:
            raise MeshError(f"{path}: {exc}") from None
        except (ValueError, IndexError, KeyError) as exc:  # a malformed file the parser did not anticipate
            raise MeshError(f"{path}: malformed {suffix} file ({type(exc).__name__}: {exc})") from None
        except OSError as exc:
            raise MeshError(f"{path}: cannot read ({exc.strerror or exc})") from None
        mesh = Mesh(points=poly.points, triangles=poly.triangles, point_data=poly.point_data,
                    triangle_data=poly.triangle_data, triangle_cells=poly.triangle_cells, source=str(path))
    else:
        mesh = _read_with_meshio(path)
    return mesh.require_faces() if require_faces else mesh


def _meshio_readers() -> dict[str, Any]:
    import meshio.stl
    import meshio.vtk
    import meshio.vtu

    return {".stl": meshio.stl.read, ".vtu": meshio.vtu.read, ".vtk": meshio.vtk.read}


def _is_legacy_polydata(path: Path) -> bool:
    try:
        return is_legacy_polydata(path)
    except OSError as exc:
        raise MeshError(f"{path}: cannot read ({exc.strerror or exc})") from None


def _read_with_meshio(path: Path) -> Mesh:
    readers = _meshio_readers()

    try:
        with warnings.catch_warnings():
            # meshio's STL size check multiplies a numpy uint32 (an overflow warning on files it reads fine).
            warnings.simplefilter("ignore", RuntimeWarning)
            # The format's own reader: meshio.read() prints and exits the process on a bad file.
            raw = readers[path.suffix.lower()](str(path))
    except Exception as exc:  # meshio raises many types (ReadError, ValueError, KeyError) for bad files
        raise MeshError(f"{path}: cannot read the file as {path.suffix.lower()} ({type(exc).__name__}: {exc})"
                        ) from None
    points = np.asarray(raw.points, dtype=np.float64)
    if points.size == 0:
        points = np.zeros((0, 3))
    if points.ndim != 2 or points.shape[1] not in (2, 3):
        raise MeshError(f"{path}: points have shape {points.shape}; expected (N, 3)")
    if points.shape[1] == 2:
        points = np.concatenate([points, np.zeros((len(points), 1))], axis=1)
    tris: list[np.ndarray] = []
    owners: list[np.ndarray] = []
    n_surface_cells = 0
    tri_data: dict[str, list[np.ndarray]] = {name: [] for name in raw.cell_data}
    centers: list[np.ndarray] = []
    vol_data: dict[str, list[np.ndarray]] = {name: [] for name in raw.cell_data}
    for block_index, block in enumerate(raw.cells):
        data = {name: _column(arrays[block_index]) for name, arrays in raw.cell_data.items()}
        if block.type in _SURFACE_CELLS:
            block_tris, owner = _fan(block.data)
            tris.append(block_tris)
            owners.append(owner + n_surface_cells)
            n_surface_cells += len(block.data)
            for name, values in data.items():
                tri_data[name].append(values[owner])
        elif block.type in _VOLUME_CELLS:
            if block.type == "polyhedron":
                block_centers = np.array([points[np.unique(np.concatenate(c))].mean(axis=0) for c in block.data])
            else:
                block_centers = points[np.asarray(block.data)].mean(axis=1)
            centers.append(block_centers)
            for name, values in data.items():
                vol_data[name].append(values)
    return Mesh(
        points=points,
        triangles=np.concatenate(tris).astype(np.int64) if tris else np.zeros((0, 3), np.int64),
        point_data={name: _column(v) for name, v in raw.point_data.items()},
        triangle_data={k: np.concatenate(v) for k, v in tri_data.items() if v and len(v) == len(tris)},
        triangle_cells=np.concatenate(owners).astype(np.int64) if owners else None,
        cell_centers=np.concatenate(centers) if centers else np.zeros((0, 3)),
        cell_data={k: np.concatenate(v) for k, v in vol_data.items() if v and len(v) == len(centers)},
        source=str(path),
    )


def _column(values: Any) -> np.ndarray:
    """Single-component arrays as ``(n,)``, as the VTP reader returns them (legacy VTK gives ``(n, 1)``)."""
    array = np.asarray(values)
    return array.reshape(-1) if array.ndim == 2 and array.shape[1] == 1 else array


def _fan(cells: Any) -> tuple[np.ndarray, np.ndarray]:
    """Fan triangles of polygons (a 2-D array of equal-size cells, or a list of index arrays) and owners."""
    if isinstance(cells, np.ndarray) and cells.ndim == 2:
        n, k = cells.shape
        fan = np.arange(1, k - 1)
        tris = np.stack([np.repeat(cells[:, :1], k - 2, axis=1), cells[:, fan], cells[:, fan + 1]], axis=-1)
        return tris.reshape(-1, 3), np.repeat(np.arange(n), k - 2)
    tris_list, owners = [], []
    for i, cell in enumerate(cells):
        cell = np.asarray(cell)
        for j in range(1, len(cell) - 1):
            tris_list.append([cell[0], cell[j], cell[j + 1]])
            owners.append(i)
    return np.array(tris_list, np.int64).reshape(-1, 3), np.array(owners, np.int64)


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` that replaces it when the block succeeds (removed when it fails)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_mesh(
    path: str | os.PathLike[str],
    mesh: Mesh,
    *,
    point_data: Mapping[str, np.ndarray] | None = None,
    triangle_data: Mapping[str, np.ndarray] | None = None,
    ascii: bool = False,
) -> Path:
    """Write the surface of ``mesh`` with fields on its points/triangles as ``.vtp`` or ``.vtu``, atomically.

    ``.stl`` writes the bare triangles (a geometry for ``noether predict``); fields are an error there.

    ``point_data``/``triangle_data`` are added to (and override) the mesh's own; their row counts are checked.
    The file appears under its final name only once complete.
    """
    path = _check_path(path, WRITE_SUFFIXES, "write")
    pdata = {**mesh.point_data, **dict(point_data or {})}
    tdata = {**mesh.triangle_data, **dict(triangle_data or {})}
    for kind, data, rows in (("point", pdata, len(mesh.points)), ("triangle", tdata, len(mesh.triangles))):
        for name, values in data.items():
            if len(values) != rows:
                raise MeshError(f"{path}: {kind} field '{name}' has {len(values)} rows; the mesh has {rows}")
    suffix = path.suffix.lower()
    if suffix == ".stl" and (point_data or triangle_data or not mesh.has_faces):
        raise MeshError(f"{path}: STL holds triangles only (no fields, no point clouds); write .vtp or .vtu")
    with atomic_path(path) as tmp:
        if suffix == ".vtp":
            write_vtp(tmp, mesh.points, mesh.triangles, pdata, tdata, ascii=ascii)
        elif suffix == ".stl":
            import meshio

            meshio.Mesh(mesh.points, [("triangle", mesh.triangles)]).write(tmp, file_format="stl", binary=not ascii)
        else:
            import meshio

            cells = [("triangle", mesh.triangles)] if mesh.has_faces else []
            meshio.Mesh(
                mesh.points, cells, point_data=pdata,
                cell_data={name: [values] for name, values in tdata.items()} if cells else {},
            ).write(tmp, file_format="vtu", binary=not ascii)
    return path
