"""A run directory written by the engine before its re-cut resumes to bit-identical results.

``tests/engine/golden/run`` was written by commit 673c373 (see ``golden/make_golden.py``): the run was stopped
after update 7 like a SIGTERM; ``expected_*`` hold what the uninterrupted run ended with. Checkpoint files
and their keys must stay readable by every later version of the engine.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import torch

from noether.training.runner import run
from tests.engine.golden.make_golden import CUT, RUN_ID, golden_config
from tests.engine.helpers import build

GOLDEN = Path(__file__).resolve().parent / "golden"


def _rows(path: Path, after: int) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [{k: v for k, v in r.items() if not k.startswith("train_time/")} for r in rows if r["update"] > after]


def _assert_equal(a: Any, b: Any, where: str = "") -> None:
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b), where
    elif isinstance(a, dict):
        assert set(a) == set(b), where
        for key in a:
            _assert_equal(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_equal(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


def _copy_golden(out: Path) -> Path:
    run_dir = out / RUN_ID
    shutil.copytree(GOLDEN / "run", run_dir)
    return run_dir


def test_golden_run_resumes_in_place_bit_identically(tmp_path: Path) -> None:
    run_dir = _copy_golden(tmp_path)
    result = run(build(golden_config(tmp_path), run_id=RUN_ID, resume_run_id=RUN_ID))
    assert result.run_dir == run_dir and result.update == 12
    expected = torch.load(GOLDEN / "expected_final.th", weights_only=True)
    ckpt = run_dir / "checkpoints"
    _assert_equal(expected["model"], torch.load(ckpt / "mlp_cp=last_model.th", weights_only=True)["state_dict"],
                  "model")
    _assert_equal(expected["optim"], torch.load(ckpt / "mlp_cp=last_optim.th", weights_only=True), "optim")
    _assert_equal(expected["ema"],
                  torch.load(ckpt / "mlp_ema=0.9_cp=last_model.th", weights_only=True)["state_dict"], "ema")
    assert _rows(run_dir / "metrics.jsonl", CUT) == _rows(GOLDEN / "expected_metrics.jsonl", CUT)


def test_golden_periodic_set_resumes_into_a_new_run(tmp_path: Path) -> None:
    _copy_golden(tmp_path)
    result = run(build(golden_config(tmp_path), run_id="continued", resume_run_id=RUN_ID, resume_checkpoint="U4"))
    expected = torch.load(GOLDEN / "expected_final.th", weights_only=True)
    weights = torch.load(result.run_dir / "checkpoints" / "mlp_cp=last_model.th", weights_only=True)
    _assert_equal(expected["model"], weights["state_dict"], "model")


def test_manifests_carry_a_format_version_and_old_ones_read_as_version_1(tmp_path: Path) -> None:
    from noether.core.writers.checkpoint_manifests import manifest_format_version
    from noether.training.state import FORMAT_VERSION

    old = json.loads((GOLDEN / "run" / "checkpoints" / "E0_U4_S32.manifest.json").read_text())
    assert "format_version" not in old and manifest_format_version(old) == 1
    run_dir = _copy_golden(tmp_path)
    run(build(golden_config(tmp_path), run_id=RUN_ID, resume_run_id=RUN_ID))
    new = json.loads((run_dir / "checkpoints" / "last.manifest.json").read_text())
    assert new["format_version"] == FORMAT_VERSION == 1
