"""Mixed precision: the autocast context of the forward pass and the gradient scaler (float16 on CUDA)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import torch

_DTYPES = {"float16": torch.float16, "fp16": torch.float16, "bfloat16": torch.bfloat16, "bf16": torch.bfloat16}


def make_grad_scaler(precision: str | None, device: torch.device) -> torch.amp.GradScaler:
    """A real scaler for float16 on CUDA; a disabled one (a no-op) otherwise."""
    enabled = precision in ("float16", "fp16") and device.type == "cuda"
    return torch.amp.GradScaler(device.type, enabled=enabled)


def make_autocast(precision: str | None, device: torch.device) -> Callable[[], contextlib.AbstractContextManager[Any]]:
    """A factory of the forward pass's autocast context (``nullcontext`` for full precision)."""
    dtype = _DTYPES.get(precision or "")
    if dtype is None:
        return contextlib.nullcontext
    device_type = device.type

    def autocast() -> contextlib.AbstractContextManager[Any]:
        return torch.autocast(device_type, dtype=dtype)

    return autocast
