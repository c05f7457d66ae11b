"""The ellipsoid data set: generated on first use, deterministic, cached, registered, and its statistics."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from noether_cfd.data.ellipsoid_dataset import EllipsoidFlowDataset
from noether_cfd.data.ellipsoid_flow import munk_moment, world_velocity
from noether_cfd.data.ellipsoid_generate import SPLITS, EllipsoidSettings, ensure_generated
from noether_cfd.data.schemas import EllipsoidFlowDatasetConfig

import noether
from noether.cli.main import main
from noether.core.errors import ConfigError
from noether.data.dataset import build_dataset

SMALL = {"train_size": 5, "val_size": 2, "test_size": 3, "subdivisions": 2, "num_volume_points": 64}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ellipsoid")


def dataset(root: Path, split: str = "train", **overrides: object) -> EllipsoidFlowDataset:
    config = noether.structure({"kind": "noether_cfd.EllipsoidFlowDataset", "root": str(root), "split": split,
                                **SMALL, **overrides}, EllipsoidFlowDatasetConfig)
    ds = build_dataset(config, name=split)
    assert isinstance(ds, EllipsoidFlowDataset)
    return ds


def test_properties_shapes_and_physics(root: Path) -> None:
    ds = dataset(root)
    assert len(ds) == 5
    sample = ds[4]
    assert {k: tuple(v.shape) for k, v in sample.items() if k != "index"} == {
        "surface_position": (162, 3), "surface_normal": (162, 3), "surface_area": (162,),
        "surface_pressure": (162, 1), "surface_velocity": (162, 3), "volume_position": (64, 3),
        "volume_velocity": (64, 3), "volume_pressure": (64, 1), "conditions": (6,), "moment": (3,),
    }
    assert all(v.dtype == torch.float32 for k, v in sample.items() if k != "index")
    axes, rot = ds.body(4)
    assert axes[0] >= 0.6 and np.all(axes[1:] <= 0.6)
    np.testing.assert_allclose(rot @ rot.T, np.eye(3), atol=1e-12)
    surface = sample["surface_position"].double().numpy()
    body = surface @ rot
    np.testing.assert_allclose(((body / axes) ** 2).sum(axis=1), 1.0, atol=1e-5)  # points on the ellipsoid
    normals = sample["surface_normal"].double().numpy()
    np.testing.assert_allclose(np.linalg.norm(normals, axis=1), 1.0, atol=1e-6)
    assert np.abs(np.einsum("ij,ij->i", sample["surface_velocity"].double().numpy(), normals)).max() < 1e-5
    # Areas add up to the surface of the (coarse) mesh: near the ellipsoid's, from below.
    p = 1.6075
    exact_area = 4 * np.pi * (((axes[0] * axes[1]) ** p + (axes[0] * axes[2]) ** p
                               + (axes[1] * axes[2]) ** p) / 3) ** (1 / p)  # Knud Thomsen, within ~1%
    assert 0.95 * exact_area < float(sample["surface_area"].sum()) < 1.01 * exact_area
    volume = sample["volume_position"].double().numpy() @ rot
    assert np.all(((volume / axes) ** 2).sum(axis=1) > 1.0)  # outside the body
    assert np.abs(sample["volume_position"].numpy()).max() <= 2.0 * 1.6 * 1.2
    np.testing.assert_allclose(sample["volume_velocity"].numpy(),
                               world_velocity(axes, rot, [1, 0, 0], sample["volume_position"].double().numpy()),
                               atol=1e-6)
    np.testing.assert_allclose(sample["volume_pressure"].numpy()[:, 0],
                               1 - (sample["volume_velocity"].double().numpy() ** 2).sum(axis=1), atol=1e-5)
    np.testing.assert_allclose(sample["moment"].numpy(), munk_moment(axes, rot, [1, 0, 0]), rtol=1e-6)
    np.testing.assert_allclose(sample["conditions"][:3].numpy(), axes, rtol=1e-6)
    assert ds.triangles.shape == (320, 3)


def test_deterministic_independent_of_split_sizes_and_cached(root: Path) -> None:
    first = dataset(root, "test")
    again = dataset(root, "test")
    assert again.directory == first.directory
    stamp = (first.directory / "test.npz").stat().st_mtime_ns
    bigger = dataset(root, "test", test_size=4)  # another setting: another folder, same first samples
    assert bigger.directory != first.directory
    for key in first.arrays:
        torch.testing.assert_close(bigger.arrays[key][:3], first.arrays[key])
    assert (first.directory / "test.npz").stat().st_mtime_ns == stamp  # not regenerated
    other_seed = dataset(root, "test", seed=1)
    assert not torch.equal(other_seed.arrays["surface_position"], first.arrays["surface_position"])
    train = dataset(root, "train")
    assert not torch.equal(train.arrays["conditions"][:3], first.arrays["conditions"])  # splits differ


def test_interrupted_generation_leaves_nothing_that_looks_complete(tmp_path: Path) -> None:
    settings = EllipsoidSettings(train_size=2, val_size=1, test_size=1, subdivisions=1, num_volume_points=8)
    target = ensure_generated(tmp_path, settings, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]
    assert sorted(p.name for p in target.iterdir()) == sorted([f"{s}.npz" for s in SPLITS] + ["meta.json"])
    (target / "meta.json").unlink()  # a damaged copy is regenerated, not trusted
    assert ensure_generated(tmp_path, settings, progress=False) == target
    assert (target / "meta.json").is_file()


def test_config_errors_are_reported_with_their_paths(root: Path) -> None:
    with pytest.raises(ConfigError) as info:
        noether.structure({"root": str(root), "split": "train", "major_axis": [1.0, 0.5], "box": 0.5,
                           "subdivisions": 9}, EllipsoidFlowDatasetConfig)
    text = str(info.value)
    assert "major_axis" in text and "box" in text and "subdivisions" in text


def test_noether_stats_measures_the_properties(root: Path, tmp_path: Path) -> None:
    config = tmp_path / "cfg.yaml"
    config.write_text(
        f"output_path: {tmp_path / 'outputs'}\n"
        "model: {kind: noether.data.airfoil.AirfoilMLP, name: m}\n"
        "trainer: {kind: SupervisedTrainer, max_epochs: 1, effective_batch_size: 2}\n"
        "datasets:\n  train:\n    kind: noether_cfd.EllipsoidFlowDataset\n"
        f"    root: {root}\n    split: train\n"
        + "".join(f"    {k}: {v}\n" for k, v in SMALL.items())
    )
    out = tmp_path / "stats.yaml"
    args = ["stats", str(config), "--no-progress", "--out", str(out),
            "--properties", "surface_pressure,volume_velocity"]
    assert main(args) == 0
    text = out.read_text()
    assert "surface_pressure_mean" in text and "volume_velocity_count:\n  - 320" in text


def test_a_fresh_ellipsoid_geometry_as_stl(root: Path, tmp_path: Path) -> None:
    from noether_cfd.data.ellipsoid_generate import ellipsoid_surface
    from noether_cfd.data.mesh import read_mesh, write_mesh

    ds = dataset(root)
    axes, rot = ds.body(2)
    path = write_mesh(tmp_path / "body.stl", ellipsoid_surface(axes, rot, subdivisions=2))
    back = read_mesh(path, require_faces=True)
    assert back.triangles.shape == (320, 3) and back.signed_volume() > 0
    # The same surface as the sample's (up to the STL's float32 and its point order).
    np.testing.assert_allclose(np.sort(back.points, axis=0), np.sort(ds.mesh(2).points, axis=0), atol=1e-6)
    np.testing.assert_allclose(ds.mesh(2).point_areas(), ds[2]["surface_area"].numpy(), rtol=1e-5)
