"""Removing checkpoint sets: deleting one, pruning periodic ones, retiring old versions, clearing leftovers.

Deleting removes the manifest first, so a set is never half-visible as complete. What a killed writer left
behind (temporary files, files no manifest lists, a rewrite of a tag cut short) is finished or undone by
:meth:`CheckpointCleaner.clean_leftovers` before a run writes again. The ``_cp=<tag>_`` hard links to the
current version of a tag written again are refreshed here too: they go with retiring older versions.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from noether.core.time import is_periodic_tag
from noether.core.writers.checkpoint_manifests import (
    MANIFEST_SUFFIX,
    POINTER_SUFFIX,
    VERSION_OF_KEY,
    final_names,
    logical_tag,
)
from noether.core.writers.checkpoint_names import LATEST, VERSION_SEPARATOR
from noether.core.writers.checkpoint_reader import CheckpointReader

logger = logging.getLogger("noether")


class CheckpointCleaner(CheckpointReader):
    """Reads and removes the checkpoint sets in one directory."""

    def _retire_versions(self, tag: str, current: Mapping[str, Any]) -> None:
        """After the switch to ``current``: final-named links to its files, then older versions of ``tag`` go."""
        stored = str(current["tag"])
        keep = final_names(tag, current)
        (self.directory / f"{tag}{MANIFEST_SUFFIX}").unlink(missing_ok=True)  # the plain set: its files become links
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
        for name, final in final_names(tag, current).items():
            link = self.directory / final
            with contextlib.suppress(OSError):
                if os.path.samefile(self.directory / name, link):
                    continue
            replace_with_link(self.directory / name, link)

    def delete(self, tag: str, *, keep: set[str] | frozenset[str] = frozenset()) -> None:
        """Remove a set: manifest first (so it is never half-visible as complete), then its files (except the
        names in ``keep``: files another set still uses)."""
        manifest = self.read_manifest(tag)
        (self.directory / f"{tag}{MANIFEST_SUFFIX}").unlink(missing_ok=True)
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
                listed |= set(final_names(logical_tag(manifest), manifest).values())
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
            stale_pointer = (name.endswith(POINTER_SUFFIX)
                             and self.current_version(name.removesuffix(POINTER_SUFFIX)) is None)
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


def replace_with_link(target: Path, link: Path) -> None:
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
