"""Configs of the CFD models (torch-free): what each model reads, predicts, and how big it is.

The defaults are the sizes of the papers' recipes (see ``docs/cfd/models.md`` for the parameter counts);
``small()`` gives sizes that train in minutes on a laptop CPU. Every model reads the batch keys of
:mod:`noether_cfd.batch` and returns its predictions under the target names configured in
``surface_outputs`` / ``volume_outputs``.
"""

from collections.abc import Iterator
from typing import Annotated, Any, Literal, Self

import attrs

from noether.core.schemas import (
    ModelBaseConfig,
    NonBlankStr,
    NonEmpty,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
)
from noether_cfd import batch

_P = "noether_cfd."

#: Sizes shared by every ``small()`` config: a few thousand parameters per block, seconds per epoch on a CPU.
_SMALL: dict[str, Any] = {"hidden_dim": 32, "num_heads": 2, "mlp_ratio": 2}


def _surface_outputs() -> dict[str, int]:
    return {batch.SURFACE_PRESSURE: 1}


def _volume_outputs() -> dict[str, int]:
    return {batch.VOLUME_VELOCITY: 3}


@attrs.frozen(kw_only=True)
class CfdModelConfig(ModelBaseConfig):
    """Fields shared by the CFD models: their inputs, outputs, width and evaluation chunking."""

    kind: NonBlankStr
    #: Fields predicted at the surface points and their sizes; ``{}`` for a volume-only model.
    surface_outputs: dict[NonBlankStr, PositiveInt] = attrs.field(factory=_surface_outputs)
    #: Fields predicted at the volume points and their sizes; ``{}`` for a surface-only model.
    volume_outputs: dict[NonBlankStr, PositiveInt] = attrs.field(factory=_volume_outputs)
    #: Further per-point inputs of the surface points and their sizes, e.g. ``{surface_normal: 3}``.
    surface_features: dict[NonBlankStr, PositiveInt] = attrs.field(factory=dict)
    #: Further per-point inputs of the volume points and their sizes.
    volume_features: dict[NonBlankStr, PositiveInt] = attrs.field(factory=dict)
    #: Size of the per-sample ``conditions`` vector (inflow speed, angles, ...); 0: the model reads none.
    #: Conditions modulate every block (scale, shift and gate of each normalisation, as in AB-UPT).
    condition_dim: NonNegativeInt = 0
    #: Coordinates per point.
    position_dim: PositiveInt = 3
    #: Token width.
    hidden_dim: PositiveInt = 192
    #: Attention heads (must divide ``hidden_dim``).
    num_heads: PositiveInt = 3
    #: Width of each feed-forward block relative to ``hidden_dim``.
    mlp_ratio: PositiveInt = 4
    #: Longest wavelength of the sine-cosine position features and rotary embeddings, in position units.
    #: Positions are expected normalised to about ``[0, 1000]`` (as the UPT papers do); scale this with them.
    max_wavelength: PositiveFloat = 10_000.0
    #: When set, evaluation without gradients predicts the query points in chunks of this many points
    #: (bounded memory on full-resolution meshes); the result equals the unchunked one.
    eval_chunk_size: PositiveInt | None = None

    def _check(self) -> Iterator[tuple[str, str]]:
        if self.hidden_dim % self.num_heads:
            yield "num_heads", f"must divide hidden_dim={self.hidden_dim}, got {self.num_heads}"
        if not self.surface_outputs and not self.volume_outputs:
            yield "surface_outputs", "the model predicts nothing: give surface_outputs or volume_outputs"
        both = sorted(set(self.surface_outputs) & set(self.volume_outputs))
        if both:
            yield "volume_outputs", f"fields predicted on both point sets: {', '.join(both)}"

    @classmethod
    def small(cls, **overrides: Any) -> Self:
        """This model with the small CPU-example sizes; ``overrides`` replace any field (``name`` defaults to
        the class's short name)."""
        values = {"name": cls.__name__.removesuffix("Config").lower(), **_SMALL, **cls._small_sizes()}
        values.update(overrides)
        return cls(**values)

    @classmethod
    def _small_sizes(cls) -> dict[str, Any]:
        return {}


@attrs.frozen(kw_only=True)
class TransolverConfig(CfdModelConfig):
    """Transolver (Wu et al. 2024, arXiv 2402.02366): Physics-Attention over surface and volume points.

    Defaults: the paper's ShapeNet-Car recipe (8 layers, width 256, 8 heads, 32 slices, feed-forward 2x).
    """

    kind: NonBlankStr = _P + "Transolver"
    hidden_dim: PositiveInt = 256
    num_heads: PositiveInt = 8
    mlp_ratio: PositiveInt = 2
    #: Physics-Attention blocks.
    depth: PositiveInt = 8
    #: Learned slices (physical states) per head.
    slice_count: PositiveInt = 32
    #: Initial value of the learned per-head softmax temperature of the slice weights.
    temperature: PositiveFloat = 0.5
    #: How point positions enter the embedding MLP: ``raw`` coordinates (the paper; normalize positions to
    #: about ``[0, 1]``) or ``sincos`` features up to ``max_wavelength`` (positions to ``[0, 1000]``). A raw
    #: MLP resolves a field that changes on a small part of the domain slowly: with ``raw`` the ellipsoid
    #: example learned no volume velocity in 12 epochs, with ``sincos`` it did.
    position_encoding: Literal["raw", "sincos"] = "raw"

    @classmethod
    def _small_sizes(cls) -> dict[str, Any]:
        return {"depth": 2, "slice_count": 8}


@attrs.frozen(kw_only=True)
class TransolverPlusPlusConfig(TransolverConfig):
    """Transolver++ (Luo et al. 2025, arXiv 2502.02414): eidetic states with adaptive temperature and
    Gumbel-softmax slice reparameterisation.

    Defaults: the Transolver recipe sizes (the paper keeps the backbone and changes the attention).
    """

    kind: NonBlankStr = _P + "TransolverPlusPlus"
    #: Sample Gumbel noise on the slice logits while training (the paper's Rep-Slice); evaluation is
    #: deterministic either way.
    gumbel_noise: bool = True
    #: Smallest per-point temperature (keeps the adaptive temperature positive).
    min_temperature: PositiveFloat = 0.01


@attrs.frozen(kw_only=True)
class RopeTransformerConfig(CfdModelConfig):
    """A pre-norm Transformer over all surface and volume points with 3-D rotary position embeddings.

    Defaults: width 192, 12 blocks, 3 heads, feed-forward 4x (the AB-UPT paper's Transformer baseline size).
    """

    kind: NonBlankStr = _P + "RopeTransformer"
    #: Transformer blocks.
    depth: PositiveInt = 12

    @classmethod
    def _small_sizes(cls) -> dict[str, Any]:
        return {"depth": 2}


@attrs.frozen(kw_only=True)
class UptConfig(CfdModelConfig):
    """UPT (Alkin et al. 2024, arXiv 2402.12365): supernode pooling, latent Transformer, Perceiver decoder.

    Defaults: width 192, 3 heads, 12 approximator and 12 decoder blocks (the DrivAerML recipe of the
    AB-UPT paper's UPT baseline).
    """

    kind: NonBlankStr = _P + "Upt"
    #: Latent Transformer (approximator) blocks over the supernode tokens.
    approximator_depth: PositiveInt = 12
    #: Perceiver decoder blocks: the query points cross-attend to the latent tokens.
    decoder_depth: PositiveInt = 12
    #: Rotary position embeddings in the latent and decoder attention (supernode and query positions).
    use_rope: bool = True

    @classmethod
    def _small_sizes(cls) -> dict[str, Any]:
        return {"approximator_depth": 2, "decoder_depth": 1}


#: A physics block of AB-UPT: ``geometry`` cross-attends to the geometry tokens, ``self`` attends to the
#: anchors of its own branch, ``cross`` to the anchors of the other branch.
PhysicsBlock = Literal["geometry", "self", "cross"]


def _shapenet_physics_blocks() -> list[str]:
    return ["geometry", *["self", "cross"] * 4, "self"]


@attrs.frozen(kw_only=True)
class AbUptConfig(CfdModelConfig):
    """AB-UPT (Alkin et al. 2025, arXiv 2502.09692): geometry branch, surface and volume anchor branches,
    queries that attend to anchors only.

    Defaults: the ShapeNet-Car recipe (width 192, 3 heads, 1 geometry block, 10 physics blocks, 2 decoder
    blocks per branch). For DrivAerML use 6 physics and 6 decoder blocks (``docs/cfd/models.md``).
    """

    kind: NonBlankStr = _P + "AbUpt"
    #: Self-attention blocks over the supernode tokens of the geometry branch.
    geometry_depth: NonNegativeInt = 1
    #: The physics blocks in order; their weights are shared by the surface and volume branches.
    physics_blocks: Annotated[list[PhysicsBlock], NonEmpty()] = attrs.field(factory=_shapenet_physics_blocks)
    #: Anchor self-attention blocks of each branch's own decoder (not shared between branches).
    decoder_depth: NonNegativeInt = 2

    def _check(self) -> Iterator[tuple[str, str]]:
        yield from super()._check()
        if "cross" in self.physics_blocks and not (self.surface_outputs and self.volume_outputs):
            yield "physics_blocks", "'cross' blocks need both branches: give surface_outputs and volume_outputs"

    @classmethod
    def _small_sizes(cls) -> dict[str, Any]:
        return {"geometry_depth": 1, "physics_blocks": ["geometry", "self", "cross"], "decoder_depth": 1}


#: Every CFD model config, by kind suffix (used by the registration and the docs).
MODEL_CONFIGS: dict[str, type[CfdModelConfig]] = {
    "AbUpt": AbUptConfig,
    "Upt": UptConfig,
    "Transolver": TransolverConfig,
    "TransolverPlusPlus": TransolverPlusPlusConfig,
    "RopeTransformer": RopeTransformerConfig,
}
