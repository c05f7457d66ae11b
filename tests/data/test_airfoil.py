"""The airfoil example: generated data against potential-flow theory, generation, dataset and models."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import noether
from noether.core.errors import ConfigError
from noether.core.registry import get_registry
from noether.data.airfoil.dataset import AirfoilDataset
from noether.data.airfoil.flow import Airfoils, joukowski, physical_velocity, pressure_coefficient
from noether.data.airfoil.generate import (
    SPLITS,
    GenerationSettings,
    ensure_generated,
    generate_split,
    is_complete,
)
from noether.data.airfoil.schemas import AirfoilDatasetConfig, AirfoilMLPConfig, AirfoilTransformerConfig
from noether.data.dataset import build_dataset

SMALL = GenerationSettings(train_size=40, val_size=8, test_size=16, num_surface_points=128, num_volume_points=256)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, np.ndarray]:
    folder = ensure_generated(tmp_path_factory.mktemp("airfoil"), SMALL, progress=False)
    with np.load(folder / "test.npz") as arrays:
        return {key: arrays[key].astype(np.float64) for key in arrays.files}


def complex_of(xy: np.ndarray) -> np.ndarray:
    return xy[..., 0] + 1j * xy[..., 1]


def surface_step(data: dict[str, np.ndarray]) -> np.ndarray:
    """``dz`` per point step along the surface, by spectral differentiation (points are equally spaced in the
    circle angle, so ``z`` is a smooth periodic function of the point number)."""
    z = complex_of(data["surface_position"])
    n = z.shape[1]
    k = np.fft.fftfreq(n, d=1.0 / n)
    return np.fft.ifft(1j * k * np.fft.fft(z, axis=1), axis=1) * (2 * np.pi / n)


def angle_of_attack(data: dict[str, np.ndarray]) -> np.ndarray:
    return np.deg2rad(data["conditioning"][:, 0, 2])


def test_pressure_coefficient_is_one_at_the_stagnation_point() -> None:
    airfoils = Airfoils.of([0.06, 0.12, 0.16], [0.0, 0.03, 0.05], [-4.0, 2.0, 8.0])
    zeta = airfoils.circle_points(airfoils.stagnation_angle[:, None])
    # The velocity at the stagnation point is zero up to rounding, so C_p = 1 - |V|^2 = 1.
    np.testing.assert_allclose(pressure_coefficient(physical_velocity(airfoils, zeta)), 1.0, atol=1e-12)


def test_surface_pressure_peaks_at_one_and_never_exceeds_it(data: dict[str, np.ndarray]) -> None:
    cp = data["surface_pressure"][..., 0]
    assert cp.max() <= 1.0 + 1e-6
    assert cp.max(axis=1).min() > 0.9  # the point nearest the stagnation point is nearly stagnant
    assert (data["volume_pressure"] <= 1.0 + 1e-6).all()


def test_surface_is_a_streamline(data: dict[str, np.ndarray]) -> None:
    dz = surface_step(data)
    normal = -1j * dz / np.abs(dz)
    np.testing.assert_allclose(normal, complex_of(data["surface_normal"]), atol=1e-4)
    velocity = complex_of(data["surface_velocity"])
    normal_velocity = np.real(np.conj(normal) * velocity)
    assert np.abs(normal_velocity).max() < 1e-4 * np.abs(velocity).max()
    # The stream function is constant along the exact surface.
    airfoils = Airfoils.of(*data["conditioning"][:, 0, :].T)
    zeta = airfoils.circle_points(np.linspace(0, 2 * np.pi, 200)[None, :])
    psi = airfoils.potential(zeta).imag
    assert np.ptp(psi, axis=1).max() < 1e-12


def test_lift_from_surface_pressure_matches_kutta_joukowski(data: dict[str, np.ndarray]) -> None:
    force = (data["surface_pressure"][..., 0] * surface_step(data)).sum(axis=1)  # contour integral of C_p dz
    rotate = np.exp(-1j * angle_of_attack(data))
    lift = np.real(rotate * force)
    drag = np.real(1j * rotate * force)
    np.testing.assert_allclose(lift, data["lift_coefficient"][:, 0], atol=2e-5)
    assert np.abs(drag).max() < 2e-5  # d'Alembert: no drag in potential flow
    kutta = Airfoils.of(*data["conditioning"][:, 0, :].T)
    np.testing.assert_allclose(data["lift_coefficient"][:, 0], 2 * kutta.circulation, rtol=1e-6)
    assert np.abs(data["lift_coefficient"]).max() > 0.5


def test_circulation_from_surface_velocity_matches(data: dict[str, np.ndarray]) -> None:
    velocity = complex_of(data["surface_velocity"])
    circulation = -np.real((np.conj(velocity) * surface_step(data)).sum(axis=1))  # clockwise positive
    np.testing.assert_allclose(2 * circulation, data["lift_coefficient"][:, 0], atol=2e-5)


def test_volume_fields_are_consistent(data: dict[str, np.ndarray]) -> None:
    speed2 = (data["volume_velocity"] ** 2).sum(-1)
    np.testing.assert_allclose(data["volume_pressure"][..., 0], 1 - speed2, atol=1e-5)
    airfoils = Airfoils.of(*data["conditioning"][:, 0, :].T)
    far = airfoils.circle_points(np.zeros((1,)) + 0.3, rho=1e6)
    np.testing.assert_allclose(physical_velocity(airfoils, far)[:, 0], np.exp(1j * airfoils.alpha), atol=1e-5)
    assert np.isfinite(data["volume_velocity"]).all()


def test_volume_is_outside_the_airfoil(data: dict[str, np.ndarray]) -> None:
    # Winding number of the surface polygon around each volume point: zero means outside.
    z = complex_of(data["surface_position"])
    q = complex_of(data["volume_position"])
    for i in range(len(z)):
        d = z[i][None, :] - q[i][:, None]
        winding = np.angle(np.roll(d, -1, axis=1) / d).sum(axis=1) / (2 * np.pi)
        assert np.abs(winding).max() < 1e-6


def test_geometry_matches_the_nominal_parameters(data: dict[str, np.ndarray]) -> None:
    z = complex_of(data["surface_position"])
    np.testing.assert_allclose(z.real.max(axis=1), 1.0, atol=1e-3)  # trailing edge at x = 1
    assert (np.abs(z.real.min(axis=1)) < 0.08).all()  # leading edge near x = 0
    airfoils = Airfoils.of(*data["conditioning"][:, 0, :].T)
    dense = joukowski(airfoils.circle_points(np.linspace(0, 2 * np.pi, 4001)[None, :]))
    thickness = (_branch(dense, upper=True) - _branch(dense, upper=False)).max(axis=1)
    # Nominal parameters are thin-airfoil approximations of the exact geometry.
    np.testing.assert_allclose(thickness, airfoils.thickness, rtol=0.15)


def _branch(z: np.ndarray, upper: bool) -> np.ndarray:
    """Height of the upper or lower surface of each airfoil at common chord positions."""
    xs = np.linspace(0.02, 0.98, 200)
    rows = []
    for row in z:
        le = int(np.argmin(row.real))
        part = row[: le + 1] if upper else row[le:]  # anticlockwise from the trailing edge: upper side first
        order = np.argsort(part.real)
        rows.append(np.interp(xs, part.real[order], part.imag[order]))
    return np.array(rows)


def test_generation_is_deterministic_and_splits_differ(tmp_path: Path) -> None:
    a = generate_split(SMALL, "val")
    b = generate_split(SMALL, "val")
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    other = generate_split(SMALL, "test")
    assert not np.allclose(a["conditioning"], other["conditioning"][: len(a["conditioning"])])
    bigger = generate_split(GenerationSettings(val_size=12, num_surface_points=128, num_volume_points=256), "val")
    np.testing.assert_array_equal(a["conditioning"], bigger["conditioning"][:8])  # rows do not depend on size


def test_generated_once_then_reused(tmp_path: Path) -> None:
    folder = ensure_generated(tmp_path, SMALL, progress=False)
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["sizes"] == {"train": 40, "val": 8, "test": 16}
    stamp = (folder / "train.npz").stat().st_mtime_ns
    assert ensure_generated(tmp_path, SMALL, progress=False) == folder
    assert (folder / "train.npz").stat().st_mtime_ns == stamp
    other = ensure_generated(tmp_path, GenerationSettings(train_size=8, val_size=8, test_size=8), progress=False)
    assert other != folder and is_complete(folder, SMALL)


def test_interrupted_generation_is_not_taken_as_complete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import noether.data.airfoil.generate as gen

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(gen.np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        ensure_generated(tmp_path, SMALL, progress=False)
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []  # nothing left behind, nothing under the final name
    target = tmp_path / SMALL.folder_name
    target.mkdir()
    (target / "train.npz").write_bytes(b"partial")  # e.g. copied by hand, without meta.json
    assert not is_complete(target, SMALL)
    assert ensure_generated(tmp_path, SMALL, progress=False) == target
    assert all((target / f"{s}.npz").stat().st_size > 1000 for s in SPLITS)


def test_dataset_properties_and_shapes(tmp_path: Path) -> None:
    config = AirfoilDatasetConfig(root=str(tmp_path), split="val", train_size=8, val_size=6, test_size=4,
                                  num_surface_points=32, num_volume_points=20)
    ds = build_dataset(config, name="val")
    assert isinstance(ds, AirfoilDataset) and len(ds) == 6
    sample = ds[5]
    shapes = {k: tuple(v.shape) for k, v in sample.items() if k != "index"}
    assert shapes == {
        "conditioning": (1, 3), "lift_coefficient": (1,), "surface_normal": (32, 2), "surface_position": (32, 2),
        "surface_pressure": (32, 1), "surface_velocity": (32, 2), "volume_position": (20, 2),
        "volume_pressure": (20, 1), "volume_velocity": (20, 2),
    }
    assert all(v.dtype == torch.float32 for k, v in sample.items() if k != "index")


def test_dataset_from_yaml_with_normalizers(tmp_path: Path) -> None:
    config = noether.structure({
        "kind": "noether.data.airfoil.AirfoilDataset", "root": str(tmp_path), "split": "train",
        "train_size": 16, "val_size": 4, "test_size": 4,
        "normalizers": {"conditioning": {"kind": "noether.data.preprocessors.normalizers.MeanStdNormalization",
                                         "mean": [0.11, 0.025, 2.0], "std": [0.029, 0.0144, 3.46]}},
        "included_properties": ["conditioning", "surface_pressure"],
    }, AirfoilDatasetConfig)
    ds = build_dataset(config)
    raw = ds.root_dataset.arrays["conditioning"][3]
    torch.testing.assert_close(ds.denormalize("conditioning", ds[3]["conditioning"]), raw)
    assert sorted(ds[3]) == ["conditioning", "surface_pressure"]


def _batch(n: int = 3) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return {"surface_position": torch.rand(n, 16, 2, generator=g), "surface_normal": torch.rand(n, 16, 2, generator=g),
            "volume_position": torch.rand(n, 10, 2, generator=g), "conditioning": torch.rand(n, 1, 3, generator=g)}


POINT_SETS = [
    {"position": "surface_position", "features": {"surface_normal": 2}, "outputs": {"surface_pressure": 1}},
    {"position": "volume_position", "outputs": {"volume_velocity": 2, "volume_pressure": 1}},
]


@pytest.mark.parametrize("config_class", [AirfoilTransformerConfig, AirfoilMLPConfig])
def test_models_predict_every_output_and_train(config_class: type) -> None:
    torch.manual_seed(0)
    config = noether.structure({"name": "m", "hidden_dim": 16, "point_sets": POINT_SETS}, config_class)
    model = get_registry().build("model", config)
    batch = _batch()
    out = model(**batch)
    assert {k: tuple(v.shape) for k, v in out.items()} == {
        "surface_pressure": (3, 16, 1), "volume_velocity": (3, 10, 2), "volume_pressure": (3, 10, 1)}
    target = torch.sin(3 * batch["surface_position"][..., :1]) + batch["conditioning"][..., :1]
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(30):
        loss = torch.nn.functional.mse_loss(model(**batch)["surface_pressure"], target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_transformer_respects_the_padding_mask() -> None:
    torch.manual_seed(0)
    config = noether.structure({"name": "t", "hidden_dim": 16, "num_heads": 2, "point_sets": [
        {"position": "surface_position", "outputs": {"surface_pressure": 1}}]}, AirfoilTransformerConfig)
    model = get_registry().build("model", config).eval()
    batch = _batch(1)
    short = {"surface_position": batch["surface_position"][:, :10], "conditioning": batch["conditioning"]}
    padded = torch.cat([short["surface_position"], torch.full((1, 6, 2), 99.0)], dim=1)
    mask = torch.arange(16)[None, :] < 10
    with torch.no_grad():
        expected = model(**short)["surface_pressure"]
        got = model(surface_position=padded, surface_position_mask=mask, conditioning=batch["conditioning"])
    torch.testing.assert_close(got["surface_pressure"][:, :10], expected, atol=1e-5, rtol=1e-5)


def test_model_errors() -> None:
    with pytest.raises(ConfigError, match="must divide hidden_dim"):
        AirfoilTransformerConfig(name="t", hidden_dim=30, num_heads=4)
    model = get_registry().build("model", AirfoilMLPConfig(name="m", hidden_dim=8))
    with pytest.raises(KeyError, match="needs the batch key 'conditioning'"):
        model(surface_position=torch.zeros(1, 4, 2))
