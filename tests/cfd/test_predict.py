"""``noether predict`` on a briefly trained AB-UPT example: fields on the mesh, coefficients, bad inputs."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import meshio
import numpy as np
import pytest

from noether.cli.main import main as noether_main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "cfd" / "ellipsoid_abupt.yaml"
CONDITIONS = "conditions=0.9,0.4,0.3,1,0,0"


def short_overrides(tmp: Path) -> list[str]:
    """Make the example tiny: small data in ``tmp``, one epoch."""
    out = [f"output_path={tmp / 'runs'}", "trainer.max_epochs=1", "trainer.callbacks[0].every_n_epochs=1",
           "trainer.callbacks[1].every_n_epochs=1", "model.hidden_dim=16", "model.num_heads=2"]
    for split in ("train", "test"):
        out += [f"datasets.{split}.root={tmp / 'data'}", f"datasets.{split}.train_size=8",
                f"datasets.{split}.val_size=2", f"datasets.{split}.test_size=4", f"datasets.{split}.subdivisions=3",
                f"datasets.{split}.num_volume_points=600"]
    return out


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from noether.core.config.loader import load_config
    from noether.training.runner import run

    tmp = tmp_path_factory.mktemp("predict")
    return Path(run(load_config(EXAMPLE, short_overrides(tmp))).run_dir)


def ellipsoid_stl(path: Path, axes: tuple[float, float, float]) -> Path:
    """A fresh ellipsoid surface as a binary STL (an icosphere scaled by the semi-axes)."""
    from noether_cfd.data.icosphere import icosphere

    points, triangles = icosphere(3)
    meshio.write(path, meshio.Mesh(points * np.asarray(axes), [("triangle", triangles)]), file_format="stl")
    return path


def predict(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = noether_main(["predict", *args])
    return code, capsys.readouterr().err


def test_predict_writes_fields_on_the_mesh_and_one_coefficient_row_per_geometry(
        run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = ellipsoid_stl(tmp_path / "long.stl", (1.0, 0.4, 0.3))
    second = ellipsoid_stl(tmp_path / "round.stl", (0.7, 0.5, 0.5))
    out = tmp_path / "out"
    code, err = predict(capsys, str(run_dir), str(first), str(second), "--set", CONDITIONS, "--out", str(out))
    assert code == 0, err
    from noether_cfd.data.mesh import read_mesh

    mesh = read_mesh(out / "long.vtp")
    assert mesh.point_data["surface_pressure"].shape[0] == len(mesh.points) == 642
    assert np.isfinite(mesh.point_data["surface_pressure"]).all()
    rows = json.loads((out / "coefficients.json").read_text())
    assert [r["geometry"] for r in rows] == ["long", "round"]
    assert {"cf_x", "cm_y", "cm_z"} <= rows[0].keys()
    with (out / "coefficients.csv").open() as handle:
        table = list(csv.DictReader(handle))
    assert [r["geometry"] for r in table] == ["long", "round"]
    assert float(table[0]["cm_z"]) == pytest.approx(rows[0]["cm_z"])
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no staging left behind


def test_predict_is_a_plugin_command_of_the_real_cli(run_dir: Path, tmp_path: Path) -> None:
    geometry = ellipsoid_stl(tmp_path / "body.stl", (0.9, 0.4, 0.3))
    done = subprocess.run([sys.executable, "-m", "noether", "predict", str(run_dir), str(geometry), "--set",
                           CONDITIONS, "--out", str(tmp_path / "out"), "--checkpoint", "E1"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "body.vtp").is_file()


@pytest.mark.parametrize("case", ["missing", "unsupported", "no_faces", "no_stats", "no_conditions",
                                  "bad_checkpoint", "misspelt_setting"])
def test_bad_input_gives_a_clear_message_and_no_output(
        case: str, run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = ellipsoid_stl(tmp_path / "good.stl", (0.9, 0.4, 0.3))
    run, extra, expected = run_dir, ["--set", CONDITIONS], ""
    geometry = good
    if case == "missing":
        geometry, expected = tmp_path / "nope.stl", "no such geometry file"
    elif case == "unsupported":
        geometry = tmp_path / "body.obj"
        geometry.write_text("v 0 0 0\n")
        expected = "unsupported geometry format '.obj'"
    elif case == "no_faces":
        geometry = tmp_path / "cloud.vtk"
        points = np.random.default_rng(0).random((20, 3))
        meshio.write(geometry, meshio.Mesh(points, [("vertex", np.arange(20)[:, None])]))
        expected = "has no faces"
    elif case == "no_stats":
        run = tmp_path / "copied_run"
        shutil.copytree(run_dir, run)
        (run / "cfd_normalization.json").unlink()
        expected = "cfd_normalization.json"
    elif case == "no_conditions":
        extra, expected = [], "missing conditions: the model reads 6"
    elif case == "bad_checkpoint":
        extra, expected = ["--set", CONDITIONS, "--checkpoint", "E99"], "no checkpoint with epoch 99"
    elif case == "misspelt_setting":
        extra = ["--set", CONDITIONS, "--set", "reference.aera=2"]
        expected = "unknown key 'reference.aera' (did you mean 'reference.area'?)"
    out = tmp_path / "out"
    geometries = [str(good)] if geometry == good else [str(good), str(geometry)]  # a good file before the bad
    code, err = predict(capsys, str(run), *geometries, *extra, "--out", str(out))
    assert code == 2
    assert expected in err
    assert "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())
