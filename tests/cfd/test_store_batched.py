"""The CFD store on the batched data path: the batches of the per-sample path, through the full CFD pipeline.

Real stores written by the plugin's converter from exact ellipsoid flows (equal and different point counts),
read through a DataLoader with normalizers and a shuffling wrapper, sampled (supernodes with a radius graph,
surface and volume points with anchors), and padded or concatenated.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from noether_cfd.data.store import SAMPLES, StoreError, StoreReader, convert_samples, write_sample

import noether
from noether.core.schemas import AnyDatasetConfig
from noether.data.batch import SampleBatch
from noether.data.dataset import build_dataset
from noether.data.errors import SampleError
from tests.cfd.store_batched import write_ellipsoid_store
from tests.data.test_batched import assert_same_batch, loader_batches

BATCHED = "noether_cfd.CfdStoreDataset"
PER_SAMPLE = "tests.cfd.store_batched.PerSampleCfdStore"
MEAN_STD = "noether.data.preprocessors.normalizers.MeanStdNormalization"
NORMALIZERS = {
    "surface_pressure": {"kind": MEAN_STD, "mean": [-0.3], "std": [0.8], "logscale": True},
    "volume_velocity": {"kind": MEAN_STD, "mean": [1.0, 0.0, 0.0], "std": [0.3, 0.2, 0.2]},
    "conditions": {"kind": MEAN_STD, "mean": [0.6] * 6, "std": [0.4] * 6},
}
WRAPPERS = [
    {"kind": "noether.data.base.wrappers.RepeatWrapper", "repetitions": 2},
    {"kind": "noether.data.base.wrappers.ShuffleWrapper", "seed": 11},
]


def pipeline(mode: str = "pad", surface_points: int | None = 50, volume_points: int | None = 40,
             **sampling: Any) -> dict[str, Any]:
    return {
        "kind": "noether.data.Pipeline",
        "sample_processors": [
            {"kind": "noether_cfd.SupernodeSampling", "geometry_points": 60, "num_supernodes": 12,
             "graph": "radius", "radius": 0.4, "max_neighbors": 6},  # seeded by the run (torch's seed)
            {"kind": "noether_cfd.SurfaceVolumeSampling", "surface_points": surface_points,
             "volume_points": volume_points, "surface_anchors": 20, "volume_anchors": 10, "seed": 3, **sampling},
        ],
        "collators": [{"kind": "noether_cfd.CfdCollator", "mode": mode}],
    }


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("stores")
    return {"equal": write_ellipsoid_store(root / "equal", 8, ragged=False),
            "ragged": write_ellipsoid_store(root / "ragged", 8, ragged=True)}


def built(kind: str, root: Path, pipe: dict[str, Any] | None, **fields: Any) -> Any:
    config = noether.structure({"kind": kind, "root": str(root), "normalizers": NORMALIZERS, "pipeline": pipe,
                                "wrappers": WRAPPERS, **fields}, AnyDatasetConfig)
    return build_dataset(config, name="train", seed=5)


def assert_columnar(dataset: Any, indices: list[int]) -> SampleBatch:
    """Every pipeline step takes the dataset's batch column-wise (no silent fall-back to samples)."""
    batch = dataset.__getitems__(indices)
    assert isinstance(batch, SampleBatch)
    for step in dataset.collate_fn.batch_steps:
        assert step is not None
        batch = step(batch)
        assert isinstance(batch, SampleBatch)
    return batch


def assert_same_loader_batches(a: Any, b: Any, batch_size: int = 3) -> list[dict[str, Any]]:
    batches_a, batches_b = loader_batches(a, epochs=2, batch_size=batch_size), loader_batches(b, 2, batch_size)
    assert len(batches_a) == len(batches_b) == 2 * (16 // batch_size)
    for batch_a, batch_b in zip(batches_a, batches_b, strict=True):
        assert_same_batch(batch_a, batch_b)
    return batches_a


def test_store_batches_are_one_tensor_per_field_when_the_samples_agree(stores: dict[str, Path]) -> None:
    fixed = built(BATCHED, stores["equal"], None, surface_points=100, volume_points=64)
    batch = fixed.__getitems__([3, 0, 7])
    assert isinstance(batch, SampleBatch)
    assert batch.columns["surface_pressure"].shape == (3, 100, 1)
    assert batch.columns["volume_velocity"].shape == (3, 64, 3)
    assert batch.columns["conditions"].shape == (3, 6)
    for position, index in enumerate([3, 0, 7]):
        sample = fixed[index]
        assert batch.columns["index"][position] == index
        for key, value in sample.items():
            if key != "index":
                assert torch.equal(batch.columns[key][position], value), key  # normalized alike, same dtype

    ragged = built(BATCHED, stores["ragged"], None)
    batch = ragged.__getitems__([1, 2])
    assert isinstance(batch.columns["surface_position"], list)  # 162 - 9 i points: one tensor per sample
    assert [len(v) for v in batch.columns["surface_position"]] == [len(ragged[1]["surface_position"]),
                                                                   len(ragged[2]["surface_position"])]
    assert isinstance(batch.columns["conditions"], torch.Tensor)  # per-sample fields still stack
    # Samples shorter than surface_points make that field ragged again, with the rows they have.
    short = built(BATCHED, stores["ragged"], None, surface_points=150, wrappers=None).__getitems__([0, 4])
    assert [len(v) for v in short.columns["surface_area"]] == [150, 162 - 36]


@pytest.mark.parametrize("mode", ["pad", "concat"])
@pytest.mark.parametrize("store", ["equal", "ragged"])
def test_batched_and_per_sample_store_give_identical_cfd_batches(
    stores: dict[str, Path], store: str, mode: str
) -> None:
    pipe = pipeline(mode)
    fields = {"surface_points": 120, "volume_points": 80} if store == "equal" else {}
    batched, per_sample = built(BATCHED, stores[store], pipe, **fields), built(PER_SAMPLE, stores[store], pipe,
                                                                              **fields)
    processed = assert_columnar(batched, [0, 1, 2])
    assert all(processed.is_batched(key) for key in processed.columns if key != "index")  # nothing ragged left
    assert isinstance(per_sample.__getitems__([0, 1]), list)
    batches = assert_same_loader_batches(batched, per_sample)
    first = batches[0]
    if mode == "pad":
        assert first["surface_position"].shape == (3, 50, 3) and bool(first["surface_mask"].all())
        assert first["supernode_neighbors"].shape == (3, 12, 6)
    else:
        assert first["surface_position"].shape == (150, 3) and first["surface_batch_index"].shape == (150,)
    assert first["surface_anchor_count"].tolist() == [20, 20, 20]


@pytest.mark.parametrize("mode", ["pad", "concat"])
def test_ragged_point_sets_are_padded_and_concatenated_as_per_sample(stores: dict[str, Path], mode: str) -> None:
    # Every point kept (in random order) and area-weighted draws of fewer points than some samples have:
    # the surface stays ragged through the pipeline, the collator pads it sample by sample.
    for pipe in (pipeline(mode, surface_points=None, volume_points=None),
                 pipeline(mode, surface_points=130, volume_points=70, surface_weighting="area", allow_fewer=True)):
        batched, per_sample = built(BATCHED, stores["ragged"], pipe), built(PER_SAMPLE, stores["ragged"], pipe)
        processed = assert_columnar(batched, [0, 1, 2, 3])
        assert not processed.is_batched("surface_position")
        batches = assert_same_loader_batches(batched, per_sample, batch_size=4)
        if mode == "pad":
            assert any(not bool(b["surface_mask"].all()) for b in batches)  # real padding happened


def test_the_same_numbers_with_two_dataloader_workers(stores: dict[str, Path]) -> None:
    pipe = pipeline()
    batched = built(BATCHED, stores["equal"], pipe, surface_points=120, volume_points=80)
    per_sample = built(PER_SAMPLE, stores["equal"], pipe, surface_points=120, volume_points=80)
    loader = torch.utils.data.DataLoader(batched, batch_size=4, num_workers=2, collate_fn=batched.collate_fn)
    reference = torch.utils.data.DataLoader(per_sample, batch_size=4, collate_fn=per_sample.collate_fn)
    for a, b in zip(loader, reference, strict=True):
        assert_same_batch(a, b)


def test_a_missing_file_fails_naming_the_sample(stores: dict[str, Path], tmp_path: Path) -> None:
    copy = tmp_path / "store"
    shutil.copytree(stores["equal"], copy)
    (copy / SAMPLES / "ellipsoid_002" / "volume_velocity.npy").unlink()
    dataset = built(BATCHED, copy, None, wrappers=None)
    assert isinstance(dataset.__getitems__([0, 1]), SampleBatch)
    with pytest.raises(SampleError, match=r"sample 2.*volume_velocity"):
        dataset.__getitems__([1, 2, 3])


def test_too_few_points_fails_naming_the_sample_on_the_batched_path(stores: dict[str, Path]) -> None:
    dataset = built(BATCHED, stores["ragged"], pipeline(surface_points=140), wrappers=None)
    batch = dataset.__getitems__([0, 3])  # sample 3 has 162 - 27 = 135 surface points
    with pytest.raises(ValueError, match="sample 3 has 135 points"):
        dataset.collate_fn(batch)
    assert np.isfinite(dataset.collate_fn(dataset.__getitems__([0, 1]))["surface_area"].numpy()).all()


def test_no_volume_points_and_every_surface_point_on_both_paths(stores: dict[str, Path]) -> None:
    for pipe in (pipeline(volume_points=0, volume_anchors=0), pipeline("concat", surface_points=None, volume_points=0,
                                                                        volume_anchors=None)):
        batched = built(BATCHED, stores["equal"], pipe, surface_points=100)
        per_sample = built(PER_SAMPLE, stores["equal"], pipe, surface_points=100)
        assert_columnar(batched, [0, 1, 2])
        first = assert_same_loader_batches(batched, per_sample)[0]
        assert first["volume_position"].shape[-2 if pipe["collators"][0]["mode"] == "pad" else 0] == 0


def test_direct_reads_equal_the_memory_maps_and_see_a_replaced_file(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    # float64 positions: read_rows casts them into a float32 batch row.
    arrays: dict[str, np.ndarray] = {"surface_position": rng.normal(size=(30, 3)),
                                     "surface_pressure": rng.normal(size=(30, 1)).astype(np.float32),
                                     "conditions": np.arange(4, dtype=np.int64)}
    convert_samples(tmp_path, ["a"], lambda _: arrays, progress=False)
    reader = StoreReader(tmp_path)
    for field in arrays:
        for rows in (None, 7, 100):
            expected = np.asarray(reader.read("a", field, rows))
            got = reader.read_rows("a", field, rows)
            assert got.dtype == expected.dtype and np.array_equal(got, expected)
            assert reader.shape_read("a", field, rows) == expected.shape
    batch = np.zeros((2, 7, 3), np.float32)
    reader.read_rows("a", "surface_position", 7, out=batch[1])
    assert np.array_equal(batch[1], np.asarray(reader.read("a", "surface_position", 7), np.float32))
    assert not batch[0].any()
    # Rewritten with fewer points while the reader keeps its header: the change is seen, not misread.
    write_sample(tmp_path, "a", {k: v[:12] if k != "conditions" else v for k, v in arrays.items()}, overwrite=True)
    with pytest.raises(StoreError, match="changed while it was read"):
        reader.read_rows("a", "surface_position", out=np.zeros((30, 3)))  # a batch row of the old shape
    assert reader.read_rows("a", "surface_pressure").shape == (12, 1)
    assert np.array_equal(reader.read_rows("a", "surface_pressure"), np.asarray(reader.read("a", "surface_pressure")))


def test_a_sample_rewritten_during_a_run_is_read_sample_by_sample(tmp_path: Path) -> None:
    root = write_ellipsoid_store(tmp_path / "store", 4, ragged=False)
    dataset = built(BATCHED, root, None, wrappers=None)
    assert dataset.__getitems__([0, 1]).columns["surface_area"].shape == (2, 162)  # headers now cached
    arrays = {path.stem: np.load(path) for path in (root / SAMPLES / "ellipsoid_001").glob("*.npy")}
    arrays = {k: v[:100] if k.startswith(("surface", "volume")) else v for k, v in arrays.items()}
    write_sample(root, "ellipsoid_001", arrays, overwrite=True)
    batch = dataset.__getitems__([0, 1])
    assert [len(v) for v in batch.columns["surface_area"]] == [162, 100]
    for position, index in enumerate([0, 1]):
        assert torch.equal(batch.columns["surface_area"][position], dataset[index]["surface_area"])


def test_the_in_memory_ellipsoid_flows_batch_by_one_gather_with_the_same_numbers(tmp_path: Path) -> None:
    def ellipsoids(kind: str) -> Any:
        config = noether.structure({"kind": kind, "root": str(tmp_path), "split": "train", "train_size": 8,
                                    "val_size": 1, "test_size": 1, "subdivisions": 2, "num_volume_points": 96,
                                    "normalizers": NORMALIZERS, "pipeline": pipeline(), "wrappers": WRAPPERS},
                                   AnyDatasetConfig)
        return build_dataset(config, name="train", seed=5)

    batched, per_sample = ellipsoids("noether_cfd.EllipsoidFlowDataset"), ellipsoids(
        "tests.cfd.store_batched.PerSampleEllipsoidFlows")
    raw = assert_columnar(batched, [0, 1, 2])
    assert raw.columns["moment"].shape == (3, 3)
    assert isinstance(per_sample.__getitems__([0, 1]), list)
    assert_same_loader_batches(batched, per_sample)


@pytest.mark.parametrize("mode", ["pad", "concat"])
@pytest.mark.parametrize("store", ["equal", "ragged"])
def test_verify_batches_finds_the_store_identical_through_the_cfd_pipeline(
    stores: dict[str, Path], tmp_path: Path, store: str, mode: str
) -> None:
    from noether.training.verify_batches import verify_batches

    fields = {"surface_points": 120, "volume_points": 80} if store == "equal" else {}
    dataset = {"kind": BATCHED, "root": str(stores[store]), "normalizers": NORMALIZERS,
               "pipeline": pipeline(mode), "wrappers": WRAPPERS, **fields}
    config = noether.structure({
        "output_path": str(tmp_path),
        "datasets": {"train": dataset},
        "model": {"kind": "noether.core.models.MLP", "name": "mlp", "input_dim": 3, "hidden_dim": 8,
                  "output_dim": 1},
        "trainer": {"kind": "SupervisedTrainer", "effective_batch_size": 3, "max_epochs": 2,
                    "forward_properties": ["surface_position"], "target_properties": ["surface_pressure"]},
    })
    report = verify_batches(config, batches=7)  # 16 samples, 5 updates an epoch: into the second epoch
    assert report.identical, report.text()
    assert report.batches == 7 and report.paths == ["the training path", "__getitems__ + collate_fn"]
    # Ragged point sets come from the store as one tensor per sample; the per-sample fields still stack.
    point_fields = {"surface_pressure", "volume_velocity"} if store == "equal" else set()
    assert point_fields | {"conditions"} <= set(report.batched_properties)
    assert "supernode_neighbors" in report.keys
