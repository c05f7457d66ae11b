"""What the files of a checkpoint set are called: ``<model>_cp=<tag>_<what>.th``, and the tags of versions.

A tag written again is stored as ``<tag>@v<n>`` (see :mod:`noether.core.writers.checkpoints`); the names of
its files carry the version. No torch import: tools that only find files by name can use this module.
"""

from __future__ import annotations

#: The pseudo-tag of the newest complete set (``latest.json``, and the ``_cp=latest_`` links).
LATEST = "latest"
#: ``<tag>@v<n>``: the n-th content of a tag written again; ``<tag>.pointer.json`` names the current one.
VERSION_SEPARATOR = "@v"


def file_name(model_name: str, tag: str, what: str, model_info: str | None = None) -> str:
    """``<model>[_<info>]_cp=<tag>_<what>.th`` with ``what`` in model/optim/trainer."""
    infix = f"_{model_info}" if model_info else ""
    return f"{model_name}{infix}_cp={tag}_{what}.th"


def split_file_name(name: str, tag: str) -> tuple[str, str]:
    """``(owner, what)`` of a file of set ``tag``: ``mlp_cp=<tag>_optim.th`` -> ``("mlp", "optim")``."""
    owner, _, what = name.removesuffix(".th").rpartition(f"_cp={tag}_")
    return owner, what


def versioned_name(name: str, tag: str, stored: str) -> str:
    """The file name of ``name`` in version ``stored`` of ``tag``; names that do not carry the tag (EMA files
    of ``ema.<tag>`` are ``<model>_ema=<f>_cp=<tag>_model.th``) get the version before ``.th``."""
    if stored == tag:
        return name
    if f"_cp={tag}_" in name:
        return name.replace(f"_cp={tag}_", f"_cp={stored}_")
    return f"{name.removesuffix('.th')}{stored[len(tag):]}.th"
