"""The Sybil parser of this project's code-block conventions (``# file:``, ``# fragment:``, ``# invalid:``, ...).

Sybil splits a page into regions and evaluates them in order; each fenced block is one region, evaluated by
the page's checker (:class:`noether_docs.snippets.PageChecker`), which keeps the page's working directory and
the files earlier blocks wrote. The checks per language are described in :mod:`noether_docs.snippets`.
"""

from __future__ import annotations

from collections.abc import Iterator

from sybil import Document, Example, Region

from noether_docs.snippets import Snippet, extract_snippets

#: The key of the page's checker in the Sybil document's namespace.
CHECKER = "noether_page_checker"


class NoetherBlocks:
    """A Sybil parser: every fenced code block of a markdown page becomes a region checked by the page."""

    def __call__(self, document: Document) -> Iterator[Region]:
        """The regions of ``document``: one per fenced block, carrying the block and the one after it."""
        starts = _line_starts(document.text)
        snippets = extract_snippets(document.text)
        for index, snippet in enumerate(snippets):
            following = snippets[index + 1] if index + 1 < len(snippets) else None
            start = starts[snippet.line - 1]
            end = starts[snippet.line] if snippet.line < len(starts) else len(document.text)
            yield Region(start, end, parsed=(snippet, following), evaluator=evaluate)


def evaluate(example: Example) -> str | None:
    """Check one block with the page's checker; the failure text, or ``None`` when the block is fine."""
    checker = example.namespace[CHECKER]
    snippet: Snippet
    following: Snippet | None
    snippet, following = example.parsed
    return checker.check_block(snippet, following)


def _line_starts(text: str) -> list[int]:
    """The offset of the first character of every line."""
    starts = [0]
    for index, char in enumerate(text):
        if char == "\n":
            starts.append(index + 1)
    return starts
