"""A chunked store of CFD samples: one folder per sample, one ``.npy`` file per field, points pre-shuffled.

Layout::

    <store>/store.json                 format version, fields (shape per point, dtype), point sets, sources
    <store>/splits.json                {"train": [ids...], "val": [...], "test": [...]}   (optional)
    <store>/samples/<id>/meta.json     the sample's point counts and what it was made from
    <store>/samples/<id>/<field>.npy   one array per field (``surface_pressure.npy``, ``volume_velocity.npy``)

Why plain ``.npy`` files: numpy opens them as memory maps, so a run reads only the bytes of the fields and
points it asks for, in 4 KiB pages (the effective chunk); there is no decompression of whole chunks to get a
few random points, no extra dependency, and the files open with any numpy. The points of each point set
(``surface_*``, ``volume_*``) are stored in one random order, the same for every field of the set, so that the
first ``n`` rows are a uniform random subset: reading a subset is one contiguous read. Surface triangles, when
present (``surface_triangles``), are renumbered to match.

Reading: :meth:`StoreReader.read` gives a memory map; :meth:`StoreReader.read_rows` reads the leading rows
of a field with one ``pread`` into a fresh array (or straight into a row of a caller's batch array), with each
file's ``.npy`` header parsed once per reader: opening a memory map costs more than reading a few hundred
kilobytes from the page cache.

Writing is atomic per sample: a sample is written into a temporary folder and renamed into place, so a
conversion that is interrupted leaves complete samples and nothing else, and running it again resumes.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np
from tqdm import tqdm

FORMAT_VERSION = 1
STORE_FILE = "store.json"
SPLITS_FILE = "splits.json"
META_FILE = "meta.json"
SAMPLES = "samples"
#: Point sets: the fields ``<set>_*`` share the row count of ``<set>_position``.
POINT_SETS = ("surface", "volume")
#: Integer index arrays into a point set (renumbered when the points are shuffled), and the set they index.
INDEX_FIELDS = {"surface_triangles": "surface"}
#: Temporary sample folders older than this (seconds) belong to dead processes and are removed.
STALE_AFTER = 3600.0


class StoreError(ValueError):
    """A store that cannot be written or read as asked (the message names the store and what to do)."""


def point_set_of(field: str) -> str | None:
    """The point set a per-point field belongs to (``None`` for per-sample fields such as ``conditions``)."""
    if field in INDEX_FIELDS:
        return None
    prefix = field.split("_", 1)[0]
    return prefix if prefix in POINT_SETS and field != prefix else None


def _atomic_json(path: Path, data: Any) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def sample_folder(store: str | os.PathLike[str], sample_id: str) -> Path:
    """The folder of a sample: its id, with characters that cannot be in a folder name %-escaped."""
    if not sample_id:
        raise StoreError("a sample id must not be empty")
    name = urllib.parse.quote(sample_id, safe="")
    return Path(store) / SAMPLES / ("%2E" + name[1:] if name.startswith(".") else name)


def shuffled_sample(arrays: Mapping[str, np.ndarray], seed: int) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """The arrays with each point set's rows in one random order (index fields renumbered) and the counts."""
    counts: dict[str, int] = {}
    for name, values in arrays.items():
        point_set = point_set_of(name)
        if point_set is None:
            continue
        n = len(values)
        if counts.setdefault(point_set, n) != n:
            raise StoreError(f"field '{name}' has {n} rows, but other {point_set} fields have {counts[point_set]}")
    rng = np.random.default_rng(seed)
    orders = {point_set: rng.permutation(n) for point_set, n in counts.items()}
    out: dict[str, np.ndarray] = {}
    for name, values in arrays.items():
        values = np.asarray(values)
        point_set = point_set_of(name)
        if point_set is not None:
            out[name] = np.ascontiguousarray(values[orders[point_set]])
        elif name in INDEX_FIELDS and INDEX_FIELDS[name] in orders:
            order = orders[INDEX_FIELDS[name]]
            new_index = np.empty_like(order)
            new_index[order] = np.arange(len(order))
            out[name] = new_index[values]
        else:
            out[name] = values
    return out, counts


def write_sample(store: str | os.PathLike[str], sample_id: str, arrays: Mapping[str, np.ndarray], *,
                 seed: int = 0, source: str = "", overwrite: bool = False) -> Path:
    """Write one sample (arrays by field name) into ``store`` atomically; returns its folder.

    The points are shuffled with a generator of ``seed`` (the same seed gives the same store). A complete
    copy already there is kept unless ``overwrite`` (so that processes converting at once, e.g. distributed
    ranks, leave one copy and never delete one that another process reads).
    """
    target = sample_folder(store, sample_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    shuffled, counts = shuffled_sample(arrays, seed)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        for name, values in shuffled.items():
            np.save(tmp / f"{name}.npy", values, allow_pickle=False)
        meta = {"id": sample_id, "points": counts, "source": source,
                "fields": {name: {"shape": list(v.shape[1:]), "dtype": str(v.dtype)} for name, v in shuffled.items()}}
        (tmp / META_FILE).write_text(json.dumps(meta, indent=1, sort_keys=True), encoding="utf-8")
        if target.exists() and (overwrite or not (target / META_FILE).is_file()):
            shutil.rmtree(target)  # an explicit rewrite, or an incomplete copy no rename can have made
        try:
            os.rename(tmp, target)
        except OSError:
            if not (target / META_FILE).is_file():  # another process finished this sample first: fine
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def sample_complete(store: str | os.PathLike[str], sample_id: str) -> bool:
    """Whether the store holds a finished copy of ``sample_id``."""
    return (sample_folder(store, sample_id) / META_FILE).is_file()


@attrs.frozen
class ConversionReport:
    """What :func:`convert_folder` did."""

    #: The store folder.
    store: Path
    #: Samples written by this call.
    written: tuple[str, ...]
    #: Samples already complete in the store (from an earlier, possibly interrupted, run).
    skipped: tuple[str, ...]
    #: Samples that could not be read, with the reason (only with ``skip_errors``).
    failed: tuple[tuple[str, str], ...]


def convert_samples(
    store: str | os.PathLike[str],
    sample_ids: Sequence[str],
    read: Callable[[str], Mapping[str, np.ndarray]],
    *,
    splits: Mapping[str, Sequence[str]] | None = None,
    seed: int = 0,
    source: str = "",
    skip_errors: bool = False,
    progress: bool | None = None,
) -> ConversionReport:
    """Write every sample ``read(id)`` into ``store``, skipping samples already there (resumable).

    ``splits`` (split name -> ids) is written as ``splits.json``. Sample ``i`` is shuffled with the seed
    ``(seed, i)``-derived generator, so that a resumed conversion writes what an uninterrupted one would.
    """
    root = Path(store)
    (root / SAMPLES).mkdir(parents=True, exist_ok=True)
    _remove_stale(root / SAMPLES)
    written: list[str] = []
    skipped: list[str] = []
    failed: list[tuple[str, str]] = []
    with tqdm(total=len(sample_ids), desc=f"converting into {root}", unit="sample",
              disable=None if progress is None else not progress) as bar:
        for position, sample_id in enumerate(sample_ids):
            if sample_complete(root, sample_id):
                skipped.append(sample_id)
            else:
                try:
                    arrays = read(sample_id)
                except (OSError, ValueError) as exc:
                    if not skip_errors:
                        raise StoreError(f"sample '{sample_id}': {exc}") from None
                    failed.append((sample_id, str(exc)))
                    bar.update(1)
                    continue
                sample_seed = int(np.random.default_rng([seed, position]).integers(2**63))
                write_sample(root, sample_id, arrays, seed=sample_seed, source=source)
                written.append(sample_id)
            bar.update(1)
    done = [sid for sid in sample_ids if sample_complete(root, sid)]
    _atomic_json(root / STORE_FILE, {"version": FORMAT_VERSION, "source": source, "seed": seed,
                                     "fields": _fields_of(root, done), "samples": done})
    if splits is not None:
        present = set(done)
        _atomic_json(root / SPLITS_FILE, {name: [s for s in ids if s in present] for name, ids in splits.items()})
    return ConversionReport(store=root, written=tuple(written), skipped=tuple(skipped), failed=tuple(failed))


def _remove_stale(samples: Path) -> None:
    now = time.time()
    for path in samples.glob(".*.tmp-*"):
        try:
            if now - path.stat().st_mtime > STALE_AFTER:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass


def _fields_of(root: Path, sample_ids: Iterable[str]) -> dict[str, Any]:
    """The fields every sample has (a field missing from one sample is left out, with a note)."""
    fields: dict[str, Any] | None = None
    for sample_id in sample_ids:
        meta = json.loads((sample_folder(root, sample_id) / META_FILE).read_text(encoding="utf-8"))
        sample_fields = meta["fields"]
        if fields is None:
            fields = dict(sample_fields)
        else:
            fields = {k: v for k, v in fields.items() if k in sample_fields and sample_fields[k] == v}
    return fields or {}


def convert_folder(
    source: str | os.PathLike[str],
    store: str | os.PathLike[str],
    *,
    layout: str = "auto",
    seed: int = 0,
    skip_errors: bool = False,
    progress: bool | None = None,
    point_sets: Sequence[str] = ("surface", "volume"),
) -> ConversionReport:
    """Convert a folder of simulations in a known layout into a chunked store (resumable, atomic per sample).

    ``layout``: ``shapenet_car``, ``drivaerml``, ``ahmedml``, ``generic`` (one sub-folder per simulation
    with a surface file and optionally a volume file), or ``auto`` (recognised from the folder's contents).
    ``point_sets=("surface",)`` leaves the volume files out (unread). Each layout's default splits are
    written to ``splits.json``.
    """
    from noether_cfd.data.layouts import detect_layout, get_layout

    source_path = Path(source).expanduser()
    if not source_path.is_dir():
        raise StoreError(f"{source_path}: no such folder (the simulations to convert)")
    chosen = detect_layout(source_path) if layout == "auto" else get_layout(layout)
    ids = chosen.sample_ids(source_path)
    if not ids:
        raise StoreError(f"{source_path}: no simulations found in the {chosen.name} layout ({chosen.description})")
    splits = {name: chosen.split_ids(ids, name) for name in ("train", "val", "test")}
    return convert_samples(store, ids, lambda sid: chosen.read(source_path, sid, point_sets), splits=splits, seed=seed,
                           source=f"{chosen.name}:{source_path}", skip_errors=skip_errors, progress=progress)


@attrs.frozen
class ArrayHeader:
    """Where the values of a ``.npy`` file are, and their layout (read once per file and reader)."""

    #: The file.
    path: str
    #: Byte offset of the first value.
    offset: int
    #: Shape of the whole array.
    shape: tuple[int, ...]
    #: Stored dtype (byte order included).
    dtype: np.dtype[Any]
    #: Whether the values are stored in Fortran order (then rows are not contiguous).
    fortran_order: bool
    #: Size of the file when the header was read (a changed size means the file was replaced).
    size: int


def read_header(path: str) -> ArrayHeader:
    """The header of a ``.npy`` file (its format's public readers: versions 1, 2 and 3)."""
    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(f)
        else:
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(f)
        return ArrayHeader(path=path, offset=f.tell(), shape=tuple(shape), dtype=dtype,
                           fortran_order=bool(fortran_order), size=os.fstat(f.fileno()).st_size)


class StoreReader:
    """Read access to a store: its samples, splits and fields, as memory maps or direct reads."""

    def __init__(self, store: str | os.PathLike[str]) -> None:
        self.root = Path(store).expanduser()
        info = self.root / STORE_FILE
        if not info.is_file():
            raise StoreError(f"{self.root}: not a CFD store (no {STORE_FILE}); create one with "
                             "noether_cfd.data.store.convert_folder(source, store)")
        meta = json.loads(info.read_text(encoding="utf-8"))
        if meta.get("version") != FORMAT_VERSION:
            raise StoreError(f"{self.root}: store format {meta.get('version')}, this version reads {FORMAT_VERSION}")
        #: Field name -> ``{"shape": per-row shape, "dtype": ...}`` (fields every sample has).
        self.fields: dict[str, Any] = meta["fields"]
        #: Every sample id, in conversion order.
        self.samples: list[str] = list(meta["samples"])
        self._headers: dict[tuple[str, str], ArrayHeader] = {}

    def split(self, name: str | None) -> list[str]:
        """The ids of a split (``None``: every sample)."""
        if name is None:
            return list(self.samples)
        path = self.root / SPLITS_FILE
        splits = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        if name not in splits:
            raise StoreError(f"{self.root}: no split '{name}'; splits: {', '.join(sorted(splits)) or '(none)'}")
        return list(splits[name])

    def read(self, sample_id: str, field: str, rows: int | None = None) -> np.ndarray:
        """A field of a sample as a read-only memory map; ``rows``: only the first ``rows`` (a random subset)."""
        if field not in self.fields:
            raise StoreError(f"{self.root}: no field '{field}'; fields: {', '.join(sorted(self.fields))}")
        values = np.load(sample_folder(self.root, sample_id) / f"{field}.npy", mmap_mode="r", allow_pickle=False)
        return values if rows is None or point_set_of(field) is None else values[:rows]

    def header(self, sample_id: str, field: str) -> ArrayHeader:
        """The ``.npy`` header of a field of a sample (parsed on first use, then kept)."""
        key = (sample_id, field)
        found = self._headers.get(key)
        if found is None:
            if field not in self.fields:
                raise StoreError(f"{self.root}: no field '{field}'; fields: {', '.join(sorted(self.fields))}")
            found = self._headers[key] = read_header(str(sample_folder(self.root, sample_id) / f"{field}.npy"))
        return found

    def shape_read(self, sample_id: str, field: str, rows: int | None = None) -> tuple[int, ...]:
        """The shape :meth:`read` and :meth:`read_rows` give for these arguments (from the header alone)."""
        shape = self.header(sample_id, field).shape
        if rows is not None and point_set_of(field) is not None and shape:
            return (min(rows, shape[0]), *shape[1:])
        return shape

    def read_rows(self, sample_id: str, field: str, rows: int | None = None,
                  out: np.ndarray | None = None) -> np.ndarray:
        """The values of :meth:`read` (the first ``rows`` of a per-point field) read into memory in one go.

        With ``out`` (an array of the shape read, e.g. a row of a batch array; any dtype numpy can cast to)
        the values land there and ``out`` is returned; the bytes go straight into it when its dtype is the
        stored one. A file replaced since its header was read is read again; anything unusual (Fortran
        order, a short file) goes through :meth:`read`.
        """
        header = self.header(sample_id, field)
        shape = self.shape_read(sample_id, field, rows)
        target = out if out is not None and out.dtype == header.dtype and out.flags.c_contiguous else None
        if target is not None and target.shape != shape:
            raise StoreError(f"{self.root}: sample '{sample_id}' field '{field}' has shape {shape}, the batch "
                             f"row {target.shape}")
        values = target if target is not None else np.empty(shape, header.dtype)
        if header.fortran_order or not self._read_into(header, values):
            self._headers.pop((sample_id, field), None)
            values = np.array(self.read(sample_id, field, rows))
        if out is not None and values is not out:
            if values.shape != out.shape:
                raise StoreError(f"{self.root}: sample '{sample_id}' field '{field}' changed while it was read: "
                                 f"{values.shape} rows, the batch expected {out.shape}")
            out[...] = values
            return out
        return values

    @staticmethod
    def _read_into(header: ArrayHeader, values: np.ndarray) -> bool:
        """Read the leading ``values.nbytes`` of the array into ``values``; ``False`` if the file changed."""
        fd = os.open(header.path, os.O_RDONLY)
        try:
            if os.fstat(fd).st_size != header.size:
                return False
            buffer = values.reshape(-1).view(np.uint8).data  # a view: the bytes land in ``values``
            done = 0
            while done < values.nbytes:  # pread may return fewer bytes than asked (signals, huge reads)
                count = os.preadv(fd, [buffer[done:]], header.offset + done)
                if count <= 0:
                    return False
                done += count
            return True
        finally:
            os.close(fd)
