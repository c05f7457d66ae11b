"""Pipelines: processors, collators, structure from YAML, determinism across DataLoader workers."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch.utils.data import DataLoader, default_collate

import noether
from noether.core.errors import ConfigError
from noether.data.collators import ConcatCollator, PadCollator
from noether.data.dataset import build_dataset
from noether.data.pipeline import Pipeline, build_pipeline
from noether.data.processors import DuplicateKeys, PointSampling, RenameKeys
from noether.data.schemas import (
    ConcatCollatorConfig,
    DuplicateKeysConfig,
    PadCollatorConfig,
    PointSamplingConfig,
    RenameKeysConfig,
)
from tests.data.toys import PLAIN, ArraysConfig


def clouds(sizes: list[int]) -> list[dict[str, Any]]:
    return [
        {"index": i, "pos": torch.full((n, 2), float(i)), "val": torch.arange(n, dtype=torch.float32)[:, None],
         "label": torch.tensor([float(i)])}
        for i, n in enumerate(sizes)
    ]


def test_default_pipeline_equals_default_collate() -> None:
    samples = clouds([3, 3, 3])
    batch = build_pipeline(None)(samples)
    expected = default_collate(samples)
    assert batch.keys() == expected.keys()
    for key in batch:
        torch.testing.assert_close(batch[key], expected[key])


def test_stacking_variable_sizes_explains_the_alternatives() -> None:
    with pytest.raises(RuntimeError, match="ConcatCollator or PadCollator"):
        build_pipeline(None)(clouds([2, 3]))


def test_concat_collator_adds_batch_index() -> None:
    batch = ConcatCollator(ConcatCollatorConfig(items=["pos", "val"]))(clouds([2, 3, 1]))
    assert batch["pos"].shape == (6, 2)
    assert batch["pos_batch_index"].tolist() == [0, 0, 1, 1, 1, 2]
    assert batch["val_batch_index"].tolist() == [0, 0, 1, 1, 1, 2]
    torch.testing.assert_close(batch["pos"][:, 0], batch["pos_batch_index"].float())


def test_pad_collator_pads_and_masks() -> None:
    batch = PadCollator(PadCollatorConfig(items=["val"], pad_value=-1.0))(clouds([2, 3]))
    assert batch["val"].shape == (2, 3, 1)
    assert batch["val_mask"].tolist() == [[True, True, False], [True, True, True]]
    assert batch["val"][0, :, 0].tolist() == [0.0, 1.0, -1.0]


def test_point_sampling_is_deterministic_shared_and_varies_by_epoch() -> None:
    sampler = PointSampling(PointSamplingConfig(items=["pos", "val"], num_points=4, seed=3))
    sample = {"index": 5, "pos": torch.arange(20.0)[:, None].repeat(1, 2), "val": torch.arange(20.0)[:, None]}
    first = sampler(dict(sample))
    again = sampler(dict(sample))
    assert first["val"].shape == (4, 1)
    torch.testing.assert_close(first["val"], again["val"])
    torch.testing.assert_close(first["pos"][:, 0], first["val"][:, 0])  # same points for every item
    assert first["val"][:, 0].tolist() == sorted(first["val"][:, 0].tolist())
    assert sample["val"].shape == (20, 1)  # the input tensors are not modified
    other_index = sampler({**sample, "index": 6})
    sampler.set_epoch(1)
    other_epoch = sampler(dict(sample))
    assert not torch.equal(first["val"], other_index["val"])
    assert not torch.equal(first["val"], other_epoch["val"])


def test_point_sampling_errors() -> None:
    sampler = PointSampling(PointSamplingConfig(items=["val"], num_points=4, seed=0))
    with pytest.raises(ValueError, match="sample 0 has 2 points, fewer than num_points=4"):
        sampler(clouds([2])[0])
    with pytest.raises(KeyError, match="index"):
        sampler({"val": torch.zeros(5, 1)})
    keep = PointSampling(PointSamplingConfig(items=["val"], num_points=4, seed=0, allow_fewer=True))
    assert keep(clouds([2])[0])["val"].shape == (2, 1)


def test_rename_and_duplicate() -> None:
    sample = clouds([2])[0]
    pos = sample["pos"]
    out = RenameKeys(RenameKeysConfig(mapping={"pos": "position", "val": "pos"}))(sample)
    assert out["position"] is pos and "val" not in out
    out = DuplicateKeys(DuplicateKeysConfig(mapping={"position": ["query", "anchor"]}))(out)
    assert out["query"] is out["anchor"] is pos
    with pytest.raises(KeyError, match="no key 'missing'"):
        RenameKeys(RenameKeysConfig(mapping={"missing": "x"}))(out)
    with pytest.raises(KeyError, match="overwrite"):
        RenameKeys(RenameKeysConfig(mapping={"query": "anchor"}))(out)


def test_pipeline_from_yaml_mapping() -> None:
    pipeline = build_pipeline({
        "kind": "noether.data.Pipeline",
        "sample_processors": [
            {"kind": "noether.data.PointSampling", "items": ["pos", "val"], "num_points": 2, "seed": 0},
            {"kind": "RenameKeys", "mapping": {"label": "target"}},
        ],
        "collators": [{"kind": "noether.data.ConcatCollator", "items": ["pos"]}],
        "batch_processors": [{"kind": "noether.data.DuplicateKeys", "mapping": {"target": "y"}}],
    })
    batch = pipeline(clouds([3, 5]))
    assert sorted(batch) == ["index", "pos", "pos_batch_index", "target", "val", "y"]
    assert batch["pos"].shape == (4, 2) and batch["val"].shape == (2, 2, 1)


def test_a_single_collator_or_processor_is_a_pipeline() -> None:
    concat = build_pipeline({"kind": "ConcatCollator", "items": ["pos", "val"]})
    assert concat(clouds([1, 2]))["pos_batch_index"].tolist() == [0, 1, 1]
    sampled = build_pipeline({"kind": "PointSampling", "items": ["pos", "val"], "num_points": 1, "seed": 0})
    assert sampled(clouds([3, 4]))["pos"].shape == (2, 1, 2)


def test_pipeline_config_errors_have_paths() -> None:
    with pytest.raises(ConfigError) as info:
        build_pipeline({"kind": "noether.data.Pipeline", "collators": [{"kind": "ConcatColator", "items": ["a"]}]})
    issue = info.value.issues[0]
    assert issue.dotted_path == "pipeline.collators[0].kind"
    assert "ConcatCollator" in issue.message  # the close match is suggested
    with pytest.raises(TypeError, match="cannot be used as a collator"):
        build_pipeline({"kind": "Pipeline", "collators": [{"kind": "RenameKeys", "mapping": {"a": "b"}}]})
    with pytest.raises(ValueError, match="claimed by two collators"):
        build_pipeline({"kind": "Pipeline", "collators": [{"kind": "ConcatCollator", "items": ["a"]},
                                                          {"kind": "PadCollator", "items": ["a"]}]})


def test_pipeline_instances_can_be_composed_in_python() -> None:
    pipeline = Pipeline(sample_processors=[RenameKeys(RenameKeysConfig(mapping={"val": "v"}))],
                        collators=[PadCollator(PadCollatorConfig(items=["v", "pos"]))])
    assert pipeline(clouds([1, 2]))["v_mask"].shape == (2, 2)


def _batches(num_workers: int) -> list[dict[str, torch.Tensor]]:
    config = noether.structure({
        "kind": PLAIN, "size": 24, "points": 9, "excluded_properties": ["broken"],
        "pipeline": {"kind": "PointSampling", "items": ["points"], "num_points": 4},
        "wrappers": [{"kind": "noether.data.base.wrappers.ShuffleWrapper"}],
    }, ArraysConfig)
    torch.manual_seed(123)  # the run's seed: drives the shuffle wrapper and the point sampling seed
    dataset = build_dataset(config, name="train")
    loader = DataLoader(dataset, batch_size=5, shuffle=True, num_workers=num_workers, collate_fn=dataset.collate_fn,
                        generator=torch.Generator().manual_seed(0))
    return list(loader)


def test_dataloader_batches_do_not_depend_on_num_workers() -> None:
    serial, parallel = _batches(0), _batches(2)
    assert len(serial) == len(parallel) == 5
    for a, b in zip(serial, parallel, strict=True):
        assert a.keys() == b.keys() == {"index", "points"}
        torch.testing.assert_close(a["points"], b["points"])
        torch.testing.assert_close(a["index"], b["index"])
    assert serial[0]["points"].shape == (5, 4, 1)
