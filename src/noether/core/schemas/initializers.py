"""Initializer configs: load weights (and optionally optimizer state) from an earlier run."""


from collections.abc import Iterator
from typing import Literal

import attrs

from noether.core.schemas._base import Schema
from noether.core.schemas._constraints import NonBlankStr
from noether.core.schemas._types import PlainValue

_P = "noether.core.initializers."
_TAG_KEYS = ("epoch", "update", "sample")


@attrs.frozen(kw_only=True)
class InitializerConfig(Schema):
    """Which run, stage, model and checkpoint to load from."""

    kind: NonBlankStr = _P + "PreviousRunInitializer"
    #: Unused; kept so upstream files load.
    kwargs: dict[str, PlainValue] | None = None
    #: Run id of the run to load from.
    run_id: NonBlankStr
    #: Stage of that run (``None``: the run directory itself).
    stage_name: str | None = None
    #: Name of the model whose files are loaded (default: the model's own name).
    model_name: str | None = None
    #: ``latest``, ``last``, ``E<e>_U<u>_S<s>``, ``best_model.<metric>``, or ``{epoch|update|sample: n}``.
    checkpoint_tag: str | dict[str, int] | None = None
    #: Infix of the weight file name, e.g. ``ema=0.9999``.
    model_info: str | None = None

    def _check(self) -> Iterator[tuple[str, str]]:
        tag = self.checkpoint_tag
        if isinstance(tag, dict):
            unknown = sorted(set(tag) - set(_TAG_KEYS))
            if unknown:
                yield "checkpoint_tag", f"unknown keys {unknown}; use one of epoch, update, sample"
            elif len(tag) not in (1, 3):
                yield "checkpoint_tag", "give exactly one of epoch/update/sample, or all three"
            elif any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in tag.values()):
                yield "checkpoint_tag", f"values must be non-negative integers, got {tag}"


@attrs.frozen(kw_only=True)
class CheckpointInitializerConfig(InitializerConfig):
    """Loads a checkpoint of another run."""

    kind: Literal["noether.core.initializers.CheckpointInitializer"] = (
        _P + "CheckpointInitializer"
    )
    #: Also load the optimizer state.
    load_optim: bool
    #: Unused; kept so upstream files load.
    pop_ckpt_kwargs_keys: list[str] | None = None


@attrs.frozen(kw_only=True)
class ResumeInitializerConfig(CheckpointInitializerConfig):
    """Continues a run exactly: weights, optimizer, counters, callbacks, RNG and data position."""

    kind: Literal["noether.core.initializers.ResumeInitializer"] = _P + "ResumeInitializer"
    load_optim: bool = True
    model_name: NonBlankStr


@attrs.frozen(kw_only=True)
class PreviousRunInitializerConfig(CheckpointInitializerConfig):
    """Loads weights only, optionally renaming, dropping or re-initialising entries."""

    kind: Literal["noether.core.initializers.PreviousRunInitializer"] = (
        _P + "PreviousRunInitializer"
    )
    #: Weights only: the optimizer of another run never matches a changed model.
    load_optim: Literal[False] = False
    #: Exact keys removed from the loaded state dict.
    keys_to_remove: list[str] | None = None
    #: Keys containing any of these substrings are removed.
    patterns_to_remove: list[str] | None = None
    #: ``{src, dst}`` items: ``key.replace(src, dst)`` for every key containing ``src``.
    patterns_to_rename: list[dict[str, str]] | None = None
    #: Keys containing any of these substrings keep the new model's freshly initialised values.
    patterns_to_instantiate: list[str] | None = None

    def _check(self) -> Iterator[tuple[str, str]]:
        yield from super()._check()
        for item in self.patterns_to_rename or ():
            if "src" not in item or set(item) - {"src", "dst"}:
                yield "patterns_to_rename", f"each item needs 'src' (and optionally 'dst'), got {item}"
