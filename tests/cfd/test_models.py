"""The CFD models' forward contract: batch > 1 equals one sample at a time, chunked equals unchunked,
query permutation-equivariance, gradients, and actionable input errors.

Samples are point clouds with a real k-nearest-neighbour supernode graph (the pipeline's ``neighbor_lists``)
batched by the pipeline's own padding collator; padded entries are then overwritten with garbage, so the
tests also show that nothing at a padded position leaks into a real prediction.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from noether_cfd import batch as keys
from noether_cfd.models.base import CfdModel
from noether_cfd.models.blocks import Block
from noether_cfd.models.schemas import MODEL_CONFIGS, CfdModelConfig
from noether_cfd.models.transolver import PhysicsBlock
from noether_cfd.pipeline.collate import pad_batch
from noether_cfd.pipeline.graph import neighbor_lists

from noether.core.registry import get_registry

NEIGHBORS = 6
#: (geometry points, supernodes, surface points, surface anchors, volume points, volume anchors) per sample.
SIZES = [(40, 8, 24, 10, 30, 12), (55, 11, 17, 6, 41, 20), (33, 5, 29, 14, 22, 9)]
#: Models whose query points never interact (each query sees only anchors / latents).
INDEPENDENT_QUERIES = {"AbUpt", "Upt"}


def make_sample(seed: int, sizes: tuple[int, ...]) -> dict[str, torch.Tensor]:
    """One sample in the batch contract's per-sample form (no batch dimension)."""
    n_geometry, n_super, n_surface, a_surface, n_volume, a_volume = sizes
    rng = np.random.default_rng(seed)
    geometry = rng.normal(size=(n_geometry, 3))
    geometry /= np.linalg.norm(geometry, axis=1, keepdims=True)
    supernodes = rng.choice(n_geometry, n_super, replace=False)
    neighbors, neighbor_mask = neighbor_lists(geometry, geometry[supernodes], NEIGHBORS)
    surface = rng.normal(size=(n_surface, 3))
    normal = surface / np.linalg.norm(surface, axis=1, keepdims=True)
    volume = rng.uniform(-2.0, 2.0, size=(n_volume, 3))

    def t(a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(a, dtype=torch.float32)

    return {
        keys.GEOMETRY_POSITION: t(geometry),
        keys.SUPERNODE_INDEX: torch.as_tensor(supernodes, dtype=torch.long),
        keys.SUPERNODE_NEIGHBORS: torch.as_tensor(neighbors),
        keys.SUPERNODE_NEIGHBOR_MASK: torch.as_tensor(neighbor_mask),
        keys.SURFACE_POSITION: t(normal * 1.5),
        keys.SURFACE_NORMAL: t(normal),
        keys.SURFACE_ANCHOR_COUNT: torch.tensor(a_surface),
        keys.VOLUME_POSITION: t(volume),
        keys.VOLUME_ANCHOR_COUNT: torch.tensor(a_volume),
        keys.CONDITIONS: t(rng.normal(size=2)),
    }


def garbage_padding(batch: dict[str, Any]) -> dict[str, Any]:
    """The padded batch with large random values (and out-of-range-free random indices) at padded entries."""
    out = dict(batch)
    g = torch.Generator().manual_seed(123)
    for name in ("geometry", "supernode", "surface", "volume"):
        mask = batch.get(f"{name}_mask")
        if mask is None:
            continue
        for key, value in batch.items():
            if not key.startswith(name + "_") or key.endswith("_mask") or key.endswith("_count"):
                continue
            pad = ~mask.reshape(*mask.shape, *([1] * (value.dim() - 2)))
            if value.dtype.is_floating_point:
                noise = torch.randn(value.shape, generator=g) * 1e3
            else:  # indices must stay valid indices into the (padded) geometry points
                noise = torch.randint(0, batch[keys.GEOMETRY_POSITION].shape[1], value.shape, generator=g)
            out[key] = torch.where(pad, noise.to(value.dtype), value)
    neighbor_mask = batch[keys.SUPERNODE_NEIGHBOR_MASK] & batch[keys.SUPERNODE_MASK][..., None]
    out[keys.SUPERNODE_NEIGHBOR_MASK] = neighbor_mask
    return out


def build(kind: str, **overrides: Any) -> CfdModel:
    """A small model of ``kind`` with normals as surface features and two conditions (every input path)."""
    config_class: type[CfdModelConfig] = MODEL_CONFIGS[kind]
    config = config_class.small(surface_features={keys.SURFACE_NORMAL: 3}, condition_dim=2, **overrides)
    torch.manual_seed(0)
    model = get_registry().build("model", config)
    assert isinstance(model, CfdModel)
    return model


def single(sample: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A batch of one sample without masks (the model must treat missing masks as all real)."""
    return {k: v[None] for k, v in sample.items()}


@pytest.fixture(scope="module")
def samples() -> list[dict[str, torch.Tensor]]:
    return [make_sample(i, sizes) for i, sizes in enumerate(SIZES)]


@pytest.fixture(scope="module")
def padded(samples: list[dict[str, torch.Tensor]]) -> dict[str, Any]:
    return garbage_padding(pad_batch(samples))


@pytest.mark.parametrize("kind", sorted(MODEL_CONFIGS))
def test_a_padded_batch_of_different_sizes_equals_each_sample_alone(
    kind: str, samples: list[dict[str, torch.Tensor]], padded: dict[str, Any]
) -> None:
    model = build(kind).eval()
    with torch.no_grad():
        together = model(**padded)
        for i, sample in enumerate(samples):
            alone = model(**single(sample))
            for field, value in alone.items():
                n = value.shape[1]
                torch.testing.assert_close(together[field][i, :n], value[0], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kind", sorted(MODEL_CONFIGS))
@pytest.mark.parametrize("chunk_size", [3, 16])
def test_chunked_evaluation_equals_unchunked(kind: str, chunk_size: int, padded: dict[str, Any]) -> None:
    model = build(kind).eval()
    with torch.no_grad():
        full = model(**padded)
    chunked = model.predict_chunked(padded, chunk_size)
    assert set(chunked) == set(full)
    for field, value in full.items():
        mask = padded[field.split("_")[0] + "_mask"]
        torch.testing.assert_close(chunked[field][mask], value[mask], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kind", sorted(MODEL_CONFIGS))
def test_eval_chunk_size_in_the_config_chunks_gradient_free_evaluation(kind: str, padded: dict[str, Any]) -> None:
    model = build(kind).eval()
    chunked = build(kind, eval_chunk_size=5).eval()
    chunked.load_state_dict(model.state_dict())
    calls: list[int | None] = []
    original = chunked.predict

    def spy(batch: Any, chunk_size: int | None) -> dict[str, torch.Tensor]:
        calls.append(chunk_size)
        return original(batch, chunk_size)

    chunked.predict = spy  # type: ignore[method-assign]
    with torch.no_grad():
        expected = model(**padded)
        got = chunked(**padded)
    chunked(**padded)  # with gradients: never chunked (training and validation losses need the full graph)
    assert calls == [5, None]
    for field, value in expected.items():
        mask = padded[field.split("_")[0] + "_mask"]
        torch.testing.assert_close(got[field][mask], value[mask], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kind", sorted(MODEL_CONFIGS))
def test_predictions_follow_a_permutation_of_the_query_points(
    kind: str, samples: list[dict[str, torch.Tensor]]
) -> None:
    model = build(kind).eval()
    sample = single(samples[1])
    permuted = dict(sample)
    orders: dict[str, torch.Tensor] = {}
    g = torch.Generator().manual_seed(5)
    for name in ("surface", "volume"):
        n = sample[f"{name}_position"].shape[1]
        anchors = int(sample[f"{name}_anchor_count"]) if kind == "AbUpt" else 0
        # AB-UPT: queries are the points after the anchors; the anchors stay where they are.
        order = torch.cat([torch.arange(anchors), anchors + torch.randperm(n - anchors, generator=g)])
        orders[name] = order
        for key in (f"{name}_position", f"{name}_normal"):
            if key in sample:
                permuted[key] = sample[key][:, order]
    with torch.no_grad():
        base = model(**sample)
        moved = model(**permuted)
    for field, value in base.items():
        order = orders[field.split("_")[0]]
        torch.testing.assert_close(moved[field], value[:, order], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kind", sorted(INDEPENDENT_QUERIES))
def test_a_query_point_does_not_depend_on_the_other_queries(
    kind: str, samples: list[dict[str, torch.Tensor]]
) -> None:
    model = build(kind).eval()
    sample = single(samples[0])
    fewer = dict(sample)
    keep = {"surface": 13, "volume": 15}  # beyond every anchor count of sample 0
    for name, n in keep.items():
        for key in (f"{name}_position", f"{name}_normal"):
            if key in sample:
                fewer[key] = sample[key][:, :n]
    with torch.no_grad():
        all_queries = model(**sample)
        some = model(**fewer)
    for field, value in some.items():
        torch.testing.assert_close(value, all_queries[field][:, : value.shape[1]], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kind", sorted(MODEL_CONFIGS))
def test_gradients_reach_every_parameter_and_the_loss_drops(kind: str, padded: dict[str, Any]) -> None:
    model = build(kind).train()
    target = torch.sin(3 * padded[keys.SURFACE_POSITION][..., :1])
    mask = padded[keys.SURFACE_MASK]
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for step in range(10):
        out = model(**padded)
        loss = ((out[keys.SURFACE_PRESSURE] - target)[mask] ** 2).mean() + out[keys.VOLUME_VELOCITY].pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        # The condition modulation starts as the identity (zero projection), so the condition embedding gets
        # its first gradient once that projection has left zero: look at the second step.
        if step == 1:
            missing = [n for n, p in model.named_parameters() if p.grad is None or not bool(p.grad.abs().sum() > 0)]
            assert not missing, f"no gradient for {missing}"
            assert all(bool(torch.isfinite(p.grad).all()) for p in model.parameters() if p.grad is not None)
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]


def test_a_missing_input_names_the_key_and_the_fix(samples: list[dict[str, torch.Tensor]]) -> None:
    model = build("Upt").eval()
    batch = single(samples[0])
    del batch[keys.SUPERNODE_NEIGHBORS]
    with pytest.raises(KeyError, match=r"needs the batch key 'supernode_neighbors'.*forward_properties"):
        model(**batch)
    assert model.output_keys() == [keys.SURFACE_PRESSURE, keys.VOLUME_VELOCITY]
    assert keys.SUPERNODE_NEIGHBORS in model.input_keys() and keys.CONDITIONS in model.input_keys()


def test_abupt_rejects_a_sample_without_anchors(samples: list[dict[str, torch.Tensor]]) -> None:
    batch = single(samples[0])
    batch[keys.SURFACE_ANCHOR_COUNT] = torch.tensor([0])
    with pytest.raises(ValueError, match="at least one anchor in 'surface_anchor_count'"):
        build("AbUpt").eval()(**batch)


def test_a_surface_only_model_reads_no_volume_keys(samples: list[dict[str, torch.Tensor]]) -> None:
    batch = {k: v for k, v in single(samples[2]).items() if not k.startswith("volume_")}
    for kind in sorted(MODEL_CONFIGS):
        overrides: dict[str, Any] = {"volume_outputs": {}}
        if kind == "AbUpt":
            overrides["physics_blocks"] = ["geometry", "self"]
        out = build(kind, **overrides).eval()(**batch)
        assert set(out) == {keys.SURFACE_PRESSURE}, kind


def test_transolver_plus_plus_draws_gumbel_noise_only_while_training(padded: dict[str, Any]) -> None:
    model = build("TransolverPlusPlus")
    with torch.no_grad():
        model.train()
        noisy = [model(**padded)[keys.SURFACE_PRESSURE] for _ in range(2)]
        model.eval()
        calm = [model(**padded)[keys.SURFACE_PRESSURE] for _ in range(2)]
    assert not torch.equal(noisy[0], noisy[1])
    assert torch.equal(calm[0], calm[1])


@pytest.mark.parametrize("kind", sorted(MODEL_CONFIGS))
def test_chunked_evaluation_bounds_the_tokens_any_layer_works_on(
    kind: str, samples: list[dict[str, torch.Tensor]]
) -> None:
    """A large query set: in the chunked path no block's feed-forward layer sees more tokens than a chunk
    (the supernodes and anchors are fewer here), while the one-pass path pushes every point through at once.
    (Transolver and the RoPE Transformer still hold every point's token between layers: their points
    interact.)"""
    sample = single(samples[0])
    g = torch.Generator().manual_seed(9)
    sample[keys.VOLUME_POSITION] = torch.rand(1, 2000, 3, generator=g) * 4 - 2
    model = build(kind).eval()
    seen: list[int] = []
    hooks = [m.mlp.register_forward_hook(lambda _m, args, _out: seen.append(args[0].shape[1]))
             for m in model.modules() if isinstance(m, Block | PhysicsBlock)]
    assert hooks
    chunk = 64
    model.predict_chunked(sample, chunk)
    assert max(seen) <= chunk
    seen.clear()
    with torch.no_grad():
        model(**sample)
    assert max(seen) >= 2000


@pytest.mark.parametrize("kind", sorted(MODEL_CONFIGS))
def test_models_train_under_bfloat16_autocast(kind: str, padded: dict[str, Any]) -> None:
    """Mixed precision (CPU autocast here; the same dtype rules apply on a GPU): finite bf16 outputs and
    finite gradients."""
    model = build(kind).train()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(**padded)
    assert all(v.dtype == torch.bfloat16 for v in out.values())
    sum(v.float().pow(2).mean() for v in out.values()).backward()  # type: ignore[union-attr]
    assert all(bool(torch.isfinite(p.grad).all()) for p in model.parameters() if p.grad is not None)
