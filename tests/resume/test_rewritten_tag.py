"""A tag written again (``best_model.<metric>``, ``ema.latest``, ``last``) killed at any point of the rewrite
(issue 15, item 1): every manifest matches its files, the tag resolves to a complete old or new content, and a
clean-up on start leaves one consistent version whose final-named files hold it.

The writer is a real child process (``os.fork``) that SIGKILLs itself right before its k-th file-system change
(``os.replace``/``os.unlink``), for every k of the rewrite: no mock stands in for the store or the files.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import torch

from noether.core.writers.atomic import verified_torch_load
from noether.core.writers.checkpoint_names import file_name
from noether.core.writers.checkpoints import CheckpointStore

TAG = "best_model.loss.val"
# The second name does not carry the set's tag, like the EMA files of the set ``ema.latest``.
NAMES = [file_name("mlp", TAG, "model"), file_name("mlp", "latest", "model", model_info="ema=0.9")]


def _files(value: float) -> dict[str, dict[str, torch.Tensor]]:
    return {name: {"w": torch.full((4,), value)} for name in NAMES}


def _write(store: CheckpointStore, value: float) -> None:
    store.save(TAG, _files(value), iteration={"update": int(value)}, update_latest=False)


def _count_changes(directory: Path, writes: int) -> int:
    """How many replace/unlink calls the ``writes``-th write of the tag makes (run in a scratch copy)."""
    store = CheckpointStore(directory)
    for value in range(1, writes):
        _write(store, float(value))
    calls = 0
    real_replace, real_unlink = os.replace, os.unlink

    def replace(*args: object, **kwargs: object) -> None:
        nonlocal calls
        calls += 1
        real_replace(*args, **kwargs)  # type: ignore[arg-type]

    def unlink(*args: object, **kwargs: object) -> None:
        nonlocal calls
        calls += 1
        real_unlink(*args, **kwargs)  # type: ignore[arg-type]

    os.replace, os.unlink = replace, unlink  # type: ignore[assignment]
    try:
        _write(store, float(writes))
    finally:
        os.replace, os.unlink = real_replace, real_unlink
    return calls


def _killed_rewrite(directory: Path, value: float, kill_before: int) -> int:
    """Fork a writer that rewrites the tag with ``value`` and SIGKILLs itself before change ``kill_before``."""
    pid = os.fork()
    if pid == 0:  # the child: never returns to pytest
        calls = 0
        real_replace, real_unlink = os.replace, os.unlink

        def maybe_die() -> None:
            nonlocal calls
            calls += 1
            if calls == kill_before:
                os.kill(os.getpid(), signal.SIGKILL)

        def replace(*args: object, **kwargs: object) -> None:
            maybe_die()
            real_replace(*args, **kwargs)  # type: ignore[arg-type]

        def unlink(*args: object, **kwargs: object) -> None:
            maybe_die()
            real_unlink(*args, **kwargs)  # type: ignore[arg-type]

        os.replace, os.unlink = replace, unlink  # type: ignore[assignment]
        try:
            _write(CheckpointStore(directory), value)
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return status


def _assert_consistent(directory: Path, old: float, new: float) -> float:
    store = CheckpointStore(directory)
    for manifest in store.manifests():  # no manifest lists a file that fails it
        store.load_set(manifest["tag"])
    stored = store.resolve(TAG)
    _, objects = store.load_set(stored)
    values = {float(obj["w"][0]) for obj in objects.values()}
    assert len(values) == 1 and values <= {old, new}, values  # never a mixture of two contents
    store.clean_leftovers()
    assert store.resolve(TAG) == stored
    assert [m["tag"] for m in store.manifests()] == [stored]  # one version left
    final = {float(verified_torch_load(directory / name)["w"][0]) for name in NAMES}
    assert final == values  # the final-named files hold the current content
    assert not [p.name for p in directory.iterdir() if p.name.endswith((".tmp", ".lnk"))]
    return final.pop()


@pytest.mark.parametrize("writes", [2, 3], ids=["first-rewrite", "second-rewrite"])
def test_rewritten_tag_killed_at_every_point_stays_consistent(tmp_path: Path, writes: int) -> None:
    total = _count_changes(tmp_path / "count", writes)
    assert total >= 4  # files, manifest, pointer, links at least
    seen = set()
    for kill_before in range(1, total + 1):
        directory = tmp_path / f"k{kill_before}"
        store = CheckpointStore(directory)
        for value in range(1, writes):
            _write(store, float(value))
        status = _killed_rewrite(directory, float(writes), kill_before)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        seen.add(_assert_consistent(directory, float(writes - 1), float(writes)))
        # The next write after the kill works and wins.
        _write(CheckpointStore(directory), 10.0)
        assert _assert_consistent(directory, 10.0, 10.0) == 10.0
    assert seen == {float(writes - 1), float(writes)}  # some kills kept the old content, later ones the new


def test_unversioned_set_of_an_older_run_is_rewritten_through_a_version(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    _write(store, 1.0)
    assert (tmp_path / f"{TAG}.manifest.json").exists() and store.resolve(TAG) == TAG
    _write(store, 2.0)
    assert store.resolve(TAG) == f"{TAG}@v2"
    assert not (tmp_path / f"{TAG}.manifest.json").exists()
    assert float(verified_torch_load(tmp_path / NAMES[0])["w"][0]) == 2.0
    (tmp_path / f"{TAG}.pointer.json").write_text("{garbled")
    assert CheckpointStore(tmp_path).resolve(TAG) == f"{TAG}@v2"  # newest complete version, with a warning
