"""Loaders of ShapeNet-Car, DrivAerML and AhmedML on small folders in their real layouts and formats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from noether_cfd.data.layouts import CaeMLLayout, LayoutError, ShapeNetCarLayout, detect_layout
from noether_cfd.data.public_datasets import AhmedMLDataset, DrivAerMLDataset, ShapeNetCarDataset

import noether
from noether.core.registry import get_registry
from noether.core.schemas.dataset import AnyDatasetConfig
from noether.data.dataset import build_dataset
from tests.cfd.cfd_files import (
    caeml_pressure,
    cube_sphere,
    make_caeml,
    make_shapenet_car,
    shapenet_surface,
    shapenet_velocity,
)


def build(config: dict[str, object]) -> object:
    return build_dataset(noether.structure(config, AnyDatasetConfig))


@pytest.fixture(scope="module")
def shapenet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shapenet") / "training_data"
    make_shapenet_car(root)
    return root


@pytest.fixture(scope="module")
def drivaer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("drivaerml")
    make_caeml(root, runs=10)
    return root


def test_shapenet_car_layout_split_and_fields(shapenet: Path) -> None:
    layout = ShapeNetCarLayout()
    assert layout.sample_ids(shapenet) == ["param0/a", "param1/b", "param2/c"]  # 'incomplete' is skipped
    train = build({"kind": "noether.data.datasets.cfd.ShapeNetCarDataset", "root": str(shapenet), "split": "train"})
    test = build({"kind": "noether_cfd.ShapeNetCarDataset", "root": str(shapenet), "split": "test"})
    assert isinstance(train, ShapeNetCarDataset) and isinstance(test, ShapeNetCarDataset)
    assert train.sample_ids == ["param1/b", "param2/c"] and test.sample_ids == ["param0/a"]
    assert test.properties == ("force_coefficients", "surface_area", "surface_normal", "surface_position",
                               "surface_pressure", "volume_position", "volume_velocity")
    sample = train[0]
    points, _ = shapenet_surface(1.5)
    keep = np.r_[0:16, 112:248]  # the points on quads: the 96 stray ones at [16, 112) are dropped
    np.testing.assert_allclose(sample["surface_position"].numpy(), points[keep], atol=1e-6)
    expected_p = np.load(shapenet / "param1" / "b" / "press.npy")[keep]  # press.npy wins over the file's scalars
    np.testing.assert_allclose(sample["surface_pressure"].numpy()[:, 0], expected_p, rtol=1e-6)
    normals = sample["surface_normal"].numpy()
    assert np.all(np.einsum("ij,ij->i", normals, points[keep]) > 0.9 * 1.5)  # outward on the sphere
    assert sample["surface_area"].shape == (152,) and float(sample["surface_area"].min()) > 0
    for ds, index in ((train, 0), (test, 0)):  # velo.npy (param1/b), the volume file's vectors (param0/a)
        volume = ds[index]  # type: ignore[index]
        np.testing.assert_allclose(volume["volume_velocity"].numpy(),
                                   shapenet_velocity(volume["volume_position"].numpy()), atol=1e-5)
    np.testing.assert_allclose(sample["force_coefficients"].numpy(), [0.375])  # cd.txt
    assert all(v.dtype == torch.float32 for k, v in sample.items() if k != "index")


def test_shapenet_car_keeps_every_point_when_asked(shapenet: Path) -> None:
    ds = build({"kind": "noether_cfd.ShapeNetCarDataset", "root": str(shapenet), "split": "test",
                "keep_unreferenced_points": True})
    sample = ds[0]  # type: ignore[index]
    assert sample["surface_position"].shape == (248, 3)
    assert float(sample["surface_area"][16:112].abs().sum()) == 0.0  # stray points: no area
    # Point areas of the whole closed surface add up to its area (a bit under the sphere's 4 pi).
    assert 0.95 * 4 * np.pi < float(sample["surface_area"].sum()) < 4 * np.pi


def test_drivaerml_layout_cells_volume_coefficients(drivaer: Path) -> None:
    assert isinstance(detect_layout(drivaer), CaeMLLayout)
    splits = {s: build({"kind": "noether.data.datasets.cfd.DrivAerMLDataset", "root": str(drivaer),
                        "split": s}) for s in ("train", "val", "test")}
    ids = [i for s in splits.values() for i in s.sample_ids]  # type: ignore[attr-defined]
    assert sorted(ids, key=int) == [str(i) for i in range(1, 11)]  # a partition of the runs
    assert [len(s) for s in splits.values()] == [8, 1, 1]  # type: ignore[arg-type]
    again = build({"kind": "noether_cfd.DrivAerMLDataset", "root": str(drivaer), "split": "test"})
    assert again.sample_ids == splits["test"].sample_ids  # type: ignore[attr-defined]  # fixed split

    ds = build({"kind": "noether_cfd.DrivAerMLDataset", "root": str(drivaer), "split": "train",
                "sample_ids": ["3"]})
    assert isinstance(ds, DrivAerMLDataset)
    assert ds.properties == ("conditions", "force_coefficients", "surface_area", "surface_normal", "surface_position",
                             "surface_pressure", "surface_wallshear", "volume_position", "volume_pressure",
                             "volume_velocity")
    sample = ds[0]
    points, quads = cube_sphere(3, 1.3)
    centers = points[quads].mean(axis=1)
    assert sample["surface_position"].shape == (54, 3)  # one surface point per polygon (cell data)
    # Cells in file order; centroids are area-weighted: close to (not equal to) the corner means here.
    np.testing.assert_allclose(sample["surface_position"].numpy(), centers, atol=0.03)
    np.testing.assert_allclose(sample["surface_pressure"].numpy()[:, 0], caeml_pressure(centers, 3), rtol=1e-5)
    assert sample["surface_wallshear"].shape == (54, 3)
    normals = sample["surface_normal"].numpy()
    assert np.all(np.einsum("ij,ij->i", normals, sample["surface_position"].numpy()) > 0)  # flipped outward
    assert 0.9 * 4 * np.pi * 1.3**2 < float(sample["surface_area"].sum()) < 4 * np.pi * 1.3**2
    np.testing.assert_allclose(sample["volume_pressure"].numpy()[:, 0], sample["volume_position"].numpy()[:, 2] * 3)
    np.testing.assert_allclose(sample["force_coefficients"].numpy(), [0.33, -0.3, 0.0, 0.02], rtol=1e-6)
    assert ds.coefficient_names == ["cd", "cl", "cs", "cmy"]
    np.testing.assert_allclose(sample["conditions"].numpy(), [7.0, 1.4], rtol=1e-6)
    assert ds.geometry_path(0) == drivaer / "run_3" / "drivaer_3.stl"


def test_point_location_and_surface_only(tmp_path: Path) -> None:
    make_caeml(tmp_path, runs=2, with_volume=False)
    ds = build({"kind": "noether_cfd.DrivAerMLDataset", "root": str(tmp_path), "split": "train",
                "sample_ids": ["1", "2"], "surface_location": "point", "load_volume": False})
    sample = ds[1]  # type: ignore[index]
    assert sample["surface_position"].shape == (56, 3)
    np.testing.assert_allclose(sample["surface_pressure"].numpy()[:, 0], sample["surface_position"].numpy()[:, 0],
                               rtol=1e-5)
    assert "volume_position" not in sample
    with pytest.raises(LayoutError, match=r"volume_1\.vtu: no such file \(for surface-only data: 'load_volume"):
        build({"kind": "noether_cfd.DrivAerMLDataset", "root": str(tmp_path), "split": "train"})


def test_ahmedml_alias_and_detection(tmp_path: Path) -> None:
    make_caeml(tmp_path, runs=3, geometry="ahmed")
    layout = detect_layout(tmp_path)
    assert isinstance(layout, CaeMLLayout) and layout.variant == "ahmedml"
    ds = build({"kind": "noether.data.datasets.cfd.AhmedMLDataset", "root": str(tmp_path), "split": "train"})
    assert isinstance(ds, AhmedMLDataset) and len(ds) == 3 - 0 - 0  # 3 runs: 10% test, 7% val round to 0
    assert ds.geometry_path(0).name.startswith("ahmed_")  # type: ignore[union-attr]
    assert get_registry().resolve("dataset", "noether.data.datasets.cfd.caeml.AhmedMLDataset").kind \
        == "noether_cfd.AhmedMLDataset"


def test_missing_data_gives_an_actionable_error(tmp_path: Path) -> None:
    with pytest.raises(LayoutError, match="no such folder; download the shapenet_car data set there"):
        build({"kind": "noether_cfd.ShapeNetCarDataset", "root": str(tmp_path / "nope"), "split": "train"})
    with pytest.raises(LayoutError, match=r"no simulations in the drivaerml layout \(run_<i>/boundary_<i>\.vtp"):
        build({"kind": "noether_cfd.DrivAerMLDataset", "root": str(tmp_path), "split": "train"})
    make_caeml(tmp_path, runs=1)
    with pytest.raises(LayoutError, match="sample_ids not found: 7"):
        build({"kind": "noether_cfd.DrivAerMLDataset", "root": str(tmp_path), "split": "train", "sample_ids": ["7"]})


def test_noether_check_accepts_upstream_kinds_without_torch(tmp_path: Path, cli_env: dict[str, str]) -> None:
    import subprocess
    import sys

    config = tmp_path / "cfg.yaml"
    config.write_text(
        f"output_path: {tmp_path}\n"
        "model: {kind: noether.data.airfoil.AirfoilMLP, name: m}\n"
        "trainer: {kind: SupervisedTrainer, max_epochs: 1, effective_batch_size: 1}\n"
        "datasets:\n"
        "  train: {kind: noether.data.datasets.cfd.ShapeNetCarDataset, root: /data/shapenet, split: train}\n"
        "  val: {kind: noether.data.datasets.cfd.DrivAerMLDataset, root: /data/drivaerml, split: val,"
        " load_volume: false}\n"
        "  test: {kind: noether.data.datasets.cfd.AhmedMLDataset, root: /data/ahmedml, split: test,"
        " surface_location: nowhere}\n"
    )
    script = ("import sys; from noether.cli.main import main; code = main(['check', sys.argv[1]]); "
              "assert 'torch' not in sys.modules, 'torch imported'; sys.exit(code)")
    result = subprocess.run([sys.executable, "-c", script, str(config)], capture_output=True, text=True,
                            env=cli_env, timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "datasets.test.surface_location" in result.stderr and "nowhere" in result.stderr
    assert "Traceback" not in result.stderr
    config.write_text(config.read_text().replace("surface_location: nowhere", "surface_location: point"))
    result = subprocess.run([sys.executable, "-c", script, str(config)], capture_output=True, text=True,
                            env=cli_env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_files_of_unused_point_sets_are_never_read(tmp_path: Path) -> None:
    make_caeml(tmp_path, runs=2)
    (tmp_path / "run_1" / "volume_1.vtu").write_text("not a mesh: reading it would fail")
    surface_only = build({"kind": "noether_cfd.DrivAerMLDataset", "root": str(tmp_path), "split": "train",
                          "sample_ids": ["1"], "included_properties": ["surface_position", "surface_pressure"]})
    assert sorted(surface_only[0]) == ["surface_position", "surface_pressure"]  # type: ignore[index]
    with pytest.raises(Exception, match=r"volume_1\.vtu: cannot read the file"):  # (when the fields are listed)
        build({"kind": "noether_cfd.DrivAerMLDataset", "root": str(tmp_path), "split": "train", "sample_ids": ["1"]})
