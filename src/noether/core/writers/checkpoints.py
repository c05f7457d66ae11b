"""Checkpoint sets: the files of one tag, a manifest written last, and an atomically moved ``latest``.

Layout of ``<run_dir>/checkpoints/``::

    <model>_cp=<tag>_model.th      weights of each (leaf) model
    <model>_cp=<tag>_optim.th      optimizer state of each model with an optimizer
    <root>_cp=<tag>_trainer.th     counters, callback states, RNG states, grad scaler
    <tag>.manifest.json            written after every file above is complete: names, sizes, checksums
    latest.json                    {"tag": ...}: moved (atomically) only after the manifest exists
    <model>_cp=latest_<what>.th    hard links to the files of the newest complete set, for tools that read them

A set without a manifest is incomplete and never loaded. A kill at any instant leaves the previous set loadable.

A tag written again (``best_model.<metric>``, ``ema.latest``, ``last`` after a resume) never has its files
replaced in place: the new content becomes the complete set ``<tag>@v<n>`` (files, then manifest), then the
pointer ``<tag>.pointer.json`` moves to it atomically, then older versions are deleted and the final-named files
``<model>_cp=<tag>_<what>.th`` are refreshed as hard links to the new version (for tools that read files by name;
no manifest lists them). Readers resolve a tag through its pointer (:meth:`CheckpointStore.resolve`).

This module writes sets (:class:`CheckpointStore`); the names are :mod:`~noether.core.writers.checkpoint_names`,
the manifests :mod:`~noether.core.writers.checkpoint_manifests`, reading and choosing a set
:mod:`~noether.core.writers.checkpoint_reader`, removing sets :mod:`~noether.core.writers.checkpoint_cleanup`.
"""

from __future__ import annotations

import errno
import logging
import shutil
import time
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from noether.core.layout import LATEST_POINTER
from noether.core.writers.atomic import (
    CheckpointDiskFullError,
    CorruptCheckpointError,
    atomic_write_bytes,
    atomic_write_json,
    serialize,
)
from noether.core.writers.checkpoint_cleanup import CheckpointCleaner, replace_with_link
from noether.core.writers.checkpoint_manifests import (
    FINAL_NAMES_KEY,
    FORMAT_VERSION_KEY,
    MANIFEST_SUFFIX,
    VERSION_OF_KEY,
    logical_tag,
    manifest_format_version,
)
from noether.core.writers.checkpoint_names import LATEST, VERSION_SEPARATOR, file_name, split_file_name, versioned_name

#: The names this module has always offered (most now defined in the modules above), importable from here.
__all__ = [
    "FORMAT_VERSION_KEY", "LATEST", "VERSION_OF_KEY", "VERSION_SEPARATOR", "CheckpointDiskFullError",
    "CheckpointStore", "CorruptCheckpointError", "file_name", "logical_tag", "manifest_format_version",
    "split_file_name", "weights_payload",
]

logger = logging.getLogger("noether")


def weights_payload(state_dict: Mapping[str, Any], *, tag: str, iteration: Mapping[str, int | None], run_id: str,
                    ema: float | None = None, model_config: Any = None, config_kind: str | None = None,
                    ) -> dict[str, Any]:
    """The content of a ``_model.th`` file: the weights and where they come from."""
    payload: dict[str, Any] = {"state_dict": state_dict, "checkpoint_tag": tag}
    if ema is not None:
        payload["ema"] = ema
    payload["training_iteration"] = dict(iteration)
    payload["run_id"] = run_id
    if model_config is not None:
        payload["model_config"] = model_config
        payload["config_kind"] = config_kind
    return payload


class CheckpointStore(CheckpointCleaner):
    """Writes and reads checkpoint sets in one directory."""

    def __init__(self, directory: Path, *, background: bool = False) -> None:
        super().__init__(directory)
        #: Write to disk in a background thread: the caller only pays for serializing into memory.
        self.background = background
        self._executor: ThreadPoolExecutor | None = None
        self._pending: Future[Path] | None = None

    def wait(self) -> None:
        """Block until the last background write is on disk (re-raises its error)."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        """Finish pending writes and stop the writer thread."""
        try:
            self.wait()
        finally:
            if self._executor is not None:
                self._executor.shutdown(wait=True)
                self._executor = None

    # -- writing -------------------------------------------------------------------------------------------
    def save(
        self,
        tag: str,
        files: Mapping[str, Any],
        *,
        iteration: Mapping[str, int | None],
        update_latest: bool,
        extra: Mapping[str, Any] | None = None,
        ephemeral: bool = False,
    ) -> Path:
        """Write every file of ``tag``, then its manifest, then (optionally) move ``latest`` to it.

        ``ephemeral`` sets exist only to back ``latest``; they are deleted when ``latest`` moves on. With
        ``background`` the objects are serialized now and written (fsync, rename, manifest, ``latest``) by a
        writer thread; sets are always completed in the order they were saved.
        """
        self.wait()  # the previous set is complete before this one starts
        blobs = [(name, *serialize(obj)) for name, obj in files.items()]
        args = (tag, blobs, dict(iteration), update_latest, dict(extra or {}), ephemeral)
        if not self.background:
            return self._write(*args)
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="noether-checkpoint")
        self._pending = self._executor.submit(self._write, *args)
        return self.directory / f"{tag}{MANIFEST_SUFFIX}"

    def _write(self, tag: str, blobs: list[tuple[str, memoryview, int]], iteration: dict[str, int | None],
               update_latest: bool, extra: dict[str, Any], ephemeral: bool) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        # A tag written before gets a new version: its current files are never touched until the switch.
        stored = self._next_version(tag)
        entries: dict[str, dict[str, int]] = {}
        finals: dict[str, str] = {}
        try:
            for name, data, crc in blobs:
                final, name = name, versioned_name(name, tag, stored)
                if name != final:
                    finals[name] = final
                entries[name] = {"size": len(data), "crc32": crc}
                atomic_write_bytes(self.directory / name, data)
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            for name in entries:  # no manifest lists them: free the space now
                (self.directory / name).unlink(missing_ok=True)
            raise self._disk_full(tag, sum(len(data) for _, data, _ in blobs)) from None
        manifest = {
            **(extra or {}),
            "tag": stored,
            "files": entries,
            "training_iteration": dict(iteration),
            "created": time.time(),
            "ephemeral": ephemeral,
        }
        if stored != tag:
            manifest[VERSION_OF_KEY] = tag
            manifest[FINAL_NAMES_KEY] = finals
        manifest_path = self.directory / f"{stored}{MANIFEST_SUFFIX}"
        atomic_write_json(manifest_path, manifest)
        if stored != tag:
            atomic_write_json(self._pointer(tag), {"tag": stored})  # the switch
        if update_latest:
            self._move_latest(stored, manifest)
        if stored != tag:
            self._retire_versions(tag, manifest)
        return manifest_path

    def _disk_full(self, tag: str, needed: int) -> CheckpointDiskFullError:
        free = shutil.disk_usage(self.directory).free
        latest = self.latest_tag()
        kept = f"the previous checkpoint '{latest}' is intact" if latest else "no earlier checkpoint exists"
        return CheckpointDiskFullError(
            errno.ENOSPC, f"the disk is full: checkpoint '{tag}' needs {needed / 1e6:.2f} MB in {self.directory}, "
            f"{free / 1e6:.2f} MB are free; {kept}. Free at least {needed / 1e6:.2f} MB (or move output_path) and "
            "run the same command with resume_run_id=<this run id>: the run resumes in place, nothing to fix by hand")

    def _next_version(self, tag: str) -> str:
        """``tag`` when it was never written, else ``tag@v<n>`` one above every version there is."""
        versions = self._versions(tag)
        if (not versions and not (self.directory / f"{tag}{MANIFEST_SUFFIX}").exists()
                and not self._pointer(tag).exists()):
            return tag
        return f"{tag}{VERSION_SEPARATOR}{max(versions, default=1) + 1}"

    def _move_latest(self, tag: str, manifest: Mapping[str, Any]) -> None:
        previous = self.latest_tag()
        atomic_write_json(self.directory / LATEST_POINTER, {"tag": tag})
        for name in manifest["files"]:
            replace_with_link(self.directory / name, self.directory / name.replace(f"_cp={tag}_", f"_cp={LATEST}_"))
        # Ephemeral sets only back ``latest``; the previous one is kept as the fallback should the newest
        # ever be damaged, older ones go.
        for manifest in self.manifests():
            if manifest.get("ephemeral") and manifest["tag"] not in (tag, previous):
                self.delete(manifest["tag"])
