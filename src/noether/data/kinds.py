"""The data kinds this package provides (normalizers, wrappers, pipeline steps, datasets), torch-free.

Configs of pipeline steps and datasets are named by ``"module:Class"`` so that validating a config that uses
none of them does not import their modules.
"""

from __future__ import annotations

import attrs

from noether.core.registry.hookspecs import RegisterFunction, hookimpl
from noether.core.schemas import normalizers as n
from noether.core.schemas import wrappers as w

_NORMALIZERS: dict[type, str] = {
    n.MeanStdNormalizerConfig: "noether.data.normalizers:MeanStdNormalizer",
    n.PositionNormalizerConfig: "noether.data.normalizers:PositionNormalizer",
    n.ShiftAndScaleNormalizerConfig: "noether.data.normalizers:ShiftAndScaleNormalizer",
}
_WRAPPERS: dict[type, str] = {
    w.RepeatWrapperConfig: "noether.data.wrappers:RepeatWrapper",
    w.ShuffleWrapperConfig: "noether.data.wrappers:ShuffleWrapper",
    w.SubsetWrapperConfig: "noether.data.wrappers:SubsetWrapper",
}
#: ``(family, name, module:Config, module:Component)``; the kind is ``noether.data.<name>``, the alias ``name``.
_LAZY = (
    ("pipeline", "Pipeline", "schemas:PipelineConfig", "pipeline:Pipeline"),
    ("pipeline", "DefaultCollator", "schemas:DefaultCollatorConfig", "collators:DefaultCollator"),
    ("pipeline", "ConcatCollator", "schemas:ConcatCollatorConfig", "collators:ConcatCollator"),
    ("pipeline", "PadCollator", "schemas:PadCollatorConfig", "collators:PadCollator"),
    ("pipeline", "PointSampling", "schemas:PointSamplingConfig", "processors:PointSampling"),
    ("pipeline", "RenameKeys", "schemas:RenameKeysConfig", "processors:RenameKeys"),
    ("pipeline", "DuplicateKeys", "schemas:DuplicateKeysConfig", "processors:DuplicateKeys"),
    ("dataset", "FolderDataset", "schemas:FolderDatasetConfig", "folder:FolderDataset"),
)


@hookimpl
def noether_register_components(register: RegisterFunction) -> None:
    """Register the built-in data components."""
    for config, component in _NORMALIZERS.items():
        register("normalizer", attrs.fields(config).kind.default, config=config, component=component)
    for config, component in _WRAPPERS.items():
        register("wrapper", attrs.fields(config).kind.default, config=config, component=component)
    for family, name, config_ref, component_ref in _LAZY:
        register(family, f"noether.data.{name}", config=f"noether.data.{config_ref}",
                 component=f"noether.data.{component_ref}", aliases=(name,))
