"""Running sums of the training losses for the online-loss callbacks, added up outside the update.

Every run has at least two online-loss callbacks (the log and the track interval), and each kept a float32
sum of every loss, updated after every micro-step: tensor additions whose dispatch costs more than the
additions themselves, squeezed between the backward pass and the optimizer step, where the CPU's caches hold
the update's tensors and every line of Python misses them. :class:`LossSums` only keeps the micro-step's
losses (one list append for all callbacks that share it) and adds them up later, a batch at a time: when a
callback fires, when its state is saved, and every :data:`FOLD_EVERY` micro-steps (so that few tensors are
held). Each callback (*slot*) gets exactly the sums it computed itself before: per key the first value, then
``sum + value`` in float32, in micro-step order, and a loss that is also the total (one tensor under two
keys) added once for both while they stay one.
"""

from __future__ import annotations

from typing import Any

import torch

#: Micro-steps whose losses are held before they are added to every slot's sums.
FOLD_EVERY = 64


class _Slot:
    """One callback's sums: ``sums`` hold the losses up to ``cursor`` (a position in the pending list)."""

    __slots__ = ("count", "cursor", "sums")

    def __init__(self, cursor: int) -> None:
        self.sums: dict[str, torch.Tensor] = {}
        self.count = 0
        self.cursor = cursor


class LossSums:
    """The losses of the micro-steps since the oldest slot's last reset, and each slot's sums up to now."""

    def __init__(self, slots: int) -> None:
        self._slots = [_Slot(0) for _ in range(slots)]
        self._pending: list[dict[str, torch.Tensor]] = []

    def add(self, losses: dict[str, torch.Tensor]) -> None:
        """Keep one micro-step's losses (detached tensors; the dict is not modified later) for every slot."""
        pending = self._pending
        pending.append(losses)
        if len(pending) >= FOLD_EVERY:
            self._fold_all()

    def count(self, slot: int) -> int:
        """Micro-steps since ``slot``'s reset."""
        state = self._slots[slot]
        return state.count + len(self._pending) - state.cursor

    def sums(self, slot: int) -> dict[str, torch.Tensor]:
        """``slot``'s sums per key, in first-seen order (keys of one tensor may share one sum object)."""
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
        return {"sums": {k: v.detach().cpu() for k, v in sums.items()}, "count": self._slots[slot].count}

    def load(self, slot: int, state: dict[str, Any], device: torch.device | str | None = None) -> None:
        """Restore :meth:`state` into ``slot``."""
        restored = _Slot(len(self._pending))
        restored.sums = {k: v.to(device) if device is not None else v for k, v in state.get("sums", {}).items()}
        restored.count = int(state.get("count", 0))
        self._slots[slot] = restored
        self._drop_folded()

    def take(self, slot: int, other: LossSums, other_slot: int) -> None:
        """Make ``slot`` continue from ``other``'s ``other_slot`` (the same sums and count, on their device)."""
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
        pending = self._pending
        if state.cursor == len(pending):
            return
        sums = state.sums
        for losses in pending[state.cursor:]:
            # A tensor under two keys whose sums are one object (a single loss and the total): added once.
            added: dict[int, tuple[torch.Tensor | None, torch.Tensor]] = {}
            for key, value in losses.items():
                current = sums.get(key)
                ident = id(value)
                same = added.get(ident)
                if same is not None and same[0] is current:
                    sums[key] = same[1]
                    continue
                if value.dtype is not torch.float32:
                    value = value.float()
                new = value if current is None else current + value
                sums[key] = new
                added[ident] = (current, new)
        state.count += len(pending) - state.cursor
        state.cursor = len(pending)

    def _drop_folded(self) -> None:
        """Forget the micro-steps every slot has added (positions shift down)."""
        done = min(state.cursor for state in self._slots)
        if done:
            del self._pending[:done]
            for state in self._slots:
                state.cursor -= done
