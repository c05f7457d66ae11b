"""Registration of normalizers, dataset wrappers, datasets and pipelines."""

from __future__ import annotations

import attrs

from noether.core.registry.hookspecs import RegisterFunction, hookimpl
from noether.core.schemas import normalizers as n
from noether.core.schemas import wrappers as w

_NORMALIZERS = {
    n.MeanStdNormalizerConfig: "noether.data.normalizers:MeanStdNormalizer",
    n.PositionNormalizerConfig: "noether.data.normalizers:PositionNormalizer",
    n.ShiftAndScaleNormalizerConfig: "noether.data.normalizers:ShiftAndScaleNormalizer",
}
_WRAPPERS = {
    w.RepeatWrapperConfig: "noether.data.wrappers:RepeatWrapper",
    w.ShuffleWrapperConfig: "noether.data.wrappers:ShuffleWrapper",
    w.SubsetWrapperConfig: "noether.data.wrappers:SubsetWrapper",
}


@hookimpl
def noether_register_components(register: RegisterFunction) -> None:
    """Register the built-in data components."""
    for config, component in _NORMALIZERS.items():
        register("normalizer", attrs.fields(config).kind.default, config=config, component=component)
    for config, component in _WRAPPERS.items():
        register("wrapper", attrs.fields(config).kind.default, config=config, component=component)
