"""Reading and writing VTK XML PolyData (``.vtp``), which meshio does not read.

The format is VTK's published XML file format: a ``<VTKFile type="PolyData">`` with one or more ``<Piece>``
elements holding ``<Points>``, ``<PointData>``, ``<CellData>`` and the cell arrays ``<Verts>``, ``<Lines>``,
``<Polys>`` and ``<Strips>`` (each a ``connectivity`` and an ``offsets`` array). Every ``<DataArray>`` is
stored in one of three ways, all read here:

* ``format="ascii"``: whitespace-separated numbers;
* ``format="binary"``: base64 inline, a header of ``header_type`` integers (UInt32 unless stated) followed by
  the bytes, optionally split into compressed blocks (``compressor="vtkZLibDataCompressor"``, LZMA or LZ4);
* ``format="appended"``: the same header+bytes at ``offset`` in the ``<AppendedData>`` section, raw or
  base64 (``encoding``).

Cell data covers the cells in VTK's order: verts, lines, polys, strips. Only polygons and strips are surface
cells; they are triangulated (polygons as fans, strips with alternating orientation) and their cell data is
repeated for every triangle, so that per-triangle arrays stay aligned with the triangles.
"""

from __future__ import annotations

import base64
import lzma
import math
import re
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal
from xml.etree import ElementTree

import attrs
import numpy as np

_DTYPES = {
    "Int8": "i1", "UInt8": "u1", "Int16": "i2", "UInt16": "u2", "Int32": "i4", "UInt32": "u4",
    "Int64": "i8", "UInt64": "u8", "Float32": "f4", "Float64": "f8",
}
_VTK_TYPES = {np.dtype(v).newbyteorder("<"): k for k, v in _DTYPES.items()}


class VtkXmlError(ValueError):
    """A ``.vtp`` file that cannot be read: malformed, or stored in a way this reader does not support."""


@attrs.frozen
class PolyData:
    """The surface of a ``.vtp`` file: points, triangles, and the data on them."""

    #: ``(N, 3)`` float64.
    points: np.ndarray
    #: ``(F, 3)`` int64 indices into ``points`` (polygons and strips, triangulated).
    triangles: np.ndarray
    #: Arrays with one row per point.
    point_data: dict[str, np.ndarray]
    #: Arrays with one row per triangle (a polygon's values repeated for each of its triangles).
    triangle_data: dict[str, np.ndarray]
    #: ``(F,)`` int64: the surface cell (polygon or strip, numbered over the file) each triangle comes from.
    triangle_cells: np.ndarray


def _decompressor(name: str | None) -> Callable[[bytes, int], bytes] | None:
    if name is None:
        return None
    if name == "vtkZLibDataCompressor":
        return lambda block, size: zlib.decompress(block)
    if name == "vtkLZMADataCompressor":
        return lambda block, size: lzma.decompress(block)
    if name == "vtkLZ4DataCompressor":
        try:
            import lz4.block
        except ImportError:
            raise VtkXmlError(
                "the file is LZ4-compressed; install the 'lz4' package (pip install 'noether-cfd[lz4]'), or "
                "re-save it with zlib compression"
            ) from None
        return lambda block, size: bytes(lz4.block.decompress(block, uncompressed_size=size))
    raise VtkXmlError(f"unsupported compressor {name!r}; supported: zlib, LZMA, LZ4")


@attrs.define
class _Decoder:
    """Turns the stored bytes of one ``DataArray`` into numbers (shared settings of one file)."""

    byte_order: Literal["<", ">"]
    header: np.dtype[Any]
    #: ``(block, uncompressed size) -> bytes`` (LZ4 blocks do not record their size; zlib/LZMA ignore it).
    decompress: Callable[[bytes, int], bytes] | None
    appended: bytes | None
    appended_base64: bool

    def array(self, element: ElementTree.Element) -> np.ndarray:
        """The values of one ``DataArray`` as an ``(n, components)`` or ``(n,)`` array."""
        type_name = element.get("type", "")
        if type_name not in _DTYPES:
            raise VtkXmlError(f"DataArray {element.get('Name')!r} has unsupported type {type_name!r}")
        dtype = np.dtype(_DTYPES[type_name]).newbyteorder(self.byte_order)
        fmt = element.get("format", "ascii")
        if fmt == "ascii":
            values = np.array((element.text or "").split(), dtype=np.float64).astype(dtype.newbyteorder("="))
        elif fmt == "binary":
            values = np.frombuffer(self._base64(re.sub(rb"\s+", b"", (element.text or "").encode())), dtype)
        elif fmt == "appended":
            values = np.frombuffer(self._appended(int(element.get("offset", "0"))), dtype)
        else:
            raise VtkXmlError(f"DataArray {element.get('Name')!r} has unknown format {fmt!r}")
        components = int(element.get("NumberOfComponents", "1"))
        values = values.astype(values.dtype.newbyteorder("="), copy=False)
        return values.reshape(-1, components) if components > 1 else values

    # -- the two binary layouts ------------------------------------------------------------------------------
    def _headers(self, count: int, read: Callable[[int], bytes]) -> np.ndarray:
        return np.frombuffer(read(count * self.header.itemsize), self.header).astype(np.int64)

    def _payload(self, read_header: Callable[[int], bytes], read_rest: Callable[[int], bytes]) -> bytes:
        """Header + data, each through its reader (they differ for base64, where both are separate streams)."""
        if self.decompress is None:
            (size,) = self._headers(1, read_header)
            return read_rest(int(size))
        first = self._headers(3, read_header)
        blocks, block_size, last_size = (int(v) for v in first)
        sizes = self._headers(blocks, read_header) if blocks else np.zeros(0, np.int64)
        data = read_rest(int(sizes.sum()))
        out, start = [], 0
        for i, size in enumerate(sizes):
            expected = last_size if (i == blocks - 1 and last_size) else block_size
            out.append(self.decompress(data[start:start + int(size)], expected))
            start += int(size)
        return b"".join(out)

    def _base64(self, text: bytes) -> bytes:
        # VTK encodes the header and the data as two base64 streams; some writers use one stream for both.
        # The first header value decodes the same either way (a prefix of whole 4-character groups).
        hsize = self.header.itemsize
        try:
            if self.decompress is None:
                n_header = 1
            else:
                first = base64.b64decode(text[: _b64_len(hsize)])[:hsize]
                n_header = 3 + int(np.frombuffer(first, self.header)[0])
            header_chars = _b64_len(n_header * hsize)
            header = base64.b64decode(text[:header_chars])[: n_header * hsize]
            values = np.frombuffer(header, self.header).astype(np.int64)
            size = int(values[0]) if self.decompress is None else int(values[3:].sum())
            separate = (n_header * hsize) % 3 != 0 and text[header_chars - 1:header_chars] == b"="
            # Only this array's characters: appended base64 arrays follow each other in one section.
            if separate:
                data = base64.b64decode(text[header_chars:header_chars + _b64_len(size)])
            else:
                data = base64.b64decode(text[: _b64_len(len(header) + size)])[len(header):]
        except (ValueError, IndexError) as exc:
            raise VtkXmlError(f"invalid base64 data: {exc}") from None
        pos = [0]

        def read_header(n: int) -> bytes:
            chunk = header[pos[0]:pos[0] + n]
            pos[0] += n
            return chunk

        return self._payload(read_header, lambda n: data[:n])

    def _appended(self, offset: int) -> bytes:
        if self.appended is None:
            raise VtkXmlError("a DataArray is 'appended' but the file has no <AppendedData> section")
        if self.appended_base64:
            text = re.sub(rb"\s+", b"", self.appended[offset:])
            return self._base64(text)
        pos = [offset]
        raw = self.appended

        def read(n: int) -> bytes:
            chunk = raw[pos[0]:pos[0] + n]
            if len(chunk) != n:
                raise VtkXmlError("appended data ends early (truncated file?)")
            pos[0] += n
            return chunk

        return self._payload(read, read)


def _b64_len(n_bytes: int) -> int:
    return 4 * math.ceil(n_bytes / 3)


def _split_appended(raw: bytes) -> tuple[bytes, bytes | None, bool]:
    """The XML text without the appended bytes (which need not be valid XML), the bytes, and base64-ness."""
    start = raw.find(b"<AppendedData")
    if start < 0:
        return raw, None, False
    tag_end = raw.find(b">", start)
    underscore = raw.find(b"_", tag_end)
    end = raw.rfind(b"</AppendedData>")
    if tag_end < 0 or underscore < 0 or end < underscore:
        raise VtkXmlError("malformed <AppendedData> section")
    encoding = re.search(rb'encoding\s*=\s*"(\w+)"', raw[start:tag_end])
    is_base64 = encoding is not None and encoding.group(1) == b"base64"
    return raw[:start] + b"</VTKFile>", raw[underscore + 1:end], is_base64


def _cells(decoder: _Decoder, piece: ElementTree.Element, tag: str) -> tuple[np.ndarray, np.ndarray]:
    """``(connectivity, offsets)`` of one cell section (empty when absent)."""
    section = piece.find(tag)
    if section is None:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    arrays = {a.get("Name"): decoder.array(a) for a in section.findall("DataArray")}
    if "connectivity" not in arrays or "offsets" not in arrays:
        raise VtkXmlError(f"<{tag}> needs 'connectivity' and 'offsets' arrays")
    return arrays["connectivity"].astype(np.int64).ravel(), arrays["offsets"].astype(np.int64).ravel()


def _triangulate_polygons(conn: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fan triangles of each polygon and, for each triangle, the index of its polygon."""
    starts = np.concatenate([[0], offsets[:-1]])
    sizes = offsets - starts
    if np.any(sizes < 3):
        raise VtkXmlError("a polygon has fewer than 3 points")
    fan = sizes - 2
    owner = np.repeat(np.arange(len(sizes)), fan)
    # Position of each triangle within its polygon's fan: 0, 1, ..., size - 3.
    within = np.arange(int(fan.sum())) - np.repeat(np.cumsum(fan) - fan, fan)
    first = starts[owner]
    tris = np.stack([conn[first], conn[first + within + 1], conn[first + within + 2]], axis=1)
    return tris, owner


def _triangulate_strips(conn: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    tris: list[list[int]] = []
    owner: list[int] = []
    start = 0
    for cell, end in enumerate(offsets):
        strip = conn[start:end]
        for k in range(len(strip) - 2):
            a, b, c = strip[k], strip[k + 1], strip[k + 2]
            tris.append([a, b, c] if k % 2 == 0 else [b, a, c])
            owner.append(cell)
        start = int(end)
    return np.array(tris, np.int64).reshape(-1, 3), np.array(owner, np.int64)


def read_vtp(path: str | Path) -> PolyData:
    """Read a ``.vtp`` file (every piece, every array of point and cell data)."""
    raw = Path(path).read_bytes()
    xml_bytes, appended, appended_base64 = _split_appended(raw)
    try:
        root = ElementTree.fromstring(xml_bytes)
    except ElementTree.ParseError as exc:
        raise VtkXmlError(f"not a VTK XML file ({exc})") from None
    if root.tag != "VTKFile" or root.get("type") != "PolyData":
        raise VtkXmlError(f"expected <VTKFile type=\"PolyData\">, found <{root.tag} type={root.get('type')!r}>")
    header_name = root.get("header_type", "UInt32")
    if header_name not in ("UInt32", "UInt64"):
        raise VtkXmlError(f"unsupported header_type {header_name!r}")
    order: Literal["<", ">"] = ">" if root.get("byte_order") == "BigEndian" else "<"
    decoder = _Decoder(
        byte_order=order,
        header=np.dtype(_DTYPES[header_name]).newbyteorder(order),
        decompress=_decompressor(root.get("compressor")),
        appended=appended,
        appended_base64=appended_base64,
    )
    pieces = root.findall("PolyData/Piece")
    if not pieces:
        raise VtkXmlError("no <PolyData><Piece> in the file")
    points, triangles, point_data, tri_data, owners = [], [], [], [], []
    base = cell_base = 0
    for piece in pieces:
        piece_points, piece_tris, pdata, tdata, owner = _read_piece(decoder, piece)
        points.append(piece_points)
        triangles.append(piece_tris + base)
        point_data.append(pdata)
        tri_data.append(tdata)
        owners.append(owner + cell_base)
        base += len(piece_points)
        cell_base += int(piece.get("NumberOfPolys", "0")) + int(piece.get("NumberOfStrips", "0"))
    return PolyData(
        points=np.concatenate(points),
        triangles=np.concatenate(triangles),
        point_data=_merge(point_data),
        triangle_data=_merge(tri_data),
        triangle_cells=np.concatenate(owners),
    )


def _merge(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    # Arrays present in every piece; a name missing from one piece cannot be aligned with the points.
    names = set(parts[0]).intersection(*parts[1:]) if parts else set()
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0] if name in names}


def _read_piece(
    decoder: _Decoder, piece: ElementTree.Element
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
    n_points = int(piece.get("NumberOfPoints", "0"))
    points_array = piece.find("Points/DataArray")
    points = (np.zeros((0, 3)) if points_array is None else decoder.array(points_array)).astype(np.float64)
    points = points.reshape(-1, 3)
    if len(points) != n_points:
        raise VtkXmlError(f"piece declares {n_points} points but stores {len(points)}")
    counts = {tag: int(piece.get(f"NumberOf{tag}", "0")) for tag in ("Verts", "Lines", "Polys", "Strips")}
    poly_tris, poly_owner = _triangulate_polygons(*_cells(decoder, piece, "Polys")) if counts["Polys"] else (
        np.zeros((0, 3), np.int64), np.zeros(0, np.int64))
    strip_tris, strip_owner = _triangulate_strips(*_cells(decoder, piece, "Strips")) if counts["Strips"] else (
        np.zeros((0, 3), np.int64), np.zeros(0, np.int64))
    # Cell data rows run over verts, lines, polys, strips, in that order.
    poly_first = counts["Verts"] + counts["Lines"]
    strip_first = poly_first + counts["Polys"]
    rows = np.concatenate([poly_first + poly_owner, strip_first + strip_owner])
    point_data: dict[str, np.ndarray] = {}
    for array in piece.findall("PointData/DataArray"):
        values = decoder.array(array)
        if len(values) != n_points:
            raise VtkXmlError(f"point array {array.get('Name')!r} has {len(values)} rows, expected {n_points}")
        point_data[array.get("Name", f"array{len(point_data)}")] = values
    cell_data: dict[str, np.ndarray] = {}
    n_cells = sum(counts.values())
    for array in piece.findall("CellData/DataArray"):
        values = decoder.array(array)
        if len(values) != n_cells:
            raise VtkXmlError(f"cell array {array.get('Name')!r} has {len(values)} rows, expected {n_cells}")
        cell_data[array.get("Name", f"array{len(cell_data)}")] = values[rows]
    triangles = np.concatenate([poly_tris, strip_tris])
    if len(triangles) and (triangles.min() < 0 or triangles.max() >= n_points):
        raise VtkXmlError("a cell refers to a point index outside the piece")
    owner = np.concatenate([poly_owner, counts["Polys"] + strip_owner])
    return points, triangles, point_data, cell_data, owner


def _data_array(parent: ElementTree.Element, name: str | None, values: np.ndarray, ascii: bool) -> None:
    values = np.ascontiguousarray(values)
    if values.dtype == np.bool_:
        values = values.astype(np.uint8)
    dtype = values.dtype.newbyteorder("<")
    if dtype not in _VTK_TYPES:
        raise VtkXmlError(f"cannot write array {name!r} of dtype {values.dtype}")
    attrib = {"type": _VTK_TYPES[dtype], "NumberOfComponents": str(values.shape[1] if values.ndim > 1 else 1)}
    if name is not None:
        attrib["Name"] = name
    element = ElementTree.SubElement(parent, "DataArray", attrib)
    if ascii:
        element.set("format", "ascii")
        element.text = " ".join(repr(v) for v in values.ravel().tolist())
        return
    # Inline binary, zlib-compressed in one block; header and data as two base64 streams (as VTK writes).
    data = values.astype(dtype, copy=False).tobytes()
    block = zlib.compress(data, 1)  # level 1: several times faster than 6 on mesh data, files ~1.5x larger
    header = np.array([1, len(data), len(data), len(block)], dtype="<u8").tobytes()
    element.set("format", "binary")
    element.text = (base64.b64encode(header) + base64.b64encode(block)).decode("ascii")


def write_vtp(
    path: str | Path,
    points: np.ndarray,
    triangles: np.ndarray,
    point_data: dict[str, np.ndarray] | None = None,
    triangle_data: dict[str, np.ndarray] | None = None,
    *,
    ascii: bool = False,
) -> None:
    """Write a triangle surface with its data as ``.vtp`` (binary zlib-compressed unless ``ascii``)."""
    root = ElementTree.Element("VTKFile", {"type": "PolyData", "version": "1.0", "byte_order": "LittleEndian",
                                           "header_type": "UInt64"})
    if not ascii:
        root.set("compressor", "vtkZLibDataCompressor")
    piece = ElementTree.SubElement(ElementTree.SubElement(root, "PolyData"), "Piece", {
        "NumberOfPoints": str(len(points)), "NumberOfVerts": "0", "NumberOfLines": "0", "NumberOfStrips": "0",
        "NumberOfPolys": str(len(triangles)),
    })
    pdata = ElementTree.SubElement(piece, "PointData")
    for name, values in (point_data or {}).items():
        _data_array(pdata, name, values, ascii)
    cdata = ElementTree.SubElement(piece, "CellData")
    for name, values in (triangle_data or {}).items():
        _data_array(cdata, name, values, ascii)
    _data_array(ElementTree.SubElement(piece, "Points"), None, np.asarray(points, np.float64).reshape(-1, 3), ascii)
    polys = ElementTree.SubElement(piece, "Polys")
    tris = np.asarray(triangles, np.int64).reshape(-1, 3)
    _data_array(polys, "connectivity", tris.ravel(), ascii)
    _data_array(polys, "offsets", np.arange(1, len(tris) + 1, dtype=np.int64) * 3, ascii)
    ElementTree.ElementTree(root).write(path, xml_declaration=True, encoding="utf-8")
