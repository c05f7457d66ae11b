"""No host-device synchronisation per update: the trainer reads no tensor value unless a feature needs it.

On a GPU every ``Tensor.item()``, ``bool(tensor)`` or ``.tolist()`` of a device tensor waits for the device. On
CPU the same reads run as ``aten::_local_scalar_dense``, which the profiler counts, so this machine checks
what a GPU run would sync on: a run's count grows per update by exactly what the hand-written loop's grows
(torch's own single-tensor AdamW reads its CPU step counters), and ``skip_nan_loss`` adds its one check.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import torch
from torch.profiler import ProfilerActivity, profile

from noether.training.runner import run
from tests.engine.helpers import build, toy_config

SCALAR_READ = "aten::_local_scalar_dense"


def scalar_reads(fn: Any) -> int:
    """How many tensor values ``fn()`` reads on the host."""
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        fn()
    return sum(1 for event in prof.events() if event.name == SCALAR_READ)


def raw_loop(updates: int) -> None:
    """The hand-written loop over the toy problem: the same MLP shape, AdamW, batch 16."""
    torch.manual_seed(0)
    x = torch.randn(64, 3)
    y = torch.sin(x @ torch.randn(3, 1))
    model = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.GELU(), torch.nn.Linear(16, 16), torch.nn.GELU(),
                                torch.nn.Linear(16, 1))
    opt = torch.optim.AdamW(model.parameters(), lr=0.01)
    for step in range(updates):
        idx = torch.arange(16) + 16 * (step % 4)
        torch.nn.functional.mse_loss(model(x[idx]), y[idx]).backward()
        opt.step()
        opt.zero_grad(set_to_none=True)


def noether_run(tmp_path: Path, updates: int, **trainer: Any) -> None:
    """The same training through ``noether.run`` with the default callbacks; nothing fires in between."""
    out = tmp_path / f"run{updates}"
    run(build(toy_config(out, max_updates=updates, track_every_n_updates=1000, log_every_n_updates=1000,
                         **trainer)))


def per_update(fn: Any) -> float:
    """Scalar reads per update: the difference of a 30- and a 10-update run (start and end cancel)."""
    return (scalar_reads(lambda: fn(30)) - scalar_reads(lambda: fn(10))) / 20


@pytest.fixture(autouse=True)
def _quiet() -> None:
    logging.getLogger("noether").setLevel(logging.WARNING)


@pytest.mark.parametrize(("trainer", "extra"), [
    ({}, 0),
    ({"effective_batch_size": 16, "max_batch_size": 8}, 0),  # two micro-steps per update
    ({"skip_nan_loss": True}, 1),  # the one feature that must look at the loss
])
def test_trainer_reads_no_tensor_value_per_update(tmp_path: Path, trainer: dict[str, Any], extra: int) -> None:
    raw = per_update(raw_loop)
    assert raw == int(raw)  # deterministic: torch's reads of AdamW's step counters
    assert per_update(lambda n: noether_run(tmp_path, n, **trainer)) == raw + extra
