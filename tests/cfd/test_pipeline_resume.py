"""Resume stays bit-exact with the CFD pipeline (random per-epoch sampling, padding) and 2 DataLoader workers."""

from __future__ import annotations

from pathlib import Path

import noether
from noether.training.verify import verify_resume
from tests.cfd.cfd_toy import toy_run_config


def test_interrupted_and_resumed_run_equals_the_straight_one_with_two_workers(tmp_path: Path) -> None:
    data = toy_run_config(str(tmp_path))
    data["num_workers"] = 2
    # The metrics callback fires every 3 epochs (6 updates): after the resume, on the resumed data path.
    report = verify_resume(noether.structure(data), updates=6, interrupt_at=3)
    assert report.identical, report.differences
