"""Exact resume: stopped by SIGTERM or SIGKILL at random updates, resumed runs equal uninterrupted ones."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import pytest
import torch

from noether.core.config.dump import dump_yaml
from noether.core.writers.atomic import CorruptCheckpointError
from noether.core.writers.checkpoints import CheckpointStore
from noether.training.runner import run
from tests.engine.helpers import build, toy_config

UPDATES = 60


def _write_th(obj: Any, path: Path) -> tuple[int, int]:
    """``torch.save`` to ``path``; ``(size, crc32)`` of the file, as a manifest lists them."""
    torch.save(obj, path)
    data = path.read_bytes()
    return len(data), zlib.crc32(data)


def hard_config(tmp_path: Path, **extra: Any) -> dict[str, Any]:
    """Mid-epoch stops with accumulation, an lr schedule, EMA, a shuffling dataset and dropout."""
    data = toy_config(
        tmp_path, max_updates=UPDATES, effective_batch_size=8, max_batch_size=4,
        callbacks=[
            {"name": "CheckpointCallback", "every_n_updates": 1, "save_weights": False},
            {"name": "EmaCallback", "every_n_updates": 5, "target_factors": [0.9], "save_weights": False,
             "save_last_weights": True},
            {"name": "OfflineLossCallback", "dataset_key": "val", "every_n_updates": 7},
        ],
        **extra,
    )
    data["model"]["dropout"] = 0.2
    data["model"]["optimizer_config"]["schedule_config"] = {
        "kind": "noether.core.schedules.LinearWarmupCosineDecaySchedule", "warmup_percent": 0.2}
    data["datasets"]["train"]["wrappers"] = [{"kind": "noether.data.base.wrappers.ShuffleWrapper", "seed": 5}]
    return data


def last_state(run_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    ckpt = run_dir / "checkpoints"
    model = torch.load(ckpt / "mlp_cp=last_model.th", weights_only=True)["state_dict"]
    optim = torch.load(ckpt / "mlp_cp=last_optim.th", weights_only=True)
    return model, optim


def assert_equal_nested(a: Any, b: Any) -> None:
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b)
    elif isinstance(a, dict):
        assert set(a) == set(b)
        for key in a:
            assert_equal_nested(a[key], b[key])
    elif isinstance(a, list | tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_equal_nested(x, y)
    else:
        assert a == b


def metric_rows(run_dir: Path, after: int) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [{k: v for k, v in r.items() if not k.startswith("train_time")} for r in rows if r["update"] > after]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reference")
    return run(build(hard_config(out), run_id="straight")).run_dir


def start(config_path: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "noether", "run", str(config_path), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)


def wait_for_update(run_dir: Path, update: int, proc: subprocess.Popen[str], timeout: float = 120) -> None:
    deadline = time.time() + timeout
    metrics = run_dir / "metrics.jsonl"
    while time.time() < deadline:
        if metrics.exists():
            # Only whole lines: the run may be writing the last one while it is read.
            lines = metrics.read_text().split("\n")[:-1]
            if lines and json.loads(lines[-1])["update"] >= update:
                return
        if proc.poll() is not None:
            raise AssertionError(f"run ended early: {proc.stdout.read() if proc.stdout else ''}")
        time.sleep(0.01)
    raise AssertionError("timeout waiting for the run")


@pytest.mark.slow
def test_sigterm_mid_epoch_then_resume_is_bit_exact(tmp_path: Path, reference: Path, cli_env: dict[str, str]
                                                    ) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(dump_yaml(hard_config(tmp_path, skip_nan_loss=False)))
    # At most half-way, so that a loaded machine's late signal still lands well before the run's end.
    stop_at = random.Random().randint(5, UPDATES // 2)
    proc = start(cfg, cli_env, "run_id=cut")
    wait_for_update(tmp_path / "cut", stop_at, proc)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 75, f"SIGTERM after update {stop_at}: {out}"
    store = CheckpointStore(tmp_path / "cut" / "checkpoints")
    tag = store.latest_tag()
    assert tag is not None and tag.endswith(".signal_interrupt")
    stopped = store.read_manifest(tag)["training_iteration"]["update"]  # type: ignore[index]
    resumed = subprocess.run([sys.executable, "-m", "noether", "run", str(cfg), "run_id=cut", "resume_run_id=cut"],
                             capture_output=True, text=True, env=cli_env)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    model_a, optim_a = last_state(reference)
    model_b, optim_b = last_state(tmp_path / "cut")
    assert_equal_nested(model_a, model_b)
    assert_equal_nested(optim_a["optimizer"], optim_b["optimizer"])
    assert metric_rows(reference, stopped) == metric_rows(tmp_path / "cut", stopped)


@pytest.mark.slow
def test_sigkill_at_random_instants_never_leaves_a_partial_checkpoint(
    tmp_path: Path, reference: Path, cli_env: dict[str, str]
) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(dump_yaml(hard_config(tmp_path)))
    rng = random.Random()
    ckpt_dir = tmp_path / "k" / "checkpoints"
    args = ["run_id=k"]
    for _ in range(3):
        proc = start(cfg, cli_env, *args)
        if (ckpt_dir / "latest.json").exists():
            time.sleep(rng.uniform(2.5, 4.0))  # start-up (torch import) then a few updates
        else:
            wait_for_update(tmp_path / "k", 3, proc)
            time.sleep(rng.uniform(0.0, 0.3))
        if proc.poll() is not None:
            break
        proc.kill()
        proc.wait()
        # Every file under a final name is complete; the newest complete set loads and verifies.
        for path in ckpt_dir.glob("*.th"):
            torch.load(path, weights_only=True)
        store = CheckpointStore(ckpt_dir)
        manifest, _ = store.load_resumable("latest")
        assert manifest["files"]
        args = ["run_id=k", "resume_run_id=k"]
    final = subprocess.run([sys.executable, "-m", "noether", "run", str(cfg), *args], capture_output=True,
                           text=True, env=cli_env)
    assert final.returncode == 0, final.stdout + final.stderr
    model_a, optim_a = last_state(reference)
    model_b, optim_b = last_state(tmp_path / "k")
    assert_equal_nested(model_a, model_b)
    assert_equal_nested(optim_a["optimizer"], optim_b["optimizer"])


def test_in_process_interrupt_at_every_kind_of_point(tmp_path: Path, reference: Path) -> None:
    for k in (1, 7, 30):
        out = tmp_path / f"at{k}"
        cut = run(build(hard_config(out), run_id="c"), interrupt_at_update=k)
        assert cut.interrupted and cut.update == k
        done = run(build(hard_config(out), run_id="c", resume_run_id="c"))
        assert done.update == UPDATES
        model_a, optim_a = last_state(reference)
        model_b, optim_b = last_state(done.run_dir)
        assert_equal_nested(model_a, model_b)
        assert_equal_nested(optim_a["optimizer"], optim_b["optimizer"])
        assert metric_rows(reference, k) == metric_rows(done.run_dir, k)


def test_damaged_latest_falls_back_to_previous_complete_set(tmp_path: Path) -> None:
    result = run(build(hard_config(tmp_path), run_id="d"), interrupt_at_update=6)
    store = CheckpointStore(result.run_dir / "checkpoints")
    tag = store.latest_tag()
    assert tag is not None
    manifest = store.read_manifest(tag)
    assert manifest is not None
    victim = result.run_dir / "checkpoints" / next(iter(manifest["files"]))
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    with pytest.raises(CorruptCheckpointError, match="truncated"):
        store.load_set(tag)
    fallback, _ = store.load_resumable("latest")
    assert fallback["tag"] != tag
    assert fallback["training_iteration"]["update"] in (5, 6)


class _Evil:
    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, ("echo pwned > pwned.txt",))


def test_checkpoint_that_runs_code_on_load_is_refused(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    store.save("E0_U1_S8", {"mlp_cp=E0_U1_S8_model.th": {"ok": torch.zeros(1)}},
               iteration={"epoch": 0, "update": 1, "sample": 8}, update_latest=True)
    torch.save({"state_dict": _Evil()}, tmp_path / "mlp_cp=E0_U1_S8_model.th")
    size, crc = _write_th({"state_dict": _Evil()}, tmp_path / "mlp_cp=E0_U1_S8_model.th")
    manifest = json.loads((tmp_path / "E0_U1_S8.manifest.json").read_text())
    manifest["files"]["mlp_cp=E0_U1_S8_model.th"] = {"size": size, "crc32": crc}
    (tmp_path / "E0_U1_S8.manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CorruptCheckpointError, match="cannot be loaded safely"):
        store.load_set("E0_U1_S8")
    assert not (Path.cwd() / "pwned.txt").exists()


def test_resume_tags(tmp_path: Path) -> None:
    data = toy_config(tmp_path, max_updates=8, callbacks=[
        {"name": "CheckpointCallback", "every_n_updates": 4, "save_optim": True}])
    result = run(build(data, run_id="t"))
    store = CheckpointStore(result.run_dir / "checkpoints")
    assert store.resolve("U4") == "E1_U4_S64"
    assert store.resolve("E2") == "E2_U8_S128"
    assert store.resolve("S64") == "E1_U4_S64"
    assert store.resolve("E1_U4_S64") == "E1_U4_S64"
    assert store.resolve("latest") == "last"
    with pytest.raises(FileNotFoundError, match="available"):
        store.resolve("E9_U1_S1")
    again = run(build(toy_config(tmp_path, max_updates=8), run_id="t2", resume_run_id="t",
                      resume_checkpoint="U4"))
    assert again.update == 8 and (again.run_dir / "ancestor").is_symlink()


def test_resuming_with_other_plugin_versions_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    result = run(build(toy_config(tmp_path, max_updates=6), run_id="p"), interrupt_at_update=3)
    ckpt = result.run_dir / "checkpoints"
    tag = CheckpointStore(ckpt).latest_tag()
    trainer_file = ckpt / f"mlp_cp={tag}_trainer.th"
    state = torch.load(trainer_file, weights_only=True)
    assert state["plugins"]["noether"]
    state["plugins"] = {**state["plugins"], "noether": "0.0.1", "acme-gone": "1.0"}
    size, crc = _write_th(state, trainer_file)
    manifest_path = ckpt / f"{tag}.manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"][trainer_file.name] = {"size": size, "crc32": crc}
    manifest_path.write_text(json.dumps(manifest))
    import logging

    noether_logger = logging.getLogger("noether")  # it does not propagate to the root logger
    noether_logger.addHandler(caplog.handler)
    try:
        run(build(toy_config(tmp_path, max_updates=6), run_id="p", resume_run_id="p"))
    finally:
        noether_logger.removeHandler(caplog.handler)
    text = caplog.text
    assert "plugin noether was 0.0.1" in text and "plugin acme-gone was 1.0" in text and "not installed" in text


def test_keep_last_prunes_old_periodic_checkpoints(tmp_path: Path) -> None:
    data = toy_config(tmp_path, max_updates=8, callbacks=[
        {"name": "CheckpointCallback", "every_n_updates": 2, "save_optim": True, "keep_last": 2}])
    result = run(build(data, run_id="k"))
    tags = [m["tag"] for m in CheckpointStore(result.run_dir / "checkpoints").manifests()
            if m["tag"].startswith("E")]
    assert tags == ["E1_U6_S96", "E2_U8_S128"]
