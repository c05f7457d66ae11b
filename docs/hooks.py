"""MkDocs hooks of the Noether docs (``hooks:`` in ``mkdocs.yml``).

* ``on_files`` adds the pages generated from the code: the configuration reference and the Python API page
  (:mod:`noether_docs`), and a stub for each page listed under ``extra.pending_pages`` that is not written yet.
* ``on_page_markdown`` checks every code block of every hand-written page with
  :func:`noether_docs.check_markdown`; each broken block is a warning, so ``mkdocs build --strict`` fails.
  A block that fails only because a file listed under ``extra.pending_files`` does not exist yet is logged
  as information instead.
  ``NOETHER_DOCS_EXECUTE=0`` only compiles Python blocks instead of running them (for quick previews).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

log = logging.getLogger("mkdocs.hooks.noether")

#: The docs tooling lives outside the installed package, in ``tools/`` of the checkout.
TOOLS = Path(__file__).resolve().parents[1] / "tools"


def _with_tools() -> None:
    """Put ``tools/`` on ``sys.path`` (in each hook: MkDocs restores ``sys.path`` after loading this module)."""
    if str(TOOLS) not in sys.path:
        sys.path.append(str(TOOLS))

_GENERATED: set[str] = set()

PENDING_TEXT = """# {title}

This page is being written; it will appear here when it lands.
"""


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the generated pages (replacing stale copies) and stubs for pending pages."""
    _with_tools()
    from noether_docs import generated_pages

    for name, text in generated_pages().items():
        stale = files.get_file_from_path(name)
        if stale is not None:
            files.remove(stale)
        files.append(File.generated(config, name, content=text))
        _GENERATED.add(name)
    pending: dict[str, Any] = config.extra.get("pending_pages") or {}
    for name, title in pending.items():
        if files.get_file_from_path(name) is None:
            log.info("page %s is not written yet; a stub stands in for it", name)
            files.append(File.generated(config, name, content=PENDING_TEXT.format(title=title)))
            _GENERATED.add(name)
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Check the code blocks of a hand-written page; each broken one is logged as a warning."""
    _with_tools()
    from noether_docs import SnippetError, check_markdown
    from noether_docs.snippets import pending_files, split_pending

    if page.file.src_uri in _GENERATED or page.file.abs_src_path is None:
        return markdown
    execute = os.environ.get("NOETHER_DOCS_EXECUTE", "1") != "0"
    root = Path(config.config_file_path).resolve().parent
    try:
        check_markdown(page.file.abs_src_path, repo_root=root, execute=execute, text=markdown)
    except SnippetError as exc:
        broken, waiting = split_pending(exc.failures, pending_files(root))
        for failure in waiting:
            log.info("snippet waits for a pending file: %s", failure.splitlines()[0])
        for failure in broken:
            log.warning("broken snippet: %s", failure)
    return markdown
