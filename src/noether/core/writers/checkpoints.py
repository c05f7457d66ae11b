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
"""

from __future__ import annotations

import contextlib
import errno
import glob
import json
import logging
import os
import re
import shutil
import time
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from noether.core.layout import LATEST_POINTER
from noether.core.time import is_periodic_tag, parse_short_tag
from noether.core.writers.atomic import (
    CheckpointDiskFullError,
    CorruptCheckpointError,
    atomic_write_bytes,
    atomic_write_json,
    serialize,
    verified_torch_load,
)
from noether.core.writers.shards import SHARDED, verify_shards

logger = logging.getLogger("noether")

LATEST = "latest"
_MANIFEST = ".manifest.json"
#: Manifest key of the checkpoint format version; a manifest without it is version 1.
FORMAT_VERSION_KEY = "format_version"
#: ``<tag>@v<n>``: the n-th content of a tag written again; ``<tag>.pointer.json`` names the current one.
VERSION_SEPARATOR = "@v"
_POINTER = ".pointer.json"
#: Manifest key naming the tag a versioned set is a version of.
VERSION_OF_KEY = "version_of"


#: Manifest key of a versioned set: ``{stored file name: final name}``.
_FINAL_NAMES = "final_names"


def _versioned_name(name: str, tag: str, stored: str) -> str:
    """The file name of ``name`` in version ``stored`` of ``tag``; names that do not carry the tag (EMA files
    of ``ema.<tag>`` are ``<model>_ema=<f>_cp=<tag>_model.th``) get the version before ``.th``."""
    if stored == tag:
        return name
    if f"_cp={tag}_" in name:
        return name.replace(f"_cp={tag}_", f"_cp={stored}_")
    return f"{name.removesuffix('.th')}{stored[len(tag):]}.th"


def logical_tag(manifest: Mapping[str, Any]) -> str:
    """The tag a set was saved as (``best_model.loss`` for its version ``best_model.loss@v3``)."""
    return str(manifest.get(VERSION_OF_KEY) or manifest["tag"])


def file_name(model_name: str, tag: str, what: str, model_info: str | None = None) -> str:
    """``<model>[_<info>]_cp=<tag>_<what>.th`` with ``what`` in model/optim/trainer."""
    infix = f"_{model_info}" if model_info else ""
    return f"{model_name}{infix}_cp={tag}_{what}.th"


def split_file_name(name: str, tag: str) -> tuple[str, str]:
    """``(owner, what)`` of a file of set ``tag``: ``mlp_cp=<tag>_optim.th`` -> ``("mlp", "optim")``."""
    owner, _, what = name.removesuffix(".th").rpartition(f"_cp={tag}_")
    return owner, what


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


def manifest_format_version(manifest: Mapping[str, Any]) -> int:
    """The format version a manifest declares (1 when it has none: sets written before versions existed)."""
    return int(manifest.get(FORMAT_VERSION_KEY, 1))


class CheckpointStore:
    """Writes and reads checkpoint sets in one directory."""

    def __init__(self, directory: Path, *, background: bool = False) -> None:
        self.directory = directory
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
        return self.directory / f"{tag}{_MANIFEST}"

    def _write(self, tag: str, blobs: list[tuple[str, memoryview, int]], iteration: dict[str, int | None],
               update_latest: bool, extra: dict[str, Any], ephemeral: bool) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        # A tag written before gets a new version: its current files are never touched until the switch.
        stored = self._next_version(tag)
        entries: dict[str, dict[str, int]] = {}
        finals: dict[str, str] = {}
        try:
            for name, data, crc in blobs:
                final, name = name, _versioned_name(name, tag, stored)
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
            manifest[_FINAL_NAMES] = finals
        manifest_path = self.directory / f"{stored}{_MANIFEST}"
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

    def _pointer(self, tag: str) -> Path:
        return self.directory / f"{tag}{_POINTER}"

    def _versions(self, tag: str) -> list[int]:
        """The version numbers of ``tag`` that have a manifest (complete or not), ascending."""
        pattern = re.compile(re.escape(tag + VERSION_SEPARATOR) + r"(\d+)" + re.escape(_MANIFEST))
        found = []
        for path in self.directory.glob(f"{glob.escape(tag + VERSION_SEPARATOR)}*{_MANIFEST}"):
            match = pattern.fullmatch(path.name)
            if match:
                found.append(int(match[1]))
        return sorted(found)

    def _next_version(self, tag: str) -> str:
        """``tag`` when it was never written, else ``tag@v<n>`` one above every version there is."""
        versions = self._versions(tag)
        if not versions and not (self.directory / f"{tag}{_MANIFEST}").exists() and not self._pointer(tag).exists():
            return tag
        return f"{tag}{VERSION_SEPARATOR}{max(versions, default=1) + 1}"

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

    def _retire_versions(self, tag: str, current: Mapping[str, Any]) -> None:
        """After the switch to ``current``: final-named links to its files, then older versions of ``tag`` go."""
        stored = str(current["tag"])
        keep = self._final_names(tag, current)
        (self.directory / f"{tag}{_MANIFEST}").unlink(missing_ok=True)  # the plain set: its files become links
        self._link_final_names(tag, current)
        latest = self.latest_tag()
        keep_names = set(keep.values()) | set(current["files"])
        sharded = current.get("sharded")
        if isinstance(sharded, dict) and sharded.get("directory"):
            keep_names.add(str(sharded["directory"]))
        for version in self._versions(tag):
            old = f"{tag}{VERSION_SEPARATOR}{version}"
            if old not in (stored, latest):
                self.delete(old, keep=keep_names)

    def _link_final_names(self, tag: str, current: Mapping[str, Any]) -> None:
        """Point ``<model>_cp=<tag>_<what>.th`` at the files of the current version (skips those that are)."""
        for name, final in self._final_names(tag, current).items():
            link = self.directory / final
            with contextlib.suppress(OSError):
                if os.path.samefile(self.directory / name, link):
                    continue
            _replace_with_link(self.directory / name, link)

    @staticmethod
    def _final_names(tag: str, manifest: Mapping[str, Any]) -> dict[str, str]:
        finals = manifest.get(_FINAL_NAMES)
        if isinstance(finals, dict):
            return {str(k): str(v) for k, v in finals.items()}
        stored = str(manifest["tag"])
        return {name: name.replace(f"_cp={stored}_", f"_cp={tag}_") for name in manifest["files"]}

    def _move_latest(self, tag: str, manifest: Mapping[str, Any]) -> None:
        previous = self.latest_tag()
        atomic_write_json(self.directory / LATEST_POINTER, {"tag": tag})
        for name in manifest["files"]:
            _replace_with_link(self.directory / name, self.directory / name.replace(f"_cp={tag}_", f"_cp={LATEST}_"))
        # Ephemeral sets only back ``latest``; the previous one is kept as the fallback should the newest
        # ever be damaged, older ones go.
        for manifest in self.manifests():
            if manifest.get("ephemeral") and manifest["tag"] not in (tag, previous):
                self.delete(manifest["tag"])

    def delete(self, tag: str, *, keep: set[str] | frozenset[str] = frozenset()) -> None:
        """Remove a set: manifest first (so it is never half-visible as complete), then its files (except the
        names in ``keep``: files another set still uses)."""
        manifest = self.read_manifest(tag)
        (self.directory / f"{tag}{_MANIFEST}").unlink(missing_ok=True)
        for name in (manifest or {}).get("files", {}):
            if name not in keep:
                (self.directory / name).unlink(missing_ok=True)
        sharded = (manifest or {}).get("sharded")  # the shard directory of an FSDP set (training.sharded_checkpoint)
        if isinstance(sharded, dict) and sharded.get("directory") and str(sharded["directory"]) not in keep:
            shutil.rmtree(self.directory / str(sharded["directory"]), ignore_errors=True)

    def remove_ephemeral(self) -> None:
        """Delete every ephemeral set that ``latest`` does not point to (at the end of a run)."""
        self.wait()
        latest = self.latest_tag()
        for manifest in self.manifests():
            if manifest.get("ephemeral") and manifest["tag"] != latest:
                self.delete(manifest["tag"])

    def clean_leftovers(self) -> int:
        """Remove what dead writers left behind (call before this run writes): temporary files, and
        checkpoint files that no manifest lists (a set whose manifest was never written). Returns the count."""
        if not self.directory.is_dir():
            return 0
        self.wait()
        removed = self._remove_superseded_versions()
        listed = {name for manifest in self.manifests() for name in manifest["files"]}
        for manifest in self.manifests():  # the final-named links of a tag's current version
            if manifest.get(VERSION_OF_KEY) and self.current_version(logical_tag(manifest)) == manifest["tag"]:
                listed |= set(self._final_names(logical_tag(manifest), manifest).values())
        # Shard directories of FSDP sets (training.sharded_checkpoint): listed under "sharded" in a manifest.
        listed |= {str(m["sharded"]["directory"]) for m in self.manifests() if isinstance(m.get("sharded"), dict)}
        for path in self.directory.iterdir():
            name = path.name
            if path.is_dir() and ((name.endswith("_dcp") and name not in listed)
                                  or (name.startswith(".") and name.endswith("_dcp.partial"))):
                shutil.rmtree(path, ignore_errors=True)
                removed += 1
                continue
            temporary = name.startswith(".") and name.endswith((".tmp", ".lnk"))
            stale_pointer = name.endswith(_POINTER) and self.current_version(name.removesuffix(_POINTER)) is None
            if stale_pointer:
                path.unlink(missing_ok=True)
                removed += 1
                continue
            unlisted = name.endswith(".th") and f"_cp={LATEST}_" not in name and name not in listed
            if (temporary or unlisted) and path.is_file():
                path.unlink(missing_ok=True)
                removed += 1
        if removed:
            logger.warning("removed %d file(s) left in %s by an interrupted write (temporary files and files of "
                           "incomplete checkpoint sets)", removed, self.directory)
        return removed

    def _remove_superseded_versions(self) -> int:
        """Finish or undo a rewrite a kill interrupted: every version of a tag but the current one (and the one
        ``latest`` points to) goes; after the switch the final-named links are refreshed too."""
        latest = self.latest_tag()
        removed = 0
        for tag in sorted({logical_tag(m) for m in self.manifests() if m.get(VERSION_OF_KEY)}):
            current = self.current_version(tag)
            current_manifest = self.read_manifest(current) if current else None
            if current_manifest is None:
                continue
            stale = [m for m in self.manifests()
                     if logical_tag(m) == tag and m["tag"] not in (current, latest)]
            if current != tag:  # a kill may have come before every link was refreshed
                self._link_final_names(tag, current_manifest)
            if stale and current == tag:  # killed before the switch: the unswitched version goes
                for manifest in stale:
                    self.delete(str(manifest["tag"]), keep=set(current_manifest["files"]))
            elif stale:
                self._retire_versions(tag, current_manifest)
            removed += len(stale)
        return removed

    def prune(self, keep_last: int) -> None:
        """Keep only the newest ``keep_last`` periodic sets (never the one ``latest`` points to)."""
        self.wait()
        periodic = [m for m in self.manifests() if is_periodic_tag(logical_tag(m))]
        latest = self.latest_tag()
        for manifest in periodic[: max(0, len(periodic) - keep_last)]:
            if manifest["tag"] != latest:
                self.delete(manifest["tag"])

    # -- reading -------------------------------------------------------------------------------------------
    def latest_tag(self) -> str | None:
        """The tag ``latest`` points to, if any."""
        try:
            return str(json.loads((self.directory / LATEST_POINTER).read_text())["tag"])
        except (OSError, ValueError, KeyError):
            return None

    def read_manifest(self, tag: str) -> dict[str, Any] | None:
        """The manifest of ``tag`` (``None`` when the set is absent or incomplete)."""
        try:
            data = json.loads((self.directory / f"{tag}{_MANIFEST}").read_text())
        except (OSError, ValueError):
            return None
        return data if _well_formed(data) else None

    def manifests(self) -> list[dict[str, Any]]:
        """Every complete set, oldest first (by update, then write time)."""
        found = []
        if self.directory.is_dir():
            for path in self.directory.glob(f"*{_MANIFEST}"):
                try:
                    data = json.loads(path.read_text())
                except (OSError, ValueError):
                    logger.warning("checkpoint manifest %s is damaged (not JSON); its set is ignored", path)
                    continue
                if not _well_formed(data):
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
            fallback = next((m["tag"] for m in reversed(self.manifests()) if _has_trainer_file(m)), None)
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
                if manifest["tag"] == resolved or not _has_trainer_file(manifest):
                    continue
                try:
                    loaded = self.load_set(manifest["tag"])
                except CorruptCheckpointError:
                    continue
                logger.warning("%s; resuming from the newest complete checkpoint '%s' instead",
                               exc, manifest["tag"])
                return loaded
            raise


def _well_formed(manifest: Any) -> bool:
    return (isinstance(manifest, dict) and isinstance(manifest.get("tag"), str)
            and isinstance(manifest.get("files"), dict) and isinstance(manifest.get("training_iteration"), dict)
            and all(isinstance(meta, dict) and {"size", "crc32"} <= set(meta) for meta in manifest["files"].values()))


def _has_trainer_file(manifest: Mapping[str, Any]) -> bool:
    return any(name.endswith("_trainer.th") for name in manifest.get("files", {}))


def _replace_with_link(target: Path, link: Path) -> None:
    """Make ``link`` a hard link to ``target`` in one rename, so readers see the old file or the new, never none.

    A failure (a file system without hard links, a vanished target) leaves the old link in place: the links are a
    convenience for readers, the manifests stay the truth.
    """
    tmp = link.with_name(f".{link.name}.{os.getpid()}.lnk")
    try:
        tmp.unlink(missing_ok=True)
        os.link(target, tmp)
        os.replace(tmp, link)
    except OSError:
        tmp.unlink(missing_ok=True)

