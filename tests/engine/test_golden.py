"""A run directory written by the engine before its re-cut resumes to bit-identical results.

``tests/engine/golden/run`` was written by commit 673c373 (see ``golden/make_golden.py``): the run was stopped
after update 7 like a SIGTERM; ``expected_*`` hold what the uninterrupted run ended with. Checkpoint files
and their keys must stay readable by every later version of the engine.

Bit-identity is demanded where this machine's float kernels round as the writing machine's did. Where they do
not (an uninterrupted run of the golden config here differs from ``expected_final.th`` too, e.g. MKL and
oneDNN taking AVX-512 paths on one CPU and AVX2 paths on another: last-bit differences of about 1e-7), the
resumed run must still match within float32 rounding (relative 1e-5, absolute 1e-6; measured on such a
machine: 6e-8 at most); a lost or misread state (optimizer moments, EMA shadows, the schedule's position, the
data order) differs by orders of magnitude more.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch

from noether.training.runner import run
from tests.engine.golden.make_golden import CUT, RUN_ID, golden_config
from tests.engine.helpers import build

GOLDEN = Path(__file__).resolve().parent / "golden"


def _rows(path: Path, after: int) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [{k: v for k, v in r.items() if not k.startswith("train_time/")} for r in rows if r["update"] > after]


def _assert_equal(a: Any, b: Any, where: str = "", close: bool = False) -> None:
    """``a`` and ``b`` equal, tensors bit for bit; with ``close``, floats up to float32 rounding (relative 1e-5,
    absolute 1e-6)."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype, where
        if close:
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6, msg=where)
        else:
            assert torch.equal(a, b), where
    elif isinstance(a, dict):
        assert set(a) == set(b), where
        for key in a:
            _assert_equal(a[key], b[key], f"{where}.{key}", close)
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_equal(x, y, f"{where}[{i}]", close)
    elif close and isinstance(a, float):
        assert b == pytest.approx(a, rel=1e-5, abs=1e-6), where
    else:
        assert a == b, where


_ROUNDS_DIFFERENTLY: dict[str, bool] = {}


def _rounds_differently(tmp_path: Path) -> bool:
    """Whether an uninterrupted run of the golden config on this machine differs from ``expected_final.th``
    (its kernels round differently from the writing machine's); computed once per test process."""
    if "answer" not in _ROUNDS_DIFFERENTLY:
        result = run(build(golden_config(tmp_path / "uninterrupted"), run_id="uninterrupted"))
        weights = torch.load(result.run_dir / "checkpoints" / "mlp_cp=last_model.th", weights_only=True)
        expected = torch.load(GOLDEN / "expected_final.th", weights_only=True)["model"]
        _ROUNDS_DIFFERENTLY["answer"] = any(not torch.equal(expected[k], weights["state_dict"][k]) for k in expected)
    return _ROUNDS_DIFFERENTLY["answer"]


def _assert_resumed(expected: Any, actual: Any, where: str, tmp_path: Path) -> None:
    """Bit-identical, or (where this machine rounds differently, see the module's docstring) close."""
    try:
        _assert_equal(expected, actual, where)
    except AssertionError:
        if not _rounds_differently(tmp_path):
            raise
        _assert_equal(expected, actual, where, close=True)


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
    _assert_resumed(expected["model"], torch.load(ckpt / "mlp_cp=last_model.th", weights_only=True)["state_dict"],
                    "model", tmp_path)
    _assert_resumed(expected["optim"], torch.load(ckpt / "mlp_cp=last_optim.th", weights_only=True), "optim",
                    tmp_path)
    _assert_resumed(expected["ema"],
                    torch.load(ckpt / "mlp_ema=0.9_cp=last_model.th", weights_only=True)["state_dict"], "ema",
                    tmp_path)
    _assert_resumed(_rows(GOLDEN / "expected_metrics.jsonl", CUT), _rows(run_dir / "metrics.jsonl", CUT), "metrics",
                    tmp_path)


def test_golden_periodic_set_resumes_into_a_new_run(tmp_path: Path) -> None:
    _copy_golden(tmp_path)
    result = run(build(golden_config(tmp_path), run_id="continued", resume_run_id=RUN_ID, resume_checkpoint="U4"))
    expected = torch.load(GOLDEN / "expected_final.th", weights_only=True)
    weights = torch.load(result.run_dir / "checkpoints" / "mlp_cp=last_model.th", weights_only=True)
    _assert_resumed(expected["model"], weights["state_dict"], "model", tmp_path)


def test_manifests_carry_a_format_version_and_old_ones_read_as_version_1(tmp_path: Path) -> None:
    from noether.core.writers.checkpoint_manifests import manifest_format_version
    from noether.training.state import FORMAT_VERSION

    old = json.loads((GOLDEN / "run" / "checkpoints" / "E0_U4_S32.manifest.json").read_text())
    assert "format_version" not in old and manifest_format_version(old) == 1
    run_dir = _copy_golden(tmp_path)
    run(build(golden_config(tmp_path), run_id=RUN_ID, resume_run_id=RUN_ID))
    new = json.loads((run_dir / "checkpoints" / "last.manifest.json").read_text())
    assert new["format_version"] == FORMAT_VERSION == 1
