"""Statistics: Welford against NumPy, the document format, and the ``noether stats`` command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from ruamel.yaml import YAML

import noether
from noether.cli.main import main
from noether.core.schemas import AnyNormalizer
from noether.data.dataset import build_dataset
from noether.data.folder import save_sample, write_splits
from noether.data.stats import RunningMoments, as_observations, compute_statistics, statistics_document
from tests.data.toys import PLAIN, ArraysConfig


@pytest.mark.parametrize("shape, features", [((), 1), ((7,), 7), ((7, 1), 1), ((7, 3), 3), ((4, 3, 5), 5)])
def test_feature_dimension_is_the_last_axis(shape: tuple[int, ...], features: int) -> None:
    obs = as_observations(torch.zeros(shape))
    assert obs.shape[1] == features
    assert obs.shape[0] * obs.shape[1] == max(1, int(np.prod(shape)))
    assert obs.dtype == np.float64


def test_a_per_sample_vector_gets_one_mean_and_std_per_component_across_samples() -> None:
    # Like the CFD ``conditions`` (C,): each component is its own feature, each sample one observation.
    rng = np.random.default_rng(4)
    vectors = rng.normal(loc=[1.0, -5.0, 30.0], scale=[0.1, 2.0, 7.0], size=(50, 3))
    moments = RunningMoments()
    for v in vectors:
        moments.push_tensor(torch.from_numpy(v))
    assert moments.count == 50 and moments.num_features == 3
    np.testing.assert_allclose(moments.mean, vectors.mean(0), rtol=1e-12)
    np.testing.assert_allclose(moments.std, vectors.std(0, ddof=1), rtol=1e-10)


def test_statistics_normalize_the_tensor_they_came_from() -> None:
    # The normalizers broadcast against the last axis; statistics along it make every feature mean 0, std 1.
    rng = np.random.default_rng(5)
    samples = [rng.normal(loc=[3.0, -1.0], scale=[4.0, 0.5], size=(2, n, 2)) for n in (3, 8, 5)]
    moments = RunningMoments()
    for s in samples:
        moments.push_tensor(torch.from_numpy(s))
    flat = np.concatenate([s.reshape(-1, 2) for s in samples])
    normalized = (flat - moments.mean) / moments.std
    np.testing.assert_allclose(normalized.mean(0), 0.0, atol=1e-12)
    np.testing.assert_allclose(normalized.std(0, ddof=1), 1.0, rtol=1e-10)


def test_running_moments_match_numpy_over_many_pushes() -> None:
    rng = np.random.default_rng(1)
    chunks = [rng.normal(loc=1e4, scale=3.0, size=(n, 4)).astype(np.float32) for n in (1, 17, 300, 2, 50)]
    moments = RunningMoments()
    for chunk in chunks:
        moments.push_tensor(torch.from_numpy(chunk))
    data = np.concatenate(chunks).astype(np.float64)
    assert moments.count == len(data)
    np.testing.assert_allclose(moments.mean, data.mean(0), rtol=1e-12)
    np.testing.assert_allclose(moments.std, data.std(0, ddof=1), rtol=1e-9)
    np.testing.assert_array_equal(moments.min, data.min(0))
    np.testing.assert_array_equal(moments.max, data.max(0))


def test_running_moments_of_3d_tensors_and_log_scale() -> None:
    rng = np.random.default_rng(2)
    samples = [rng.normal(size=(3, 2, 5)) * 100 for _ in range(4)]
    moments = RunningMoments(log_scale=True)
    for s in samples:
        moments.push_tensor(torch.from_numpy(s))
    flat = np.concatenate([s.reshape(-1, 5) for s in samples])
    logged = np.sign(flat) * np.log1p(np.abs(flat))
    np.testing.assert_allclose(moments.mean, logged.mean(0), rtol=1e-12)
    np.testing.assert_allclose(moments.var, logged.var(0, ddof=1), rtol=1e-10)


def test_feature_count_mismatch_is_an_error() -> None:
    moments = RunningMoments()
    moments.push_tensor(torch.zeros(3, 2))
    with pytest.raises(ValueError, match="expected 2 features"):
        moments.push_tensor(torch.zeros(3, 4))


def test_a_per_point_scalar_without_a_feature_axis_is_an_error_that_says_how_to_fix_it() -> None:
    moments = RunningMoments()
    moments.push_tensor(torch.zeros(5))
    with pytest.raises(ValueError, match=r"trailing feature axis, e.g. shape \(points, 1\)"):
        moments.push_tensor(torch.zeros(6))


def test_dataset_statistics_match_numpy_on_the_same_arrays() -> None:
    ds = build_dataset(ArraysConfig(kind=PLAIN, size=6, points=4, excluded_properties={"broken"}))
    result = compute_statistics(ds, progress=False)
    values = ds.values.numpy().astype(np.float64).reshape(-1, 1)
    stats = result.properties["points"]
    assert result.num_samples == 6 and stats.count == 24
    np.testing.assert_allclose(stats.mean, values.mean(0))
    np.testing.assert_allclose(stats.std, values.std(0, ddof=1))
    assert stats.min == (0.0,) and stats.max == (23.0,)
    assert "index" not in result.properties


def test_workers_give_the_same_statistics() -> None:
    ds = build_dataset(ArraysConfig(kind=PLAIN, size=9, points=3, excluded_properties={"broken"}))
    serial = compute_statistics(ds, progress=False)
    parallel = compute_statistics(ds, progress=False, num_workers=2)
    assert serial.properties == parallel.properties


def test_failing_samples_raise_unless_skipped() -> None:
    ds = build_dataset(ArraysConfig(kind=PLAIN, size=5, broken_index=2))
    with pytest.raises(Exception, match="sample 2"):
        compute_statistics(ds, progress=False)
    result = compute_statistics(ds, progress=False, skip_errors=True)
    assert result.num_samples == 4
    assert [index for index, _ in result.errors] == [2]


def test_document_uses_lists_and_structures_into_config_fields() -> None:
    ds = build_dataset(ArraysConfig(kind=PLAIN, size=3, points=2))
    doc = statistics_document(compute_statistics(ds, progress=False))
    stats = doc["dataset_statistics"]
    assert set(stats) == {f"{p}_{s}" for p in ("broken", "points") for s in ("mean", "std", "min", "max", "count")}
    assert all(isinstance(v, list) for v in stats.values())
    assert stats["points_count"] == [6]
    normalizers = noether.structure(doc["dataset_normalizer"], dict[str, list[AnyNormalizer]])
    assert normalizers["broken"][0].std == [1.0]  # a constant feature gets std 1, not an invalid 0
    assert normalizers["points"][0].mean == pytest.approx(stats["points_mean"])
    config = noether.structure(stats, dict[str, list[float]])
    assert config["points_max"] == [5.0]


def _config(tmp_path: Path, arrays: list[np.ndarray]) -> Path:
    data = tmp_path / "data"
    for i, array in enumerate(arrays):
        save_sample(data / f"s{i}", pressure=array, position=np.zeros((len(array), 2)))
    write_splits(data, train=[f"s{i}" for i in range(len(arrays))])
    config = tmp_path / "cfg.yaml"
    config.write_text(f"""
output_path: {tmp_path / "out"}
datasets:
  train: {{kind: noether.data.FolderDataset, root: {data}, split: train}}
model: {{kind: noether.core.models.MLP, name: mlp, input_dim: 2, output_dim: 1}}
trainer: {{kind: SupervisedTrainer, max_epochs: 1, effective_batch_size: 2, forward_properties: [position],
          target_properties: [pressure]}}
""")
    return config


def test_stats_command_writes_yaml_matching_numpy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(3)
    arrays = [rng.normal(loc=2.0, size=(n, 2)).astype(np.float32) for n in (5, 9, 1)]
    config = _config(tmp_path, arrays)
    out = tmp_path / "stats.yaml"
    assert main(["stats", str(config), "--dataset", "train", "--out", str(out), "--no-progress"]) == 0
    doc: Any = YAML(typ="safe").load(out.read_text())
    values = np.concatenate(arrays).astype(np.float64)
    stats = doc["dataset_statistics"]
    np.testing.assert_allclose(stats["pressure_mean"], values.mean(0), rtol=1e-12)
    np.testing.assert_allclose(stats["pressure_std"], values.std(0, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(stats["pressure_min"], values.min(0))
    np.testing.assert_allclose(stats["pressure_max"], values.max(0))
    assert stats["pressure_count"] == [15]
    normalizer = doc["dataset_normalizer"]["pressure"][0]
    assert normalizer["kind"] == "noether.data.preprocessors.normalizers.MeanStdNormalization"
    np.testing.assert_allclose(normalizer["std"], values.std(0, ddof=1), rtol=1e-12)
    assert "pressure" in capsys.readouterr().err  # the summary table

    assert main(["stats", str(config), "--properties", "pressure", "--log-scale", "pressure", "--no-progress"]) == 0
    printed: Any = YAML(typ="safe").load(capsys.readouterr().out)
    logged = np.sign(values) * np.log1p(np.abs(values))
    np.testing.assert_allclose(printed["dataset_statistics"]["pressure_logscale_mean"], logged.mean(0), rtol=1e-12)
    assert printed["dataset_normalizer"]["pressure"][0]["logscale"] is True
    assert "position_mean" not in printed["dataset_statistics"]


def test_stats_command_reports_unknown_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, [np.zeros((2, 2), dtype=np.float32)])
    assert main(["stats", str(config), "--dataset", "val", "--no-progress"]) == 2
    assert "no dataset 'val'" in capsys.readouterr().err


def test_a_long_one_dimensional_property_is_counted_per_component_with_a_warning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A fixed-length 1-D property of 100 values gives 100 features and a warning saying how to mean points."""
    samples = [{"field": torch.arange(100, dtype=torch.float64) + i} for i in range(3)]
    result = compute_statistics(samples, progress=False)
    assert len(result.properties["field"].mean) == 100
    err = capsys.readouterr().err
    assert "'field' is 1-D of length 100" in err and "(points, 1)" in err


def test_stats_help_names_the_feature_axis_the_statistics_use(capsys: pytest.CaptureFixture[str]) -> None:
    # The help once said "dim 1" (upstream's rule) while the statistics use the last axis.
    with pytest.raises(SystemExit):
        main(["stats", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "feature dimension is the last axis" in text
    assert "dim 1" not in text


def _clouds(kind: str, **fields: Any) -> Any:
    from noether.core.schemas import AnyDatasetConfig
    from tests.data.test_batched import NORMALIZERS

    config = noether.structure({"kind": kind, "normalizers": NORMALIZERS, "size": 300, "points": 5, **fields},
                               AnyDatasetConfig)
    return build_dataset(config, name="train", normalize=False)


def _assert_close(a: Any, b: Any) -> None:
    assert a.num_samples == b.num_samples and list(a.properties) == list(b.properties)
    for key, stats in a.properties.items():
        other = b.properties[key]
        assert (stats.count, stats.min, stats.max, stats.is_float) == (other.count, other.min, other.max,
                                                                        other.is_float), key
        np.testing.assert_allclose(stats.mean, other.mean, rtol=1e-12, err_msg=key)
        np.testing.assert_allclose(stats.std, other.std, rtol=1e-12, err_msg=key)


@pytest.mark.parametrize("workers", [0, 2])
def test_a_batched_dataset_gives_the_per_sample_statistics_in_chunks_reading_one_sample_alone(
    workers: int,
) -> None:
    from tests.data.batched_toys import BATCHED, PER_SAMPLE, GatherCounting, make_clouds

    # 300 samples: one full chunk and a ragged one; the normalizers are configured and must not apply.
    batched = compute_statistics(_clouds(BATCHED), progress=False, num_workers=workers)
    per_sample = compute_statistics(_clouds(PER_SAMPLE), progress=False, num_workers=workers)
    _assert_close(batched, per_sample)
    assert set(batched.properties) == {"x", "y", "label", "tag"}  # "tag" has no batch loader: per sample
    arrays = make_clouds(_clouds(BATCHED).config)
    x = arrays["x"].numpy().astype(np.float64).reshape(-1, 3)
    np.testing.assert_allclose(batched.properties["x"].mean, x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(batched.properties["x"].std, x.std(0, ddof=1), rtol=1e-12)
    assert batched.properties["x"].count == 300 * 5 and batched.properties["label"].count == 300

    GatherCounting.single_reads = 0
    counted = compute_statistics(_clouds("tests.data.batched_toys.GatherCounting"), progress=False)
    _assert_close(counted, per_sample)
    assert GatherCounting.single_reads == 1  # the first chunk's first sample: its batch loader's reference


def test_a_batched_dataset_behind_wrappers_and_with_log_scale() -> None:
    from tests.data.batched_toys import BATCHED, PER_SAMPLE

    wrappers = [{"kind": "noether.data.base.wrappers.ShuffleWrapper", "seed": 3},
                {"kind": "noether.data.base.wrappers.SubsetWrapper", "end_index": 270}]
    results = [compute_statistics(_clouds(kind, wrappers=wrappers), progress=False, log_scale=["y"],
                                  exclude=["tag"]) for kind in (BATCHED, PER_SAMPLE)]
    _assert_close(*results)
    assert results[0].num_samples == 270 and results[0].properties["y"].log_scale


def test_a_failing_batch_loader_is_skipped_sample_by_sample_or_named() -> None:
    from tests.data.batched_toys import BatchedClouds

    class Broken(BatchedClouds):
        """Sample 260's ``x`` fails, one sample at a time and in every batch that holds it."""

        def getitem_x(self, idx: int) -> torch.Tensor:
            if idx == 260:
                raise OSError("unreadable chunk")
            return super().getitem_x(idx)

        def getitems_x(self, indices: list[int]) -> torch.Tensor:
            if 260 in indices:
                raise OSError("unreadable chunk")
            return super().getitems_x(indices)

    dataset = Broken(_clouds("tests.data.batched_toys.BatchedClouds").config)
    with pytest.raises(Exception, match="sample 260"):
        compute_statistics(dataset, progress=False)
    result = compute_statistics(dataset, progress=False, skip_errors=True)
    assert result.num_samples == 299 and [index for index, _ in result.errors] == [260]
    assert "unreadable chunk" in result.errors[0][1]
    assert result.properties["x"].count == 299 * 5


def test_chunks_hold_about_64_mib_so_large_samples_load_one_at_a_time() -> None:
    from noether.data.chunks import CHUNK, CHUNK_BYTES, chunk_size
    from tests.data.batched_toys import BATCHED

    assert chunk_size(_clouds(BATCHED)) == CHUNK  # 5 points: small samples
    # 2**18 points of x (3 floats) and y (1 float): 4 MiB a sample (and 4 bytes of label).
    assert chunk_size(_clouds(BATCHED, size=2, points=2**18)) == CHUNK_BYTES // (2**22 + 4) == 15
    assert chunk_size(_clouds(BATCHED, size=0)) == 1


def test_values_stack_into_one_column_only_when_they_share_shape_and_type() -> None:
    from noether.data.stats import _stacked

    stacked = _stacked([torch.ones(4, 3), torch.zeros(4, 3)])
    assert isinstance(stacked, torch.Tensor) and stacked.shape == (2, 4, 3)
    assert _stacked([torch.ones(4, 3), torch.ones(5, 3)]) is None  # ragged point counts: value by value
    assert _stacked([torch.ones(2), torch.ones(2, dtype=torch.float64)]) is None
    array = _stacked([np.ones((2, 1), dtype=np.float32)] * 3)
    assert isinstance(array, np.ndarray) and array.shape == (3, 2, 1)
    assert _stacked([np.array(["a"]), np.array(["b"])]) is None
    numbers = _stacked([1.5, 2.5])
    assert isinstance(numbers, np.ndarray) and numbers.tolist() == [1.5, 2.5]
    assert _stacked([1, 2.5]) is None and _stacked(["a", "b"]) is None and _stacked([]) is None


def test_per_sample_numbers_and_ragged_points_give_the_numpy_statistics() -> None:
    from tests.data.batched_toys import PER_SAMPLE

    result = compute_statistics(_clouds(PER_SAMPLE), progress=False)
    tag = np.arange(300, dtype=np.float64) * 10  # getitem_tag returns Python ints
    stats = result.properties["tag"]
    assert stats.count == 300 and not stats.is_float
    np.testing.assert_allclose(stats.mean, [tag.mean()], rtol=1e-12)
    np.testing.assert_allclose(stats.std, [tag.std(ddof=1)], rtol=1e-12)
    assert stats.min == (0.0,) and stats.max == (2990.0,)


@pytest.mark.parametrize(("drift", "where"), [(256, "samples 256-399"), (300, "sample 300")])
def test_a_feature_count_that_changes_names_the_sample_or_the_chunk_it_starts_at(drift: int, where: str) -> None:
    from noether.data.dataset import Dataset

    class Drifting(Dataset):
        """Three features before sample ``drift``, two from it on."""

        def __len__(self) -> int:
            return 400

        def getitem_x(self, idx: int) -> torch.Tensor:
            return torch.ones(4, 3 if idx < drift else 2)

    dataset = Drifting(noether.structure({"kind": "tests.data.toys.PlainDataset"}, ArraysConfig))
    # At a chunk's start the chunk's values stack (one shape): the chunk is named; inside a chunk they do not,
    # and are added value by value: the sample is named.
    with pytest.raises(ValueError, match=rf"property 'x' of {where}: expected 3 features \(the last axis\), got 2"):
        compute_statistics(dataset, progress=False)


class _CountingSamples(list):  # type: ignore[type-arg]
    """Sample dicts that count how many were read (``__getitem__``), to show a typo stops the pass early."""

    reads = 0

    def __getitem__(self, i: Any) -> Any:
        type(self).reads += 1
        return super().__getitem__(i)


@pytest.mark.parametrize(("option", "message"), [
    ({"properties": ["x", "nope"]}, r"dataset _CountingSamples: sample 0 has no nope; keys: x, y"),
    ({"log_scale": ["nope"]}, r"log_scale names unknown properties: nope; the samples have: x, y"),
    ({"exclude": ["nope", "y"]}, r"exclude names unknown properties: nope; the samples have: x, y"),
])
def test_a_misspelt_property_stops_the_pass_at_its_first_chunk(option: dict[str, Any], message: str) -> None:
    samples = _CountingSamples({"x": torch.ones(2), "y": torch.zeros(3)} for _ in range(2000))
    _CountingSamples.reads = 0
    with pytest.raises(KeyError, match=message):
        compute_statistics(samples, progress=False, **option)
    assert _CountingSamples.reads <= 257  # the first sample (it sizes the chunks) and one chunk, not 2,000


def test_log_scale_of_a_property_left_out_is_named() -> None:
    samples = [{"x": torch.ones(2), "y": torch.zeros(3)} for _ in range(3)]
    with pytest.raises(KeyError, match=r"log_scale names properties that were not measured \(excluded, not asked "
                                       r"for, or not numbers\): y"):
        compute_statistics(samples, progress=False, exclude=["y"], log_scale=["y"])



def _toy_config(tmp_path: Path, wrappers: list[dict[str, Any]], broken: bool = True) -> Path:
    config = tmp_path / "toy.yaml"
    config.write_text(json.dumps({  # (JSON is YAML)
        "output_path": str(tmp_path / "out"),
        "datasets": {"train": {"kind": "tests.data.stats_toys.BrokenY", "broken": broken, "wrappers": wrappers}},
        "model": {"kind": "noether.core.models.MLP", "name": "mlp", "input_dim": 2, "output_dim": 1},
        "trainer": {"kind": "SupervisedTrainer", "max_epochs": 1, "effective_batch_size": 2,
                    "forward_properties": ["x"], "target_properties": ["w"]},
    }))
    return config


def _stats_document(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    doc: dict[str, Any] = YAML(typ="safe").load(capsys.readouterr().out)
    return doc["dataset_statistics"]


def test_stats_of_some_properties_loads_only_those(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 'y' cannot be loaded; the asked-for properties are selected in the dataset (as included_properties would
    # be), below its index wrappers, so that 'y' is never read.
    config = _toy_config(tmp_path, [{"kind": "noether.data.base.wrappers.ShuffleWrapper", "seed": 1}])
    assert main(["stats", str(config), "--no-progress"]) == 1
    assert "y of sample" in capsys.readouterr().err
    for option in (["--properties", "x,w"], ["--exclude", "y"]):
        assert main(["stats", str(config), "--no-progress", *option]) == 0
        stats = _stats_document(capsys)
        assert stats["x_mean"] == [2.5, 5.0] and stats["w_mean"] == [3.5]
        assert not any(key.startswith("y_") for key in stats)


def test_stats_behind_a_wrapper_of_ones_own_loads_what_it_may_derive_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    # A wrapper that is not a built-in index wrapper may derive keys from any property: nothing is selected
    # below it, so 'z' (from 'w') is measured with 'w' left out of the statistics, not out of the samples.
    config = _toy_config(tmp_path, [{"kind": "tests.data.stats_toys.DerivedZ"}], broken=False)
    assert main(["stats", str(config), "--no-progress", "--exclude", "w"]) == 0
    stats = _stats_document(capsys)
    assert stats["z_mean"] == [35.0] and "w_mean" not in stats and "x_mean" in stats
    assert main(["stats", str(config), "--no-progress", "--properties", "z"]) == 0
    assert {key.split("_")[0] for key in _stats_document(capsys)} == {"z"}
