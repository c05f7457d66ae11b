"""Every code block of the docs (and of README.md) is validated or executed; a broken one fails.

The checks themselves live in :mod:`noether_docs.snippets` (the MkDocs build runs the same ones); these tests
run them over every page, and prove on deliberately broken pages that each kind of breakage is caught.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from noether_docs import SnippetError, check_markdown, extract_snippets
from noether_docs.snippets import compare_output, pending_files, shell_commands, split_pending

ROOT = Path(__file__).resolve().parents[2]
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_snippet_of_the_page_works(page: Path) -> None:
    try:
        check_markdown(page, repo_root=ROOT)
    except SnippetError as exc:
        broken, _ = split_pending(exc.failures, pending_files(ROOT))
        assert not broken, "\n".join(broken)
        pytest.skip(f"waits for files other work adds: {', '.join(pending_files(ROOT))}")


def check(tmp_path: Path, text: str, *, execute: bool = True) -> list[str]:
    """Check a markdown text written to a temporary page; returns the failures (empty when it is fine)."""
    page = tmp_path / "page.md"
    page.write_text(textwrap.dedent(text), encoding="utf-8")
    try:
        check_markdown(page, repo_root=ROOT, execute=execute)
    except SnippetError as exc:
        return exc.failures
    return []


CONFIG = """\
    ```yaml
    # file: cfg.yaml
    output_path: outputs
    datasets:
      train: {kind: noether.data.airfoil.AirfoilDataset, split: train, train_size: 16, val_size: 8, test_size: 8}
    model:
      kind: noether.data.airfoil.AirfoilMLP
      name: m
      hidden_dim: 8
      optimizer_config: {kind: torch.optim.SGD, lr: 0.01}
    trainer:
      kind: SupervisedTrainer
      max_updates: 2
      effective_batch_size: 8
      forward_properties: [surface_position, surface_normal, conditioning]
      target_properties: [surface_pressure]
    ```
"""


def test_a_correct_page_passes(tmp_path: Path) -> None:
    failures = check(tmp_path, CONFIG + """
    ```yaml
    trainer:
      callbacks: [{name: CheckpointCallback, every_n_epochs: 1}]
    ```

    ```yaml
    # fragment: CallbacksConfig
    - {name: OfflineLossCallback, dataset_key: val, every_n_updates: 5}
    ```

    ```bash
    noether check cfg.yaml --quiet
    noether verify-resume cfg.yaml --updates 4 --interrupt-at 2
    ```

    ```python
    import noether

    result = noether.run(noether.load_config("cfg.yaml"))
    assert result.update == 2
    ```
    """)
    assert failures == []


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        # a typo in a complete config
        ("```yaml\nbase: cfg.yaml\ntrainer: {max_epochs: 2, effective_batch_sise: 4}\n```",
         "unknown key 'effective_batch_sise'"),
        # a rule broken in a part of a config
        ("```yaml\ntrainer:\n  callbacks: [{name: CheckpointCallback}]\n```",
         "exactly one of 'every_n_epochs'"),
        # a fragment with a wrong value
        ("```yaml\n# fragment: CallbacksConfig\n{name: MetricEarlyStopper, metric_key: x, every_n_epochs: 1, "
         "tolerance: 0}\n```", "tolerance: must be > 0"),
        # a field that exists nowhere
        ("```yaml\nnot_a_field: 1\n```", "'not_a_field' is not a field"),
        # YAML that does not parse
        ("```yaml\ntrainer: [1, 2\n```", "not valid YAML"),
        # a block marked invalid that is valid
        ("```yaml\n# invalid\nseed: 3\n```", "marked '# invalid' but it is valid"),
        # Python that raises
        ("```python\nimport noether\nnoether.load_config('cfg.yaml', ['trainer.max_updates=-1'])\n```",
         "raised ConfigError"),
        # Python with a syntax error
        ("```python\ndef f(:\n    pass\n```", "syntax error"),
        # a command whose config is broken
        ("```bash\nnoether check cfg.yaml model.hidden_dim=0\n```", "exited with 2, expected 0"),
        # a command that does not exist, and an option that does not exist
        ("```bash\nnoether train cfg.yaml\n```", "not a valid command"),
        ("```bash\nnoether run cfg.yaml --epochs 3\n```", "unrecognized arguments"),
        # an output block that does not match the output
        ("```bash\n# exit: 2\nnoether check cfg.yaml seed=x\n```\n\n```text\nall fine\n```", "differs from the output"),
        # a file block of a test that fails
        ("```python\n# file: test_it.py\n# pytest\ndef test_fails():\n    assert 1 == 2\n```", "pytest failed"),
        ("```toml\n[project\n```", "not valid TOML"),
    ],
)
def test_a_broken_snippet_fails(tmp_path: Path, block: str, expected: str) -> None:
    failures = check(tmp_path, CONFIG + "\n" + block + "\n", execute=True)
    assert len(failures) == 1, failures
    assert expected in failures[0], failures[0]


def test_a_broken_snippet_fails_without_execution_too(tmp_path: Path) -> None:
    failures = check(tmp_path, CONFIG + """
    ```yaml
    model:
      hidden_dim: -1
    ```

    ```python
    x = (
    ```

    ```bash
    noether check cfg.yaml trainer.max_updates=abc
    ```
    """, execute=False)
    assert len(failures) == 3, failures


def test_a_temporary_broken_page_in_the_docs_fails(tmp_path: Path) -> None:
    """A page broken on purpose among the real ones: the same check that runs over docs/ rejects it."""
    page = ROOT / "docs" / "getting-started.md"
    broken = page.read_text(encoding="utf-8").replace("noether check examples/airfoil.yaml\n",
                                                      "noether check examples/airfoil.yaml --no-such-flag\n")
    assert broken != page.read_text(encoding="utf-8")
    with pytest.raises(SnippetError, match="unrecognized arguments --no-such-flag"):
        check_markdown(page, repo_root=ROOT, text=broken, execute=False)


def test_the_error_locations_point_into_the_page(tmp_path: Path) -> None:
    failures = check(tmp_path, """
    Some text.

    ```yaml
    # file: bad.yaml
    base: missing-file.yaml
    ```

    ```yaml
    seed: 1
    trainer:
      max_epochs: -5
    ```
    """)
    assert len(failures) == 2
    assert "page.md:4: yaml block:" in failures[0] and "base file not found" in failures[0]
    assert "page.md:9: yaml block:" in failures[1] and "trainer.max_epochs: must be >= 0" in failures[1]
    assert failures[1].endswith("(line 12)")  # the line of the value in the page


def test_extract_snippets_finds_indented_fences_and_markers() -> None:
    text = textwrap.dedent("""\
        1. A step:

           ```yaml
           # file: a.yaml
           # fragment: CallbacksConfig
           seed: 1
           ```

        ~~~python
        print(1)
        ~~~
        """)
    snippets = extract_snippets(text)
    assert [(s.lang, s.line) for s in snippets] == [("yaml", 3), ("python", 9)]
    assert snippets[0].markers == {"file": "a.yaml", "fragment": "CallbacksConfig"}
    assert snippets[0].code.startswith("# file: a.yaml\n")
    assert snippets[1].code == "print(1)\n"


def test_shell_commands_and_output_comparison() -> None:
    code = "$ noether check a.yaml \\\n    seed=1\nsome output\n$ FOO=1 noether plot run --out x.png && echo ok\n"
    assert shell_commands(code) == [["noether", "check", "a.yaml", "seed=1"],
                                    ["FOO=1", "noether", "plot", "run", "--out", "x.png"], ["echo", "ok"]]
    assert compare_output("a\n...\nd\n", "a\nb\nc\nd\n") is None
    assert compare_output("a\nd\n", "12:00:00 I log line\na\nd\n") is None
    assert compare_output("a\nd\n", "a\nb\nd\n") is not None


def test_sybil_parses_one_region_per_block_in_page_order() -> None:
    """The Sybil parser of these conventions: each fenced block (indented ones too) is one region, in order."""
    from sybil import Document

    from noether_docs.sybil_blocks import NoetherBlocks

    text = "# Page\n\n```yaml\n# fragment: CallbacksConfig\n- {name: CheckpointCallback}\n```\n\n* item\n\n" \
           "  ```bash\n  noether check cfg.yaml\n  ```\n"
    document = Document(text, "page.md")
    regions = list(NoetherBlocks()(document))
    assert [r.parsed[0].lang for r in regions] == ["yaml", "bash"]
    assert [text[r.start:r.end] for r in regions] == ["```yaml\n", "  ```bash\n"]
    assert regions[0].parsed[0].markers == {"fragment": "CallbacksConfig"}
    assert regions[0].parsed[1] is regions[1].parsed[0]  # each block sees the one after it (outputs)
