"""The CFD pipeline: seeded sampling, supernode graphs and ragged batching, through the core Pipeline."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from noether_cfd import batch as keys
from noether_cfd.pipeline.collate import concat_batch, concat_to_padded, pad_batch, padded_to_concat
from noether_cfd.pipeline.graph import neighbor_lists

from noether.core.config.converter import structure
from noether.data.pipeline import build_pipeline
from noether.data.schemas import AnyPipelineStep


def make_sample(index: int, n_surface: int, n_volume: int) -> dict[str, Any]:
    """A synthetic CFD sample: points on a unit sphere (areas summing to 4 pi) and outside it."""
    rng = np.random.default_rng(100 + index)
    direction = rng.normal(size=(n_surface, 3))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    volume = rng.normal(size=(n_volume, 3)) * 2.0
    return {
        "index": index,
        keys.SURFACE_POSITION: torch.from_numpy(direction).float(),
        keys.SURFACE_NORMAL: torch.from_numpy(direction).float(),
        keys.SURFACE_AREA: torch.full((n_surface,), 4 * np.pi / n_surface),
        keys.SURFACE_PRESSURE: torch.from_numpy(direction[:, :1]).float(),
        keys.VOLUME_POSITION: torch.from_numpy(volume).float(),
        keys.VOLUME_VELOCITY: torch.from_numpy(volume * 0.5).float(),
        keys.CONDITIONS: torch.tensor([float(index), 1.0]),
    }


PIPELINE = {
    "kind": "noether.data.Pipeline",
    "sample_processors": [
        {"kind": "noether_cfd.SupernodeSampling", "geometry_points": 80, "num_supernodes": 16, "graph": "radius",
         "radius": 0.5, "max_neighbors": 8, "seed": 3},
        {"kind": "noether_cfd.SurfaceVolumeSampling", "surface_points": 60, "volume_points": 50,
         "surface_anchors": 20, "volume_anchors": 10, "seed": 3},
    ],
    "collators": [{"kind": "noether_cfd.CfdCollator"}],
}


class SyntheticCfd(torch.utils.data.Dataset[dict[str, Any]]):
    """Samples of different sizes, collated by a CFD pipeline."""

    def __init__(self, pipeline: dict[str, Any], count: int = 6) -> None:
        self.collate_fn = build_pipeline(pipeline)
        self.count = count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int) -> dict[str, Any]:
        return make_sample(index, 100 + 13 * index, 70 + 7 * index)


def batches(dataset: SyntheticCfd, epoch: int, workers: int, batch_size: int = 3) -> list[dict[str, Any]]:
    dataset.collate_fn.set_epoch(epoch)
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, num_workers=workers,
                                         collate_fn=dataset.collate_fn)
    return list(loader)


def assert_same(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x.keys() == y.keys()
        for key in x:
            assert torch.equal(x[key], y[key]), key


def test_the_configs_validate_through_the_registry() -> None:
    config = structure(PIPELINE, AnyPipelineStep)
    assert type(config).__name__ == "PipelineConfig"


def test_a_radius_graph_without_a_radius_is_a_config_error() -> None:
    from noether.core.errors import ConfigError

    with pytest.raises(ConfigError, match="radius"):
        structure({"kind": "noether_cfd.SupernodeSampling", "num_supernodes": 4}, AnyPipelineStep)


def test_padded_batch_has_the_contract_shapes_and_masks() -> None:
    dataset = SyntheticCfd(PIPELINE)
    batch = batches(dataset, 0, 0)[0]
    assert batch[keys.GEOMETRY_POSITION].shape == (3, 80, 3)
    assert batch[keys.SUPERNODE_INDEX].shape == (3, 16)
    assert batch[keys.SUPERNODE_NEIGHBORS].shape == (3, 16, 8)
    assert batch[keys.SUPERNODE_NEIGHBOR_MASK].dtype == torch.bool
    assert batch[keys.SURFACE_POSITION].shape == (3, 60, 3)
    assert batch[keys.SURFACE_MASK].all()
    assert batch[keys.SURFACE_ANCHOR_COUNT].tolist() == [20, 20, 20]
    assert batch[keys.VOLUME_ANCHOR_COUNT].tolist() == [10, 10, 10]
    assert batch[keys.CONDITIONS].shape == (3, 2)
    # Every supernode is its own nearest neighbour, and neighbours lie within the radius.
    geometry = batch[keys.GEOMETRY_POSITION]
    for b in range(3):
        centres = geometry[b, batch[keys.SUPERNODE_INDEX][b]]
        assert torch.equal(batch[keys.SUPERNODE_NEIGHBORS][b, :, 0], batch[keys.SUPERNODE_INDEX][b])
        near = geometry[b][batch[keys.SUPERNODE_NEIGHBORS][b]]
        distance = (near - centres[:, None]).norm(dim=-1)
        assert (distance[batch[keys.SUPERNODE_NEIGHBOR_MASK][b]] <= 0.5 + 1e-6).all()


def test_area_weights_are_rescaled_so_that_sums_estimate_the_whole_surface() -> None:
    batch = batches(SyntheticCfd(PIPELINE), 0, 0)[0]
    total = batch[keys.SURFACE_AREA].sum(dim=1)
    assert torch.allclose(total, torch.full((3,), 4 * np.pi), rtol=1e-5)


def test_draws_depend_on_seed_epoch_and_sample_only() -> None:
    dataset = SyntheticCfd(PIPELINE)
    first = batches(dataset, 0, 0)
    assert_same(first, batches(dataset, 0, 0))
    assert_same(first, batches(SyntheticCfd(PIPELINE), 0, 0))
    other_epoch = batches(dataset, 1, 0)
    assert not torch.equal(first[0][keys.SURFACE_POSITION], other_epoch[0][keys.SURFACE_POSITION])
    # A sample draws the same points whichever batch (and batch position) it lands in.
    alone = batches(dataset, 0, 0, batch_size=1)
    assert torch.equal(alone[1][keys.SURFACE_POSITION][0], first[0][keys.SURFACE_POSITION][1])


def test_two_workers_give_the_batches_of_the_main_process() -> None:
    dataset = SyntheticCfd(PIPELINE)
    assert_same(batches(dataset, 2, 0), batches(dataset, 2, 2))


def test_fixed_sampling_ignores_the_epoch() -> None:
    fixed = {**PIPELINE, "sample_processors": [
        {"kind": "noether_cfd.SurfaceVolumeSampling", "surface_points": 60, "volume_points": 50, "fixed": True}]}
    dataset = SyntheticCfd(fixed)
    assert_same(batches(dataset, 0, 0), batches(dataset, 5, 0))


def test_padding_keeps_every_point_of_different_size_samples() -> None:
    samples = [make_sample(i, 30 + 10 * i, 20 + 5 * i) for i in range(3)]
    batch = pad_batch(samples)
    assert batch[keys.SURFACE_POSITION].shape == (3, 50, 3)
    assert batch[keys.SURFACE_MASK].sum(dim=1).tolist() == [30, 40, 50]
    assert batch[keys.VOLUME_MASK].sum(dim=1).tolist() == [20, 25, 30]
    for i, sample in enumerate(samples):
        n = sample[keys.SURFACE_POSITION].shape[0]
        assert torch.equal(batch[keys.SURFACE_PRESSURE][i, :n], sample[keys.SURFACE_PRESSURE])
        assert (batch[keys.SURFACE_PRESSURE][i, n:] == 0).all()


def test_concatenation_offsets_geometry_indices_and_converts_back_to_padding() -> None:
    pipeline = build_pipeline({"kind": "noether_cfd.SupernodeSampling", "num_supernodes": 5, "graph": "knn",
                               "max_neighbors": 4, "seed": 0})
    samples = [pipeline.sample_processors[0](make_sample(i, 20 + 10 * i, 10)) for i in range(3)]
    padded = pad_batch(samples)
    flat = concat_batch(samples)
    assert flat[keys.GEOMETRY_POSITION].shape == (90, 3)
    assert flat[keys.batch_index_key("geometry")].bincount().tolist() == [20, 30, 40]
    # Offset neighbour indices address the same points as the per-sample ones.
    for i in range(3):
        rows = flat[keys.batch_index_key("supernode")] == i
        via_flat = flat[keys.GEOMETRY_POSITION][flat[keys.SUPERNODE_NEIGHBORS][rows]]
        via_padded = padded[keys.GEOMETRY_POSITION][i][padded[keys.SUPERNODE_NEIGHBORS][i]]
        assert torch.equal(via_flat, via_padded)
    values, mask = concat_to_padded(flat[keys.SURFACE_POSITION], flat[keys.batch_index_key("surface")], 3)
    assert torch.equal(values, padded[keys.SURFACE_POSITION])
    assert torch.equal(mask, padded[keys.SURFACE_MASK])
    back, index = padded_to_concat(values, mask)
    assert torch.equal(back, flat[keys.SURFACE_POSITION])
    assert torch.equal(index, flat[keys.batch_index_key("surface")])


def test_knn_lists_are_the_nearest_points_and_short_sets_are_padded() -> None:
    points = np.array([[0.0, 0, 0], [1, 0, 0], [3, 0, 0]])
    neighbors, mask = neighbor_lists(points, points[:1], max_neighbors=5)
    assert neighbors[0, :3].tolist() == [0, 1, 2]
    assert mask[0].tolist() == [True, True, True, False, False]
    neighbors, mask = neighbor_lists(points, points[:1], max_neighbors=5, radius=1.5)
    assert mask[0].tolist() == [True, True, False, False, False]


def test_too_few_points_is_an_error_naming_the_sample() -> None:
    step = build_pipeline({"kind": "noether_cfd.SurfaceVolumeSampling", "surface_points": 500})
    with pytest.raises(ValueError, match="sample 2 has 40 points"):
        step([make_sample(2, 40, 10)])


def test_area_weighted_sampling_keeps_an_unbiased_area_sum() -> None:
    step = build_pipeline({"kind": "noether_cfd.SurfaceVolumeSampling", "surface_points": 50,
                           "surface_weighting": "area", "seed": 1})
    batch = step([make_sample(0, 200, 10)])
    assert torch.allclose(batch[keys.SURFACE_AREA].sum(), torch.tensor(4 * np.pi))
