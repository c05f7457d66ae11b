"""Crash-safe file writes: temporary file in the same directory, fsync, rename, fsync the directory."""

from __future__ import annotations

import io
import json
import os
import zlib
from pathlib import Path
from typing import Any

import torch


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes | memoryview) -> None:
    """Write ``data`` so that ``path`` is either the old file or the complete new one, never partial."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk must not also keep the partial copy
        raise
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def atomic_write_json(path: Path, data: Any) -> None:
    """Atomically write JSON."""
    atomic_write_bytes(path, json.dumps(data, indent=1, sort_keys=True).encode())


def serialize(obj: Any) -> tuple[memoryview, int]:
    """``torch.save`` into memory: the bytes and their crc32 (a snapshot: later changes to ``obj`` don't leak in)."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    view = buffer.getbuffer()
    return view, zlib.crc32(view)


class CheckpointDiskFullError(OSError):
    """A checkpoint set could not be written for lack of space; the previous set is untouched."""


class CorruptCheckpointError(RuntimeError):
    """A checkpoint file is missing, truncated or does not match its manifest."""


def verified_torch_load(path: Path, size: int | None = None, crc: int | None = None) -> Any:
    """Load a checkpoint file, checking size and checksum; never runs code."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CorruptCheckpointError(f"cannot read checkpoint file {path}: {exc.strerror}") from None
    if size is not None and len(data) != size:
        raise CorruptCheckpointError(f"checkpoint file {path} has {len(data)} bytes, expected {size} (truncated?)")
    if crc is not None and zlib.crc32(data) != crc:
        raise CorruptCheckpointError(f"checkpoint file {path} does not match its checksum (corrupt)")
    try:
        return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CorruptCheckpointError(f"checkpoint file {path} cannot be loaded safely: {exc}") from None
