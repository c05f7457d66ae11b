"""Seeding and RNG snapshots (Python, NumPy, torch CPU and CUDA).

A :class:`RngSnapshot` is cheap to take and restore (the loop forks the streams around callbacks that may use
them); :meth:`RngSnapshot.to_checkpoint` turns it into tensors, ints and strings only, which
``torch.load(weights_only=True)`` accepts.
"""

from __future__ import annotations

import random
from typing import Any

import attrs
import numpy as np
import torch


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


@attrs.frozen
class RngSnapshot:
    """The RNG states of this process, as the libraries return them."""

    python: Any
    numpy: Any
    torch_cpu: torch.Tensor
    cuda: list[torch.Tensor] | None

    @classmethod
    def take(cls) -> RngSnapshot:
        """Capture every stream now."""
        cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() and torch.cuda.is_initialized() else None
        return cls(random.getstate(), np.random.get_state(), torch.get_rng_state(), cuda)

    def restore(self) -> None:
        """Put every stream back to this snapshot."""
        random.setstate(self.python)
        np.random.set_state(self.numpy)
        torch.set_rng_state(self.torch_cpu)
        if self.cuda is not None:
            torch.cuda.set_rng_state_all(self.cuda)

    def to_checkpoint(self) -> dict[str, Any]:
        """Plain tensors/ints/strings for a checkpoint file."""
        version, internal, gauss = self.python
        name, keys, pos, has_gauss, cached = self.numpy
        state: dict[str, Any] = {
            "python": {"version": version, "internal": torch.tensor(internal, dtype=torch.int64), "gauss": gauss},
            "numpy": {"name": name, "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)), "pos": int(pos),
                      "has_gauss": int(has_gauss), "cached": float(cached)},
            "torch": self.torch_cpu,
        }
        if self.cuda is not None:
            state["cuda"] = list(self.cuda)
        return state

    @classmethod
    def from_checkpoint(cls, state: dict[str, Any]) -> RngSnapshot:
        """Inverse of :meth:`to_checkpoint`."""
        py = state["python"]
        npy = state["numpy"]
        return cls(
            (py["version"], tuple(int(x) for x in py["internal"].tolist()), py["gauss"]),
            (npy["name"], npy["keys"].numpy().astype(np.uint32), npy["pos"], npy["has_gauss"], npy["cached"]),
            state["torch"],
            state.get("cuda") if torch.cuda.is_available() else None,
        )


def capture_rng_state() -> dict[str, Any]:
    """Every RNG state of this process, in checkpoint form."""
    return RngSnapshot.take().to_checkpoint()


def restore_rng_state(state: dict[str, Any]) -> None:
    """Restore :func:`capture_rng_state`."""
    RngSnapshot.from_checkpoint(state).restore()
