"""``noether_docs``: the parts of the documentation that are generated from the code, and the snippet checker.

* :func:`write_generated_pages` writes the configuration reference (every schema class and every registered
  kind, installed plugins included) and the Python API page as markdown files; :func:`generated_pages`
  returns them without writing.
* :func:`check_markdown` validates or executes every code block of a markdown page (YAML configs, Python, the
  ``noether check`` commands of shell blocks) and raises :class:`SnippetError` listing every failure.

Both are used by the MkDocs hook (``docs/hooks.py``) during ``mkdocs build`` and by ``tests/docs``.
"""

from __future__ import annotations

from noether_docs.generate import generated_pages, write_generated_pages
from noether_docs.snippets import Snippet, SnippetError, check_markdown, extract_snippets

__all__ = [
    "Snippet",
    "SnippetError",
    "check_markdown",
    "extract_snippets",
    "generated_pages",
    "write_generated_pages",
]
