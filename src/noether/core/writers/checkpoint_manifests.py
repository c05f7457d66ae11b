"""The manifest of a checkpoint set: its file names and suffixes, its keys, its format version, its validity.

A set is complete only once its manifest ``<tag>.manifest.json`` exists (files, sizes, checksums, counters);
a manifest that is not well formed (:func:`well_formed`) counts as no manifest. No torch import.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Suffix of a set's manifest: ``<tag>.manifest.json``.
MANIFEST_SUFFIX = ".manifest.json"
#: Suffix of the pointer of a tag written again: ``<tag>.pointer.json`` names its current version.
POINTER_SUFFIX = ".pointer.json"
#: Manifest key of the checkpoint format version; a manifest without it is version 1.
FORMAT_VERSION_KEY = "format_version"
#: Manifest key naming the tag a versioned set is a version of.
VERSION_OF_KEY = "version_of"
#: Manifest key of a versioned set: ``{stored file name: final name}``.
FINAL_NAMES_KEY = "final_names"


def logical_tag(manifest: Mapping[str, Any]) -> str:
    """The tag a set was saved as (``best_model.loss`` for its version ``best_model.loss@v3``)."""
    return str(manifest.get(VERSION_OF_KEY) or manifest["tag"])


def manifest_format_version(manifest: Mapping[str, Any]) -> int:
    """The format version a manifest declares (1 when it has none: sets written before versions existed)."""
    return int(manifest.get(FORMAT_VERSION_KEY, 1))


def final_names(tag: str, manifest: Mapping[str, Any]) -> dict[str, str]:
    """``{stored file name: final name}`` of a version of ``tag``: what the ``_cp=<tag>_`` links are called."""
    finals = manifest.get(FINAL_NAMES_KEY)
    if isinstance(finals, dict):
        return {str(k): str(v) for k, v in finals.items()}
    stored = str(manifest["tag"])
    return {name: name.replace(f"_cp={stored}_", f"_cp={tag}_") for name in manifest["files"]}


def well_formed(manifest: Any) -> bool:
    """Whether ``manifest`` (parsed JSON) has every field a reader relies on."""
    return (isinstance(manifest, dict) and isinstance(manifest.get("tag"), str)
            and isinstance(manifest.get("files"), dict) and isinstance(manifest.get("training_iteration"), dict)
            and all(isinstance(meta, dict) and {"size", "crc32"} <= set(meta) for meta in manifest["files"].values()))


def has_trainer_file(manifest: Mapping[str, Any]) -> bool:
    """Whether a set holds a trainer file, i.e. a run can resume from it."""
    return any(name.endswith("_trainer.th") for name in manifest.get("files", {}))
