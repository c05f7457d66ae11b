"""Mesh I/O on files written in the real formats (hand-assembled per VTK's and STL's published layouts)."""

from __future__ import annotations

import base64
import struct
import zlib
from pathlib import Path

import meshio
import numpy as np
import pytest
from noether_cfd.data.mesh import Mesh, MeshError, read_mesh, write_mesh

# A unit cube as 6 quads, corners counter-clockwise seen from outside (outward normals).
CUBE_POINTS = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0],
                        [0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]], dtype=float)
CUBE_QUADS = np.array([[0, 3, 2, 1], [4, 5, 6, 7], [0, 1, 5, 4], [2, 3, 7, 6], [1, 2, 6, 5], [0, 4, 7, 3]])


def _ascii(values: np.ndarray) -> str:
    return " ".join(str(v) for v in np.asarray(values).ravel())


def write_ascii_vtp(path: Path) -> None:
    """The cube's quads as polygons, one vertex cell first (so cell data rows start with the vertex)."""
    offsets = np.arange(1, 7) * 4
    path.write_text(f"""<?xml version="1.0"?>
<VTKFile type="PolyData" version="1.0" byte_order="LittleEndian">
  <PolyData>
    <Piece NumberOfPoints="8" NumberOfVerts="1" NumberOfLines="0" NumberOfStrips="0" NumberOfPolys="6">
      <PointData Scalars="p">
        <DataArray type="Float64" Name="p" format="ascii">{_ascii(CUBE_POINTS[:, 0])}</DataArray>
      </PointData>
      <CellData>
        <DataArray type="Int32" Name="face_id" format="ascii">-1 0 1 2 3 4 5</DataArray>
        <DataArray type="Float32" Name="tau" NumberOfComponents="3" format="ascii">{_ascii(np.arange(21))}</DataArray>
      </CellData>
      <Points>
        <DataArray type="Float32" NumberOfComponents="3" format="ascii">{_ascii(CUBE_POINTS)}</DataArray>
      </Points>
      <Verts>
        <DataArray type="Int64" Name="connectivity" format="ascii">0</DataArray>
        <DataArray type="Int64" Name="offsets" format="ascii">1</DataArray>
      </Verts>
      <Polys>
        <DataArray type="Int64" Name="connectivity" format="ascii">{_ascii(CUBE_QUADS)}</DataArray>
        <DataArray type="Int64" Name="offsets" format="ascii">{_ascii(offsets)}</DataArray>
      </Polys>
    </Piece>
  </PolyData>
</VTKFile>
""")


def write_appended_vtp(path: Path, *, raw: bool, compressed: bool) -> None:
    """The cube in appended form: raw bytes (UInt64 headers, zlib blocks) or base64 (UInt32, uncompressed)."""
    header_type = "<u8" if raw else "<u4"
    arrays = [
        ("PointData", "p", "Float64", 1, CUBE_POINTS[:, 2].astype("<f8")),
        ("Points", None, "Float32", 3, CUBE_POINTS.astype("<f4")),
        ("Polys", "connectivity", "Int32", 1, CUBE_QUADS.astype("<i4")),
        ("Polys", "offsets", "Int32", 1, (np.arange(1, 7) * 4).astype("<i4")),
    ]
    blob = b""
    elements: dict[str, list[str]] = {"PointData": [], "Points": [], "Polys": []}
    for section, name, vtk_type, comps, values in arrays:
        data = values.tobytes()
        if compressed:
            # Two blocks, to exercise the block table: block size = half the data (rounded up).
            block = (len(data) + 1) // 2
            parts = [zlib.compress(data[:block]), zlib.compress(data[block:])]
            last = len(data) - block
            header = np.array([2, block, last, *map(len, parts)], header_type).tobytes()
            body = b"".join(parts)
        else:
            header = np.array([len(data)], header_type).tobytes()
            body = data
        encoded = header + body if raw else base64.b64encode(header) + base64.b64encode(body)
        attr = f' Name="{name}"' if name else ""
        elements[section].append(f'<DataArray type="{vtk_type}"{attr} NumberOfComponents="{comps}" '
                                 f'format="appended" offset="{len(blob)}"/>')
        blob += encoded
    compressor = ' compressor="vtkZLibDataCompressor"' if compressed else ""
    header_name = "UInt64" if raw else "UInt32"
    head = f"""<?xml version="1.0"?>
<VTKFile type="PolyData" version="1.0" byte_order="LittleEndian" header_type="{header_name}"{compressor}>
  <PolyData>
    <Piece NumberOfPoints="8" NumberOfVerts="0" NumberOfLines="0" NumberOfStrips="0" NumberOfPolys="6">
      <PointData>{''.join(elements['PointData'])}</PointData>
      <CellData/>
      <Points>{''.join(elements['Points'])}</Points>
      <Polys>{''.join(elements['Polys'])}</Polys>
    </Piece>
  </PolyData>
  <AppendedData encoding="{'raw' if raw else 'base64'}">
   _"""
    path.write_bytes(head.encode() + blob + b"\n  </AppendedData>\n</VTKFile>\n")


def check_cube(mesh: Mesh) -> None:
    assert mesh.points.shape == (8, 3)
    assert mesh.triangles.shape == (12, 3)
    np.testing.assert_allclose(mesh.triangle_areas().sum(), 6.0)
    np.testing.assert_allclose(mesh.point_areas().sum(), 6.0)
    np.testing.assert_allclose(mesh.signed_volume(), 1.0)
    centers = mesh.triangle_centers() - 0.5
    assert np.all(np.einsum("ij,ij->i", mesh.triangle_normals(), centers) > 0)  # outward
    # Corner normals mix the three faces (weighted by the triangles' areas): unit length and outward.
    corner_normals = mesh.point_normals()
    np.testing.assert_allclose(np.linalg.norm(corner_normals, axis=1), 1.0)
    assert np.all(np.sign(corner_normals) == np.sign(mesh.points - 0.5))


def test_ascii_vtp_polygons_cell_data_and_normals(tmp_path: Path) -> None:
    path = tmp_path / "cube.vtp"
    write_ascii_vtp(path)
    mesh = read_mesh(path, require_faces=True)
    check_cube(mesh)
    np.testing.assert_array_equal(mesh.point_data["p"], CUBE_POINTS[:, 0])
    # Row 0 of the cell data belongs to the vertex cell; each quad's value is repeated for its 2 triangles.
    np.testing.assert_array_equal(mesh.triangle_data["face_id"], np.repeat(np.arange(6), 2))
    assert mesh.triangle_data["tau"].shape == (12, 3)
    np.testing.assert_array_equal(mesh.triangle_data["tau"][:2], [[3, 4, 5], [3, 4, 5]])


@pytest.mark.parametrize(("raw", "compressed"), [(True, True), (True, False), (False, False), (False, True)])
def test_appended_vtp(tmp_path: Path, raw: bool, compressed: bool) -> None:
    path = tmp_path / "cube.vtp"
    write_appended_vtp(path, raw=raw, compressed=compressed)
    mesh = read_mesh(path)
    check_cube(mesh)
    np.testing.assert_array_equal(mesh.point_data["p"], CUBE_POINTS[:, 2])


def test_stl_binary_and_ascii(tmp_path: Path) -> None:
    tris = np.concatenate([CUBE_QUADS[:, [0, 1, 2]], CUBE_QUADS[:, [0, 2, 3]]])
    binary = tmp_path / "cube.stl"
    with binary.open("wb") as f:
        f.write(b"\0" * 80 + struct.pack("<I", len(tris)))
        for tri in tris:
            f.write(struct.pack("<3f", 0, 0, 0) + CUBE_POINTS[tri].astype("<f4").tobytes() + b"\0\0")
    check_cube(read_mesh(binary, require_faces=True))
    text = ["solid cube"]
    for tri in tris:
        text += ["facet normal 0 0 0", " outer loop"] + [f"  vertex {x} {y} {z}" for x, y, z in CUBE_POINTS[tri]]
        text += [" endloop", "endfacet"]
    ascii_path = tmp_path / "cube_ascii.STL"
    ascii_path.write_text("\n".join([*text, "endsolid cube"]) + "\n")
    check_cube(read_mesh(ascii_path))


def test_inward_stl_is_reoriented(tmp_path: Path) -> None:
    tris = np.concatenate([CUBE_QUADS[:, [0, 2, 1]], CUBE_QUADS[:, [0, 3, 2]]])  # every triangle flipped
    path = tmp_path / "inward.stl"
    meshio.Mesh(CUBE_POINTS, [("triangle", tris)]).write(path, binary=True)
    mesh = read_mesh(path)
    assert mesh.signed_volume() == pytest.approx(-1.0)
    check_cube(mesh.oriented_outward())


def test_legacy_vtk_volume_with_hexahedra_and_vectors(tmp_path: Path) -> None:
    path = tmp_path / "hexvelo.vtk"
    velocity = np.stack([CUBE_POINTS[:, 0], -CUBE_POINTS[:, 1], np.zeros(8)], axis=1)
    path.write_text(
        "# vtk DataFile Version 2.0\nvolume\nASCII\nDATASET UNSTRUCTURED_GRID\n"
        f"POINTS 8 float\n{_ascii(CUBE_POINTS)}\n"
        "CELLS 1 9\n8 0 1 2 3 4 5 6 7\nCELL_TYPES 1\n12\n"
        f"POINT_DATA 8\nVECTORS velocity float\n{_ascii(velocity)}\n"
        "CELL_DATA 1\nSCALARS pressure float 1\nLOOKUP_TABLE default\n2.5\n"
    )
    mesh = read_mesh(path)
    assert not mesh.has_faces
    np.testing.assert_allclose(mesh.point_data["velocity"], velocity)
    np.testing.assert_allclose(mesh.cell_centers, [[0.5, 0.5, 0.5]])
    np.testing.assert_allclose(mesh.cell_data["pressure"], [2.5])
    with pytest.raises(MeshError, match="no faces"):
        read_mesh(path, require_faces=True)


def test_legacy_vtk_quads_with_point_scalars(tmp_path: Path) -> None:
    path = tmp_path / "quadpress.vtk"
    path.write_text(
        "# vtk DataFile Version 2.0\nsurface\nASCII\nDATASET UNSTRUCTURED_GRID\n"
        f"POINTS 8 double\n{_ascii(CUBE_POINTS)}\n"
        f"CELLS 6 30\n" + "\n".join("4 " + _ascii(q) for q in CUBE_QUADS) + "\n"
        "CELL_TYPES 6\n" + "9\n" * 6 +
        f"POINT_DATA 8\nSCALARS press float 1\nLOOKUP_TABLE default\n{_ascii(np.arange(8))}\n"
    )
    mesh = read_mesh(path)
    check_cube(mesh)
    np.testing.assert_allclose(mesh.point_data["press"], np.arange(8))


def test_vtu_volume_and_surface(tmp_path: Path) -> None:
    path = tmp_path / "volume.vtu"
    tets = np.array([[0, 1, 3, 4], [1, 2, 3, 6]])
    meshio.Mesh(CUBE_POINTS, [("tetra", tets), ("quad", CUBE_QUADS[:1])],
                point_data={"U": CUBE_POINTS * 2.0},
                cell_data={"p": [np.array([1.0, 2.0]), np.array([7.0])]}).write(path)
    mesh = read_mesh(path)
    np.testing.assert_allclose(mesh.point_data["U"], CUBE_POINTS * 2.0)
    np.testing.assert_allclose(mesh.cell_centers, CUBE_POINTS[tets].mean(axis=1))
    np.testing.assert_allclose(mesh.cell_data["p"], [1.0, 2.0])
    np.testing.assert_allclose(mesh.triangle_data["p"], [7.0, 7.0])


@pytest.mark.parametrize("suffix", [".vtp", ".vtu"])
@pytest.mark.parametrize("ascii", [False, True])
def test_write_round_trip(tmp_path: Path, suffix: str, ascii: bool) -> None:
    source = tmp_path / "cube.vtp"
    write_ascii_vtp(source)
    mesh = read_mesh(source)
    pressure = np.linspace(-1.0, 1.0, 8).astype(np.float32)[:, None]
    out = write_mesh(tmp_path / f"out{suffix}", mesh, point_data={"surface_pressure": pressure},
                     triangle_data={"area": mesh.triangle_areas()}, ascii=ascii)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left
    back = read_mesh(out)
    check_cube(back)
    np.testing.assert_allclose(back.point_data["surface_pressure"].reshape(-1), pressure.ravel())
    np.testing.assert_allclose(back.triangle_data["area"], mesh.triangle_areas())
    np.testing.assert_array_equal(back.triangle_data["face_id"], np.repeat(np.arange(6), 2))


def test_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(MeshError, match=r"missing\.stl: no such file"):
        read_mesh(tmp_path / "missing.stl")
    (tmp_path / "shape.obj").write_text("v 0 0 0\n")
    with pytest.raises(MeshError, match=r"cannot read '\.obj' files; supported: \.stl, \.vtp, \.vtu, \.vtk"):
        read_mesh(tmp_path / "shape.obj")
    (tmp_path / "broken.vtp").write_text("<VTKFile type='PolyData'><PolyData>")
    with pytest.raises(MeshError, match=r"broken\.vtp: not a VTK XML file"):
        read_mesh(tmp_path / "broken.vtp")
    (tmp_path / "broken.vtu").write_text("garbage")
    with pytest.raises(MeshError, match=r"broken\.vtu: cannot read the file"):
        read_mesh(tmp_path / "broken.vtu")
    empty = tmp_path / "points.vtp"
    write_mesh(empty, Mesh(points=CUBE_POINTS))
    with pytest.raises(MeshError, match="no faces"):
        read_mesh(empty, require_faces=True)
    with pytest.raises(MeshError, match=r"cannot write '\.obj'"):
        write_mesh(tmp_path / "x.obj", Mesh(points=CUBE_POINTS))
    mesh = read_mesh(tmp_path / "points.vtp")
    with pytest.raises(MeshError, match="has 3 rows; the mesh has 8"):
        write_mesh(tmp_path / "bad.vtp", mesh, point_data={"p": np.zeros(3)})
    assert not (tmp_path / "bad.vtp").exists()


@pytest.mark.parametrize("suffix", [".vtp", ".vtk"])
def test_surface_cells_undo_the_triangulation(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"cube{suffix}"
    if suffix == ".vtp":
        write_ascii_vtp(path)
    else:
        meshio.Mesh(CUBE_POINTS, [("quad", CUBE_QUADS)], cell_data={"face_id": [np.arange(6)]}).write(
            path, binary=False)
    cells = read_mesh(path).surface_cells()
    np.testing.assert_allclose(cells.areas, np.ones(6))
    np.testing.assert_allclose(cells.centers, CUBE_POINTS[CUBE_QUADS].mean(axis=1))
    np.testing.assert_allclose(cells.normals, [[0, 0, -1], [0, 0, 1], [0, -1, 0], [0, 1, 0], [1, 0, 0], [-1, 0, 0]],
                               atol=1e-12)
    np.testing.assert_array_equal(cells.data["face_id"], np.arange(6))


def _legacy_polydata(binary: bool, version: str) -> bytes:
    """The cube as legacy POLYDATA, one vertex cell first; old-style or 5.x (OFFSETS/CONNECTIVITY) cells."""
    def values(array: np.ndarray, dtype: str) -> bytes:
        if binary:
            return np.asarray(array).astype(">" + dtype).tobytes() + b"\n"
        return (" ".join(str(v) for v in np.asarray(array).ravel()) + "\n").encode()

    out = [f"# vtk DataFile Version {version}\ncube\n{'BINARY' if binary else 'ASCII'}\nDATASET POLYDATA\n".encode(),
           b"POINTS 8 float\n", values(CUBE_POINTS, "f4")]
    if version.startswith("5"):
        out += [b"VERTICES 2 1\nOFFSETS vtktypeint64\n", values([0, 1], "i8"),
                b"CONNECTIVITY vtktypeint64\n", values([0], "i8"),
                b"POLYGONS 7 24\nOFFSETS vtktypeint64\n", values(np.arange(7) * 4, "i8"),
                b"CONNECTIVITY vtktypeint64\n", values(CUBE_QUADS, "i8")]
    else:
        out += [b"VERTICES 1 2\n", values([1, 0], "i4"),
                b"POLYGONS 6 30\n", values(np.hstack([np.full((6, 1), 4), CUBE_QUADS]), "i4")]
    out += [b"CELL_DATA 7\nSCALARS face_id int 1\nLOOKUP_TABLE default\n", values(np.arange(-1, 6), "i4"),
            b"POINT_DATA 8\nNORMALS Normals float\n", values(CUBE_POINTS - 0.5, "f4"),
            b"FIELD FieldData 1\np 1 8 double\n", values(CUBE_POINTS[:, 1], "f8")]
    return b"".join(out)


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("version", ["3.0", "5.1"])
def test_legacy_polydata(tmp_path: Path, binary: bool, version: str) -> None:
    path = tmp_path / "cube.vtk"
    path.write_bytes(_legacy_polydata(binary, version))
    mesh = read_mesh(path, require_faces=True)
    check_cube(mesh)
    np.testing.assert_array_equal(mesh.triangle_data["face_id"], np.repeat(np.arange(6), 2))
    np.testing.assert_array_equal(mesh.point_data["p"], CUBE_POINTS[:, 1])
    # The file's normals are used (normalised) instead of computed ones.
    np.testing.assert_allclose(mesh.point_normals(), (CUBE_POINTS - 0.5) / np.sqrt(0.75), rtol=1e-6)


def test_truncated_legacy_polydata_is_a_mesh_error(tmp_path: Path) -> None:
    path = tmp_path / "cut.vtk"
    path.write_bytes(_legacy_polydata(True, "5.1")[:-20])
    with pytest.raises(MeshError, match=r"cut\.vtk: .*truncated"):
        read_mesh(path)
    path.write_bytes(_legacy_polydata(False, "3.0").replace(b"p 1 8 double", b"p 1"))
    with pytest.raises(MeshError, match=r"cut\.vtk: malformed \.vtk file"):
        read_mesh(path)


def test_stl_writing_is_geometry_only(tmp_path: Path) -> None:
    source = tmp_path / "cube.vtp"
    write_ascii_vtp(source)
    mesh = read_mesh(source)
    check_cube(read_mesh(write_mesh(tmp_path / "cube.stl", mesh)))
    with pytest.raises(MeshError, match="STL holds triangles only"):
        write_mesh(tmp_path / "fields.stl", mesh, point_data={"p": np.zeros(8)})
    assert not (tmp_path / "fields.stl").exists()


def test_vtp_with_several_pieces(tmp_path: Path) -> None:
    """Two pieces, each with its own points and three of the cube's faces: indices are per piece."""
    pieces = []
    for faces in (CUBE_QUADS[:3], CUBE_QUADS[3:]):
        used = np.unique(faces)
        local = np.searchsorted(used, faces)
        pieces.append(f"""
    <Piece NumberOfPoints="{len(used)}" NumberOfPolys="3">
      <PointData>
        <DataArray type="Float64" Name="p" format="ascii">{_ascii(CUBE_POINTS[used, 0])}</DataArray>
      </PointData>
      <CellData><DataArray type="Int32" Name="face_id" format="ascii">{_ascii(np.arange(3))}</DataArray></CellData>
      <Points>
        <DataArray type="Float64" NumberOfComponents="3" format="ascii">{_ascii(CUBE_POINTS[used])}</DataArray>
      </Points>
      <Polys>
        <DataArray type="Int32" Name="connectivity" format="ascii">{_ascii(local)}</DataArray>
        <DataArray type="Int32" Name="offsets" format="ascii">4 8 12</DataArray>
      </Polys>
    </Piece>""")
    path = tmp_path / "pieces.vtp"
    path.write_text(f'<VTKFile type="PolyData" version="1.0"><PolyData>{"".join(pieces)}</PolyData></VTKFile>')
    mesh = read_mesh(path)
    assert mesh.points.shape == (16, 3) and mesh.triangles.shape == (12, 3)  # shared corners repeated per piece
    np.testing.assert_allclose(mesh.triangle_areas().sum(), 6.0)
    np.testing.assert_allclose(mesh.signed_volume(), 1.0)
    np.testing.assert_allclose(mesh.point_data["p"], mesh.points[:, 0])
    assert mesh.surface_cells().data["face_id"].tolist() == [0, 1, 2, 0, 1, 2]
