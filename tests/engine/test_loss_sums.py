"""Online-loss sums kept for several callbacks: every slot holds bit for bit what one callback summing alone,
after every micro-step, held.

The reference is the callback's former algorithm: per key, the first value, then ``sum + value`` in float32,
reset when the callback fires. Sequences here mix a single loss that is also the total (one tensor under
two keys), keys that stop arriving together, keys that appear late or go missing, other dtypes, slots
reset at different times, more micro-steps than are held before adding up, and states saved and restored
midway (into a fresh store, as a resume does).
"""

from __future__ import annotations

import math
import random

import pytest
import torch

from noether.core.callbacks.loss_sums import FOLD_EVERY, LossSums, float32


class Reference:
    """One callback's sums as it computed them alone (the former ``track_after_accumulation_step``)."""

    def __init__(self) -> None:
        self.sums: dict[str, torch.Tensor] = {}
        self.count = 0

    def add(self, losses: dict[str, torch.Tensor]) -> None:
        for key, value in losses.items():
            value = value.float()
            current = self.sums.get(key)
            self.sums[key] = value if current is None else current + value
        self.count += 1

    def reset(self) -> None:
        self.sums, self.count = {}, 0


def _micro_step(rng: random.Random, step: int) -> dict[str, torch.Tensor]:
    loss = torch.tensor(rng.uniform(-3, 3) * 10 ** rng.randint(-8, 4), dtype=torch.float32)
    if step < 90:  # a single loss: the total is the same tensor
        return {"total": loss, "loss_y": loss}
    if step < 110:  # two losses and their total
        other = torch.tensor(rng.random(), dtype=rng.choice([torch.float32, torch.bfloat16, torch.float64]))
        return {"total": loss + other.float(), "loss_y": loss, "loss_z": other}
    if step < 120:  # a key goes missing, the total is another tensor
        return {"total": loss, "loss_y": loss.clone()}
    return {"total": loss, "loss_y": loss}  # one tensor again


def _assert_slot_equals(sums: LossSums, slot: int, reference: Reference) -> None:
    count = sums.count(slot)
    assert count == reference.count
    actual = sums.sums(slot)
    assert list(actual) == list(reference.sums)
    for key, expected in reference.sums.items():
        value = torch.tensor(actual[key], dtype=torch.float32)
        assert torch.equal(value, expected) or (value.isnan().all() and expected.isnan().all()), key
        # The logged mean: float32 division on the host, as the tensor's division on the device.
        mean, expected_mean = float32(actual[key] / count), float(expected / count)
        assert mean == expected_mean or (math.isnan(mean) and math.isnan(expected_mean)), key


@pytest.mark.parametrize("seed", range(8))
def test_every_slot_sums_exactly_as_a_callback_alone(seed: int) -> None:
    rng = random.Random(seed)
    intervals = [rng.randint(1, 4), rng.randint(3, 11), 10**6]  # the last never fires: FOLD_EVERY applies
    sums, references = LossSums(3), [Reference(), Reference(), Reference()]
    for step in range(150):
        losses = _micro_step(rng, step)
        sums.add(losses)
        for reference in references:
            reference.add(losses)
        for slot, every in enumerate(intervals):
            if (step + 1) % every == 0:
                _assert_slot_equals(sums, slot, references[slot])
                sums.reset(slot)
                references[slot].reset()
        if step in (40, 100):  # a resume: the state of each slot into a new store
            restored = LossSums(3)
            for slot in range(3):
                restored.load(slot, sums.state(slot))
            sums = restored
    for slot in range(3):
        _assert_slot_equals(sums, slot, references[slot])


def test_few_micro_steps_are_held() -> None:
    sums = LossSums(2)
    loss = torch.tensor(0.5)
    for _ in range(5 * FOLD_EVERY):
        sums.add({"total": loss, "loss_y": loss})
    assert len(sums._pending) < FOLD_EVERY
    assert sums.count(0) == 5 * FOLD_EVERY and float(sums.sums(1)["total"]) == 2.5 * FOLD_EVERY
    assert sums.sums(0)["total"] == sums.sums(0)["loss_y"]


class CountedReads(torch.Tensor):
    """A loss tensor that counts how often its value is read to the host."""

    reads = 0

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        if func is torch.Tensor.item:
            cls.reads += 1
        return super().__torch_function__(func, types, args, kwargs or {})


def test_each_loss_is_read_once_for_all_slots() -> None:
    sums = LossSums(3)
    CountedReads.reads = 0
    for step in range(1, 25):
        loss = torch.tensor(float(step)).as_subclass(CountedReads)
        sums.add({"total": loss, "loss_y": loss})
        for slot, every in enumerate((2, 6, 12)):
            if step % every == 0:
                assert sums.sums(slot)["total"] == sum(range(step - every + 1, step + 1))
                sums.reset(slot)
    assert CountedReads.reads == 24
    assert len(sums._rows) <= len(sums._pending)


def test_sums_and_means_match_the_devices_float32_for_wide_ranges_and_overflow() -> None:
    rng = random.Random(3)
    for _trial in range(200):
        values = [torch.tensor(rng.uniform(-1, 1) * 10 ** rng.randint(-44, 38), dtype=torch.float32)
                  for _ in range(rng.randint(1, 40))]
        sums, reference = LossSums(1), Reference()
        for value in values:
            sums.add({"total": value})
            reference.add({"total": value})
        _assert_slot_equals(sums, 0, reference)


def test_states_are_in_the_callbacks_format() -> None:
    sums = LossSums(1)
    sums.add({"total": torch.tensor(1.5)})
    state = sums.state(0)
    sums.add({"total": torch.tensor(1.0)})
    assert state["count"] == 1 and float(state["sums"]["total"]) == 1.5
    assert set(state) == {"sums", "count"} and state["sums"]["total"].shape == ()
