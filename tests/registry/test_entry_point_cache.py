"""The on-disk cache of the entry-point scan (``noether.core.registry.discovery``).

Distributions are real ``*.dist-info`` directories in a directory on the path; the cache lives in a temporary
``NOETHER_CACHE_DIR``. Their mtimes are set a minute back where a test needs the scan written (a scan that sees
metadata younger than two seconds is not written: see ``discovery.RACY_NS``).
"""

from __future__ import annotations

import json
import marshal
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from noether.core.registry import discovery
from noether.core.registry.discovery import CACHE_FILE, PluginEntryPoint, entry_points, scan

ROOT = Path(__file__).resolve().parents[2]
GROUP = "noether.plugins"


def make_dist(site: Path, name: str, value: str, version: str = "0.3", *, age: float = 60.0) -> Path:
    """A distribution ``name`` with one ``noether.plugins`` entry point, its files ``age`` seconds old."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[{GROUP}]\n{name} = {value}\n")
    age_tree(info, age)
    return info


def age_tree(path: Path, seconds: float) -> None:
    """Set the mtimes of ``path`` and everything in it ``seconds`` back."""
    when = time.time() - seconds
    for item in [path, *path.rglob("*")]:
        os.utime(item, (when, when))


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory first on ``sys.path`` and a cache directory of the test's own."""
    path = tmp_path / "site"
    path.mkdir()
    monkeypatch.syspath_prepend(str(path))
    monkeypatch.setenv("NOETHER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("NOETHER_NO_CACHE", raising=False)
    return path


def ours(found: list[PluginEntryPoint]) -> list[PluginEntryPoint]:
    """The test's entry points, by name (within one directory the scan's order is the directory's)."""
    return sorted(ep for ep in found if ep.name.startswith("acme"))


def cache_file(tmp_path: Path) -> Path:
    return tmp_path / "cache" / CACHE_FILE


def test_a_hit_gives_what_a_scan_gives_and_installs_uninstalls_and_rewrites_are_seen(site: Path,
                                                                                      tmp_path: Path) -> None:
    make_dist(site, "acme-one", "acme_one")
    first = entry_points(GROUP)
    assert ours(first) == [PluginEntryPoint("acme-one", "acme_one", "acme-one", "0.3")]
    assert cache_file(tmp_path).is_file()
    assert entry_points(GROUP) == first == scan(GROUP)

    two = make_dist(site, "acme-two", "acme_two:plugin")  # installed
    assert [ep.name for ep in ours(entry_points(GROUP))] == ["acme-one", "acme-two"]
    shutil.rmtree(site / "acme_one-0.3.dist-info")  # uninstalled
    assert [ep.name for ep in ours(entry_points(GROUP))] == ["acme-two"]
    (two / "entry_points.txt").write_text(f"[{GROUP}]\nacme-two = acme_two:other\n")  # rewritten in place
    age_tree(two / "entry_points.txt", 30)
    assert ours(entry_points(GROUP)) == [PluginEntryPoint("acme-two", "acme_two:other", "acme-two", "0.3")]
    assert entry_points(GROUP) == scan(GROUP)


def test_an_egg_info_regenerated_in_place_is_seen(site: Path) -> None:
    """A legacy editable install: ``<project>/src/<name>.egg-info`` on the path, rewritten by ``egg_info``."""
    info = site / "acme_egg.egg-info"
    info.mkdir()
    (info / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: acme-egg\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{GROUP}]\nacme-egg = acme_egg\n")
    age_tree(info, 60)
    assert ours(entry_points(GROUP)) == [PluginEntryPoint("acme-egg", "acme_egg", "acme-egg", "1.0")]
    (info / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: acme-egg\nVersion: 1.1\n")
    age_tree(info / "PKG-INFO", 30)
    assert ours(entry_points(GROUP)) == [PluginEntryPoint("acme-egg", "acme_egg", "acme-egg", "1.1")]


def test_a_hit_imports_no_importlib_metadata(site: Path) -> None:
    make_dist(site, "acme-one", "acme_one")
    code = ("import sys; from noether.core.registry.discovery import entry_points; "
            "print([ep.name for ep in entry_points('noether.plugins')], 'importlib.metadata' in sys.modules)")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), str(ROOT / "src")]))
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
            for _ in range(2)]
    assert "'acme-one'" in runs[0].stdout and runs[0].stdout.split()[-1] == "True"  # scanned
    assert runs[1].stdout == runs[0].stdout.replace("True", "False")  # served from the cache


def test_the_current_directory_does_not_split_the_cache(site: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    make_dist(site, "acme-one", "acme_one")
    key = discovery.state_key()
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.syspath_prepend(str(project))
    assert discovery.state_key() == key  # a directory without distributions is not part of the key
    make_dist(project, "acme-local", "acme_local")
    assert discovery.state_key() != key
    assert "acme-local" in [ep.name for ep in entry_points(GROUP)]


@pytest.mark.parametrize("content", [
    b"\x00\xffnot json",
    marshal.dumps({"format": 1, "records": [{"group": "noether.plugins", "key": [1, 2]}]})[:-7],  # cut off
    marshal.dumps({"format": 999, "records": []}),
    marshal.dumps({"format": 1, "records": "nope"}),
    marshal.dumps([1, 2, 3]),
    b"",
])
def test_a_corrupt_cache_file_is_ignored_and_replaced(site: Path, tmp_path: Path, content: bytes) -> None:
    make_dist(site, "acme-one", "acme_one")
    cache_file(tmp_path).parent.mkdir()
    cache_file(tmp_path).write_bytes(content)
    assert ours(entry_points(GROUP)) == [PluginEntryPoint("acme-one", "acme_one", "acme-one", "0.3")]
    assert marshal.loads(cache_file(tmp_path).read_bytes())["format"] == discovery.FORMAT


def test_a_record_of_the_right_key_with_bad_entries_is_ignored(site: Path, tmp_path: Path) -> None:
    make_dist(site, "acme-one", "acme_one")
    entry_points(GROUP)
    document = marshal.loads(cache_file(tmp_path).read_bytes())
    document["records"][0]["entry_points"] = [["acme-one", "acme_one", "acme-one"]]  # one string short
    cache_file(tmp_path).write_bytes(marshal.dumps(document))
    assert ours(entry_points(GROUP)) == [PluginEntryPoint("acme-one", "acme_one", "acme-one", "0.3")]


def test_fresh_metadata_is_used_but_not_written(site: Path, tmp_path: Path) -> None:
    make_dist(site, "acme-new", "acme_new", age=0)
    assert [ep.name for ep in ours(entry_points(GROUP))] == ["acme-new"]
    assert not cache_file(tmp_path).exists()


def test_an_unwritable_cache_directory_is_no_error(site: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    make_dist(site, "acme-one", "acme_one")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("NOETHER_CACHE_DIR", str(blocker / "cache"))  # under a file: cannot be created
    assert [ep.name for ep in ours(entry_points(GROUP))] == ["acme-one"]


def test_records_of_other_environments_are_kept(site: Path, tmp_path: Path) -> None:
    make_dist(site, "acme-one", "acme_one")
    entry_points(GROUP)
    other = {"group": GROUP, "key": ["another venv"], "entry_points": []}
    document = marshal.loads(cache_file(tmp_path).read_bytes())
    document["records"].append(other)
    cache_file(tmp_path).write_bytes(marshal.dumps(document))
    make_dist(site, "acme-two", "acme_two")
    entry_points(GROUP)
    records = marshal.loads(cache_file(tmp_path).read_bytes())["records"]
    assert len(records) == 3 and records[2] == other  # the new key first, the older two kept
    assert sorted(ep[0] for ep in records[0]["entry_points"] if ep[0].startswith("acme")) == ["acme-one", "acme-two"]


def test_no_cache_env_reads_and_writes_nothing(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = dict(os.environ, NOETHER_CACHE_DIR=str(cache), NOETHER_NO_CACHE="1")
    config = ROOT / "examples" / "airfoil.yaml"
    for args in (["plugins"], ["check", "-q", str(config)]):
        done = subprocess.run([sys.executable, "-m", "noether", *args], capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stderr
    assert not cache.exists()


def test_a_distribution_finder_of_its_own_turns_the_cache_off(site: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    class Finder:
        """A meta-path finder that could list distributions the key cannot see."""

        def find_spec(self, *args: Any) -> None:
            return None

        def find_distributions(self, *args: Any) -> list[Any]:
            return []

    make_dist(site, "acme-one", "acme_one")
    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, Finder()])
    assert [ep.name for ep in ours(entry_points(GROUP))] == ["acme-one"]
    assert not cache_file(tmp_path).exists()


def test_load_follows_the_entry_point_syntax(site: Path) -> None:
    (site / "acme_mod.py").write_text("class Outer:\n    class Inner:\n        pass\n")
    assert PluginEntryPoint("x", "acme_mod", "d", "1").load().__name__ == "acme_mod"
    loaded = PluginEntryPoint("x", "acme_mod:Outer.Inner [extra]", "d", "1").load()
    assert loaded.__qualname__ == "Outer.Inner"
    with pytest.raises(AttributeError):
        PluginEntryPoint("x", "acme_mod:Missing", "d", "1").load()


@pytest.mark.slow
def test_pip_install_into_a_fresh_environment_after_a_cached_scan_is_seen(tmp_path: Path) -> None:
    """The real thing: pip installs, uninstalls and installs editable a plugin after the scan was cached; each
    is seen at once.

    The environment gets Noether without its dependencies but the four the CLI needs, so no torch is installed.
    """
    from tests.plugins.test_mlflow_plugin import _copy_source

    env_dir = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    cache = tmp_path / "cache"
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    environ["NOETHER_CACHE_DIR"] = str(cache)

    def sh(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(python), *args], capture_output=True, text=True, env=environ, cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    pip = ("-m", "pip", "install", "-q", "--disable-pip-version-check")
    sh(*pip, "--no-deps", str(_copy_source(ROOT, tmp_path / "src_noether")))
    sh(*pip, "attrs", "cattrs", "ruamel.yaml", "ruamel.yaml.clib", "pluggy", "packaging")

    def listed() -> set[str]:
        return {p["distribution"] for p in json.loads(sh("-m", "noether", "plugins", "--json").stdout)["plugins"]}

    time.sleep(discovery.RACY_NS / 1e9 + 0.2)  # past the racy window of what pip just wrote
    assert "noether-example-plugin" not in listed()
    assert (cache / CACHE_FILE).is_file()
    probe = ("import sys; from noether.cli.main import main; main(['plugins']); "
             "print('importlib.metadata' in sys.modules)")
    assert sh("-c", probe).stdout.splitlines()[-1] == "False"  # served from the cache

    sh(*pip, "--no-deps", str(_copy_source(ROOT / "plugins" / "noether-example-plugin", tmp_path / "src_plugin")))
    assert "noether-example-plugin" in listed()
    time.sleep(discovery.RACY_NS / 1e9 + 0.2)
    assert "noether-example-plugin" in listed()  # scanned and cached
    assert sh("-c", probe).stdout.splitlines()[-1] == "False"
    sh("-m", "pip", "uninstall", "-q", "-y", "noether-example-plugin")
    assert "noether-example-plugin" not in listed()
    time.sleep(discovery.RACY_NS / 1e9 + 0.2)
    assert "noether-example-plugin" not in listed()  # cached without it
    sh(*pip, "--no-deps", "-e", str(tmp_path / "src_plugin"))  # editable: a dist-info and a .pth in the venv
    assert "noether-example-plugin" in listed()
