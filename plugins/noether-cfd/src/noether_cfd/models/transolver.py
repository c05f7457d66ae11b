"""Transolver (arXiv 2402.02366) and Transolver++ (arXiv 2502.02414): Physics-Attention over mesh points.

Physics-Attention assigns every point softly to ``M`` learned slices per head (a softmax over slice logits
divided by a temperature), forms one *state* token per slice as the weighted mean of the points' features,
lets the states attend to each other, and gives each point back the weighted mix of the updated states.
Padded points get zero slice weight, so they change no state.

Transolver++ changes how the states are formed: the temperature is adaptive per point and head
(``tau_i = tau_0 + Linear(x_i)``), the slice logits are reparameterised with Gumbel noise while training
(Rep-Slice), and the states are aggregated from the same projected features that assign the slices
(eidetic states, one projection instead of two).

Because a state is a sum over points divided by a sum of weights, a layer can be evaluated in chunks: sum the
partial states over the chunks, attend among the states, then de-slice chunk by chunk (the paper's
parallel form, here over chunks instead of GPUs). Memory: the tokens of all points plus one chunk's work.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from noether_cfd.models.base import CfdModel, chunks
from noether_cfd.models.blocks import Modulation, feed_forward
from noether_cfd.models.containers import Modules
from noether_cfd.models.schemas import TransolverConfig, TransolverPlusPlusConfig

_EPS = 1e-5


class PhysicsAttention(nn.Module):
    """Slice, attend among slice states, de-slice; a Transolver++ config gives the eidetic variant."""

    def __init__(self, config: TransolverConfig) -> None:
        super().__init__()
        dim, heads = config.hidden_dim, config.num_heads
        head_dim = dim // heads
        self.num_heads = heads
        eidetic = isinstance(config, TransolverPlusPlusConfig)
        self.project_x = nn.Linear(dim, dim)
        self.project_features = None if eidetic else nn.Linear(dim, dim)
        self.slice_logits = nn.Linear(head_dim, config.slice_count)
        if isinstance(config, TransolverPlusPlusConfig):
            self.base_temperature = config.temperature
            self.min_temperature = config.min_temperature
            self.gumbel_noise = config.gumbel_noise
            self.adaptive_temperature: nn.Linear | None = nn.Linear(head_dim, 1)
            self.temperature = None
        else:
            self.adaptive_temperature = None
            self.temperature = nn.Parameter(torch.full((heads, 1, 1), config.temperature))
            self.gumbel_noise = False
        self.query = nn.Linear(head_dim, head_dim)
        self.key = nn.Linear(head_dim, head_dim)
        self.value = nn.Linear(head_dim, head_dim)
        self.out = nn.Linear(dim, dim)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        return x.unflatten(-1, (self.num_heads, -1)).transpose(1, 2)

    def slices(
        self, h: torch.Tensor, mask: torch.Tensor, *, noise: bool
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Slice weights ``(B, H, N, M)`` (zero at padded points) and features ``(B, H, N, head_dim)``."""
        x = self._heads(self.project_x(h))
        features = x if self.project_features is None else self._heads(self.project_features(h))
        logits = self.slice_logits(x)
        if self.adaptive_temperature is not None:
            temperature = (self.base_temperature + self.adaptive_temperature(x)).clamp_min(self.min_temperature)
            if noise and self.gumbel_noise:
                uniform = torch.rand_like(logits)
                logits = logits - torch.log(-torch.log(uniform + _EPS) + _EPS)
        else:
            assert self.temperature is not None
            temperature = self.temperature.clamp_min(1e-2)
        weights = F.softmax(logits / temperature, dim=-1) * mask[:, None, :, None].to(logits.dtype)
        return weights, features

    @staticmethod
    def partial_states(weights: torch.Tensor, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Sums over points: weighted features ``(B, H, M, head_dim)`` and weights ``(B, H, M)``."""
        return torch.einsum("bhnm,bhnd->bhmd", weights, features), weights.sum(dim=2)

    def mix_states(self, weighted: torch.Tensor, total: torch.Tensor) -> torch.Tensor:
        """The slice states (weighted means) after attention among them, ``(B, H, M, head_dim)``."""
        states = weighted / (total[..., None] + _EPS)
        return F.scaled_dot_product_attention(self.query(states), self.key(states), self.value(states))

    def deslice(self, weights: torch.Tensor, states: torch.Tensor) -> torch.Tensor:
        """Each point's weighted mix of the states, ``(B, N, dim)``."""
        out = torch.einsum("bhnm,bhmd->bhnd", weights, states)
        return self.out(out.transpose(1, 2).flatten(-2))

    def forward(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Physics-Attention of ``(B, N, dim)`` normalised tokens."""
        weights, features = self.slices(h, mask, noise=self.training)
        return self.deslice(weights, self.mix_states(*self.partial_states(weights, features)))


class PhysicsBlock(nn.Module):
    """Pre-norm block: Physics-Attention then feed-forward, both residual, optionally condition-modulated."""

    def __init__(self, config: TransolverConfig) -> None:
        super().__init__()
        dim = config.hidden_dim
        self.norm1 = nn.LayerNorm(dim)
        self.attention = PhysicsAttention(config)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = feed_forward(dim, config.mlp_ratio)
        self.modulation = Modulation(dim) if config.condition_dim else None

    def _mod(self, condition: torch.Tensor | None) -> tuple[torch.Tensor, ...] | None:
        return None if self.modulation is None or condition is None else self.modulation(condition)

    @staticmethod
    def _norm(norm: nn.LayerNorm, x: torch.Tensor, mod: tuple[torch.Tensor, ...] | None, i: int) -> torch.Tensor:
        h = norm(x)
        return h if mod is None else h * (1 + mod[i + 1]) + mod[i]

    @staticmethod
    def _gated(update: torch.Tensor, mod: tuple[torch.Tensor, ...] | None, i: int) -> torch.Tensor:
        return update if mod is None else (1 + mod[i]) * update

    def _feed_forward(self, x: torch.Tensor, mod: tuple[torch.Tensor, ...] | None) -> torch.Tensor:
        return x + self._gated(self.mlp(self._norm(self.norm2, x, mod, 3)), mod, 5)

    def forward(self, x: torch.Tensor, mask: torch.Tensor, condition: torch.Tensor | None) -> torch.Tensor:
        """Update ``(B, N, dim)`` tokens."""
        mod = self._mod(condition)
        x = x + self._gated(self.attention(self._norm(self.norm1, x, mod, 0), mask), mod, 2)
        return self._feed_forward(x, mod)

    def forward_chunked(
        self, x: torch.Tensor, mask: torch.Tensor, condition: torch.Tensor | None, chunk_size: int
    ) -> torch.Tensor:
        """The same update, ``chunk_size`` points at a time (no training noise)."""
        mod = self._mod(condition)
        spans = list(chunks(x.shape[1], chunk_size))
        weighted: torch.Tensor | None = None
        total: torch.Tensor | None = None
        for a, b in spans:
            w, f = self.attention.slices(self._norm(self.norm1, x[:, a:b], mod, 0), mask[:, a:b], noise=False)
            part_weighted, part_total = self.attention.partial_states(w, f)
            weighted = part_weighted if weighted is None else weighted + part_weighted
            total = part_total if total is None else total + part_total
        assert weighted is not None and total is not None
        states = self.attention.mix_states(weighted, total)
        out = []
        for a, b in spans:
            w, _ = self.attention.slices(self._norm(self.norm1, x[:, a:b], mod, 0), mask[:, a:b], noise=False)
            y = x[:, a:b] + self._gated(self.attention.deslice(w, states), mod, 2)
            out.append(self._feed_forward(y, mod))
        return torch.cat(out, dim=1)


class Transolver(CfdModel):
    """Transolver: point tokens ``MLP([position, features])`` of every configured set, Physics-Attention blocks.

    ``position_encoding: sincos`` puts sine-cosine features of the positions in place of the raw coordinates.

    Reads ``<set>_position`` (and ``<set>_mask``, the configured features, ``conditions``) for each set that
    has outputs; returns the configured fields. Chunked evaluation: per layer, as the module docstring says.
    """

    config_class = TransolverConfig
    config: TransolverConfig

    def __init__(self, config: TransolverConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.embeddings = self.point_embeddings(sincos=config.position_encoding == "sincos")
        self.set_embedding = nn.Parameter(torch.zeros(len(self.point_sets), config.hidden_dim))
        self.blocks = Modules(PhysicsBlock(config) for _ in range(config.depth))

    def predict(self, batch: Mapping[str, torch.Tensor], chunk_size: int | None) -> dict[str, torch.Tensor]:
        """Predict every configured field."""
        condition = self.condition(batch)
        tokens = [self.embed_points(self.embeddings[s.name], batch, s) + self.set_embedding[i]
                  for i, s in enumerate(self.point_sets)]
        sizes = [t.shape[1] for t in tokens]
        x = torch.cat(tokens, dim=1)
        mask = torch.cat([self.mask(batch, s) for s in self.point_sets], dim=1)
        for block in self.blocks:
            x = block(x, mask, condition) if chunk_size is None else block.forward_chunked(x, mask, condition,
                                                                                            chunk_size)
        result: dict[str, torch.Tensor] = {}
        for s, part in zip(self.point_sets, x.split(sizes, dim=1), strict=True):
            result.update(self.outputs(s, part))
        return result


class TransolverPlusPlus(Transolver):
    """Transolver++: Transolver with eidetic states (adaptive temperature, Gumbel-softmax slices).

    Same inputs and outputs as :class:`Transolver`. Training draws Gumbel noise (``gumbel_noise``);
    evaluation and the chunked path are deterministic.
    """

    config_class = TransolverPlusPlusConfig
    config: TransolverPlusPlusConfig
