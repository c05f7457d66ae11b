"""Writes the files of this folder with VTK's own writers (needs the `vtk` package; not run by the tests).

    python tests/cfd/vtk_files/make_fixtures.py      # in an environment with `pip install vtk numpy`

One small surface in every storage variant VTK writes, so that the plugin's readers are tested against files
made by the reference implementation: 10 points, one vertex cell, a quad, a triangle, a pentagon and a
triangle strip; point data ``p`` (float64) and ``U`` (float32 vectors), cell data ``cid`` (int32); plus the
same points as a legacy and an XML unstructured grid (a quad and a hexahedron). ``expected.npz`` holds the
values.
"""

from pathlib import Path

import numpy as np
import vtk
from vtk.util.numpy_support import numpy_to_vtk

HERE = Path(__file__).parent


def surface() -> tuple[vtk.vtkPolyData, dict[str, np.ndarray]]:
    rng = np.random.default_rng(0)
    points = rng.normal(size=(10, 3))
    poly = vtk.vtkPolyData()
    vtk_points = vtk.vtkPoints()
    vtk_points.SetData(numpy_to_vtk(points))
    poly.SetPoints(vtk_points)
    for setter, cells in ((poly.SetVerts, [[9]]), (poly.SetPolys, [[0, 1, 2, 3], [1, 2, 4], [4, 5, 6, 7, 8]]),
                          (poly.SetStrips, [[0, 2, 4, 6, 8]])):
        array = vtk.vtkCellArray()
        for cell in cells:
            array.InsertNextCell(len(cell))
            for i in cell:
                array.InsertCellPoint(i)
        setter(array)
    values = {"points": points, "p": np.arange(10, dtype=np.float64) * 1.5,
              "U": rng.normal(size=(10, 3)).astype(np.float32), "cid": np.array([10, 20, 30, 40, 50], np.int32)}
    for name in ("p", "U"):
        array = numpy_to_vtk(values[name])
        array.SetName(name)
        poly.GetPointData().AddArray(array)
    cid = numpy_to_vtk(values["cid"])
    cid.SetName("cid")
    poly.GetCellData().AddArray(cid)
    return poly, values


def main() -> None:
    poly, values = surface()
    np.savez(HERE / "expected.npz", **values)
    variants = {
        "ascii": ("ascii", "none", 32), "binary_none_32": ("binary", "none", 32),
        "binary_lzma_64": ("binary", "lzma", 64), "appended_raw_zlib_64": ("raw", "zlib", 64),
        "appended_base64_zlib_32": ("base64", "zlib", 32), "appended_raw_lz4_64": ("raw", "lz4", 64),
    }
    for name, (mode, compressor, header) in variants.items():
        writer = vtk.vtkXMLPolyDataWriter()
        writer.SetInputData(poly)
        writer.SetFileName(str(HERE / f"{name}.vtp"))
        {"ascii": writer.SetDataModeToAscii, "binary": writer.SetDataModeToBinary}.get(
            mode, writer.SetDataModeToAppended)()
        writer.SetEncodeAppendedData(mode == "base64")
        {"none": writer.SetCompressorTypeToNone, "zlib": writer.SetCompressorTypeToZLib,
         "lzma": writer.SetCompressorTypeToLZMA, "lz4": writer.SetCompressorTypeToLZ4}[compressor]()
        writer.SetHeaderTypeToUInt32() if header == 32 else writer.SetHeaderTypeToUInt64()
        writer.SetBlockSize(64)  # several compressed blocks per array
        writer.Write()
    for version in (42, 51):
        for binary in (False, True):
            legacy = vtk.vtkPolyDataWriter()
            legacy.SetInputData(poly)
            legacy.SetFileName(str(HERE / f"legacy{version}_{'binary' if binary else 'ascii'}.vtk"))
            legacy.SetFileVersion(version)
            if binary:
                legacy.SetFileTypeToBinary()
            legacy.Write()
    grid = vtk.vtkUnstructuredGrid()
    grid.SetPoints(poly.GetPoints())
    grid.InsertNextCell(vtk.VTK_QUAD, 4, [0, 1, 2, 3])
    grid.InsertNextCell(vtk.VTK_HEXAHEDRON, 8, list(range(8)))
    grid.GetPointData().AddArray(poly.GetPointData().GetArray("U"))
    writer = vtk.vtkUnstructuredGridWriter()
    writer.SetInputData(grid)
    writer.SetFileName(str(HERE / "grid42_binary.vtk"))
    writer.SetFileVersion(42)
    writer.SetFileTypeToBinary()
    writer.Write()
    xml = vtk.vtkXMLUnstructuredGridWriter()
    xml.SetInputData(grid)
    xml.SetFileName(str(HERE / "grid.vtu"))
    xml.Write()


if __name__ == "__main__":
    main()
