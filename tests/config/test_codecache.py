"""The disk cache of attrs' and cattrs' generated code: exact hits, exact invalidation, never required."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from noether.core import codecache

# One process: defines attrs classes and structures with cattrs under the cache, then checks that every class
# behaves exactly like one compiled without it (same hash with this process's salt, same eq and repr).
SCRIPT = textwrap.dedent(
    """
    import json, sys
    from noether.core import codecache
    cache = codecache.install()
    import attrs, cattrs

    def make(extra):
        @attrs.frozen
        class Point:
            x: int
            y: str = "a"
            if extra:
                z: float = 0.0
        return Point

    Point = make(EXTRA)
    point = cattrs.structure({"x": 1, "y": "b"}, Point)
    hits, misses = cache.hits, cache.misses
    codecache.uninstall()
    Reference = make(EXTRA)  # the same class compiled by the builtin, in this process
    reference = Reference(1, "b")
    print(json.dumps({
        "hits": hits, "misses": misses,
        "same_hash": hash(point) == hash(reference),
        "same_repr": repr(point) == repr(reference),
        "eq": point == Point(1, "b") and point != Point(2, "b"),
    }))
    cache.save()
    """
)


def run_script(cache_dir: Path, extra: bool = False, seed: str = "1", **env: str) -> dict[str, object]:
    """Run SCRIPT in a fresh interpreter with its own string-hash seed; its JSON line."""
    inherited = {key: value for key, value in os.environ.items() if key != "NOETHER_NO_CACHE"}
    environ = {**inherited, "NOETHER_CACHE_DIR": str(cache_dir), "PYTHONHASHSEED": seed, **env}
    code = f"EXTRA = {extra}\n{SCRIPT}"
    out = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def cache_files(directory: Path) -> list[Path]:
    """The cache files in ``directory``."""
    return sorted(directory.glob("generated-code-*.marshal")) if directory.is_dir() else []


def test_second_process_hits_and_classes_behave_as_compiled(tmp_path: Path) -> None:
    first = run_script(tmp_path, seed="1")
    assert first["misses"] and not first["hits"]
    assert cache_files(tmp_path)
    second = run_script(tmp_path, seed="2")  # another hash salt: attrs' __hash__ constant must be replaced
    assert second["hits"] and not second["misses"]
    for result in (first, second):
        assert result["same_hash"] and result["same_repr"] and result["eq"]


def test_changed_source_misses_only_what_changed(tmp_path: Path) -> None:
    run_script(tmp_path)
    changed = run_script(tmp_path, extra=True)  # a new field: new generated methods and structure function
    assert changed["misses"] and changed["same_hash"] and changed["eq"]
    again = run_script(tmp_path, extra=True)
    assert again["hits"] and not again["misses"]


def test_corrupt_file_is_ignored_and_rewritten(tmp_path: Path) -> None:
    run_script(tmp_path)
    (path,) = cache_files(tmp_path)
    path.write_bytes(b"not a marshal stream" * 10)
    result = run_script(tmp_path)
    assert result["misses"] and not result["hits"] and result["same_hash"]
    assert run_script(tmp_path)["hits"]  # the corrupt file was replaced by a valid one


def test_unwritable_location_and_disabled_cache(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache directory would be")
    result = run_script(blocker / "cache")  # mkdir fails: still compiles, no error
    assert result["misses"] and result["same_hash"]
    disabled = tmp_path / "disabled"
    out = subprocess.run(
        [sys.executable, "-c", "from noether.core import codecache; print(codecache.install())"],
        env={**os.environ, "NOETHER_CACHE_DIR": str(disabled), "NOETHER_NO_CACHE": "1"},
        capture_output=True, text=True, check=True,
    )
    assert out.stdout.strip() == "None" and not disabled.exists()


def test_compile_inherits_the_callers_future_features(tmp_path: Path) -> None:
    cache = codecache.CodeCache(tmp_path / "c.marshal")
    source = "def f(x: an_undefined_name) -> None: pass\n"
    exec(cache.compile(source, "<t>", "exec"), {})  # this module has `from __future__ import annotations`
    with pytest.raises(NameError):
        exec(cache.compile(source, "<t2>", "exec", dont_inherit=True), {})
    assert cache.misses == 2
    exec(cache.compile(source, "<t>", "exec"), {})
    assert cache.hits == 1


def test_noether_check_prints_the_same_with_and_without_the_cache(tmp_path: Path, cli_env: dict[str, str]) -> None:
    root = Path(__file__).resolve().parents[2]
    outputs = []
    for extra in ({"NOETHER_CACHE_DIR": str(tmp_path)}, {"NOETHER_CACHE_DIR": str(tmp_path)},
                  {"NOETHER_NO_CACHE": "1"}):
        env = {k: v for k, v in cli_env.items() if k != "NOETHER_NO_CACHE"} | extra
        out = subprocess.run([sys.executable, "-m", "noether", "check", "examples/airfoil.yaml"], cwd=root,
                             env=env, capture_output=True, text=True, check=True)
        outputs.append(out.stdout)
    assert cache_files(tmp_path)
    assert outputs[0] == outputs[1] == outputs[2]


def test_file_stays_bounded_keeping_the_most_recently_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codecache, "MAX_ENTRIES", 5)
    path = tmp_path / "c.marshal"
    first = codecache.CodeCache(path)
    for i in range(4):
        first.compile(f"x = {i}\n", f"<old {i}>", "exec")
    first.save()
    second = codecache.CodeCache(path)
    second.compile("x = 0\n", "<old 0>", "exec")  # a hit: used again, so it is kept
    for i in range(3):
        second.compile(f"y = {i}\n", f"<new {i}>", "exec")
    second.save()
    kept = {key[0] for key in codecache._read(path)}
    assert kept == {"<old 3>", "<old 0>", "<new 0>", "<new 1>", "<new 2>"}


def test_entries_are_decoded_only_when_hit(tmp_path: Path) -> None:
    run_script(tmp_path)
    (path,) = cache_files(tmp_path)
    records = codecache._read(path)
    assert records and all(isinstance(record[0], bytes) for record in records.values())
    # An entry of some other program whose code bytes are garbage: never hit here, so never decoded.
    stranger = ("<attrs generated methods elsewhere.Other>", "exec", 0, -1, 1, 2, 3)
    records[stranger] = (b"\xff not marshal data", None, ())
    path.write_bytes(codecache._encode(records))
    result = run_script(tmp_path)
    assert result["hits"] and not result["misses"] and result["same_hash"]
    changed = run_script(tmp_path, extra=True)  # compiles something new: the file is written again
    assert changed["misses"] and changed["hits"] and changed["same_hash"]
    kept = codecache._read(path)
    assert kept[stranger][0] == b"\xff not marshal data"  # carried over as stored: it was never decoded
    assert codecache._decode(kept[stranger], None) is None
    assert set(records) < set(kept)


def test_a_truncated_file_serves_what_it_still_holds(tmp_path: Path) -> None:
    run_script(tmp_path)
    (path,) = cache_files(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[:-10])  # the last entry's code bytes are cut short
    result = run_script(tmp_path)
    assert result["misses"] == 1 and result["hits"] and result["same_hash"] and result["eq"]
    assert path.read_bytes() != data[:-10]
    assert not run_script(tmp_path)["misses"]


def test_a_corrupt_entry_is_compiled_as_usual_and_rewritten(tmp_path: Path) -> None:
    run_script(tmp_path, seed="1")
    (path,) = cache_files(tmp_path)
    records = codecache._read(path)
    salted = next(key for key, record in records.items() if record[1] is not None and record[2])
    plain = next(key for key, record in records.items() if record[1] is None)
    blob, salt, _ = records[salted]
    records[salted] = (blob, salt, ((999,),))  # the salt's recorded place is wrong
    records[plain] = (b"garbage", None, ())  # the code bytes do not decode
    path.write_bytes(codecache._encode(records))
    result = run_script(tmp_path, seed="2")
    assert result["misses"] == 2 and result["hits"] and result["same_hash"] and result["eq"]
    again = run_script(tmp_path, seed="3")  # both entries were written anew
    assert again["hits"] and not again["misses"] and again["same_hash"]


def test_salt_positions_name_every_place_of_the_salt(tmp_path: Path) -> None:
    cache = codecache.CodeCache(tmp_path / "c.marshal")
    source = "def f():\n    return 12345, (lambda: 12345)()\nx = 12345\n"
    code = cache.compile(source, "<t>", "exec")
    positions = codecache._positions(code, 12345)
    assert len(positions) == 3
    replaced = code
    for position in positions:
        replaced = codecache._replace_at(replaced, position, 12345, 67890)
    namespace: dict[str, object] = {}
    exec(replaced, namespace)
    assert namespace["x"] == 67890 and namespace["f"]() == (67890, 67890)  # type: ignore[operator]
    assert codecache._positions(replaced, 12345) == ()
