"""Attention and pre-norm Transformer blocks with key masks, rotary positions and condition modulation.

A block's attention reads keys and values from a *context* that is computed separately
(:meth:`Block.context`), so that a model can attend to another token set (geometry, anchors, latents) and
cache that context while it streams query points through in chunks.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from noether_cfd.models.embeddings import RotaryAngles, rotate


class KeysValues(NamedTuple):
    """The keys and values of a context, each ``(B, heads, M, head_dim)`` (keys already rotated)."""

    keys: torch.Tensor
    values: torch.Tensor


def key_mask(mask: torch.Tensor | None) -> torch.Tensor | None:
    """``(B, M)`` real-key mask as an SDPA mask ``(B, 1, 1, M)``.

    Models pass ``None`` when every key is real (:meth:`CfdModel.key_padding` decides once per forward), so
    no block synchronises with the device to find out.
    """
    return None if mask is None else mask[:, None, None, :]


class Attention(nn.Module):
    """Multi-head scaled dot-product attention from tokens ``x`` to a precomputed context."""

    def __init__(self, dim: int, num_heads: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.query = nn.Linear(dim, dim)
        self.key_value = nn.Linear(dim, 2 * dim)
        self.out = nn.Linear(dim, dim)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        return x.unflatten(-1, (self.num_heads, -1)).transpose(1, 2)

    def keys_values(self, context: torch.Tensor, rope: RotaryAngles | None = None) -> KeysValues:
        """Project ``(B, M, dim)`` (normalised) context tokens to keys and values."""
        keys, values = self.key_value(context).chunk(2, dim=-1)
        keys = self._heads(keys)
        if rope is not None:
            keys = rotate(keys, rope)
        return KeysValues(keys, self._heads(values))

    def forward(
        self, x: torch.Tensor, context: KeysValues, mask: torch.Tensor | None, rope: RotaryAngles | None = None
    ) -> torch.Tensor:
        """Attend from ``(B, N, dim)`` tokens to the context; ``mask`` ``(B, M)`` marks real keys."""
        query = self._heads(self.query(x))
        if rope is not None:
            query = rotate(query, rope)
        out = F.scaled_dot_product_attention(query, context.keys, context.values, attn_mask=key_mask(mask))
        return self.out(out.transpose(1, 2).flatten(-2))


def feed_forward(dim: int, ratio: int) -> nn.Sequential:
    """The two-layer GELU feed-forward block of a Transformer."""
    return nn.Sequential(nn.Linear(dim, ratio * dim), nn.GELU(), nn.Linear(ratio * dim, dim))


class Modulation(nn.Module):
    """Scale, shift and gate of a block's two normalisations from a per-sample condition vector.

    Starts as the identity (zero-initialised projection; gates are ``1 + g``) so that an unconditioned start
    trains like a plain block and every parameter still gets a gradient.
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.project = nn.Linear(dim, 6 * dim)
        nn.init.zeros_(self.project.weight)
        nn.init.zeros_(self.project.bias)

    def forward(self, condition: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """``(B, dim)`` condition to six ``(B, 1, dim)`` tensors: shift, scale, gate of attention, then MLP."""
        return tuple(self.project(condition)[:, None].chunk(6, dim=-1))


def _modulate(x: torch.Tensor, shift: torch.Tensor | None, scale: torch.Tensor | None) -> torch.Tensor:
    if shift is None or scale is None:
        return x
    return x * (1 + scale) + shift


class Block(nn.Module):
    """A pre-norm block: attention to a context, then a feed-forward layer, both residual.

    ``context="same"``: the context is the same kind of tokens as ``x`` (self-attention, attention to a
    branch's anchors) and goes through the block's own normalisation and modulation. ``context="other"``:
    the context is a different token set (geometry, latents) with a normalisation of its own.
    """

    def __init__(
        self, dim: int, num_heads: int, mlp_ratio: int, *, conditioned: bool, context: Literal["same", "other"]
    ) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attention = Attention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = feed_forward(dim, mlp_ratio)
        self.context_norm = nn.LayerNorm(dim) if context == "other" else None
        self.modulation = Modulation(dim) if conditioned else None

    def _modulation(self, condition: torch.Tensor | None) -> tuple[torch.Tensor | None, ...]:
        if self.modulation is None or condition is None:
            return (None,) * 6
        return self.modulation(condition)

    def context(
        self, tokens: torch.Tensor, condition: torch.Tensor | None = None, rope: RotaryAngles | None = None
    ) -> KeysValues:
        """Keys and values of ``(B, M, dim)`` context tokens for this block's attention."""
        if self.context_norm is not None:
            normed = self.context_norm(tokens)
        else:
            shift, scale, *_ = self._modulation(condition)
            normed = _modulate(self.norm1(tokens), shift, scale)
        return self.attention.keys_values(normed, rope)

    def forward(
        self,
        x: torch.Tensor,
        context: KeysValues | None = None,
        *,
        mask: torch.Tensor | None = None,
        condition: torch.Tensor | None = None,
        rope: RotaryAngles | None = None,
    ) -> torch.Tensor:
        """Update ``(B, N, dim)`` tokens; without ``context`` they attend to themselves (``mask`` over ``x``)."""
        shift1, scale1, gate1, shift2, scale2, gate2 = self._modulation(condition)
        h = _modulate(self.norm1(x), shift1, scale1)
        if context is None:
            context = self.attention.keys_values(h, rope)
        update = self.attention(h, context, mask, rope)
        x = x + (update if gate1 is None else (1 + gate1) * update)
        update = self.mlp(_modulate(self.norm2(x), shift2, scale2))
        return x + (update if gate2 is None else (1 + gate2) * update)
