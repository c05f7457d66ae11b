"""Config: structure+validate and unstructure of a large config, YAML loading with locations, next to a
pydantic model of the same shape when pydantic is installed. Run: ``python benchmarks/config.py [--quick]``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import noether
from noether.core.config.dump import dump_yaml

S = "noether.core.schedules."


def large_config(out: str) -> dict[str, Any]:
    """Every family, about 200 fields once defaults are filled in."""
    callbacks = [
        {"name": "CheckpointCallback", "every_n_epochs": 1, "save_optim": True},
        {"name": "BestCheckpointCallback", "every_n_epochs": 1, "metric_key": "loss/val/total", "tolerances": [2]},
        {"name": "EmaCallback", "every_n_updates": 10, "target_factors": [0.99, 0.999]},
        {"name": "OfflineLossCallback", "every_n_epochs": 1, "dataset_key": "val"},
        {"name": "MetricEarlyStopper", "every_n_epochs": 1, "metric_key": "loss/val/total", "tolerance": 5},
        {"name": "BestMetricCallback", "every_n_epochs": 1, "source_metric_key": "loss/val/total",
         "target_metric_keys": ["loss/test/total"]},
        {"name": "TrackAdditionalOutputsCallback", "every_n_updates": 50, "patterns": ["rel_l2"]},
        {"name": "FixedEarlyStopper", "stop_at_epoch": 100},
    ]
    dataset = {"kind": "noether.data.airfoil.AirfoilDataset", "root": out, "split": "train",
               "wrappers": [{"kind": "noether.data.base.wrappers.ShuffleWrapper", "seed": 1},
                            {"kind": "noether.data.base.wrappers.SubsetWrapper", "end_percent": 0.5}],
               "normalizers": {"surface_pressure": {"kind": "noether.data.preprocessors.normalizers."
                                                            "MeanStdNormalization", "mean": [0.0], "std": [1.0]}}}
    return {
        "name": "large", "output_path": out, "seed": 1,
        "datasets": {"train": dataset, "val": {**dataset, "split": "val"}, "test": {**dataset, "split": "test"}},
        "model": {"kind": "noether.core.models.MLP", "name": "mlp", "input_dim": 5, "output_dim": 1,
                  "optimizer_config": {
                      "kind": "torch.optim.AdamW", "lr": 1e-3, "weight_decay": 0.05, "betas": [0.9, 0.95],
                      "clip_grad_norm": 1.0,
                      "schedule_config": {"kind": S + "LinearWarmupCosineDecaySchedule", "warmup_percent": 0.05},
                      "weight_decay_schedule": {"kind": S + "CosineIncreasingSchedule", "max_value": 0.1},
                      "param_group_modifiers_config": [{"kind": "noether.core.optimizer.param_group_modifiers."
                                                                "LrScaleByNameModifier", "name": "net.0.weight",
                                                        "scale": 0.1}]}},
        "trainer": {"kind": "SupervisedTrainer", "max_epochs": 100, "effective_batch_size": 64,
                    "max_batch_size": 16, "callbacks": callbacks, "forward_properties": ["a"],
                    "target_properties": ["b"]},
        "tracker": {"kind": "noether.core.trackers.WandBTracker", "mode": "offline"},
        "slurm": {"job_name": "x", "time": "1:00:00", "gpus_per_node": "a100:4", "mem": "64G"},
    }


def timeit(fn: Callable[[], Any], repeats: int = 200) -> tuple[float, float, float]:
    fn()
    values = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        values.append(time.perf_counter() - start)
    return statistics.median(values), min(values), max(values)


def main() -> None:
    repeats = 20 if "--quick" in sys.argv else 200
    with tempfile.TemporaryDirectory() as out:
        data = large_config(out)
        config = noether.structure(data)
        flat = noether.unstructure(config)
        fields = _count(flat)
        path = Path(out) / "large.yaml"
        path.write_text(dump_yaml(data))
        rows = [
            ("structure + validate", timeit(lambda: noether.structure(data), repeats)),
            ("unstructure", timeit(lambda: noether.unstructure(config), repeats)),
            ("load_config (YAML with locations)", timeit(lambda: noether.load_config(path), max(repeats // 4, 5))),
        ]
        try:
            from benchmarks.pydantic_twin import build_twin

            twin = build_twin()
            rows.append(("pydantic twin: model_validate", timeit(lambda: twin.model_validate(flat), repeats)))
            obj = twin.model_validate(flat)
            rows.append(("pydantic twin: model_dump", timeit(lambda: obj.model_dump(), repeats)))
        except ImportError:
            print("(pydantic not installed: pip install -e '.[bench]' to compare)")
    print(f"large config: {fields} fields after defaults")
    print(f"{'operation':<36} {'median us':>10} {'min-max us':>19}")
    for name, (med, lo, hi) in rows:
        print(f"{name:<36} {med * 1e6:>10.0f} {lo * 1e6:>9.0f}-{hi * 1e6:<9.0f}")


def _count(value: Any) -> int:
    if isinstance(value, dict):
        return sum(1 + _count(v) for v in value.values())
    if isinstance(value, list):
        return sum(_count(v) for v in value)
    return 0


if __name__ == "__main__":
    main()
