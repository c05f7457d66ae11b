"""The cache directory rule and the atomic write of ``noether.core.cache_dir``."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from noether.core.cache_dir import cache_dir, write_atomic


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No cache variable set, and a home of the test's own."""
    for name in ("NOETHER_CACHE_DIR", "NOETHER_NO_CACHE", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_precedence_explicit_then_xdg_then_home(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "noether"
    clean_env.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "noether"
    clean_env.setenv("NOETHER_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"


def test_relative_xdg_is_ignored_and_explicit_is_made_absolute(clean_env: pytest.MonkeyPatch,
                                                                tmp_path: Path) -> None:
    clean_env.setenv("HOME", str(tmp_path))
    clean_env.setenv("XDG_CACHE_HOME", "relative/cache")
    assert cache_dir() == tmp_path / ".cache" / "noether"
    clean_env.chdir(tmp_path)
    clean_env.setenv("NOETHER_CACHE_DIR", "here")
    assert cache_dir() == tmp_path / "here"


@pytest.mark.parametrize(("value", "disabled"), [("1", True), ("yes", True), ("0", False), ("", False)])
def test_no_cache_disables(clean_env: pytest.MonkeyPatch, tmp_path: Path, value: str, disabled: bool) -> None:
    clean_env.setenv("NOETHER_CACHE_DIR", str(tmp_path))
    clean_env.setenv("NOETHER_NO_CACHE", value)
    assert (cache_dir() is None) is disabled


def test_write_atomic_creates_dirs_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "file.json"
    assert write_atomic(target, b"one")
    assert write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert os.listdir(target.parent) == ["file.json"]  # no temporary file left behind


@pytest.mark.skipif(
    os.geteuid() == 0,
    reason="root may write into a read-only directory, so this case cannot arise as root; "
    "test_write_atomic_where_a_file_blocks_the_directory covers an unwritable cache as root too",
)
def test_write_atomic_into_a_read_only_directory_returns_false(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        assert not write_atomic(folder / "file.json", b"x")
        assert os.listdir(folder) == []
    finally:
        folder.chmod(stat.S_IRWXU)


def test_write_atomic_where_a_file_blocks_the_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory would be")
    assert not write_atomic(blocker / "cache" / "file.json", b"x")  # mkdir fails, also for root
    assert sorted(os.listdir(tmp_path)) == ["not-a-directory"]
