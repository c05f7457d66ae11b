"""Every validation rule of the schemas, through ``noether.structure`` (paths and messages)."""

from __future__ import annotations

from typing import Any

import pytest

import noether
from noether.core.schemas import (
    AnyScheduleConfig,
    BaseTrainerConfig,
    CallbacksConfig,
    ConfigSchema,
    FixedEarlyStopperConfig,
    InitializerConfig,
    OptimizerConfig,
    ParamGroupModifierConfig,
    PositionNormalizerConfig,
    ShiftAndScaleNormalizerConfig,
    SlurmConfig,
    SubsetWrapperConfig,
)


def issues(data: Any, cls: Any) -> dict[str, str]:
    with pytest.raises(noether.ConfigError) as info:
        noether.structure(data, cls)
    return {i.dotted_path: i.message for i in info.value.issues}


def cb(**kw: Any) -> dict[str, Any]:
    return {"name": "CheckpointCallback", **kw}


@pytest.mark.parametrize(
    ("data", "path", "fragment"),
    [
        (cb(), "every_n_epochs", "exactly one of"),
        (cb(every_n_epochs=1, every_n_updates=2), "every_n_updates", "only one of"),
        (cb(every_n_epochs=0), "every_n_epochs", "must be > 0"),
        (cb(every_n_samples=10), "batch_size", "required when 'every_n_samples'"),
        (cb(every_n_epochs=1, batch_size=-2), "batch_size", "must be > 0"),
        (cb(every_n_epochs=1, kind="   "), "kind", "empty string"),
        (cb(every_n_epochs=2.0), "every_n_epochs", "expected an integer"),
        (cb(every_n_epochs=1, save_optim="false"), "save_optim", "expected true or false"),
        (cb(every_n_epochs=1, save_weights=False, save_latest_weights=False), "save_weights", "nothing is saved"),
        (cb(every_n_epoch=1), "every_n_epoch", "did you mean 'every_n_epochs'"),
        ({"name": "MetricEarlyStopper", "every_n_epochs": 1, "metric_key": "a", "tolerance": 0}, "tolerance", ">"),
        ({"name": "BestMetricCallback", "every_n_epochs": 1, "source_metric_key": "a"}, "target_metric_keys", "set"),
        ({"name": "TrackAdditionalOutputsCallback", "every_n_epochs": 1}, "keys", "set 'keys'"),
        ({"name": "TrackAdditionalOutputsCallback", "every_n_epochs": 1, "keys": ["a"], "reduce": "max"},
         "reduce", "must be one of"),
        ({"name": "EmaCallback", "every_n_epochs": 1}, "target_factors", "required"),
        ({"name": "EmaCallback", "every_n_epochs": 1, "target_factors": [1.5]}, "target_factors[0]", "[0.0, 1.0]"),
        ({"name": "OfflineLossCallback", "every_n_epochs": 1}, "dataset_key", "required"),
        ({"name": "Nope", "every_n_epochs": 1}, "name", "unknown callback kind 'Nope'"),
        ({"name": "CheckpointCallbak", "every_n_epochs": 1}, "name", "did you mean: 'CheckpointCallback'"),
    ],
)
def test_callback_rules(data: dict[str, Any], path: str, fragment: str) -> None:
    found = issues(data, CallbacksConfig)
    assert path in found, found
    assert fragment in found[path]


def test_callback_without_name_or_kind_is_base_config() -> None:
    cfg = noether.structure({"every_n_updates": 3}, CallbacksConfig)
    assert type(cfg).__name__ == "CallBackBaseConfig"


def test_callback_kind_selects_registered_config() -> None:
    cfg = noether.structure({"kind": "noether.core.callbacks.CheckpointCallback", "every_n_epochs": 1},
                            CallbacksConfig)
    assert type(cfg).__name__ == "CheckpointCallbackConfig"


def test_fixed_early_stopper_exactly_one_and_no_unknown_keys() -> None:
    found = issues({"name": "FixedEarlyStopper", "stop_at_epoch": 1, "stop_at_update": 2, "x": 1},
                   CallbacksConfig)
    assert "x" in found
    found = issues({"name": "FixedEarlyStopper"}, FixedEarlyStopperConfig)
    assert "stop_at_sample" in found


TRAINER = {"kind": "noether.training.trainers.BaseTrainer", "effective_batch_size": 8, "max_epochs": 1}


@pytest.mark.parametrize(
    ("changes", "path", "fragment"),
    [
        ({"max_epochs": None}, "max_epochs", "exactly one"),
        ({"max_updates": 3}, "max_updates", "only one"),
        ({"max_epochs": -1}, "max_epochs", ">= 0"),
        ({"effective_batch_size": 0}, "effective_batch_size", "> 0"),
        ({"precision": "fp8"}, "precision", "must be one of"),
        ({"log_every_n_epochs": 1, "log_every_n_updates": 2}, "log_every_n_updates", "only one"),
        ({"track_every_n_updates": 0}, "track_every_n_updates", "> 0"),
        ({"skip_nan_loss_max_count": 0}, "skip_nan_loss_max_count", "> 0"),
        ({"max_batch_size": 0}, "max_batch_size", "> 0"),
        ({"start_at_epoch": 1, "initializer": {"kind": "noether.core.initializers.ResumeInitializer",
                                               "run_id": "r", "model_name": "m"}}, "start_at_epoch", "cannot"),
        ({"typo": 1}, "typo", "unknown key"),
    ],
)
def test_trainer_rules(changes: dict[str, Any], path: str, fragment: str) -> None:
    data = {k: v for k, v in {**TRAINER, **changes}.items() if v is not None}
    found = issues(data, BaseTrainerConfig)
    assert path in found, found
    assert fragment in found[path]


def test_trainer_defaults_fix_upstream() -> None:
    cfg = noether.structure(TRAINER, BaseTrainerConfig)
    assert cfg.disable_gradient_accumulation is False
    assert cfg.add_default_callbacks is True and cfg.precision == "float32"
    assert cfg.skip_nan_loss_max_count == 100 and cfg.forward_properties == []


def test_trainer_initializer_accepts_resume_initializer() -> None:
    data = {**TRAINER, "initializer": {"kind": "noether.core.initializers.ResumeInitializer", "run_id": "r",
                                       "model_name": "m", "load_optim": True}}
    cfg = noether.structure(data, BaseTrainerConfig)
    assert type(cfg.initializer).__name__ == "ResumeInitializerConfig"


SCHED = "noether.core.schedules."


@pytest.mark.parametrize(
    ("data", "path", "fragment"),
    [
        ({"kind": SCHED + "LinearWarmupCosineDecaySchedule"}, "warmup_steps", "exactly one"),
        ({"kind": SCHED + "LinearWarmupCosineDecaySchedule", "warmup_steps": 1, "warmup_percent": 0.1},
         "warmup_percent", "only one"),
        ({"kind": SCHED + "LinearWarmupCosineDecaySchedule", "warmup_percent": 1.5}, "warmup_percent", "[0.0"),
        ({"kind": SCHED + "LinearWarmupCosineDecaySchedule", "warmup_steps": -1}, "warmup_steps", ">= 0"),
        ({"kind": SCHED + "ConstantSchedule", "value": 1, "overhang_steps": 1, "overhang_percent": 0.1},
         "overhang_steps", "only one"),
        ({"kind": SCHED + "ConstantSchedule", "value": 1, "start_step": 0}, "end_step", "together"),
        ({"kind": SCHED + "ConstantSchedule", "value": 1, "start_step": 0, "end_step": 0}, "end_step", "greater"),
        ({"kind": SCHED + "ConstantSchedule", "value": 1, "start_percent": 0.5, "end_percent": 0.5},
         "end_percent", "greater"),
        ({"kind": SCHED + "ConstantSchedule", "value": 1, "start_percent": 0.1, "end_percent": 0.5,
          "start_step": 0, "end_step": 3}, "start_step", "not both"),
        ({"kind": SCHED + "ConstantSchedule", "value": 1, "start_value": -1}, "start_value", ">= 0"),
        ({"kind": SCHED + "DecreasingProgressSchedule", "max_value": 1, "end_value": 2}, "end_value", "<="),
        ({"kind": SCHED + "IncreasingProgressSchedule", "max_value": 1, "start_value": 2}, "max_value", ">="),
        ({"kind": SCHED + "StepDecreasingSchedule", "max_value": 1, "factor": 0.5, "decreases_interval": 1.0},
         "decreases_interval", "(0.0, 1.0)"),
        ({"kind": SCHED + "StepFixedSchedule", "factor": 0.5, "steps": []}, "steps", "empty"),
        ({"kind": SCHED + "StepFixedSchedule", "factor": 0.5, "steps": [0.5, 1.0]}, "steps[1]", "(0.0, 1.0)"),
        ({"kind": SCHED + "StepIntervalSchedule", "factor": -1, "update_interval": 0.5}, "factor", ">= 0"),
        ({"kind": SCHED + "scheduler.SchedulerConfig", "end_value": 0}, "warmup_percent", "required"),
        ({"kind": SCHED + "PeriodicBoolSchedule"}, "initial_state", "required"),
        ({"kind": SCHED + "PeriodicBoolSchedule", "initial_state": True, "on_duration": 0}, "on_duration", "> 0"),
        ({"value": 1}, "kind", "'kind' is required"),
        ({"kind": SCHED + "CosineDecay"}, "kind", "unknown schedule kind"),
    ],
)
def test_schedule_rules(data: dict[str, Any], path: str, fragment: str) -> None:
    found = issues(data, AnyScheduleConfig)
    assert path in found, found
    assert fragment in found[path]


def test_every_seed_schedule_kind_structures() -> None:
    from noether.core.registry import get_registry

    kinds = [r.kind for r in get_registry().registrations()
             if r.family == "schedule" and r.provider.distribution == "noether"]
    assert len(kinds) == 17
    assert SCHED + "LinearWarmupCosineDecaySchedule" in kinds and SCHED + "scheduler.SchedulerConfig" in kinds


@pytest.mark.parametrize(
    ("data", "path", "fragment"),
    [
        ({"kind": "torch.optim.AdamW", "lr": 0}, "lr", "> 0"),
        ({"kind": "torch.optim.AdamW", "weight_decay": -0.1}, "weight_decay", ">= 0"),
        ({"kind": "torch.optim.AdamW", "clip_grad_norm": -1}, "clip_grad_norm", ">= 0"),
        ({"kind": "torch.optim.AdamWW"}, "kind", "did you mean"),
        ({"kind": "torch.optim.AdamW", "betaz": [0.9, 0.99]}, "betaz", "betas"),
        ({"kind": "torch.optim.SGD", "momentm": 0.9}, "momentm", "momentum"),
    ],
)
def test_optimizer_rules(data: dict[str, Any], path: str, fragment: str) -> None:
    found = issues(data, OptimizerConfig)
    assert path in found, found
    assert fragment in found[path]


def test_optimizer_torch_arguments_are_accepted() -> None:
    cfg = noether.structure({"kind": "torch.optim.SGD", "lr": 0.1, "momentum": 0.9, "nesterov": True},
                            OptimizerConfig)
    assert cfg.extra_args == {"momentum": 0.9, "nesterov": True}
    assert noether.unstructure(cfg)["momentum"] == 0.9


@pytest.mark.parametrize(
    ("data", "path", "fragment"),
    [
        ({"name": "a"}, "scale", "Either"),
        ({"name": "a", "scale": 1.0, "value": 0.1}, "value", "not both"),
        ({"name": "a", "scale": 0.0}, "scale", "> 0"),
        ({"name": "a", "value": -1.0}, "value", ">= 0"),
    ],
)
def test_param_group_modifier_rules(data: dict[str, Any], path: str, fragment: str) -> None:
    data = {"kind": "noether.core.optimizer.param_group_modifiers.LrScaleByNameModifier", **data}
    if "value" in data and "scale" not in data:
        data["kind"] = "noether.core.optimizer.param_group_modifiers.WeightDecayByNameModifier"
    found = issues(data, ParamGroupModifierConfig)
    assert path in found, found
    assert fragment in found[path]


def test_normalizer_rules() -> None:
    found = issues({"raw_pos_min": [0, 0], "raw_pos_max": [1, 0], "scale": 0}, PositionNormalizerConfig)
    assert "scale" in found  # scale > 0 is a field rule; shape/ordering follow once it is valid
    found = issues({"raw_pos_min": [0, 0], "raw_pos_max": [1, 0]}, PositionNormalizerConfig)
    assert "element-wise greater" in found["raw_pos_max"]
    found = issues({"shift": [0, 0], "scale": [1.0]}, ShiftAndScaleNormalizerConfig)
    assert "shape" in found["scale"]
    found = issues({"shift": [0, 0], "scale": [1.0, 0.0]}, ShiftAndScaleNormalizerConfig)
    assert "> 0" in found["scale"]


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({}, "indices"),
        ({"indices": [1], "start_index": 0}, "indices"),
        ({"start_index": 0, "start_percent": 0.5}, "indices"),
        ({"start_index": 5, "end_index": 2}, "end_index"),
        ({"start_percent": 0.5, "end_percent": 0.2}, "end_percent"),
        ({"end_percent": 1.5}, "end_percent"),
    ],
)
def test_subset_rules(data: dict[str, Any], path: str) -> None:
    assert path in issues({"kind": "noether.data.base.wrappers.SubsetWrapper", **data}, SubsetWrapperConfig)


def test_subset_end_index_zero_is_set() -> None:
    cfg = noether.structure({"end_index": 0}, SubsetWrapperConfig)
    assert cfg.end_index == 0


@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [
        ("time", ["60", "1:00", "01:00:00", "1-0", "1-12:30", "2-00:00:00", "infinite"],
         ["1:2:3:4", "abc", "1-", "-5", "1.5"]),
        ("mem", ["4G", "512M", "0", "64GB", "1.5T", "4g", "100", "4KB"], ["4GiB", "G", "4 G", "-1G"]),
        ("array", ["0-15", "1,3,5,7", "1-7%2", "1-7:2%4"], ["a", "0-15%", "%2", "1,,2"]),
        ("gpus", [2, 0, "2", "v100:4", "tesla_v100:1"], [-1, "a100:x", "a-100:2", "gpu:a100:2"]),
    ],
)
def test_slurm_formats(field: str, good: list[Any], bad: list[Any]) -> None:
    for value in good:
        noether.structure({field: value}, SlurmConfig)
    for value in bad:
        assert field in issues({field: value}, SlurmConfig), value


def test_initializer_tag_forms() -> None:
    base = {"kind": "noether.core.initializers.PreviousRunInitializer", "run_id": "r"}
    for tag in ["latest", {"epoch": 3}, {"epoch": 1, "update": 2, "sample": 3}]:
        noether.structure({**base, "checkpoint_tag": tag}, InitializerConfig)
    assert "checkpoint_tag" in issues({**base, "checkpoint_tag": {"epoch": 1, "update": 2}}, InitializerConfig)
    assert "checkpoint_tag" in issues({**base, "checkpoint_tag": {"epochs": 1}}, InitializerConfig)
    assert "load_optim" in issues({**base, "load_optim": True}, InitializerConfig)


def test_root_rejects_unknown_keys_and_reports_all(tmp_path: Any) -> None:
    data = {
        "output_path": str(tmp_path),
        "datsets": {},
        "model": {"kind": "noether.core.models.MLP", "name": "m", "input_dim": 1, "output_dim": 0},
        "trainer": {**TRAINER, "effective_batch_size": 3.9},
        "tracker": "disabled",
    }
    found = issues(data, ConfigSchema)
    assert "did you mean 'datasets'" in found["datsets"]
    assert "required" in found["datasets"]
    assert "model.output_dim" in found and "trainer.effective_batch_size" in found


def test_tracker_disabled_and_empty_are_none(tmp_path: Any) -> None:
    from noether.core.schemas import TrackioTrackerSchema

    base = {"output_path": str(tmp_path), "datasets": {"train": {"kind": "tests.engine.toy.ToyDataset"}},
            "model": {"kind": "noether.core.models.MLP", "name": "m", "input_dim": 3, "output_dim": 1},
            "trainer": TRAINER}
    for value in ["disabled", "DISABLED", {}, None]:
        assert noether.structure({**base, "tracker": value}).tracker is None
    cfg = noether.structure({**base, "tracker": {"kind": "noether.core.trackers.TrackioTracker", "project": "p"}})
    assert isinstance(cfg.tracker, TrackioTrackerSchema)


def test_direct_construction_validates() -> None:
    from noether.core.schemas import CheckpointCallbackConfig

    with pytest.raises(noether.ConfigError) as info:
        CheckpointCallbackConfig(every_n_epochs=0, batch_size=-1)
    assert {i.dotted_path for i in info.value.issues} == {"every_n_epochs", "batch_size"}


def test_cross_field_rules_are_reported_with_nested_errors() -> None:
    data = {**TRAINER, "max_updates": 3, "callbacks": [{"name": "CheckpointCallback", "every_n_epochs": 0}]}
    found = issues(data, BaseTrainerConfig)
    assert "callbacks[0].every_n_epochs" in found
    assert "only one of" in found["max_updates"]
