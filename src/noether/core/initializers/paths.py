"""Where the checkpoints of a run live."""

from __future__ import annotations

from pathlib import Path


def run_directory(output_path: Path, run_id: str, stage_name: str | None = None, debug: bool = False) -> Path:
    """``output_path/[debug/]run_id[/stage_name]``."""
    base = output_path / "debug" if debug else output_path
    path = base / run_id
    return path / stage_name if stage_name else path


def checkpoint_directory(output_path: Path, run_id: str, stage_name: str | None = None) -> Path:
    """The ``checkpoints`` directory of a run."""
    return run_directory(output_path, run_id, stage_name) / "checkpoints"


def normalize_tag(tag: str | dict[str, int] | None) -> str:
    """Turn the config forms of a checkpoint tag into the string forms the store resolves."""
    if tag is None:
        return "latest"
    if isinstance(tag, dict):
        if len(tag) == 3:
            return f"E{tag['epoch']}_U{tag['update']}_S{tag['sample']}"
        (key, value), = tag.items()
        return {"epoch": "E", "update": "U", "sample": "S"}[key] + str(value)
    return tag
