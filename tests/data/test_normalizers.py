"""Normalizers: the §8.1 formulas, log scale, inverses, and errors."""

from __future__ import annotations

import pytest
import torch

from noether.core.errors import ConfigError
from noether.core.schemas import MeanStdNormalizerConfig, PositionNormalizerConfig, ShiftAndScaleNormalizerConfig
from noether.data.normalizers import (
    MeanStdNormalizer,
    NormalizerChain,
    PositionNormalizer,
    ShiftAndScaleNormalizer,
    build_normalizers,
)

X = torch.tensor([[-3.0, 0.5], [0.0, 2.0], [7.5, -1.25]])


def test_mean_std_is_x_minus_mean_over_std() -> None:
    n = MeanStdNormalizer(MeanStdNormalizerConfig(mean=[1.0, -2.0], std=[2.0, 0.5]), normalization_key="p")
    expected = (X - torch.tensor([1.0, -2.0])) / torch.tensor([2.0, 0.5])
    torch.testing.assert_close(n.normalize(X), expected)
    torch.testing.assert_close(n.denormalize(n.normalize(X)), X)


def test_shift_and_scale_adds_shift_then_multiplies() -> None:
    n = ShiftAndScaleNormalizer(ShiftAndScaleNormalizerConfig(shift=[1.0, 2.0], scale=[3.0, 0.5]),
                                normalization_key="p")
    torch.testing.assert_close(n.normalize(X), (X + torch.tensor([1.0, 2.0])) * torch.tensor([3.0, 0.5]))
    torch.testing.assert_close(n.denormalize(n.normalize(X)), X)


@pytest.mark.parametrize("cls, config", [
    (MeanStdNormalizer, MeanStdNormalizerConfig(mean=0.3, std=1.7, logscale=True)),
    (ShiftAndScaleNormalizer, ShiftAndScaleNormalizerConfig(shift=[0.1, -0.2], scale=[2.0, 4.0], logscale=True)),
])
def test_logscale_applies_symmetric_log_first_and_round_trips(cls: type, config: object) -> None:
    n = cls(config, normalization_key="p")
    big = torch.tensor([[-1e4, -1.0], [0.0, 3.0], [1e5, 0.25]], dtype=torch.float64)
    logged = torch.sign(big) * torch.log1p(big.abs())
    shift, scale = n.shift.double(), n.scale.double()
    torch.testing.assert_close(n.normalize(big), (logged + shift) * scale)
    torch.testing.assert_close(n.denormalize(n.normalize(big)), big, rtol=1e-9, atol=1e-9)


def test_position_maps_box_to_zero_scale_and_rejects_outside() -> None:
    n = PositionNormalizer(PositionNormalizerConfig(raw_pos_min=[-1.0, 0.0], raw_pos_max=[1.0, 4.0], scale=10.0),
                           normalization_key="pos")
    corners = torch.tensor([[-1.0, 0.0], [1.0, 4.0], [0.0, 2.0]])
    torch.testing.assert_close(n.normalize(corners), torch.tensor([[0.0, 0.0], [10.0, 10.0], [5.0, 5.0]]))
    torch.testing.assert_close(n.denormalize(n.normalize(corners)), corners)
    with pytest.raises(ValueError, match=r"pos.*outside"):
        n.normalize(torch.tensor([[1.5, 1.0]]))


def test_normalizer_inputs_must_be_tensors() -> None:
    n = MeanStdNormalizer(MeanStdNormalizerConfig(mean=0.0, std=1.0), normalization_key="p")
    with pytest.raises(TypeError, match=r"torch\.Tensor"):
        n.normalize([1.0, 2.0])  # type: ignore[arg-type]


def test_statistics_follow_dtype_and_keep_float64_precision() -> None:
    n = MeanStdNormalizer(MeanStdNormalizerConfig(mean=[0.5], std=[0.25]), normalization_key="p")
    x = torch.tensor([[0.1], [0.7]], dtype=torch.float64)
    assert n.normalize(x).dtype == torch.float64
    assert n.normalize(x.float()).dtype == torch.float32


def test_schema_rejects_bad_statistics() -> None:
    with pytest.raises(ConfigError, match="std"):
        MeanStdNormalizerConfig(mean=[0.0], std=[0.0])
    with pytest.raises(ConfigError, match="shape"):
        ShiftAndScaleNormalizerConfig(shift=[0.0, 1.0], scale=[1.0])
    with pytest.raises(ConfigError, match="greater"):
        PositionNormalizerConfig(raw_pos_min=[1.0], raw_pos_max=[1.0])


def test_chain_applies_in_order_and_inverts_in_reverse() -> None:
    a = ShiftAndScaleNormalizer(ShiftAndScaleNormalizerConfig(shift=1.0, scale=2.0), normalization_key="p")
    b = MeanStdNormalizer(MeanStdNormalizerConfig(mean=3.0, std=4.0), normalization_key="p")
    chain = NormalizerChain("p", [a, b])
    torch.testing.assert_close(chain.normalize(X), ((X + 1.0) * 2.0 - 3.0) / 4.0)
    torch.testing.assert_close(chain.denormalize(chain.normalize(X)), X)


def test_build_normalizers_accepts_one_config_or_a_list() -> None:
    chains = build_normalizers({
        "a": MeanStdNormalizerConfig(mean=1.0, std=2.0),
        "b": [ShiftAndScaleNormalizerConfig(shift=1.0, scale=1.0), MeanStdNormalizerConfig(mean=0.0, std=2.0)],
    })
    assert [len(chains[k].normalizers) for k in ("a", "b")] == [1, 2]
    assert chains["b"].normalizers[0].key == "b"
