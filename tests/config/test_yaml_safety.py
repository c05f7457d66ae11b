"""The YAML loader never raises anything but a located ConfigError, never hangs, and bounds what input costs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import noether
from noether.core.config.compose import load_document, parse_override_path
from noether.core.config.source_file import MAX_FILE_BYTES
from noether.core.config.yaml_source import MAX_ALIAS_NODES, MAX_DEPTH, parse_yaml

EXAMPLE = Path(__file__).parents[2] / "examples" / "airfoil.yaml"


def only_issue(exc: pytest.ExceptionInfo[noether.ConfigError]) -> tuple[str, str]:
    assert len(exc.value.issues) == 1, exc.value
    issue = exc.value.issues[0]
    assert issue.location, issue
    return issue.message, issue.location


# --- files that are not UTF-8 YAML text -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"a: 1\nb: \xff\xfe\x00binary\n", "not valid UTF-8"),
        ("name: caf\u00e9\n".encode("latin-1"), "not valid UTF-8"),
        ("name: x\n".encode("utf-16"), "UTF-16"),
        (bytes(range(256)), "UTF-8"),
    ],
)
def test_undecodable_files_are_located_config_errors(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    with pytest.raises(noether.ConfigError) as info:
        noether.load_config(path)
    message, location = only_issue(info)
    assert expected in message and "bad.yaml" in location


def test_latin1_error_points_at_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"a: 1\nname: caf\xe9\n")
    with pytest.raises(noether.ConfigError) as info:
        noether.load_config(path)
    assert only_issue(info)[1].endswith("latin.yaml:2:10")


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufeffa: 1\n".encode())
    assert load_document(path).data == {"a": 1}


def test_undecodable_base_file_names_the_base_file(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_bytes(b"x: \xc3\x28\n")
    (tmp_path / "main.yaml").write_text("base: base.yaml\n")
    with pytest.raises(noether.ConfigError) as info:
        noether.load_config(tmp_path / "main.yaml")
    assert "base.yaml:1:4" in only_issue(info)[1]


# --- paths that are not regular files ---------------------------------------------------------------------------
def test_base_name_too_long_points_at_the_base_entry(tmp_path: Path) -> None:
    (tmp_path / "main.yaml").write_text("base: " + "x" * 300 + ".yaml\n")
    with pytest.raises(noether.ConfigError) as info:
        noether.load_config(tmp_path / "main.yaml")
    message, location = only_issue(info)
    assert "too long" in message and location.endswith("main.yaml:1:7")


def test_symlink_loop(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    with pytest.raises(noether.ConfigError) as info:
        noether.load_config(tmp_path / "a.yaml")
    assert "symlink loop" in only_issue(info)[0]


def test_directory(tmp_path: Path) -> None:
    (tmp_path / "main.yaml").write_text("base: sub\n")
    (tmp_path / "sub").mkdir()
    with pytest.raises(noether.ConfigError) as info:
        noether.load_config(tmp_path / "main.yaml")
    message, location = only_issue(info)
    assert "directory" in message and location.endswith("main.yaml:1:7")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need POSIX")
def test_named_pipe_does_not_block(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "main.yaml").write_text("base: pipe.yaml\n")
    start = time.monotonic()
    for path in (tmp_path / "pipe.yaml", tmp_path / "main.yaml"):
        with pytest.raises(noether.ConfigError, match="named pipe"):
            noether.load_config(path)
    assert time.monotonic() - start < 5


def test_missing_base_file_is_located(tmp_path: Path) -> None:
    (tmp_path / "main.yaml").write_text("base: [nope.yaml]\n")
    with pytest.raises(noether.ConfigError) as info:
        noether.load_config(tmp_path / "main.yaml")
    message, location = only_issue(info)
    assert "base file not found:" in message and message.endswith("nope.yaml") and location.endswith("main.yaml:1:8")


def test_file_size_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"# " + b"x" * MAX_FILE_BYTES + b"\n")
    with pytest.raises(noether.ConfigError, match="limit"):
        noether.load_config(path)


def test_parsing_cost_grows_linearly() -> None:
    line = "# " + "x" * 70 + "\n"

    def seconds(n_lines: int) -> float:
        text = "a: 1\n" + line * n_lines + "b: [1, 2]\n"
        start = time.perf_counter()
        assert parse_yaml(text, "t.yaml").data == {"a": 1, "b": [1, 2]}
        return time.perf_counter() - start

    small, large = seconds(2_000), seconds(8_000)
    # Quadratic cost would make the 4x larger text take ~16x as long; allow noise of a shared machine.
    assert large < 8 * small + 0.05, (small, large)


# --- bounds on the YAML structure -------------------------------------------------------------------------------
def test_alias_bomb_is_rejected_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    start = time.monotonic()
    with pytest.raises(noether.ConfigError, match="alias") as info:
        parse_yaml("\n".join(lines) + "\n", "bomb.yaml")
    assert time.monotonic() - start < 5
    assert str(MAX_ALIAS_NODES) in info.value.issues[0].message
    assert (info.value.issues[0].location or "").startswith("bomb.yaml:")


@pytest.mark.parametrize("opener", ["[", "{a: ", "- "])
def test_deep_nesting_is_rejected(opener: str) -> None:
    depth = 5 * MAX_DEPTH
    if opener == "- ":
        text = "".join("  " * i + "-\n" for i in range(depth)) + "  " * depth + "x\n"
    else:
        text = opener * depth + "1" + ("]" if opener == "[" else "}") * depth + "\n"
    with pytest.raises(noether.ConfigError, match="nested more than"):
        parse_yaml(text, "deep.yaml")


def test_anchors_aliases_and_merge_keys_keep_the_written_locations() -> None:
    doc = parse_yaml("base: &b\n  x: 1\n  y: 2\nother:\n  <<: *b\n  y: 3\ncopy: *b\n", "m.yaml")
    assert doc.data == {"base": {"x": 1, "y": 2}, "other": {"x": 1, "y": 3}, "copy": {"x": 1, "y": 2}}
    assert doc.locations[("other", "x")] == "m.yaml:2:6"  # the text that wrote it
    assert doc.locations[("other", "y")] == "m.yaml:6:6"
    assert doc.locations[("copy", "y")] == "m.yaml:3:6"


def test_duplicate_keys_are_rejected_with_both_locations() -> None:
    with pytest.raises(noether.ConfigError) as info:
        parse_yaml("a: 1\nb: 2\na: 3\n", "d.yaml")
    message, location = only_issue(info)
    assert "duplicate key 'a'" in message and "d.yaml:1:1" in message and location == "d.yaml:3:1"


def test_two_documents_are_rejected() -> None:
    with pytest.raises(noether.ConfigError, match="one YAML document"):
        parse_yaml("a: 1\n---\nb: 2\n", "two.yaml")


def test_huge_integer_is_a_config_error() -> None:
    with pytest.raises(noether.ConfigError, match="more than 100 digits"):
        parse_yaml("a: " + "9" * 5000 + "\n", "big.yaml")


# --- the tag policy ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("a: !!str 5", "5"),
        ("a: !!int '5'", 5),
        ("a: !!float 5", 5.0),
        ("a: !!bool 'true'", True),
        ("a: !!null ''", None),
        ("a: !!seq [1]", [1]),
        ("a: !!map {b: 1}", {"b": 1}),
        ("a: 2024-05-01", "2024-05-01"),
        ("a: 2024-05-01 10:00:00", "2024-05-01 10:00:00"),
        ("a: .inf", float("inf")),
        ("a: yes", "yes"),  # YAML 1.2: only true/false are booleans
    ],
)
def test_allowed_tags_and_plain_values(text: str, value: object) -> None:
    assert parse_yaml(text + "\n", "t.yaml").data == {"a": value}


@pytest.mark.parametrize(
    "text",
    [
        "a: !!set {x, y}",
        "a: !!binary aGVsbG8=",
        "a: !!timestamp 2024-05-01",
        "a: !!omap [{x: 1}]",
        "a: !!pairs [{x: 1}]",
        "a: !!python/object/apply:os.system ['echo pwned']",
        "a: !!python/name:os.system",
        "a: !custom 3",
        "a: !!str {b: 1}",
        "a: !!int abc",
        "a: !!bool yes",
        "a: !!null x",
    ],
)
def test_other_tags_are_rejected_with_a_location(text: str) -> None:
    with pytest.raises(noether.ConfigError) as info:
        parse_yaml(text + "\n", "t.yaml")
    message, location = only_issue(info)
    assert location == "t.yaml:1:4", (message, location)


def test_tag_policy_applies_to_base_files_and_overrides(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text("a: !!set {x}\n")
    (tmp_path / "main.yaml").write_text("base: base.yaml\n")
    with pytest.raises(noether.ConfigError, match="'!!set' is not allowed") as info:
        load_document(tmp_path / "main.yaml")
    assert only_issue(info)[1].endswith("base.yaml:1:4")
    (tmp_path / "ok.yaml").write_text("a: 1\n")
    with pytest.raises(noether.ConfigError, match="'!!binary' is not allowed") as info:
        load_document(tmp_path / "ok.yaml", ["a=!!binary aGk="])
    assert only_issue(info)[0].startswith("YAML tag")


# --- composition ------------------------------------------------------------------------------------------------
def test_circular_base_chain_names_every_link(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("base: b.yaml\n")
    (tmp_path / "b.yaml").write_text("x: 1\nbase: [c.yaml]\n")
    (tmp_path / "c.yaml").write_text("base: a.yaml\n")
    with pytest.raises(noether.ConfigError) as info:
        noether.load_config(tmp_path / "a.yaml")
    message, location = only_issue(info)
    assert "circular" in message
    assert "a.yaml:1:7" in message and "b.yaml:2:8" in message
    assert location.endswith("c.yaml:1:7")


# --- overrides --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("trainer..max_epochs=5", "empty key segment"),
        ("seed.=5", "empty key segment"),
        (".seed=5", "empty key segment"),
        ("~seed=3", "takes no value"),
        ("=5", "the key is empty"),
        ("~", "the key is empty"),
        ("a[x]=1", "bad index"),
        ("a[]=1", "bad index"),
        ("a[0=1", "bad index"),
        ("a]0[=1", "bad index"),
        ("a b=1", "not a valid key segment"),
        ("seed", "key.path=value"),
        ("a=[1, 2", "YAML syntax error"),
        ("a=!!python/name:os.system", "not allowed"),
    ],
)
def test_malformed_overrides_are_rejected_and_quoted(tmp_path: Path, override: str, expected: str) -> None:
    (tmp_path / "c.yaml").write_text("seed: 1\na: [1]\n")
    with pytest.raises(noether.ConfigError) as info:
        load_document(tmp_path / "c.yaml", [override])
    message, location = only_issue(info)
    assert expected in message
    assert f"override '{override}' (command line)" in location


def test_override_errors_name_the_parent() -> None:
    from noether.core.config.compose import apply_overrides
    from noether.core.config.yaml_source import Document

    doc = Document({"seed": 1, "a": [1]})
    with pytest.raises(noether.ConfigError) as info:
        apply_overrides(doc, ["seed.x=1", "a[5]=2", "~a[1]", "~nope"])
    messages = [issue.message for issue in info.value.issues]
    assert messages == [
        "cannot set 'x': seed is the value 1, not a mapping",
        "index 5 is out of range: a has 1 items",
        "index 1 is out of range: a has 1 items",
        "cannot delete 'nope': no such key",
    ]


def test_override_path_grammar() -> None:
    assert parse_override_path("a.b[0][-1].c") == ("a", "b", 0, -1, "c")
    assert parse_override_path("datasets.train.normalizers.x") == ("datasets", "train", "normalizers", "x")


def test_an_overridden_value_is_located_at_the_override(tmp_path: Path) -> None:
    with pytest.raises(noether.ConfigError) as info:
        noether.load_config(EXAMPLE, ["model.optimizer_config.lr=abc"])
    located = {issue.dotted_path: issue.location for issue in info.value.issues}
    assert located["model.optimizer_config.lr"] == "override 'model.optimizer_config.lr=abc' (command line)"


# --- the CLI: exit status 2 and a message, never a traceback ----------------------------------------------------
def _check(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "noether", "check", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=60)


def test_cli_reports_unreadable_files_with_exit_status_2(tmp_path: Path) -> None:
    (tmp_path / "binary.yaml").write_bytes(b"\x00\x01\xff\xfe")
    (tmp_path / "utf16.yaml").write_bytes("a: 1\n".encode("utf-16"))
    (tmp_path / "long.yaml").write_text("base: " + "y" * 300 + "\n")
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    (tmp_path / "dir.yaml").mkdir()
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "fifo.yaml")
    names = ["binary.yaml", "utf16.yaml", "long.yaml", "loop.yaml", "dir.yaml"]
    names += ["fifo.yaml"] if hasattr(os, "mkfifo") else []
    for name in names:
        done = _check(name, cwd=tmp_path)
        assert done.returncode == 2, (name, done.stderr)
        assert "Traceback" not in done.stderr and name in done.stderr, (name, done.stderr)


def test_cli_rejects_a_malformed_override(tmp_path: Path) -> None:
    done = _check(str(EXAMPLE), "trainer..max_epochs=5", cwd=tmp_path)
    assert done.returncode == 2
    assert "override 'trainer..max_epochs=5' (command line)" in done.stderr
