"""The mesh readers on files written by VTK 9.7's own writers (see ``vtk_files/make_fixtures.py``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from noether_cfd.data.mesh import MeshError, read_mesh

FILES = Path(__file__).parent / "vtk_files"
EXPECTED = dict(np.load(FILES / "expected.npz"))
# Quad (2 triangles), triangle (1), pentagon (3), strip of 5 points (3); cell data rows start with the vertex.
TRIANGLE_CIDS = [20, 20, 30, 40, 40, 40, 50, 50, 50]
SURFACES = ["ascii.vtp", "binary_none_32.vtp", "binary_lzma_64.vtp", "appended_raw_zlib_64.vtp",
            "appended_base64_zlib_32.vtp", "legacy42_ascii.vtk", "legacy42_binary.vtk", "legacy51_ascii.vtk",
            "legacy51_binary.vtk"]


def check_surface(name: str) -> None:
    mesh = read_mesh(FILES / name, require_faces=True)
    np.testing.assert_allclose(mesh.points, EXPECTED["points"], rtol=1e-6)
    np.testing.assert_allclose(mesh.point_data["p"], EXPECTED["p"])
    np.testing.assert_allclose(mesh.point_data["U"], EXPECTED["U"], atol=1e-5)  # ASCII: 6 digits
    assert mesh.triangles.shape == (9, 3)
    assert mesh.triangle_data["cid"].tolist() == TRIANGLE_CIDS
    np.testing.assert_array_equal(mesh.triangles[:3], [[0, 1, 2], [0, 2, 3], [1, 2, 4]])
    np.testing.assert_array_equal(mesh.triangles[6:], [[0, 2, 4], [4, 2, 6], [4, 6, 8]])  # strip alternates
    cells = mesh.surface_cells()
    assert cells.areas.shape == (4,) and cells.data["cid"].tolist() == [20, 30, 40, 50]


@pytest.mark.parametrize("name", SURFACES)
def test_surfaces_written_by_vtk(name: str) -> None:
    check_surface(name)


def test_lz4_compressed_file() -> None:
    if importlib.util.find_spec("lz4") is not None:
        check_surface("appended_raw_lz4_64.vtp")
    else:  # without the optional package: an error that says what to install
        with pytest.raises(MeshError, match=r"LZ4-compressed; install the 'lz4' package"):
            read_mesh(FILES / "appended_raw_lz4_64.vtp")


@pytest.mark.parametrize("name", ["grid42_binary.vtk", "grid.vtu"])
def test_unstructured_grids_written_by_vtk(name: str) -> None:
    mesh = read_mesh(FILES / name)
    np.testing.assert_allclose(mesh.points, EXPECTED["points"], rtol=1e-6)
    np.testing.assert_allclose(mesh.point_data["U"], EXPECTED["U"], atol=1e-5)  # ASCII: 6 digits
    assert mesh.triangles.shape == (2, 3)  # the quad
    np.testing.assert_allclose(mesh.cell_centers, EXPECTED["points"][:8].mean(axis=0, keepdims=True), rtol=1e-6)
