"""All generated pages at once: the configuration reference (the API page is mkdocstrings' ``docs/api.md``)."""

from __future__ import annotations

from pathlib import Path

from noether_docs.reference import REFERENCE_DIR, reference_pages


def generated_pages() -> dict[str, str]:
    """``{path relative to the docs directory: markdown}`` of every generated page."""
    pages = {f"{REFERENCE_DIR}/{name}": text for name, text in reference_pages().items()}
    return pages


def write_generated_pages(out_dir: str | Path) -> list[Path]:
    """Write every generated page under ``out_dir``; returns the files written.

    Raises :class:`noether.core.config.examples.ExampleError` when an example of the reference does not validate.
    """
    out = Path(out_dir)
    written = []
    for name, text in generated_pages().items():
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written
