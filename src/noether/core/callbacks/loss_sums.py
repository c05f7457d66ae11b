"""Running sums of the training losses for the online-loss callbacks, added up outside the update.

Every run has at least two online-loss callbacks (the log and the track interval), and each kept a float32
sum of every loss on the device, updated after every micro-step: tensor additions whose dispatch costs far
more than the additions, squeezed between the backward pass and the optimizer step, where the CPU's caches
hold the update's tensors and every line of Python misses them. :class:`LossSums` only keeps the micro-step's
losses (one list append for all callbacks that share it) and adds them up later, all at once: when a
callback fires (it reads its mean then anyway), when its state is saved, and every :data:`FOLD_EVERY`
micro-steps (so that few tensors are held). Adding up copies the held losses to the host (once for all
slots: one transfer from a device) and sums them there in micro-step order: per key the first value, then
``sum + value``, each rounded to float32 as an IEEE float32 addition rounds (:func:`float32`), so every
callback (*slot*) gets the sums, and means, it computed itself before. A loss that is also the total (one
tensor under two keys) is read once.
"""

from __future__ import annotations

import math
import struct
from typing import Any

import numpy as np
import torch

#: Micro-steps whose losses are held before they are added up (one host read per distinct loss, one transfer
#: from a device: at most once per this many micro-steps, never per update).
FOLD_EVERY = 1024


class _Slot:
    """One callback's sums: ``sums`` hold the losses up to ``cursor`` (a position in the pending list)."""

    __slots__ = ("count", "cursor", "sums")

    def __init__(self, cursor: int) -> None:
        self.sums: dict[str, Any] = {}  # floats holding float32 values (numpy arrays for losses with a shape)
        self.count = 0
        self.cursor = cursor


class LossSums:
    """The losses of the micro-steps since the oldest slot's last reset, and each slot's sums up to now."""

    def __init__(self, slots: int) -> None:
        self._slots = [_Slot(0) for _ in range(slots)]
        self._pending: list[dict[str, torch.Tensor]] = []
        # The host numbers of the first ``len(self._rows)`` pending micro-steps (one per loss, in the order of
        # the micro-step's dict), read once for every slot.
        self._rows: list[list[Any]] = []

    def add(self, losses: dict[str, torch.Tensor]) -> None:
        """Keep one micro-step's losses (detached tensors; the dict is not modified later) for every slot."""
        self.track_after_accumulation_step(None, None, losses, None, 1, 0)

    def track_after_accumulation_step(self, counter: Any, batch: Any, losses: dict[str, torch.Tensor],
                                      additional_outputs: Any, accumulation_steps: int,
                                      accumulation_step: int) -> None:
        """The micro-step hook of the callbacks that share these sums (:meth:`add` as the trainer calls a
        hook: once per micro-step for all of them, one call)."""
        pending = self._pending
        pending.append(losses)
        if len(pending) >= FOLD_EVERY:
            self._fold_all()

    def count(self, slot: int) -> int:
        """Micro-steps since ``slot``'s reset."""
        state = self._slots[slot]
        return state.count + len(self._pending) - state.cursor

    def sums(self, slot: int) -> dict[str, Any]:
        """``slot``'s float32 sums per key (floats holding float32 values; numpy float32 arrays for losses
        with a shape), in first-seen order."""
        state = self._slots[slot]
        self._fold(state)
        return state.sums

    def reset(self, slot: int) -> None:
        """Start ``slot`` over (after its callback fired)."""
        state = self._slots[slot]
        state.sums, state.count, state.cursor = {}, 0, len(self._pending)
        self._drop_folded()

    def state(self, slot: int) -> dict[str, Any]:
        """``{"sums": {key: cpu tensor}, "count": n}`` of one slot, as the callback always saved it."""
        sums = self.sums(slot)
        return {"sums": {k: torch.tensor(v, dtype=torch.float32) for k, v in sums.items()},
                "count": self._slots[slot].count}

    def load(self, slot: int, state: dict[str, Any]) -> None:
        """Restore :meth:`state` into ``slot``."""
        restored = _Slot(len(self._pending))
        restored.sums = {k: _host_float32(v) for k, v in state.get("sums", {}).items()}
        restored.count = int(state.get("count", 0))
        self._slots[slot] = restored
        self._drop_folded()

    def take(self, slot: int, other: LossSums, other_slot: int) -> None:
        """Make ``slot`` continue from ``other``'s ``other_slot`` (the same sums and count)."""
        state = _Slot(len(self._pending))
        state.sums = dict(other.sums(other_slot))
        state.count = other.count(other_slot)
        self._slots[slot] = state
        self._drop_folded()

    # -- adding up --------------------------------------------------------------------------------------------
    def _fold_all(self) -> None:
        for state in self._slots:
            self._fold(state)
        self._drop_folded()

    def _fold(self, state: _Slot) -> None:
        pending, rows = self._pending, self._rows
        cursor = state.cursor
        if cursor == len(pending):
            return
        if len(rows) < len(pending):  # read what no slot has read yet
            rows += _read(pending[len(rows):])
        sums = state.sums
        for position in range(cursor, len(pending)):
            for key, number in zip(pending[position], rows[position], strict=True):
                current = sums.get(key)
                if current is None:
                    sums[key] = number
                elif type(number) is float:
                    sums[key] = float32(current + number)
                else:
                    sums[key] = _add_arrays(current, number)
        state.count += len(pending) - cursor
        state.cursor = len(pending)

    def _drop_folded(self) -> None:
        """Forget the micro-steps every slot has added (positions shift down)."""
        done = min(state.cursor for state in self._slots)
        if done:
            del self._pending[:done]
            del self._rows[:done]
            for state in self._slots:
                state.cursor -= done


def _read(window: list[dict[str, torch.Tensor]]) -> list[list[Any]]:
    """The losses of ``window``'s micro-steps as float32 numbers on the host, one list per micro-step in its
    dict's order: a Python float (exactly the float32 value) for a scalar, else a numpy float32 array. A tensor
    under several keys is read once; CPU tensors one by one (cheaper than stacking a few), device tensors with
    one stack and one transfer."""
    for losses in window:  # the first loss says where they all are
        if losses:
            if not next(iter(losses.values())).is_cpu:
                return _read_from_device(window)
            break
    # Plain loops, not comprehensions: this runs between two updates, where every extra frame is slow.
    numbers: dict[int, Any] = {}
    rows = []
    for losses in window:
        row = []
        for value in losses.values():
            number = numbers.get(id(value))
            if number is None:
                # float32, bfloat16 and float16 values are exactly Python floats; anything else via float32.
                exact = value.dtype in _EXACT_IN_FLOAT and value.dim() == 0
                number = numbers[id(value)] = value.item() if exact else _number(value)
            row.append(number)
        rows.append(row)
    return rows


def _read_from_device(window: list[dict[str, torch.Tensor]]) -> list[list[Any]]:
    tensors = {id(value): value for losses in window for value in losses.values()}
    try:
        stacked = torch.stack(list(tensors.values())).float().cpu()
    except RuntimeError:  # shapes or dtypes differ between micro-steps
        numbers = {ident: _number(value) for ident, value in tensors.items()}
    else:
        host = stacked.tolist() if stacked.dim() == 1 else list(stacked.numpy())
        numbers = dict(zip(tensors, host, strict=True))
    return [[numbers[id(value)] for value in losses.values()] for losses in window]


_EXACT_IN_FLOAT = (torch.float32, torch.bfloat16, torch.float16)


def _number(value: torch.Tensor) -> Any:
    if value.dtype is not torch.float32:
        value = value.float()
    if value.dim() == 0:
        return value.item()
    return value.detach().cpu().numpy()


_FLOAT32 = struct.Struct("f")


def float32(value: float) -> float:
    """``value`` rounded to the nearest float32 (ties to even; beyond the largest float32, infinity). The sum
    or quotient of two float32 numbers computed in double precision and rounded so is exactly their IEEE
    float32 sum or quotient (double carries more than 2 * 24 + 2 bits)."""
    try:
        return float(_FLOAT32.unpack(_FLOAT32.pack(value))[0])
    except OverflowError:  # finite, but rounds to infinity in float32
        return math.copysign(math.inf, value)


def _add_arrays(current: np.ndarray, number: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):  # an overflow to inf is the result, as on the device: no warning
        return current + number


def _host_float32(value: Any) -> Any:
    """A saved sum (a tensor) as what adding up continues from: a float, or a float32 numpy array."""
    array_ = value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)
    array_ = array_.astype(np.float32, copy=False)
    return float(array_) if array_.ndim == 0 else array_
