"""The building blocks of the CFD models: rotary embeddings, sine-cosine features, supernode pooling,
Physics-Attention slices, attention masks and the chunk helper."""

from __future__ import annotations

import pytest
import torch
from noether_cfd.models.base import chunks
from noether_cfd.models.blocks import Block
from noether_cfd.models.embeddings import Rotary3d, SinCosFeatures, rotate
from noether_cfd.models.schemas import TransolverConfig, TransolverPlusPlusConfig
from noether_cfd.models.supernodes import SupernodePooling
from noether_cfd.models.transolver import PhysicsAttention


def test_rotary_scores_depend_only_on_the_difference_of_positions() -> None:
    torch.manual_seed(0)
    rope = Rotary3d(head_dim=16, position_dim=3, max_wavelength=100.0)
    q, k = torch.randn(1, 1, 5, 16), torch.randn(1, 1, 7, 16)
    pq, pk = torch.rand(1, 5, 3) * 50, torch.rand(1, 7, 3) * 50
    shift = torch.tensor([13.0, -4.0, 27.5])

    def scores(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return rotate(q, rope.angles(a)) @ rotate(k, rope.angles(b)).transpose(-1, -2)

    torch.testing.assert_close(scores(pq + shift, pk + shift), scores(pq, pk), atol=1e-4, rtol=1e-4)
    assert not torch.allclose(scores(pq + shift, pk), scores(pq, pk), atol=1e-2)  # absolute shifts do count
    # Every coordinate axis is encoded: a shift along z alone changes the scores too.
    assert not torch.allclose(scores(pq + torch.tensor([0, 0, 5.0]), pk), scores(pq, pk), atol=1e-2)
    # Rotation keeps norms; channels beyond the rotated ones (16 = 2 * 2 pairs * 3 axes + 4) are untouched.
    rotated = rotate(q, rope.angles(pq))
    torch.testing.assert_close(rotated.norm(dim=-1), q.norm(dim=-1))
    torch.testing.assert_close(rotated[..., 12:], q[..., 12:])


@pytest.mark.parametrize("dim", [1, 6, 7, 32])
def test_sincos_features_have_the_requested_width_and_are_bounded(dim: int) -> None:
    features = SinCosFeatures(dim, position_dim=3, max_wavelength=1000.0)(torch.rand(2, 4, 3) * 1000)
    assert features.shape == (2, 4, dim)
    assert bool((features.abs() <= 1).all())


def test_supernode_pooling_averages_only_real_neighbours() -> None:
    torch.manual_seed(0)
    pooling = SupernodePooling(dim=8, position_dim=3, max_wavelength=100.0)
    points = torch.rand(1, 6, 3)
    index = torch.tensor([[0, 3]])
    neighbors = torch.tensor([[[0, 1, 2], [3, 4, 0]]])
    mask = torch.tensor([[[True, True, False], [True, True, False]]])
    tokens, centers = pooling(points, index, neighbors, mask)
    torch.testing.assert_close(centers, points[:, [0, 3]])
    # The same graph without the masked entries gives the same tokens.
    trimmed, _ = pooling(points, index, neighbors[..., :2], None)
    torch.testing.assert_close(tokens, trimmed)


@pytest.mark.parametrize("config_class", [TransolverConfig, TransolverPlusPlusConfig])
def test_slice_weights_are_a_distribution_over_slices_and_zero_at_padding(config_class: type) -> None:
    torch.manual_seed(0)
    attention = PhysicsAttention(config_class.small()).eval()
    h = torch.randn(2, 9, 32)
    mask = torch.ones(2, 9, dtype=torch.bool)
    mask[1, 6:] = False
    weights, features = attention.slices(h, mask, noise=False)
    assert weights.shape == (2, 2, 9, 8) and features.shape == (2, 2, 9, 16)
    torch.testing.assert_close(weights[0].sum(-1), torch.ones(2, 9))
    assert bool((weights[1, :, 6:] == 0).all())
    noisy, _ = attention.slices(h, mask, noise=True)
    if config_class is TransolverPlusPlusConfig:
        assert not torch.allclose(noisy, weights)  # Gumbel noise when asked for
    else:
        torch.testing.assert_close(noisy, weights)  # Transolver has no noise


def test_a_masked_key_changes_nothing() -> None:
    torch.manual_seed(0)
    block = Block(16, 2, 2, conditioned=False, context="other")
    x, context = torch.randn(1, 4, 16), torch.randn(1, 6, 16)
    mask = torch.tensor([[True, True, True, True, False, False]])
    with torch.no_grad():
        masked = block(x, block.context(context), mask=mask)
        trimmed = block(x, block.context(context[:, :4]))
        changed = context.clone()
        changed[:, 4:] = 1e4
        masked_changed = block(x, block.context(changed), mask=mask)
    torch.testing.assert_close(masked, trimmed, atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(masked_changed, masked)


def test_chunks_cover_the_range_once() -> None:
    assert list(chunks(10, 4)) == [(0, 4), (4, 8), (8, 10)]
    assert list(chunks(10, None)) == [(0, 10)]
    assert list(chunks(0, 4)) == [(0, 0)]
