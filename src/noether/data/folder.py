"""``noether.data.FolderDataset``: your own data as a folder with one file per sample.

Each sample is one ``.npz`` (read with ``allow_pickle=False``) or ``.safetensors`` file, i.e. a format that
cannot execute code; its arrays are named by property. See ``docs/your-own-data.md``.
"""

from __future__ import annotations

import functools
import io
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from noether.data.dataset import Dataset
from noether.data.schemas import FolderDatasetConfig

#: Sample file extensions per format, in the order ``auto`` tries them.
EXTENSIONS = {"npz": ".npz", "safetensors": ".safetensors"}
SPLIT_FILE = "splits.yaml"


def _read_yaml(path: Path) -> Any:
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def split_names(root: Path, split: str) -> tuple[list[str], str]:
    """Sample names of ``split`` and their source (``splits.yaml``, ``<split>.txt`` or ``<split>/``)."""
    split_file = root / SPLIT_FILE
    if split_file.is_file():
        data = _read_yaml(split_file)
        if not isinstance(data, Mapping) or split not in data:
            keys = ", ".join(map(str, data)) if isinstance(data, Mapping) else "not a mapping"
            raise ValueError(f"{split_file}: no split '{split}' (found: {keys})")
        names = data[split]
        if not isinstance(names, list) or not all(isinstance(n, str | int) for n in names):
            raise ValueError(f"{split_file}: '{split}' must be a list of sample names")
        return [str(n) for n in names], str(split_file)
    list_file = root / f"{split}.txt"
    if list_file.is_file():
        lines = (line.strip() for line in list_file.read_text(encoding="utf-8").splitlines())
        return [line for line in lines if line and not line.startswith("#")], str(list_file)
    folder = root / split
    if folder.is_dir():
        files = sorted(p for p in folder.iterdir() if p.suffix in EXTENSIONS.values())
        return [str(p.relative_to(root)) for p in files], str(folder)
    raise FileNotFoundError(
        f"no split '{split}' under {root}: expected {SPLIT_FILE}, {split}.txt or a folder {split}/"
    )


def _sample_path(root: Path, name: str, fmt: str) -> Path | None:
    path = root / name
    if path.suffix in EXTENSIONS.values():
        return path if path.is_file() else None
    extensions = EXTENSIONS.values() if fmt == "auto" else (EXTENSIONS[fmt],)
    for ext in extensions:
        candidate = root / (name + ext)
        if candidate.is_file():
            return candidate
    return None


class _Reader:
    """Reads arrays of one sample file, keeping the file open while properties of the same sample are read."""

    def __init__(self) -> None:
        self.path: Path | None = None
        self.handle: Any = None

    def open(self, path: Path) -> Any:
        if path != self.path:
            self.close()
            if path.suffix == ".safetensors":
                from safetensors import safe_open

                self.handle = safe_open(str(path), framework="numpy")
            else:
                self.handle = np.load(path, allow_pickle=False)
            self.path = path
        return self.handle

    def names(self, path: Path) -> list[str]:
        handle = self.open(path)
        return list(handle.keys()) if path.suffix == ".safetensors" else list(handle.files)

    def read(self, path: Path, name: str) -> np.ndarray:
        handle = self.open(path)
        if path.suffix == ".safetensors":
            if name not in handle.keys():  # noqa: SIM118 (safe_open handles have no __contains__)
                raise KeyError(f"{path} has no array '{name}'; its arrays: {', '.join(handle.keys())}")
            return np.asarray(handle.get_tensor(name))
        if name not in handle.files:
            raise KeyError(f"{path} has no array '{name}'; its arrays: {', '.join(handle.files)}")
        return np.asarray(handle[name])

    def close(self) -> None:
        if self.handle is not None and hasattr(self.handle, "close"):
            self.handle.close()
        self.handle = None
        self.path = None


class FolderDataset(Dataset):
    """One file per sample under ``root``; properties are the arrays in the files."""

    config_class: ClassVar[type] = FolderDatasetConfig

    def __init__(self, config: FolderDatasetConfig) -> None:
        super().__init__(config)
        self.root = Path(config.root).expanduser()
        if not self.root.is_dir():
            raise FileNotFoundError(f"dataset {self.label}: root {self.root} is not a directory")
        names, source = split_names(self.root, config.split)
        paths = [_sample_path(self.root, name, config.format) for name in names]
        missing = [name for name, path in zip(names, paths, strict=True) if path is None]
        if missing:
            raise FileNotFoundError(
                f"dataset {self.label}: {len(missing)} sample file(s) listed in {source} do not exist under "
                f"{self.root} (format {config.format}): {', '.join(missing[:5])}"
            )
        self.files: list[Path] = [p for p in paths if p is not None]
        self.convert_float = config.dtype == "float32"
        self._reader = _Reader()
        if config.properties is not None:
            self._properties = tuple(sorted(config.properties))
        elif self.files:
            self._properties = tuple(sorted(self._reader.names(self.files[0])))
        else:
            self._properties = ()
        self._properties = tuple(p for p in self._properties if p != "index")

    def __len__(self) -> int:
        return len(self.files)

    @property
    def properties(self) -> tuple[str, ...]:
        """The array names exposed as properties."""
        return self._properties

    def normalizer_keys(self) -> dict[str, bool]:
        """Every property can be normalized by its own name; none requires a normalizer."""
        return dict.fromkeys(self._properties, False)

    def load(self, prop: str, idx: int) -> Any:
        """Read array ``prop`` of sample ``idx`` as a tensor (normalized if a normalizer is configured)."""
        array = self._reader.read(self.files[idx], prop)
        if self.convert_float and array.dtype.kind == "f" and array.dtype != np.float32:
            array = array.astype(np.float32)
        elif not array.flags.writeable:
            array = array.copy()
        return self.apply_normalizer(prop, torch.from_numpy(array), required=False)

    def __getattr__(self, name: str) -> Any:
        # ``getitem_<property>`` for every array name, so the dataset follows the same protocol as datasets
        # with hand-written getitems (wrappers forward these calls).
        if name.startswith("getitem_") and name[len("getitem_"):] in self.__dict__.get("_properties", ()):
            loader: Callable[[int], Any] = functools.partial(self.load, name[len("getitem_"):])
            return loader
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __getstate__(self) -> dict[str, Any]:
        # Open file handles cannot be sent to DataLoader workers; each worker opens its own.
        state = self.__dict__.copy()
        state["_reader"] = _Reader()
        state["_getters"] = None
        state["_plan"] = None
        return state


def save_sample(path: str | os.PathLike[str], **arrays: np.ndarray | Sequence[Any]) -> Path:
    """Write one sample as ``.npz`` atomically (a temporary file renamed into place); returns the path.

    Arrays must be numeric or boolean: object arrays would need pickle, which the reader refuses.
    """
    target = Path(path)
    if target.suffix != ".npz":
        target = target.with_name(target.name + ".npz")
    converted = {name: np.asarray(value) for name, value in arrays.items()}
    for name, array in converted.items():
        if array.dtype.kind not in "biuf":
            raise TypeError(f"array '{name}' has dtype {array.dtype}; only numbers and booleans are stored")
    target.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.savez(buffer, **converted)  # type: ignore[arg-type]
    _atomic_write(target, buffer.getvalue())
    return target


def write_splits(root: str | os.PathLike[str], **splits: Sequence[str]) -> Path:
    """Write ``<root>/splits.yaml`` mapping each split name to its sample names; returns the path."""
    from noether.core.config.dump import dump_yaml

    target = Path(root) / SPLIT_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(target, dump_yaml({k: [str(n) for n in v] for k, v in splits.items()}).encode())
    return target


def _atomic_write(target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
