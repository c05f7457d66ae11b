"""Test helpers for trackers: read W&B offline files back, and run a command without network access."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

# W&B's transaction log (``run-<id>.wandb``): a 7-byte file header (":W&B", the magic 0xBEE1, version 0), then
# 32 KiB blocks of chunks, each a 7-byte header (CRC32C, length, type) and a slice of one serialized protobuf
# ``Record``. A record too long for the rest of a block is split into FIRST, MIDDLE... and LAST chunks. The
# wandb package no longer ships a Python reader for it, so the tests carry this small one.
_BLOCK = 32 * 1024
_HEADER = 7
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


def wandb_records(path: Path) -> Iterator[bytes]:
    """The serialized records of a ``.wandb`` file, in order."""
    data = path.read_bytes()
    if data[:4] != b":W&B":
        raise ValueError(f"{path} is not a W&B transaction log")
    pos = _HEADER
    pending = b""
    while pos + _HEADER <= len(data):
        if _BLOCK - pos % _BLOCK < _HEADER:  # a block's tail too short for a chunk header is padding
            pos += _BLOCK - pos % _BLOCK
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos:pos + _HEADER])
        chunk = data[pos + _HEADER:pos + _HEADER + length]
        pos += _HEADER + length
        if kind == _FULL:
            yield chunk
        elif kind == _FIRST:
            pending = chunk
        elif kind == _MIDDLE:
            pending += chunk
        elif kind == _LAST:
            yield pending + chunk
            pending = b""


def read_wandb_run(path: Path) -> dict[str, Any]:
    """The history rows (``{"_step": ..., key: value}``), config and summary written to a ``.wandb`` file."""
    from wandb.proto import wandb_internal_pb2

    history: list[dict[str, Any]] = []
    config: dict[str, Any] = {}
    summary: dict[str, Any] = {}
    run_id = ""
    for raw in wandb_records(path):
        record = wandb_internal_pb2.Record()
        record.ParseFromString(raw)
        kind = record.WhichOneof("record_type")
        if kind == "history":
            history.append({item.key or "/".join(item.nested_key): json.loads(item.value_json)
                            for item in record.history.item})
        elif kind == "run":
            run_id = record.run.run_id or run_id
            config.update({item.key: json.loads(item.value_json) for item in record.run.config.update})
        elif kind == "config":
            config.update({item.key: json.loads(item.value_json) for item in record.config.update})
        elif kind == "summary":
            summary.update({item.key or "/".join(item.nested_key): json.loads(item.value_json)
                            for item in record.summary.update})
    return {"run_id": run_id, "history": history, "config": config, "summary": summary}


@cache
def no_network_prefix() -> tuple[str, ...]:
    """A command prefix that runs a program in a new network namespace (no network at all), if possible here.

    ``unshare -n`` needs root; ``unshare -rn`` maps the user to root in a new user namespace. Where neither
    works (a container without those rights), the empty prefix is returned and the run has the machine's
    network, which offline mode must not use anyway.
    """
    unshare = shutil.which("unshare")
    if unshare is None:
        return ()
    for prefix in ((unshare, "-n"), (unshare, "-rn")):
        try:
            done = subprocess.run([*prefix, "true"], capture_output=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            continue
        if done.returncode == 0:
            return prefix
    return ()


def metrics_lines(run_dir: Path) -> list[dict[str, Any]]:
    """The entries of ``<run_dir>/metrics.jsonl``."""
    text = (run_dir / "metrics.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]
