"""Schema classes are created only when used: ``noether check`` builds the classes its config names."""

from __future__ import annotations

import importlib
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("noether.core.schemas", "noether.core.schemas.schedules", "noether.core.schemas.callbacks",
            "noether.core.schedules")


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_resolves_and_is_listed(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None, name
    assert set(module.__all__) <= set(dir(module))
    with pytest.raises(AttributeError, match="no attribute 'NoSuchConfig'"):
        module.NoSuchConfig  # noqa: B018


def test_config_objects_of_lazy_modules_pickle_and_compare() -> None:
    from noether.core.schemas import LinearWarmupCosineDecayScheduleConfig, OfflineLossCallbackConfig
    from noether.core.schemas.schedules import LinearWarmupCosineDecayScheduleConfig as Same

    assert Same is LinearWarmupCosineDecayScheduleConfig
    for obj in (LinearWarmupCosineDecayScheduleConfig(warmup_percent=0.1),
                OfflineLossCallbackConfig(dataset_key="test", every_n_epochs=1)):
        assert pickle.loads(pickle.dumps(obj)) == obj


def test_check_creates_only_the_classes_its_config_uses(cli_env: dict[str, str]) -> None:
    probe = (
        "import sys\n"
        "from noether.cli.main import main\n"
        "try:\n    main(['check', '-q', 'examples/airfoil.yaml'])\nexcept SystemExit:\n    pass\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('noether.core.sche'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=cli_env, capture_output=True, text=True,
                         check=True)
    loaded = set(out.stdout.split())
    # What the example names: a warm-up schedule, a checkpoint and a loss callback.
    assert {"noether.core.schemas.schedules.warmup", "noether.core.schemas.callbacks.checkpoint",
            "noether.core.schemas.callbacks.losses"} <= loaded
    unused = {"noether.core.schemas.schedules.progress", "noether.core.schemas.schedules.step",
              "noether.core.schemas.schedules.periodic", "noether.core.schemas.callbacks.ema",
              "noether.core.schemas.callbacks.early_stop", "noether.core.schemas.trackers",
              "noether.core.schemas.initializers", "noether.core.schemas.wrappers", "noether.core.schedules.warmup"}
    assert not loaded & unused, loaded & unused
