"""Reading checkpoint sets: the complete ones, the current version of a tag, choosing and loading a set.

A tag the user names (``latest``, ``last``, ``E3``, ``U120``, ``S4000``, a full tag) is turned into an existing
complete set (:meth:`CheckpointReader.resolve`); loading checks every file against the manifest and, for
``latest``, falls back to the newest complete set when the newest is damaged.
"""

from __future__ import annotations

import glob
import json
import logging
import re
from pathlib import Path
from typing import Any

from noether.core.layout import LATEST_POINTER
from noether.core.time import is_periodic_tag, parse_short_tag
from noether.core.writers.atomic import CorruptCheckpointError, verified_torch_load
from noether.core.writers.checkpoint_manifests import (
    MANIFEST_SUFFIX,
    POINTER_SUFFIX,
    has_trainer_file,
    logical_tag,
    well_formed,
)
from noether.core.writers.checkpoint_names import LATEST, VERSION_SEPARATOR
from noether.core.writers.shards import SHARDED, verify_shards

logger = logging.getLogger("noether")


class CheckpointReader:
    """Reads the checkpoint sets in one directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def wait(self) -> None:
        """Block until pending writes are on disk; a reader has none (the writing store overrides this)."""

    def _pointer(self, tag: str) -> Path:
        return self.directory / f"{tag}{POINTER_SUFFIX}"

    def _versions(self, tag: str) -> list[int]:
        """The version numbers of ``tag`` that have a manifest (complete or not), ascending."""
        pattern = re.compile(re.escape(tag + VERSION_SEPARATOR) + r"(\d+)" + re.escape(MANIFEST_SUFFIX))
        found = []
        for path in self.directory.glob(f"{glob.escape(tag + VERSION_SEPARATOR)}*{MANIFEST_SUFFIX}"):
            match = pattern.fullmatch(path.name)
            if match:
                found.append(int(match[1]))
        return sorted(found)

    def current_version(self, tag: str) -> str | None:
        """The stored tag holding the current content of ``tag``: its pointer's target, else the plain set, else
        (pointer damaged or missing) the newest complete version with a warning; ``None`` when there is none."""
        pointer = self._pointer(tag)
        pointed: str | None = None
        if pointer.exists():
            try:
                pointed = str(json.loads(pointer.read_text())["tag"])
            except (OSError, ValueError, KeyError, TypeError):
                pointed = None
            if pointed is not None and self.read_manifest(pointed) is not None:
                return pointed
        if self.read_manifest(tag) is not None:
            return tag
        for version in reversed(self._versions(tag)):
            stored = f"{tag}{VERSION_SEPARATOR}{version}"
            if self.read_manifest(stored) is not None:
                if pointer.exists():
                    logger.warning("checkpoint pointer %s is damaged or names a missing set; using the newest "
                                   "complete version '%s'", pointer, stored)
                return stored
        return None

    def latest_tag(self) -> str | None:
        """The tag ``latest`` points to, if any."""
        try:
            return str(json.loads((self.directory / LATEST_POINTER).read_text())["tag"])
        except (OSError, ValueError, KeyError):
            return None

    def read_manifest(self, tag: str) -> dict[str, Any] | None:
        """The manifest of ``tag`` (``None`` when the set is absent or incomplete)."""
        try:
            data = json.loads((self.directory / f"{tag}{MANIFEST_SUFFIX}").read_text())
        except (OSError, ValueError):
            return None
        return data if well_formed(data) else None

    def manifests(self) -> list[dict[str, Any]]:
        """Every complete set, oldest first (by update, then write time)."""
        found = []
        if self.directory.is_dir():
            for path in self.directory.glob(f"*{MANIFEST_SUFFIX}"):
                try:
                    data = json.loads(path.read_text())
                except (OSError, ValueError):
                    logger.warning("checkpoint manifest %s is damaged (not JSON); its set is ignored", path)
                    continue
                if not well_formed(data):
                    logger.warning("checkpoint manifest %s is damaged (fields missing); its set is ignored", path)
                    continue
                found.append(data)
        return sorted(found, key=lambda m: (m["training_iteration"].get("update") or 0, m.get("created", 0)))

    def resolve(self, tag: str) -> str:
        """Turn ``latest``, ``last``, ``E3``, ``U120``, ``S4000`` or a full tag into an existing set's tag."""
        self.wait()
        if tag == LATEST:
            latest = self.latest_tag()
            if latest is not None and self.read_manifest(latest) is not None:
                return latest
            fallback = next((m["tag"] for m in reversed(self.manifests()) if has_trainer_file(m)), None)
            if fallback is None:
                raise FileNotFoundError(f"no complete checkpoint in {self.directory} ('latest' is not set)")
            pointer = self.directory / LATEST_POINTER
            problem = "points to a missing set" if latest is not None else (
                "is damaged" if pointer.exists() else "is missing")
            logger.warning("%s %s; using the newest complete resumable set '%s'", pointer, problem, fallback)
            return str(fallback)
        short = parse_short_tag(tag)
        if short:
            field, value = short
            matches = [m for m in self.manifests() if m["training_iteration"].get(field) == value
                       and is_periodic_tag(logical_tag(m))]
            if not matches:
                raise FileNotFoundError(f"no checkpoint with {field} {value} in {self.directory}")
            return str(matches[0]["tag"])
        current = self.current_version(tag)
        if current is None:
            known = ", ".join(sorted({logical_tag(m) for m in self.manifests()})) or "(none)"
            raise FileNotFoundError(f"no complete checkpoint '{tag}' in {self.directory}; available: {known}")
        return current

    def load_set(self, tag: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """Load and verify every file of a set: ``(manifest, {file name: object})``."""
        manifest = self.read_manifest(tag)
        if manifest is None:
            raise CorruptCheckpointError(f"checkpoint '{tag}' in {self.directory} has no manifest (incomplete)")
        objects = {
            name: verified_torch_load(self.directory / name, meta["size"], meta["crc32"])
            for name, meta in manifest["files"].items()
        }
        if isinstance(manifest.get(SHARDED), dict):
            verify_shards(self.directory, manifest[SHARDED])  # a damaged shard makes the whole set damaged
        return manifest, objects

    def load_resumable(self, tag: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """Load a set; when ``latest`` is damaged, fall back to the newest complete set with a warning."""
        self.wait()
        resolved = self.resolve(tag)
        try:
            return self.load_set(resolved)
        except CorruptCheckpointError as exc:
            if tag != LATEST:
                raise
            for manifest in reversed(self.manifests()):
                if manifest["tag"] == resolved or not has_trainer_file(manifest):
                    continue
                try:
                    loaded = self.load_set(manifest["tag"])
                except CorruptCheckpointError:
                    continue
                logger.warning("%s; resuming from the newest complete checkpoint '%s' instead",
                               exc, manifest["tag"])
                return loaded
            raise
