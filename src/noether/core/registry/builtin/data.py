"""Registration of normalizers, dataset wrappers, datasets, pipelines and the built-in example's models."""

from __future__ import annotations

import attrs

from noether.core.registry.hookspecs import RegisterFunction, hookimpl
from noether.core.schemas import Schema
from noether.core.schemas import normalizers as n
from noether.core.schemas import wrappers as w

_NORMALIZERS: dict[type[Schema], str] = {
    n.MeanStdNormalizerConfig: "noether.data.normalizers:MeanStdNormalizer",
    n.PositionNormalizerConfig: "noether.data.normalizers:PositionNormalizer",
    n.ShiftAndScaleNormalizerConfig: "noether.data.normalizers:ShiftAndScaleNormalizer",
}
_WRAPPERS: dict[type[Schema], str] = {
    w.RepeatWrapperConfig: "noether.data.wrappers:RepeatWrapper",
    w.ShuffleWrapperConfig: "noether.data.wrappers:ShuffleWrapper",
    w.SubsetWrapperConfig: "noether.data.wrappers:SubsetWrapper",
}
#: ``(family, kind, config, component)`` of pipeline steps, datasets and the example's models. Configs are named
#: by ``"module:Class"`` so that validating a config that uses none of them does not import their modules.
_LAZY = (
    ("pipeline", "noether.data.Pipeline", "noether.data.schemas:PipelineConfig", "noether.data.pipeline:Pipeline"),
    ("pipeline", "noether.data.DefaultCollator", "noether.data.schemas:DefaultCollatorConfig",
     "noether.data.collators:DefaultCollator"),
    ("pipeline", "noether.data.ConcatCollator", "noether.data.schemas:ConcatCollatorConfig",
     "noether.data.collators:ConcatCollator"),
    ("pipeline", "noether.data.PadCollator", "noether.data.schemas:PadCollatorConfig",
     "noether.data.collators:PadCollator"),
    ("pipeline", "noether.data.PointSampling", "noether.data.schemas:PointSamplingConfig",
     "noether.data.processors:PointSampling"),
    ("pipeline", "noether.data.RenameKeys", "noether.data.schemas:RenameKeysConfig",
     "noether.data.processors:RenameKeys"),
    ("pipeline", "noether.data.DuplicateKeys", "noether.data.schemas:DuplicateKeysConfig",
     "noether.data.processors:DuplicateKeys"),
    ("dataset", "noether.data.FolderDataset", "noether.data.schemas:FolderDatasetConfig",
     "noether.data.folder:FolderDataset"),
    ("dataset", "noether.data.airfoil.AirfoilDataset", "noether.data.airfoil.schemas:AirfoilDatasetConfig",
     "noether.data.airfoil.dataset:AirfoilDataset"),
    ("model", "noether.data.airfoil.AirfoilTransformer", "noether.data.airfoil.schemas:AirfoilTransformerConfig",
     "noether.data.airfoil.models:AirfoilTransformer"),
    ("model", "noether.data.airfoil.AirfoilMLP", "noether.data.airfoil.schemas:AirfoilMLPConfig",
     "noether.data.airfoil.models:AirfoilMLP"),
)


def _short(kind: str) -> tuple[str, ...]:
    return (kind.rsplit(".", 1)[-1],)


@hookimpl
def noether_register_components(register: RegisterFunction) -> None:
    """Register the built-in data components."""
    for config, component in _NORMALIZERS.items():
        register("normalizer", attrs.fields(config).kind.default, config=config, component=component)
    for config, component in _WRAPPERS.items():
        register("wrapper", attrs.fields(config).kind.default, config=config, component=component)
    for family, kind, config_ref, component_ref in _LAZY:
        register(family, kind, config=config_ref, component=component_ref, aliases=_short(kind))
