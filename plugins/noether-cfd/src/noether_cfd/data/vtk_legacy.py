"""Reading legacy VTK ``POLYDATA`` files (``.vtk``), which meshio does not read (it reads the other datasets).

The legacy format (VTK's "simple legacy format"): four header lines (version, title, ``ASCII`` or
``BINARY``, ``DATASET POLYDATA``), then sections introduced by keyword lines: ``POINTS n type``, the cell
sections ``VERTICES``, ``LINES``, ``POLYGONS`` and ``TRIANGLE_STRIPS`` (before version 5: ``n size`` and
``count id id ...`` per cell; from 5.0: ``n+1 size`` with ``OFFSETS`` and ``CONNECTIVITY`` arrays), and
``POINT_DATA n`` / ``CELL_DATA n`` with ``SCALARS``, ``VECTORS``, ``NORMALS``, ``TENSORS``,
``TEXTURE_COORDINATES``, ``COLOR_SCALARS`` and ``FIELD`` arrays. Binary values are big-endian. ``METADATA``
blocks (up to a blank line) are skipped. As for VTP, polygons and strips are triangulated, cell data runs
over verts, lines, polys, strips, and each triangle gets its cell's row.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from noether_cfd.data.vtk_xml import PolyData, VtkXmlError, _triangulate_polygons, _triangulate_strips

_TYPES = {
    "bit": "u1", "unsigned_char": "u1", "char": "i1", "unsigned_short": "u2", "short": "i2",
    "unsigned_int": "u4", "int": "i4", "unsigned_long": "u8", "long": "i8", "float": "f4", "double": "f8",
    "vtktypeint64": "i8", "vtktypeuint64": "u8", "vtkidtype": "i8",
}
_CELL_SECTIONS = ("VERTICES", "LINES", "POLYGONS", "TRIANGLE_STRIPS")


class LegacyVtkError(VtkXmlError):
    """A legacy ``.vtk`` file that cannot be read."""


def is_legacy_polydata(path: str | Path) -> bool:
    """Whether ``path`` is a legacy VTK file whose dataset is ``POLYDATA`` (reads only its header)."""
    with open(path, "rb") as f:
        head = f.read(1024)
    lines = head.split(b"\n")
    return len(lines) > 3 and lines[0].startswith(b"# vtk DataFile") and lines[3].split()[1:2] == [b"POLYDATA"]


class _Stream:
    """Keyword lines and values (ASCII tokens or big-endian binary) of a legacy file, in order."""

    def __init__(self, data: bytes, binary: bool) -> None:
        self.data = data
        self.binary = binary
        self.pos = 0

    def line(self) -> list[str]:
        """The next non-empty line's words (``[]`` at the end of the file)."""
        while self.pos < len(self.data):
            end = self.data.find(b"\n", self.pos)
            end = len(self.data) if end < 0 else end
            words = self.data[self.pos:end].decode("latin-1").split()
            self.pos = end + 1
            if words:
                return words
        return []

    def skip_metadata(self) -> None:
        """Skip a ``METADATA`` block: every line up to a blank one."""
        while self.pos < len(self.data):
            end = self.data.find(b"\n", self.pos)
            end = len(self.data) if end < 0 else end
            blank = not self.data[self.pos:end].strip()
            self.pos = end + 1
            if blank:
                return

    def values(self, count: int, type_name: str) -> np.ndarray:
        """``count`` numbers of the legacy type ``type_name``."""
        if type_name.lower() not in _TYPES:
            raise LegacyVtkError(f"unsupported data type '{type_name}'")
        dtype = np.dtype(_TYPES[type_name.lower()])
        if self.binary:
            dtype = dtype.newbyteorder(">")
            size = count * dtype.itemsize
            chunk = self.data[self.pos:self.pos + size]
            if len(chunk) != size:
                raise LegacyVtkError("the file ends inside a binary array (truncated?)")
            self.pos += size
            if self.data[self.pos:self.pos + 1] == b"\n":
                self.pos += 1
            return np.frombuffer(chunk, dtype).astype(dtype.newbyteorder("="))
        parts = self.data[self.pos:].split(maxsplit=count)
        if len(parts) < count:
            raise LegacyVtkError(f"expected {count} values, found {len(parts)} (truncated?)")
        self.pos = len(self.data) - (len(parts[count]) if len(parts) > count else 0)
        return np.array(parts[:count], dtype=np.float64).astype(dtype)

    def peek_metadata(self) -> None:
        """Skip a ``METADATA`` block if one comes next."""
        save = self.pos
        if self.line() == ["METADATA"]:
            self.skip_metadata()
        else:
            self.pos = save


def _cells(stream: _Stream, words: list[str], version: float) -> tuple[np.ndarray, np.ndarray]:
    """``(connectivity, offsets)`` of a cell section whose keyword line is ``words``."""
    if version >= 5.0:
        n_offsets = int(words[1])
        conn_words = None
        offsets = np.zeros(0, np.int64)
        for _ in range(2):
            header = stream.line()
            if header[0] == "OFFSETS":
                offsets = stream.values(n_offsets, header[1]).astype(np.int64)
            elif header[0] == "CONNECTIVITY":
                conn_words = header
                connectivity = stream.values(int(words[2]), header[1]).astype(np.int64)
            else:
                raise LegacyVtkError(f"expected OFFSETS/CONNECTIVITY after {words[0]}, found {' '.join(header)}")
        if conn_words is None:
            raise LegacyVtkError(f"{words[0]} without CONNECTIVITY")
        return connectivity, offsets[1:]
    n, size = int(words[1]), int(words[2])
    flat = stream.values(size, "int").astype(np.int64)
    counts, conn, pos = [], [], 0
    for _ in range(n):
        k = int(flat[pos])
        counts.append(k)
        conn.append(flat[pos + 1:pos + 1 + k])
        pos += k + 1
    return (np.concatenate(conn) if conn else np.zeros(0, np.int64)), np.cumsum(counts).astype(np.int64)


def _attributes(stream: _Stream, count: int, first: list[str]) -> tuple[dict[str, np.ndarray], list[str]]:
    """The arrays of a ``POINT_DATA``/``CELL_DATA`` section; returns them and the next keyword line."""
    arrays: dict[str, np.ndarray] = {}
    words = first
    while words and words[0] not in ("POINT_DATA", "CELL_DATA"):
        key = words[0]
        if key == "SCALARS":
            comps = int(words[3]) if len(words) > 3 else 1
            lookup = stream.line()
            if lookup[:1] != ["LOOKUP_TABLE"]:
                raise LegacyVtkError(f"SCALARS {words[1]}: expected LOOKUP_TABLE, found {' '.join(lookup)}")
            values = stream.values(count * comps, words[2])
            arrays[words[1]] = values.reshape(count, comps) if comps > 1 else values
        elif key in ("VECTORS", "NORMALS"):
            arrays[words[1]] = stream.values(count * 3, words[2]).reshape(count, 3)
        elif key == "TENSORS":
            arrays[words[1]] = stream.values(count * 9, words[2]).reshape(count, 9)
        elif key == "TEXTURE_COORDINATES":
            dim = int(words[2])
            arrays[words[1]] = stream.values(count * dim, words[3]).reshape(count, dim)
        elif key == "COLOR_SCALARS":
            n_colors = int(words[2])
            dtype = "unsigned_char" if stream.binary else "float"
            arrays[words[1]] = stream.values(count * n_colors, dtype).reshape(count, n_colors)
        elif key == "FIELD":
            for _ in range(int(words[2])):
                name, width, tuples, type_name = stream.line()[:4]
                values = stream.values(int(width) * int(tuples), type_name)
                arrays[name] = values.reshape(int(tuples), int(width)) if int(width) > 1 else values
                stream.peek_metadata()
        elif key == "LOOKUP_TABLE":
            stream.values(4 * int(words[2]), "unsigned_char" if stream.binary else "float")
        elif key == "METADATA":
            stream.skip_metadata()
        else:
            raise LegacyVtkError(f"unknown section '{key}'")
        stream.peek_metadata()
        words = stream.line()
    return arrays, words


def read_legacy_polydata(path: str | Path) -> PolyData:
    """Read a legacy ``POLYDATA`` ``.vtk`` file (ASCII or binary, format versions 2 to 5.1)."""
    data = Path(path).read_bytes()
    stream = _Stream(data, binary=False)
    header = data.split(b"\n", 1)[0].decode("latin-1")
    if not header.startswith("# vtk DataFile Version"):
        raise LegacyVtkError("not a legacy VTK file (the first line must be '# vtk DataFile Version ...')")
    try:
        version = float(header.split()[-1])
    except ValueError:
        version = 3.0
    stream.pos = len(header) + 1
    stream.pos = data.find(b"\n", stream.pos) + 1  # the title line: free text, possibly empty
    encoding = stream.line()
    stream.binary = encoding[:1] == ["BINARY"]
    if stream.line()[:2] != ["DATASET", "POLYDATA"]:
        raise LegacyVtkError("expected 'DATASET POLYDATA'")
    points = np.zeros((0, 3))
    cells: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    point_data: dict[str, np.ndarray] = {}
    cell_data: dict[str, np.ndarray] = {}
    words = stream.line()
    while words:
        key = words[0]
        if key == "POINTS":
            points = stream.values(int(words[1]) * 3, words[2]).astype(np.float64).reshape(-1, 3)
            stream.peek_metadata()
            words = stream.line()
        elif key in _CELL_SECTIONS:
            cells[key] = _cells(stream, words, version)
            words = stream.line()
        elif key == "POINT_DATA":
            point_data, words = _attributes(stream, int(words[1]), stream.line())
        elif key == "CELL_DATA":
            cell_data, words = _attributes(stream, int(words[1]), stream.line())
        elif key == "METADATA":
            stream.skip_metadata()
            words = stream.line()
        elif key == "FIELD":  # dataset-level field data: read and ignore
            _attributes(stream, 0, words)
            words = stream.line()
        else:
            raise LegacyVtkError(f"unknown section '{key}'")
    counts = {k: len(v[1]) for k, v in cells.items()}
    empty = (np.zeros((0, 3), np.int64), np.zeros(0, np.int64))
    poly_tris, poly_owner = _triangulate_polygons(*cells["POLYGONS"]) if counts.get("POLYGONS") else empty
    strip_tris, strip_owner = (_triangulate_strips(*cells["TRIANGLE_STRIPS"]) if counts.get("TRIANGLE_STRIPS")
                               else empty)
    n_polys = counts.get("POLYGONS", 0)
    poly_first = counts.get("VERTICES", 0) + counts.get("LINES", 0)
    rows = np.concatenate([poly_first + poly_owner, poly_first + n_polys + strip_owner])
    for name, values in point_data.items():
        if len(values) != len(points):
            raise LegacyVtkError(f"point array '{name}' has {len(values)} rows for {len(points)} points")
    return PolyData(
        points=points,
        triangles=np.concatenate([poly_tris, strip_tris]),
        point_data=point_data,
        triangle_data={name: values[rows] for name, values in cell_data.items()},
        triangle_cells=np.concatenate([poly_owner, n_polys + strip_owner]),
    )
