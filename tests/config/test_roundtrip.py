"""Property test: for every valid config, ``structure(unstructure(x)) == x``."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import noether
from noether.core.schemas import AnyScheduleConfig, CallbacksConfig, ConfigSchema

S = "noether.core.schedules."

intervals = st.one_of(
    st.fixed_dictionaries({"every_n_epochs": st.integers(1, 10)}),
    st.fixed_dictionaries({"every_n_updates": st.integers(1, 1000)}),
    st.fixed_dictionaries({"every_n_samples": st.integers(1, 10**6), "batch_size": st.integers(1, 64)}),
)
callbacks = st.one_of(
    st.builds(lambda i, opt: {"name": "CheckpointCallback", "save_optim": opt, **i}, intervals, st.booleans()),
    st.builds(lambda i, f: {"name": "EmaCallback", "target_factors": f, **i}, intervals,
              st.lists(st.floats(0, 1), min_size=1, max_size=3)),
    st.builds(lambda i, t: {"name": "MetricEarlyStopper", "metric_key": "loss/val/total", "tolerance": t, **i},
              intervals, st.integers(1, 20)),
    st.builds(lambda i, k: {"name": "OfflineLossCallback", "dataset_key": k, **i}, intervals,
              st.sampled_from(["val", "test"])),
    st.builds(lambda n: {"name": "FixedEarlyStopper", "stop_at_update": n}, st.integers(1, 100)),
)
schedules = st.one_of(
    st.builds(lambda v: {"kind": S + "ConstantSchedule", "value": v}, st.floats(0, 10)),
    st.builds(lambda w, e: {"kind": S + "LinearWarmupCosineDecaySchedule", "warmup_percent": w, "end_value": e},
              st.floats(0, 1), st.floats(0, 1e-3)),
    st.builds(lambda m, p: {"kind": S + "PolynomialDecreasingSchedule", "max_value": m, "power": p},
              st.floats(1e-3, 1), st.floats(0.1, 4)),
    st.builds(lambda f, s: {"kind": S + "StepFixedSchedule", "factor": f, "steps": s}, st.floats(0, 1),
              st.lists(st.floats(0.01, 0.99), min_size=1, max_size=4)),
)


@settings(max_examples=60, deadline=None)
@given(callbacks)
def test_callbacks_round_trip(data: dict[str, Any]) -> None:
    obj = noether.structure(data, CallbacksConfig)
    again = noether.structure(noether.unstructure(obj), CallbacksConfig)
    assert again == obj
    assert {k: v for k, v in noether.unstructure(obj).items() if k in data} == data


@settings(max_examples=60, deadline=None)
@given(schedules)
def test_schedules_round_trip(data: dict[str, Any]) -> None:
    obj = noether.structure(data, AnyScheduleConfig)
    assert noether.structure(noether.unstructure(obj), AnyScheduleConfig) == obj


@settings(max_examples=40, deadline=None)
@given(st.lists(callbacks, max_size=4), st.one_of(st.none(), schedules), st.integers(0, 2**31),
       st.sampled_from(["max_epochs", "max_updates", "max_samples"]), st.integers(0, 1000))
def test_full_config_round_trip(cbs: list[dict[str, Any]], sched: dict[str, Any] | None, seed: int,
                                limit: str, value: int) -> None:
    data = {
        "output_path": "/tmp/noether-roundtrip",
        "seed": seed,
        # Every key the callbacks may name (a dataset_key that names no dataset is invalid).
        "datasets": {key: {"kind": "tests.engine.toy.ToyDataset", "size": 32} for key in ("train", "val", "test")},
        "model": {"kind": "noether.core.models.MLP", "name": "m", "input_dim": 3, "output_dim": 1,
                  "optimizer_config": {"kind": "torch.optim.AdamW", "lr": 1e-3, "betas": [0.9, 0.95],
                                       "schedule_config": sched}},
        "trainer": {"kind": "SupervisedTrainer", "effective_batch_size": 8, limit: value, "callbacks": cbs},
        "tracker": {"kind": "noether.core.trackers.TensorboardTracker"},
        "slurm": {"time": "1:00:00", "gpus": "a100:2"},
    }
    obj = noether.structure(data, ConfigSchema)
    assert noether.structure(noether.unstructure(obj), ConfigSchema) == obj
