"""The data kinds this package provides (normalizers, wrappers, pipeline steps, datasets), torch-free.

Configs of pipeline steps and datasets are named by ``"module:Class"`` so that validating a config that uses
none of them does not import their modules.
"""

from __future__ import annotations

from noether.core.registry.hookspecs import RegisterFunction, hookimpl

#: ``(kind, config class in noether.core.schemas.normalizers, implementation in noether.data.normalizers)``.
_NORMALIZERS = (
    ("noether.data.preprocessors.normalizers.MeanStdNormalization", "MeanStdNormalizerConfig", "MeanStdNormalizer"),
    ("noether.data.preprocessors.normalizers.PositionNormalizer", "PositionNormalizerConfig", "PositionNormalizer"),
    ("noether.data.preprocessors.normalizers.ShiftAndScaleNormalizer", "ShiftAndScaleNormalizerConfig",
     "ShiftAndScaleNormalizer"),
)
#: ``(kind suffix under noether.data.base.wrappers, config class in noether.core.schemas.wrappers)``.
_WRAPPERS = (
    ("RepeatWrapper", "RepeatWrapperConfig"),
    ("ShuffleWrapper", "ShuffleWrapperConfig"),
    ("SubsetWrapper", "SubsetWrapperConfig"),
)
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
    for kind, config, component in _NORMALIZERS:
        register("normalizer", kind, config=f"noether.core.schemas.normalizers:{config}",
                 component=f"noether.data.normalizers:{component}")
    for name, config in _WRAPPERS:
        register("wrapper", f"noether.data.base.wrappers.{name}", config=f"noether.core.schemas.wrappers:{config}",
                 component=f"noether.data.wrappers:{name}")
    for family, name, config_ref, component_ref in _LAZY:
        register(family, f"noether.data.{name}", config=f"noether.data.{config_ref}",
                 component=f"noether.data.{component_ref}", aliases=(name,))
