"""The folder dataset: write samples, read them back, split files, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from noether.data.dataset import build_dataset
from noether.data.folder import FolderDataset, save_sample, write_splits
from noether.data.schemas import FolderDatasetConfig

MEAN_STD = "noether.data.preprocessors.normalizers.MeanStdNormalization"


def make_arrays(n: int = 6) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(0)
    return [
        {"position": rng.normal(size=(5 + i, 3)), "pressure": rng.normal(size=(5 + i, 1)).astype(np.float32),
         "label": np.array([i], dtype=np.int64)}
        for i in range(n)
    ]


@pytest.fixture
def folder(tmp_path: Path) -> tuple[Path, list[dict[str, np.ndarray]]]:
    arrays = make_arrays()
    names = []
    for i, sample in enumerate(arrays):
        save_sample(tmp_path / f"sample_{i:03d}", **sample)
        names.append(f"sample_{i:03d}")
    write_splits(tmp_path, train=names[:4], val=names[4:5], test=names[5:])
    return tmp_path, arrays


def test_read_back_after_writing(folder: tuple[Path, list[dict[str, np.ndarray]]]) -> None:
    root, arrays = folder
    ds = FolderDataset(FolderDatasetConfig(root=str(root), split="train"))
    assert len(ds) == 4
    assert ds.properties == ("label", "position", "pressure")
    for i in range(4):
        sample = ds[i]
        assert sample["index"] == i
        assert sample["position"].dtype == torch.float32  # float64 on disk, float32 for models
        np.testing.assert_allclose(sample["position"].numpy(), arrays[i]["position"].astype(np.float32))
        np.testing.assert_array_equal(sample["pressure"].numpy(), arrays[i]["pressure"])
        assert sample["label"].dtype == torch.int64 and int(sample["label"]) == i
    test = FolderDataset(FolderDatasetConfig(root=str(root), split="test"))
    np.testing.assert_array_equal(test[0]["label"].numpy(), [5])


def test_dtype_keep_and_property_subset(folder: tuple[Path, list[dict[str, np.ndarray]]]) -> None:
    root, arrays = folder
    ds = FolderDataset(FolderDatasetConfig(root=str(root), split="val", dtype="keep", properties=["position"]))
    sample = ds[0]
    assert sorted(sample) == ["index", "position"]
    assert sample["position"].dtype == torch.float64
    np.testing.assert_array_equal(sample["position"].numpy(), arrays[4]["position"])
    torch.testing.assert_close(ds.getitem_position(0), sample["position"])


def test_list_files_and_split_folders(tmp_path: Path) -> None:
    arrays = make_arrays(3)
    for i, sample in enumerate(arrays):
        save_sample(tmp_path / f"s{i}.npz", **sample)
    (tmp_path / "train.txt").write_text("# training samples\ns2\n\ns0\n")
    ds = FolderDataset(FolderDatasetConfig(root=str(tmp_path), split="train"))
    assert [int(ds[i]["label"]) for i in range(len(ds))] == [2, 0]
    for i, sample in enumerate(arrays):
        save_sample(tmp_path / "val" / f"v{i}", **sample)
    val = FolderDataset(FolderDatasetConfig(root=str(tmp_path), split="val"))
    assert [int(val[i]["label"]) for i in range(len(val))] == [0, 1, 2]


def test_missing_split_and_files_are_reported(folder: tuple[Path, list[dict[str, np.ndarray]]]) -> None:
    root, _ = folder
    write_splits(root, train=["sample_000", "ghost"])
    with pytest.raises(FileNotFoundError, match="ghost"):
        FolderDataset(FolderDatasetConfig(root=str(root), split="train"))
    with pytest.raises(ValueError, match="no split 'val'"):
        FolderDataset(FolderDatasetConfig(root=str(root), split="val"))
    with pytest.raises(FileNotFoundError, match="is not a directory"):
        FolderDataset(FolderDatasetConfig(root=str(root / "sub"), split="test"))
    (root / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"splits\.yaml, test\.txt or a folder test/"):
        FolderDataset(FolderDatasetConfig(root=str(root / "empty"), split="test"))


def test_missing_array_names_file_property_and_sample(folder: tuple[Path, list[dict[str, np.ndarray]]]) -> None:
    root, _ = folder
    ds = build_dataset(FolderDatasetConfig(root=str(root), split="train", properties=["position", "velocity"]),
                       name="mine")
    with pytest.raises(Exception, match=r"'mine'.*'velocity' of sample 0.*no array 'velocity'"):
        ds[0]


def test_pickled_arrays_are_refused(tmp_path: Path) -> None:
    np.savez(tmp_path / "evil.npz", data=np.array([{"a": 1}], dtype=object))
    write_splits(tmp_path, train=["evil"])
    ds = FolderDataset(FolderDatasetConfig(root=str(tmp_path), split="train", properties=["data"]))
    with pytest.raises(Exception, match="pickle"):
        ds[0]
    with pytest.raises(TypeError, match="only numbers"):
        save_sample(tmp_path / "x", data=np.array(["text"]))


def test_normalizers_apply_by_array_name(folder: tuple[Path, list[dict[str, np.ndarray]]]) -> None:
    root, arrays = folder
    import noether

    config = noether.structure({"kind": "noether.data.FolderDataset", "root": str(root), "split": "train",
                                "normalizers": {"pressure": {"kind": MEAN_STD, "mean": [1.0], "std": [2.0]}}},
                               FolderDatasetConfig)
    ds = build_dataset(noether.structure(noether.unstructure(config), FolderDatasetConfig))
    expected = (arrays[0]["pressure"] - 1.0) / 2.0
    np.testing.assert_allclose(ds[0]["pressure"].numpy(), expected, rtol=1e-6)
    torch.testing.assert_close(ds.denormalize("pressure", ds[0]["pressure"]), torch.from_numpy(arrays[0]["pressure"]))


def test_workers_read_the_same_samples(folder: tuple[Path, list[dict[str, np.ndarray]]]) -> None:
    root, _ = folder
    import noether

    ds = build_dataset(noether.structure({
        "kind": "noether.data.FolderDataset", "root": str(root), "split": "train", "properties": ["label", "position"],
        "pipeline": {"kind": "ConcatCollator", "items": ["position"]}}, FolderDatasetConfig))
    ds[0]  # leaves a file open in this process; workers must open their own
    batches = [list(DataLoader(ds, batch_size=2, num_workers=w, collate_fn=ds.collate_fn)) for w in (0, 2)]
    for a, b in zip(*batches, strict=True):
        torch.testing.assert_close(a["position"], b["position"])
        torch.testing.assert_close(a["position_batch_index"], b["position_batch_index"])


def test_safetensors_samples(tmp_path: Path) -> None:
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    arrays = make_arrays(2)
    for i, sample in enumerate(arrays):
        safetensors_numpy.save_file(sample, str(tmp_path / f"s{i}.safetensors"))
    write_splits(tmp_path, train=["s0", "s1"])
    ds = FolderDataset(FolderDatasetConfig(root=str(tmp_path), split="train"))
    np.testing.assert_allclose(ds[1]["position"].numpy(), arrays[1]["position"].astype(np.float32))
    assert int(ds[1]["label"]) == 1
