"""The chunked store: conversion from real-format folders, resumption, subsets, and selective reads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from noether_cfd.data.layouts import CaeMLLayout, LayoutError
from noether_cfd.data.store import (
    SAMPLES,
    StoreError,
    StoreReader,
    convert_folder,
    convert_samples,
    write_sample,
)
from noether_cfd.data.store_dataset import CfdStoreDataset

import noether
from noether.core.schemas.dataset import AnyDatasetConfig
from noether.data.dataset import build_dataset
from tests.cfd.cfd_files import make_caeml, make_shapenet_car


def build(config: dict[str, object]) -> object:
    return build_dataset(noether.structure(config, AnyDatasetConfig))


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("drivaerml")
    make_caeml(root, runs=4)
    return root


@pytest.fixture(scope="module")
def store(raw: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("stores") / "drivaerml"
    report = convert_folder(raw, out, progress=False)
    assert report.written == ("1", "2", "3", "4") and report.skipped == () and report.failed == ()
    return out


def rows_by_position(positions: np.ndarray) -> dict[bytes, int]:
    return {row.tobytes(): i for i, row in enumerate(np.asarray(positions, np.float32))}


def test_store_holds_each_sample_shuffled_consistently(raw: Path, store: Path) -> None:
    reader = StoreReader(store)
    assert reader.samples == ["1", "2", "3", "4"]
    assert set(reader.fields) == {"surface_position", "surface_normal", "surface_area", "surface_pressure",
                                  "surface_wallshear", "volume_position", "volume_velocity", "volume_pressure",
                                  "force_coefficients", "conditions"}
    assert reader.fields["surface_wallshear"] == {"shape": [3], "dtype": "float32"}
    splits = json.loads((store / "splits.json").read_text())
    assert sorted(i for ids in splits.values() for i in ids) == ["1", "2", "3", "4"]
    original = CaeMLLayout().read(raw, "2")
    stored = {name: np.asarray(reader.read("2", name)) for name in reader.fields}
    for point_set in ("surface", "volume"):
        position = f"{point_set}_position"
        assert not np.array_equal(stored[position], original[position])  # shuffled ...
        index = rows_by_position(original[position])
        rows = np.array([index[row.tobytes()] for row in stored[position]])
        assert sorted(rows.tolist()) == list(range(len(original[position])))  # ... a permutation ...
        for name in original:
            if name.startswith(point_set):  # ... applied to every field of the set alike
                np.testing.assert_array_equal(stored[name], original[name][rows])
    np.testing.assert_array_equal(stored["force_coefficients"], original["force_coefficients"])


def test_store_dataset_reads_leading_random_subsets(store: Path) -> None:
    full = build({"kind": "noether_cfd.CfdStoreDataset", "root": str(store)})
    part = build({"kind": "noether_cfd.CfdStoreDataset", "root": str(store), "surface_points": 10,
                  "volume_points": 7})
    assert isinstance(full, CfdStoreDataset) and len(full) == 4
    a, b = full[1], part[1]  # type: ignore[index]
    assert b["surface_pressure"].shape == (10, 1) and b["volume_velocity"].shape == (7, 3)
    for key, value in b.items():
        if key != "index":
            assert value.shape[0] == min(value.shape[0], a[key].shape[0])
            np.testing.assert_array_equal(value.numpy(), a[key].numpy()[: len(value)])
    split = build({"kind": "noether_cfd.CfdStoreDataset", "root": str(store), "split": "train"})
    assert split.sample_ids == json.loads((store / "splits.json").read_text())["train"]  # type: ignore[attr-defined]


def test_only_the_fields_a_run_uses_are_read(store: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "store"
    shutil.copytree(store, copy)
    for path in (copy / SAMPLES).glob("*/volume_*.npy"):
        path.unlink()  # a run that needs no volume fields never opens them
    ds = build({"kind": "noether_cfd.CfdStoreDataset", "root": str(copy),
                "included_properties": ["surface_position", "surface_pressure"]})
    assert sorted(ds[0]) == ["surface_position", "surface_pressure"]  # type: ignore[index]
    everything = build({"kind": "noether_cfd.CfdStoreDataset", "root": str(copy)})
    with pytest.raises(Exception, match="volume_"):
        everything[0]  # type: ignore[index]


def test_interrupted_conversion_resumes_to_the_same_store(raw: Path, store: Path, tmp_path: Path) -> None:
    layout = CaeMLLayout()
    ids = ["1", "2", "3", "4"]
    calls: list[str] = []

    def failing(sample_id: str) -> dict[str, np.ndarray]:
        calls.append(sample_id)
        if sample_id == "3":
            raise OSError("disk went away")
        return layout.read(raw, sample_id)

    target = tmp_path / "resumed"
    with pytest.raises(StoreError, match="sample '3': disk went away"):
        convert_samples(target, ids, failing, progress=False)
    assert sorted(p.name for p in (target / SAMPLES).iterdir()) == ["1", "2"]  # complete samples, no temporaries
    with pytest.raises(StoreError, match="not a CFD store"):
        StoreReader(target)
    calls.clear()
    report = convert_samples(target, ids, lambda sid: layout.read(raw, sid), progress=False)
    assert report.skipped == ("1", "2") and report.written == ("3", "4")
    once = StoreReader(store)
    resumed = StoreReader(target)
    for sample_id in ids:
        for field in once.fields:
            np.testing.assert_array_equal(resumed.read(sample_id, field), once.read(sample_id, field))


def test_progress_bar_and_skipped_errors(raw: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def read(sample_id: str) -> dict[str, np.ndarray]:
        if sample_id == "2":
            raise ValueError("bad mesh")
        return CaeMLLayout(load_volume=False).read(raw, sample_id)

    report = convert_samples(tmp_path / "s", ["1", "2"], read, skip_errors=True, progress=True)
    assert report.failed == (("2", "bad mesh"),) and report.written == ("1",)
    assert "converting into" in capsys.readouterr().err


def test_triangles_are_renumbered_with_the_points(tmp_path: Path) -> None:
    points = np.random.default_rng(0).normal(size=(30, 3)).astype(np.float32)
    triangles = np.random.default_rng(1).integers(0, 30, size=(40, 3))
    write_sample(tmp_path, "s", {"surface_position": points, "surface_triangles": triangles}, seed=3)
    convert_samples(tmp_path, ["s"], lambda sid: {}, progress=False)  # writes store.json over what is there
    reader = StoreReader(tmp_path)
    stored_points = np.asarray(reader.read("s", "surface_position"))
    stored_tris = np.asarray(reader.read("s", "surface_triangles"))
    np.testing.assert_array_equal(stored_points[stored_tris], points[triangles])


def test_public_loader_with_a_store(tmp_path: Path) -> None:
    make_shapenet_car(tmp_path / "raw")
    kind = {"kind": "noether_cfd.ShapeNetCarDataset", "root": str(tmp_path / "raw"), "split": "train"}
    direct = build(kind)
    stored = build({**kind, "store": str(tmp_path / "store")})
    assert (tmp_path / "store" / SAMPLES / "param1%2Fb" / "meta.json").is_file()  # '/' escaped in folder names
    a, b = direct[1], stored[1]  # type: ignore[index]
    rows = rows_by_position(a["surface_position"].numpy())
    order = [rows[r.tobytes()] for r in b["surface_position"].numpy()]
    np.testing.assert_array_equal(b["surface_pressure"].numpy(), a["surface_pressure"].numpy()[order])


def test_conversion_errors(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no such folder"):
        convert_folder(tmp_path / "missing", tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(LayoutError, match="not a known layout"):
        convert_folder(tmp_path / "empty", tmp_path / "out")
    with pytest.raises(LayoutError, match="unknown layout 'openfoam'"):
        convert_folder(tmp_path / "empty", tmp_path / "out", layout="openfoam")
    with pytest.raises(StoreError, match="has 3 rows, but other surface fields have 4"):
        write_sample(tmp_path / "out", "x", {"surface_position": np.zeros((4, 3)), "surface_pressure": np.zeros(3)})


def test_noether_stats_on_a_store(store: Path, tmp_path: Path) -> None:
    from noether.cli.main import main

    config = tmp_path / "cfg.yaml"
    config.write_text(
        f"output_path: {tmp_path}\n"
        "model: {kind: noether.data.airfoil.AirfoilMLP, name: m}\n"
        "trainer: {kind: SupervisedTrainer, max_epochs: 1, effective_batch_size: 1}\n"
        f"datasets:\n  train: {{kind: noether_cfd.CfdStoreDataset, root: {store}}}\n"
    )
    out = tmp_path / "stats.yaml"
    assert main(["stats", str(config), "--properties", "surface_wallshear,surface_pressure", "--no-progress",
                 "--out", str(out)]) == 0
    text = out.read_text()
    reader = StoreReader(store)
    count = sum(len(reader.read(s, "surface_pressure")) for s in reader.samples)
    assert f"surface_pressure_count:\n  - {count}" in text
    assert text.count("surface_wallshear_mean:\n  - ") == 1 and "surface_wallshear_std" in text


def test_two_processes_converting_at_once_make_one_store(raw: Path, store: Path, tmp_path: Path) -> None:
    import functools
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    target = tmp_path / "shared"
    context = multiprocessing.get_context("fork")  # like distributed ranks starting together
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        reports = list(pool.map(functools.partial(convert_folder, progress=False), [raw, raw], [target, target]))
    assert all(sorted(r.written + r.skipped) == ["1", "2", "3", "4"] for r in reports)
    assert sorted(p.name for p in (target / SAMPLES).iterdir()) == ["1", "2", "3", "4"]  # no temporaries
    once, shared = StoreReader(store), StoreReader(target)
    for sample_id in once.samples:
        for field in once.fields:
            np.testing.assert_array_equal(shared.read(sample_id, field), once.read(sample_id, field))
