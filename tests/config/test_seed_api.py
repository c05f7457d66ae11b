"""Every class and field of the seed API exists under ``noether.core.schemas``; no torch is imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

import noether.core.schemas as schemas

SEED_FIELDS: dict[str, list[str]] = json.loads((Path(__file__).parent / "seed_fields.json").read_text())
SEED_ALIASES = ["AnyInitializer", "AnyNormalizer", "AnyScheduleConfig", "CallbacksConfig", "AnyTracker"]


@pytest.mark.parametrize("name", sorted(SEED_FIELDS))
def test_seed_class_has_seed_fields(name: str) -> None:
    cls = getattr(schemas, name)
    have = {f.name for f in attrs.fields(cls)}
    assert set(SEED_FIELDS[name]) <= have
    assert attrs.has(cls) and cls.__setattr__ is not object.__setattr__  # frozen


@pytest.mark.parametrize("name", SEED_ALIASES)
def test_union_aliases_exist(name: str) -> None:
    assert getattr(schemas, name) is not None


def test_seed_methods() -> None:
    model = schemas.ModelBaseConfig(kind="x.Y", name="m")
    assert model.config_kind == "noether.core.schemas.models.ModelBaseConfig"
    opt = schemas.OptimizerConfig(kind="torch.optim.AdamW", lr=1e-3)
    args = opt.return_optim_wrapper_args()
    assert set(args) == {
        "clip_grad_value", "clip_grad_norm", "param_group_modifiers_config", "exclude_bias_from_weight_decay",
        "exclude_normalization_params_from_weight_decay", "weight_decay_schedule", "schedule_config",
    }
    assert args["exclude_bias_from_weight_decay"] is True


def test_importing_schemas_and_checking_imports_no_torch(tmp_path: Path) -> None:
    code = "import sys, noether.core.schemas, noether; import noether.cli.main; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (dict(job_name="x", nodes=2, ntasks_per_node=4, gpus_per_node="a100:4", time="1:00:00",
              kill_on_invalid_dep=True, nice=0, env_path="a"),
         "--job-name=x --nodes=2 --ntasks-per-node=4 --gpus-per-node=a100:4 --time=1:00:00 "
         "--kill-on-invalid-dep --nice=0"),
        (dict(partition="gpu", mem="64GB", cpus_per_task=8, output="/x/%j.out", array="0-3", chdir="/w"),
         "--partition=gpu --cpus-per-task=8 --mem=64GB --output=/x/%j.out --array=0-3 --chdir=/w"),
        ({}, ""),
    ],
)
def test_to_srun_args(kwargs: dict[str, object], expected: str) -> None:
    assert schemas.SlurmConfig(**kwargs).to_srun_args() == expected
