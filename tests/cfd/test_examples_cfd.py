"""Every CFD example passes ``noether check``; the Transolver example trains briefly and reports its metrics."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from noether.cli.main import main as noether_main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "cfd"


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_every_example_passes_check(example: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = noether_main(["check", str(EXAMPLES / example)])
    assert code == 0, capsys.readouterr().err


def test_there_are_the_three_ellipsoid_examples_and_the_full_size_recipes() -> None:
    names = {p.stem for p in EXAMPLES.glob("*.yaml")}
    assert {"ellipsoid_abupt", "ellipsoid_transolver", "ellipsoid_upt", "shapenet_car_abupt",
            "drivaerml_abupt"} <= names


def test_the_transolver_example_trains_and_reports_errors_and_moment_agreement(tmp_path: Path) -> None:
    from noether.core.config.loader import load_config
    from noether.training.runner import run

    overrides = [f"output_path={tmp_path / 'runs'}", "trainer.max_epochs=1", "trainer.callbacks[0].every_n_epochs=1",
                 "trainer.callbacks[1].every_n_epochs=1"]
    for split in ("train", "test"):
        overrides += [f"datasets.{split}.root={tmp_path / 'data'}", f"datasets.{split}.train_size=8",
                      f"datasets.{split}.val_size=2", f"datasets.{split}.test_size=4",
                      f"datasets.{split}.num_volume_points=600"]
    result = run(load_config(EXAMPLES / "ellipsoid_transolver.yaml", overrides))
    metrics = result.last_metrics
    for key in ("rel_l2/test/surface_pressure", "rel_l2/test/volume_velocity", "r2/test/cm_y",
                "baseline/rel_l2/test/surface_pressure", "baseline/r2/test/cm_y"):
        assert key in metrics and math.isfinite(metrics[key]), key
