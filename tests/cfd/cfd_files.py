"""Small simulation folders in the public data sets' real layouts and file formats, for the loader tests.

The mesh files are assembled here from the published formats (legacy VTK text as in ShapeNet-Car, VTK XML
PolyData with appended raw binary as VTK writes boundary files, VTU through meshio, STL), not through the
plugin's own writers, so that the loaders are tested against the formats themselves.
"""

from __future__ import annotations

from pathlib import Path

import meshio
import numpy as np


def cube_sphere(n: int, radius: float = 1.0, inward: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A closed quad surface: a cube's faces split into ``n x n`` quads, pushed onto a sphere.

    Returns points ``(6 n^2 + 2, 3)`` and quads ``(6 n^2, 4)``, counter-clockwise seen from outside (or
    clockwise with ``inward``, as OpenFOAM orients boundary faces: out of the fluid, into the body).
    """
    points: dict[tuple[int, int, int], int] = {}
    coords: list[np.ndarray] = []
    quads: list[list[int]] = []

    def index(p: np.ndarray) -> int:
        key = tuple(int(v) for v in np.round(p * n).astype(int))
        if key not in points:
            points[key] = len(coords)
            coords.append(p)
        return points[key]

    for axis in range(3):
        for sign in (-1.0, 1.0):
            u_axis, v_axis = (axis + 1) % 3, (axis + 2) % 3
            if sign < 0:
                u_axis, v_axis = v_axis, u_axis  # keep counter-clockwise seen from outside
            for i in range(n):
                for j in range(n):
                    corners = []
                    for di, dj in ((0, 0), (1, 0), (1, 1), (0, 1)):
                        p = np.zeros(3)
                        p[axis] = sign
                        p[u_axis] = -1 + 2 * (i + di) / n
                        p[v_axis] = -1 + 2 * (j + dj) / n
                        corners.append(index(p))
                    quads.append(corners[::-1] if inward else corners)
    cube = np.array(coords)
    sphere = radius * cube / np.linalg.norm(cube, axis=1, keepdims=True)
    return sphere, np.array(quads)


def _numbers(values: np.ndarray) -> str:
    return "\n".join(" ".join(f"{v:.9g}" for v in row) for row in np.atleast_2d(values))


def write_legacy_quads(path: Path, points: np.ndarray, quads: np.ndarray,
                       scalars: dict[str, np.ndarray] | None = None) -> None:
    """A legacy-format (VTK 4.2, ASCII) unstructured grid of quads with point scalars."""
    text = ["# vtk DataFile Version 4.2", "surface", "ASCII", "DATASET UNSTRUCTURED_GRID",
            f"POINTS {len(points)} float", _numbers(points),
            f"CELLS {len(quads)} {5 * len(quads)}", _numbers(np.hstack([np.full((len(quads), 1), 4), quads])),
            f"CELL_TYPES {len(quads)}", "\n".join(["9"] * len(quads))]
    if scalars:
        text.append(f"POINT_DATA {len(points)}")
        for name, values in scalars.items():
            text += [f"SCALARS {name} float 1", "LOOKUP_TABLE default", _numbers(values.reshape(-1, 1))]
    path.write_text("\n".join(text) + "\n")


def hex_grid(n: int, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """Points ``((n+1)^3, 3)`` and hexahedra ``(n^3, 8)`` of a regular grid over ``[low, high]^3``."""
    axis = np.linspace(low, high, n + 1)
    points = np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), axis=-1).reshape(-1, 3)

    def at(i: int, j: int, k: int) -> int:
        return (i * (n + 1) + j) * (n + 1) + k

    hexes = [[at(i, j, k), at(i + 1, j, k), at(i + 1, j + 1, k), at(i, j + 1, k),
              at(i, j, k + 1), at(i + 1, j, k + 1), at(i + 1, j + 1, k + 1), at(i, j + 1, k + 1)]
             for i in range(n) for j in range(n) for k in range(n)]
    return points, np.array(hexes)


def write_legacy_hexes(path: Path, points: np.ndarray, hexes: np.ndarray, velocity: np.ndarray) -> None:
    """A legacy-format (VTK 4.2, ASCII) unstructured grid of hexahedra with point velocity vectors."""
    text = ["# vtk DataFile Version 4.2", "volume", "ASCII", "DATASET UNSTRUCTURED_GRID",
            f"POINTS {len(points)} float", _numbers(points),
            f"CELLS {len(hexes)} {9 * len(hexes)}", _numbers(np.hstack([np.full((len(hexes), 1), 8), hexes])),
            f"CELL_TYPES {len(hexes)}", "\n".join(["12"] * len(hexes)),
            f"POINT_DATA {len(points)}", "VECTORS velocity float", _numbers(velocity)]
    path.write_text("\n".join(text) + "\n")


def write_vtp_appended(path: Path, points: np.ndarray, polys: np.ndarray,
                       point_data: dict[str, np.ndarray], cell_data: dict[str, np.ndarray]) -> None:
    """VTK XML PolyData in appended raw binary (UInt64 headers, uncompressed), as VTK's writers store it."""
    blob = b""
    parts: dict[str, list[str]] = {"PointData": [], "CellData": [], "Points": [], "Polys": []}

    def add(section: str, name: str | None, vtk_type: str, values: np.ndarray) -> None:
        nonlocal blob
        comps = values.shape[1] if values.ndim > 1 else 1
        attr = f' Name="{name}"' if name else ""
        parts[section].append(f'<DataArray type="{vtk_type}"{attr} NumberOfComponents="{comps}" '
                              f'format="appended" offset="{len(blob)}"/>')
        data = np.ascontiguousarray(values).tobytes()
        blob += np.array([len(data)], "<u8").tobytes() + data

    for name, values in point_data.items():
        add("PointData", name, "Float32", values.astype("<f4"))
    for name, values in cell_data.items():
        add("CellData", name, "Float32", values.astype("<f4"))
    add("Points", None, "Float32", points.astype("<f4"))
    add("Polys", "connectivity", "Int64", polys.reshape(-1).astype("<i8"))
    add("Polys", "offsets", "Int64", (np.arange(1, len(polys) + 1) * polys.shape[1]).astype("<i8"))
    head = (
        '<?xml version="1.0"?>\n<VTKFile type="PolyData" version="2.2" byte_order="LittleEndian" '
        'header_type="UInt64">\n  <PolyData>\n'
        f'    <Piece NumberOfPoints="{len(points)}" NumberOfVerts="0" NumberOfLines="0" NumberOfStrips="0" '
        f'NumberOfPolys="{len(polys)}">\n'
        + "".join(f"      <{s}>{''.join(parts[s])}</{s}>\n" for s in ("PointData", "CellData", "Points", "Polys"))
        + '    </Piece>\n  </PolyData>\n  <AppendedData encoding="raw">\n   _'
    )
    path.write_bytes(head.encode() + blob + b"\n  </AppendedData>\n</VTKFile>\n")


def shapenet_pressure(points: np.ndarray) -> np.ndarray:
    """A smooth made-up pressure field."""
    return (1.0 - 2.0 * points[:, 0] ** 2 + points[:, 2]).astype(np.float32)


def shapenet_velocity(points: np.ndarray) -> np.ndarray:
    """A made-up velocity field."""
    return np.stack([1.0 + points[:, 1], points[:, 0] * points[:, 2], -points[:, 1]], axis=1).astype(np.float32)


#: Points of the fixture's surface files that are on no quad, at the indices the real files have them.
UNREFERENCED = slice(16, 112)


def shapenet_surface(radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Surface points with 96 stray points at ``[16, 112)`` (as in the distribution) and the quads."""
    points, quads = cube_sphere(5, radius)  # 152 points on quads (the real meshes have 3,586 of 3,682)
    stray = np.random.default_rng(7).normal(size=(96, 3)) * 5.0
    all_points = np.concatenate([points[:16], stray, points[16:]])
    return all_points, np.where(quads >= 16, quads + 96, quads)


def make_shapenet_car(root: Path) -> dict[str, float]:
    """Three simulations (``param0/a``, ``param1/b``, ``param2/c``) and one incomplete folder; radius per id.

    ``param1/b`` has ``velo.npy`` (the volume file's vectors are zeros there), the others carry the velocity
    in the volume file only; every one has ``cd.txt`` (a quarter of its radius).
    """
    radii = {"param0/a": 1.0, "param1/b": 1.5, "param2/c": 0.8}
    for sample_id, radius in radii.items():
        folder = root / sample_id
        folder.mkdir(parents=True)
        points, quads = shapenet_surface(radius)
        pressure = shapenet_pressure(points)
        write_legacy_quads(folder / "quadpress_smpl.vtk", points, quads, {"press": 0 * pressure})
        np.save(folder / "press.npy", pressure)
        grid, hexes = hex_grid(3, -3.0, 3.0)
        velocity = shapenet_velocity(grid)
        (folder / "cd.txt").write_text(f"{0.25 * radius}\n")
        if sample_id == "param1/b":
            np.save(folder / "velo.npy", velocity.astype(np.float64).reshape(-1))  # flat, as distributed
            velocity = 0 * velocity
        write_legacy_hexes(folder / "hexvelo_smpl.vtk", grid, hexes, velocity)
    (root / "param1" / "incomplete").mkdir()  # like the distribution's folders that lack quadpress_smpl.vtk
    grid, hexes = hex_grid(1, 0.0, 1.0)
    write_legacy_hexes(root / "param1" / "incomplete" / "hexvelo_smpl.vtk", grid, hexes, shapenet_velocity(grid))
    return radii


def caeml_pressure(centers: np.ndarray, run: int) -> np.ndarray:
    """A made-up surface pressure, different per run."""
    return (run - 10.0 * centers[:, 0]).astype(np.float32)


def make_caeml(root: Path, runs: int, geometry: str = "drivaer", with_volume: bool = True) -> None:
    """``runs`` simulations ``run_1 .. run_<runs>`` in the DrivAerML/AhmedML layout."""
    for run in range(1, runs + 1):
        folder = root / f"run_{run}"
        folder.mkdir(parents=True)
        points, quads = cube_sphere(3, 1.0 + 0.1 * run, inward=True)  # boundary faces point into the body
        centers = points[quads].mean(axis=1)
        shear = np.stack([centers[:, 1], -centers[:, 0], np.full(len(quads), 0.1 * run)], axis=1)
        write_vtp_appended(folder / f"boundary_{run}.vtp", points, quads,
                           point_data={"pMeanTrim": points[:, 0]},
                           cell_data={"pMeanTrim": caeml_pressure(centers, run), "wallShearStressMeanTrim": shear,
                                      "CpMeanTrim": np.zeros(len(quads))})
        if with_volume:
            grid, hexes = hex_grid(2, -4.0, 4.0)
            meshio.Mesh(grid, [("hexahedron", hexes)],
                        point_data={"UMeanTrim": shapenet_velocity(grid), "pMeanTrim": grid[:, 2] * run}
                        ).write(folder / f"volume_{run}.vtu")
        tris = np.concatenate([quads[:, [0, 2, 1]], quads[:, [0, 3, 2]]])
        meshio.Mesh(points, [("triangle", tris)]).write(folder / f"{geometry}_{run}.stl", binary=True)
        (folder / f"force_mom_{run}.csv").write_text(f"cd, cl, cs, cmy\n{0.3 + run / 100}, {-0.1 * run}, 0.0, 0.02\n")
        (folder / f"geo_parameters_{run}.csv").write_text(f"length,height\n{4.0 + run},{1.4}\n")
