"""Checking the shard files of a checkpoint set (FSDP runs) against their manifest entry; no torch import.

The entry (manifest key ``sharded``, written by :mod:`noether.training.sharded_checkpoint`) names the shard
directory and gives every file's size and crc32.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from noether.core.writers.atomic import CorruptCheckpointError

#: Manifest key of a set's sharded part.
SHARDED = "sharded"
_CHUNK = 1 << 22


def file_crc32(path: Path) -> int:
    """The crc32 of a file, read in chunks (shards can be large)."""
    crc = 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            crc = zlib.crc32(chunk, crc)
    return crc


def verify_shards(directory: Path, entry: Mapping[str, Any]) -> Path:
    """The shard directory of a manifest entry, after checking every file's size and crc32.

    Raises :class:`CorruptCheckpointError` (the store then falls back to an older set) for a missing or
    damaged shard.
    """
    path = directory / str(entry["directory"])
    for name, meta in entry["files"].items():
        file = path / name
        if not file.is_file():
            raise CorruptCheckpointError(f"{file}: shard listed in the manifest is missing")
        size = file.stat().st_size
        if size != meta["size"] or file_crc32(file) != meta["crc32"]:
            raise CorruptCheckpointError(f"{file}: shard does not match its manifest (size {size}, expected "
                                         f"{meta['size']}; or a different checksum)")
    return path
