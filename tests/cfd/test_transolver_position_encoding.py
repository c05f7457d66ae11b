"""Transolver's ``position_encoding``: raw coordinates (the paper) or sine-cosine features."""

from __future__ import annotations

import pytest
import torch
from noether_cfd.models.embeddings import SinCosFeatures
from noether_cfd.models.schemas import TransolverConfig
from noether_cfd.models.transolver import Transolver


def _model(encoding: str) -> Transolver:
    config = TransolverConfig(name="t", hidden_dim=24, num_heads=2, depth=1, slice_count=4,
                              position_encoding=encoding, surface_outputs={"surface_pressure": 1},
                              volume_outputs={"volume_velocity": 3})
    return Transolver(config)


@pytest.mark.parametrize("encoding, encoded", [("raw", False), ("sincos", True)])
def test_position_encoding_chooses_the_embedding(encoding: str, encoded: bool) -> None:
    model = _model(encoding)
    for embedding in model.embeddings.values():
        assert isinstance(embedding.encode, SinCosFeatures) is encoded


def test_sincos_predictions_depend_on_the_volume_positions_and_batch_like_single_samples() -> None:
    torch.manual_seed(0)
    model = _model("sincos").eval()
    batch = {"surface_position": torch.rand(2, 9, 3) * 1000, "volume_position": torch.rand(2, 7, 3) * 1000}
    out = model(**batch)
    assert out["volume_velocity"].shape == (2, 7, 3)
    alone = model(**{k: v[1:] for k, v in batch.items()})
    torch.testing.assert_close(out["volume_velocity"][1:], alone["volume_velocity"], atol=1e-5, rtol=1e-5)
    moved = dict(batch, volume_position=batch["volume_position"] + 50.0)
    assert not torch.allclose(model(**moved)["volume_velocity"], out["volume_velocity"])


def test_an_unknown_encoding_is_rejected_by_the_config() -> None:
    import noether

    with pytest.raises(Exception, match="position_encoding"):
        noether.structure({"name": "t", "position_encoding": "fourier"}, TransolverConfig)
