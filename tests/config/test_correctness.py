"""Issue 13 (converter, schema and registry half): nothing invalid accepted, every error located and plain.

Real parts throughout: real YAML files, the real registry with its entry points, user modules written to
disk and imported, and ``noether check`` run as a subprocess.
"""

from __future__ import annotations

import datetime
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import attrs
import pytest

import noether
from noether.core.config.dump import dump_yaml
from noether.core.registry import get_registry
from noether.core.schemas import (
    CallbacksConfig,
    CheckpointCallbackConfig,
    ConfigSchema,
    ConstantScheduleConfig,
    LinearWarmupCosineDecayScheduleConfig,
    MeanStdNormalizerConfig,
    OptimizerConfig,
    StepFixedScheduleConfig,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "airfoil.yaml"


def issues_of(data: Any, cls: Any = None) -> dict[str, str]:
    with pytest.raises(noether.ConfigError) as info:
        noether.structure(data, cls)
    return {issue.dotted_path: issue.message for issue in info.value.issues}


def load_issues(overrides: list[str]) -> dict[str, tuple[str, str | None]]:
    with pytest.raises(noether.ConfigError) as info:
        noether.load_config(EXAMPLE, overrides)
    return {i.dotted_path: (i.message, i.location) for i in info.value.issues}


def check(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(cwd), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-m", "noether", "check", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)


# -- list, set, tuple and mapping fields ------------------------------------------------------------------------
def test_a_string_for_a_list_field_is_rejected_not_iterated() -> None:
    found = load_issues(["trainer.target_properties=surface_pressure"])
    message, location = found["trainer.target_properties"]
    assert message == "expected a list, got the string 'surface_pressure'"
    assert location is not None and "override 'trainer.target_properties=surface_pressure'" in location


def test_a_mapping_for_a_list_field_and_a_string_for_a_set_field_are_rejected() -> None:
    found = load_issues(["model.forward_properties={a: 1}", "datasets.train.included_properties=abc"])
    assert found["model.forward_properties"][0].startswith("expected a list, got a mapping")
    assert found["datasets.train.included_properties"][0] == "expected a list, got the string 'abc'"


def test_cli_rejects_a_string_for_a_list_with_exit_2() -> None:
    out = check(str(EXAMPLE), "trainer.target_properties=surface_pressure", "--quiet")
    assert out.returncode == 2, out.stderr
    assert "expected a list, got the string 'surface_pressure'" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize(
    ("data", "path", "message"),
    [
        ({"factor": 0.5, "steps": None}, "steps", "expected a list, got null"),
        ({"factor": 0.5, "steps": 3}, "steps", "expected a list, got the integer 3"),
        ({"factor": 0.5, "steps": ["a"]}, "steps[0]", "expected a number, got 'a'"),
    ],
)
def test_wrong_types_inside_containers_are_plain(data: dict[str, Any], path: str, message: str) -> None:
    found = issues_of(data, StepFixedScheduleConfig)
    assert found[path] == message


def test_statistics_of_the_wrong_shape_are_plain() -> None:
    data = noether.unstructure(noether.load_config(EXAMPLE))
    data["dataset_statistics"] = {"p": 3, "q": ["x"]}
    found = issues_of(data)
    assert found["dataset_statistics.p"] == "expected a list, got the integer 3"
    assert found["dataset_statistics.q[0]"] == "expected a number, got 'x'"


def test_non_string_mapping_keys_are_rejected() -> None:
    from noether.data.schemas import RenameKeysConfig

    found = issues_of({"kind": "noether.data.RenameKeys", "mapping": {1: "a"}}, RenameKeysConfig)
    assert "key 1: expected a string" in found["mapping"]


# -- normalizers and wrappers --------------------------------------------------------------------------------
def test_normalizer_field_is_named_and_located_under_the_alias_key(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(EXAMPLE.read_text().replace("std: [0.02887, 0.01443, 3.4641]", "std: [0.02887, .nan, -1]"))
    with pytest.raises(noether.ConfigError) as info:
        noether.load_config(cfg)
    by_path = {i.dotted_path: i for i in info.value.issues}
    issue = by_path["datasets.train.normalizers.conditioning.std[1]"]
    assert issue.message == "must be a finite number, got nan"
    assert issue.location is not None and issue.location.endswith("cfg.yaml:19:24"), issue.location


def test_normalizer_value_from_an_override_is_reported_at_the_override() -> None:
    found = load_issues(["datasets.train.normalizers.conditioning.mean=x"])
    message, location = found["datasets.train.normalizers.conditioning.mean"]
    assert message == "expected a number or a list of numbers, got the string 'x'"
    assert location is not None and location.startswith("override 'datasets.train.normalizers")
    assert len(found) == 1  # no meaningless second alternative, no shape rule on the broken value


def test_normalizer_gives_only_the_alternative_that_applies() -> None:
    data = {"kind": "noether.data.FolderDataset", "root": "r", "split": "train",
            "normalizers": {"x": {"kind": "noether.data.preprocessors.normalizers.MeanStdNormalization",
                                  "mean": [0.0], "std": [0.0]}}}
    found = issues_of(data, noether.core.schemas.AnyDatasetConfig)
    assert found == {"normalizers.x.std": "every std must be > 0, got [0.0]"}


def test_wrapper_errors_use_the_alias_path() -> None:
    data = {"kind": "noether.data.FolderDataset", "root": "r", "split": "train",
            "wrappers": [{"kind": "noether.data.base.wrappers.RepeatWrapper", "repetitions": 1}]}
    found = issues_of(data, noether.core.schemas.AnyDatasetConfig)
    assert list(found) == ["wrappers[0].repetitions"]


# -- kinds ---------------------------------------------------------------------------------------------------------
def test_schedule_typo_inside_a_misspelled_model_kind_reports_both() -> None:
    found = load_issues(["model.kind=noether.data.airfoil.AirfoilMLq",
                         "model.optimizer_config.schedule_config.kind=noether.core.schedules.LinearWarmupCosine"])
    assert "did you mean: 'noether.data.airfoil.AirfoilMLP'" in found["model.kind"][0]
    assert "unknown schedule kind" in found["model.optimizer_config.schedule_config.kind"][0]


def test_unknown_kind_message_is_short_best_match_first() -> None:
    message = load_issues(["model.kind=noether.data.airfoil.AirfoilMLq"])["model.kind"][0]
    assert message.startswith("unknown model kind 'noether.data.airfoil.AirfoilMLq'; did you mean: "
                              "'noether.data.airfoil.AirfoilMLP'")
    assert "known model kinds" not in message and "importing" not in message


def test_unknown_kind_lists_kinds_only_without_a_close_match() -> None:
    message = issues_of({"name": "Zzzzzzz", "every_n_epochs": 1}, CallbacksConfig)["name"]
    assert "known callback kinds: " in message and "did you mean" not in message
    assert "importing" not in message  # not a path: no import was tried


def test_kind_of_an_uninstalled_known_plugin_says_so_first() -> None:
    message = load_issues(["trainer.kind=noether_mlflow.Trainer"])["trainer.kind"][0]
    assert message.startswith("unknown trainer kind 'noether_mlflow.Trainer': it is provided by the package "
                              "'noether-mlflow', which is not installed: pip install noether-mlflow")


def test_kind_of_a_disabled_plugin_says_so_first() -> None:
    found = load_issues(["plugins.disable=[cfd]", "model={kind: noether_cfd.Upt, name: m}"])
    assert found["model.kind"][0].startswith("unknown model kind 'noether_cfd.Upt': it belongs to the plugin "
                                             "'cfd', which is disabled")


def test_misspelled_callback_kind_fails_in_check_with_the_close_match() -> None:
    found = load_issues(["trainer.callbacks[1]={kind: noether.core.callbacks.CheckpointCallbak, every_n_epochs: 1}"])
    assert "did you mean: 'noether.core.callbacks.CheckpointCallback'" in found["trainer.callbacks[1].kind"][0]


def test_callback_implementation_kind_is_checked() -> None:
    found = load_issues(["trainer.callbacks[0].kind=Nonsense"])
    assert found["trainer.callbacks[0].kind"][0].startswith("unknown callback kind 'Nonsense'")


def test_callback_implementation_kind_may_name_the_registered_class_path() -> None:
    cfg = noether.structure({"name": "CheckpointCallback", "kind": "noether.core.callbacks.checkpoint."
                             "CheckpointCallback", "every_n_epochs": 1}, CallbacksConfig)
    assert isinstance(cfg, CheckpointCallbackConfig)


USER_CALLBACK = """
from typing import Literal

import attrs
from noether.core.schemas import CallBackBaseConfig, PositiveInt

@attrs.frozen(kw_only=True)
class ScaledLossCallbackConfig(CallBackBaseConfig):
    name: Literal["ScaledLossCallback"] = "ScaledLossCallback"
    factor: PositiveInt = 1

class ScaledLossCallback:
    config_class = ScaledLossCallbackConfig
"""


def test_users_own_callback_by_import_path_with_its_config_class(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "mycallbacks_13"
    package.mkdir()
    (package / "__init__.py").write_text(USER_CALLBACK)
    monkeypatch.syspath_prepend(str(tmp_path))
    cfg = noether.structure({"kind": "mycallbacks_13.ScaledLossCallback", "every_n_epochs": 2, "factor": 3},
                            CallbacksConfig)
    assert type(cfg).__name__ == "ScaledLossCallbackConfig" and cfg.factor == 3
    found = issues_of({"kind": "mycallbacks_13.ScaledLossCallback", "every_n_epochs": 2, "factor": 0},
                      CallbacksConfig)
    assert found == {"factor": "must be > 0, got 0"}
    # upstream's style, with the config's own name next to the kind
    named = noether.structure({"name": "ScaledLossCallback", "kind": "mycallbacks_13.ScaledLossCallback",
                               "every_n_epochs": 2, "factor": 3}, CallbacksConfig)
    assert named == cfg
    found = issues_of({"name": "ScaledLossCallbak", "kind": "mycallbacks_13.ScaledLossCallback",
                       "every_n_epochs": 2}, CallbacksConfig)
    assert list(found) == ["name"] and "ScaledLossCallback" in found["name"]


def test_check_never_imports_torch_for_torch_or_other_family_kinds(tmp_path: Path) -> None:
    code = textwrap.dedent(f"""
        import sys, noether
        try:
            noether.load_config({str(EXAMPLE)!r}, ["model.kind=torch.nn.Linear",
                                "trainer.callbacks[0].kind=torch.optim.AdamW",
                                "trainer.kind=noether.core.callbacks.CheckpointCallback",
                                "model.optimizer_config.kind=torch.optim.AdamX"])
        except noether.ConfigError as error:
            print(len(error.issues))
        print('torch' in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.split() == ["4", "False"], out.stderr


def test_a_registered_kind_never_imports_a_module_of_the_current_directory(tmp_path: Path) -> None:
    # A module shadowing the kind's top-level name would run if the kind were imported.
    (tmp_path / "SupervisedTrainer.py").write_text("raise SystemExit('imported!')\n")
    (tmp_path / "Nonsense.py").write_text("raise SystemExit('imported!')\n")
    out = check(str(EXAMPLE), "trainer.callbacks[0].kind=Nonsense", cwd=tmp_path)
    assert out.returncode == 2 and "imported!" not in out.stderr + out.stdout
    assert "unknown callback kind 'Nonsense'" in out.stderr


def test_a_kind_naming_user_code_imports_it(tmp_path: Path) -> None:
    (tmp_path / "usercb13.py").write_text(USER_CALLBACK + "\nprint('user module ran')\n")
    out = check(str(EXAMPLE), "trainer.callbacks[0]={kind: usercb13.ScaledLossCallback, every_n_epochs: 1}",
                cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "user module ran" in out.stdout


def test_plugins_section_applies_to_its_config_only() -> None:
    before = get_registry()
    with pytest.raises(noether.ConfigError):
        noether.load_config(EXAMPLE, ["plugins.disable=[cfd]", "model={kind: noether_cfd.Upt, name: m}"])
    assert get_registry() is before
    assert "noether_cfd.Upt" in get_registry().kinds("model")
    data = noether.unstructure(noether.load_config(EXAMPLE))
    data["model"] = {"kind": "noether_cfd.Upt", "name": "m"}
    try:
        noether.structure(data)
    except noether.ConfigError as error:  # the model may miss fields; it must not be an unknown kind
        assert all("unknown model kind" not in i.message for i in error.issues), error


# -- direct construction ----------------------------------------------------------------------------------------
def test_direct_construction_applies_the_type_rules() -> None:
    with pytest.raises(noether.ConfigError) as info:
        ConstantScheduleConfig(value="abc")
    assert [(i.dotted_path, i.message) for i in info.value.issues] == [("value", "expected a number, got 'abc'")]
    with pytest.raises(noether.ConfigError, match="every_n_epochs: expected an integer, got '3'"):
        CheckpointCallbackConfig(every_n_epochs="3")  # type: ignore[arg-type]


def test_direct_construction_missing_or_unknown_keyword_is_a_config_error() -> None:
    with pytest.raises(noether.ConfigError) as info:
        ConstantScheduleConfig()  # type: ignore[call-arg]
    assert [(i.dotted_path, i.message) for i in info.value.issues] == [("value", "required field is missing")]
    with pytest.raises(noether.ConfigError, match="did you mean 'value'"):
        ConstantScheduleConfig(valeu=1.0)  # type: ignore[call-arg]


def test_direct_construction_rejects_a_nested_plain_mapping() -> None:
    with pytest.raises(noether.ConfigError) as info:
        OptimizerConfig(kind="torch.optim.AdamW", lr=1e-3,
                        schedule_config={"kind": "noether.core.schedules.ConstantSchedule", "value": 1.0})
    (issue,) = info.value.issues
    assert issue.dotted_path == "schedule_config" and "noether.structure()" in issue.message
    built = OptimizerConfig(kind="torch.optim.AdamW", lr=1e-3,
                            schedule_config=LinearWarmupCosineDecayScheduleConfig(warmup_percent=0.1))
    assert built.schedule_config is not None


def test_direct_construction_applies_cross_field_rules_and_list_shapes() -> None:
    with pytest.raises(noether.ConfigError, match="exactly one of"):
        CheckpointCallbackConfig()
    with pytest.raises(noether.ConfigError, match="model_names: expected a list, got the string 'ab'"):
        CheckpointCallbackConfig(every_n_epochs=1, model_names="ab")  # type: ignore[arg-type]
    with pytest.raises(noether.ConfigError, match="must be a finite number"):
        MeanStdNormalizerConfig(mean=[0.0], std=[math.nan])


def test_direct_construction_accepts_any_config_of_the_family() -> None:
    from noether.core.schemas import FixedEarlyStopperConfig, SupervisedTrainerConfig

    stopper = FixedEarlyStopperConfig(stop_at_epoch=2)  # a callback config that is not a CallBackBaseConfig
    trainer = SupervisedTrainerConfig(max_epochs=3, effective_batch_size=4, callbacks=[stopper])
    assert trainer.callbacks == [stopper]
    with pytest.raises(noether.ConfigError, match=r"callbacks\[0\]: expected a callback config object"):
        SupervisedTrainerConfig(max_epochs=3, effective_batch_size=4, callbacks=[3])  # type: ignore[list-item]


def test_attrs_evolve_validates() -> None:
    cfg = CheckpointCallbackConfig(every_n_epochs=1)
    with pytest.raises(noether.ConfigError, match="must be > 0"):
        attrs.evolve(cfg, every_n_epochs=0)


def test_structure_does_not_validate_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    import noether.core.schemas._base as base

    calls: list[type] = []
    original = base._field_issues

    def counting(obj: Any) -> Any:
        calls.append(type(obj))
        return original(obj)

    monkeypatch.setattr(base, "_field_issues", counting)
    noether.load_config(EXAMPLE)
    assert calls == []  # converter-built objects skip the field walk; their fields were checked while structuring
    CheckpointCallbackConfig(every_n_epochs=1)
    assert calls == [CheckpointCallbackConfig]


# -- bounds and plain values --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("override", "path", "fragment"),
    [
        ("trainer.max_epochs=1000000000000000000000000000000", "trainer.max_epochs", "64-bit integer"),
        ("model.optimizer_config.lr=.inf", "model.optimizer_config.lr", "finite number, got inf"),
        ("model.optimizer_config.lr=.nan", "model.optimizer_config.lr", "finite number, got nan"),
        ("name=' '", "name", "empty string"),
        ("trainer.forward_properties=['', b]", "trainer.forward_properties[0]", "empty string"),
        ("datasets={' ': {kind: noether.data.FolderDataset, root: r, split: train}}", "datasets", "key ' '"),
        ("model.optimizer_config.betas={1.5: x}", "model.optimizer_config.betas", "keys must be strings"),
        ("master_port=[20000, 30000]", "master_port", "upstream's range [low, high]"),
    ],
)
def test_bounds(override: str, path: str, fragment: str) -> None:
    found = load_issues([override])
    assert fragment in found[path][0], found


def test_huge_integers_are_described_without_printing_them() -> None:
    found = issues_of({"value": 10**5000}, ConstantScheduleConfig)
    assert found == {"value": "must fit in a 64-bit integer, got an integer of 16610 bits"}
    found = issues_of({"kind": 10**5000, "value": 1.0}, ConstantScheduleConfig)
    assert "an integer of 16610 bits" in found["kind"]


@pytest.mark.parametrize("value", [{0.9, 0.99}, datetime.date(2024, 1, 1), b"\x00", object()])
def test_optimizer_argument_that_is_not_plain_data_is_rejected(value: Any) -> None:
    data = noether.unstructure(noether.load_config(EXAMPLE))
    data["model"]["optimizer_config"]["betas"] = value
    found = issues_of(data)
    assert "expected plain data" in found["model.optimizer_config.betas"]


def test_deeply_nested_free_form_data_is_bounded() -> None:
    data = noether.unstructure(noether.load_config(EXAMPLE))
    deep: list[Any] = []
    for _ in range(5000):
        deep = [deep]
    data["model"]["optimizer_config"]["betas"] = deep
    data["datasets"]["train"]["dataset_normalizers"]["conditioning"]["mean"] = deep
    found = issues_of(data)
    assert sorted(m for m in found.values()) == ["nested more than 64 levels deep"] * 2


def test_resolved_config_always_prints() -> None:
    config = noether.load_config(EXAMPLE, ["model.optimizer_config.betas=[0.9, 0.95]"])
    assert "betas" in dump_yaml(noether.unstructure(config))


def test_round_trip_with_nan_where_nan_is_allowed() -> None:
    config = noether.load_config(EXAMPLE, ["dataset_statistics={p: [.nan, 1.0, .inf]}",
                                           "model.optimizer_config.eps=.nan"])
    assert math.isnan(config.dataset_statistics["p"][0])
    assert noether.structure(noether.unstructure(config)) == config
    assert isinstance(config, ConfigSchema)
    built = attrs.evolve(config, dataset_statistics={"p": [float("nan")]})  # a NaN object of the user's
    assert noether.structure(noether.unstructure(built)) == built


def test_schema_modules_import_neither_torch_nor_the_converter_nor_the_registry() -> None:
    import ast

    forbidden = ("torch", "numpy", "noether.core.config", "noether.core.registry")
    files = [*sorted((ROOT / "src/noether/core/schemas").glob("*.py")), ROOT / "src/noether/data/schemas.py",
             ROOT / "src/noether/data/airfoil/schemas.py"]
    found = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):  # function-level imports count too
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found.extend(f"{path.name}: {n}" for n in names if n.startswith(forbidden))
    assert found == []


def test_cli_check_fails_for_a_misspelled_callback_kind_with_the_close_match() -> None:
    override = "trainer.callbacks[1]={kind: noether.core.callbacks.CheckpointCallbak, every_n_epochs: 1}"
    out = check(str(EXAMPLE), override)
    assert out.returncode == 2 and out.stdout == ""
    assert "did you mean: 'noether.core.callbacks.CheckpointCallback'" in out.stderr


@pytest.mark.parametrize("quiet", [[], ["--quiet"]])
def test_cli_check_rejects_unprintable_optimizer_arguments_either_way(quiet: list[str]) -> None:
    out = check(str(EXAMPLE), "model.optimizer_config.betas={1.5: x}", *quiet)
    assert out.returncode == 2, out.stderr
    assert "model.optimizer_config.betas: keys must be strings" in out.stderr


# -- references between sections ----------------------------------------------------------------------------------
def test_a_callbacks_dataset_key_must_name_a_dataset() -> None:
    issues = load_issues(["trainer.callbacks[0].dataset_key=tset"])
    message, location = issues["trainer.callbacks[0].dataset_key"]
    assert message == "no dataset 'tset' (did you mean 'test'?); datasets: train, test"
    assert location == "override 'trainer.callbacks[0].dataset_key=tset' (command line)"
    done = check(str(EXAMPLE), "trainer.callbacks[0].dataset_key=validation")
    assert done.returncode == 2 and "no dataset 'validation'; datasets: train, test" in done.stderr
