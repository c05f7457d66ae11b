"""Registration of normalizers, dataset wrappers, datasets, pipelines and the built-in example's models."""

from __future__ import annotations

import attrs

from noether.core.registry.hookspecs import RegisterFunction, hookimpl
from noether.core.schemas import normalizers as n
from noether.core.schemas import wrappers as w
from noether.data import schemas as d
from noether.data.airfoil import schemas as a

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
#: Pipeline steps: a whole pipeline, collators, processors (kind ``noether.data.<Name>``, alias ``<Name>``).
_PIPELINES = {
    d.PipelineConfig: "noether.data.pipeline:Pipeline",
    d.DefaultCollatorConfig: "noether.data.collators:DefaultCollator",
    d.ConcatCollatorConfig: "noether.data.collators:ConcatCollator",
    d.PadCollatorConfig: "noether.data.collators:PadCollator",
    d.PointSamplingConfig: "noether.data.processors:PointSampling",
    d.RenameKeysConfig: "noether.data.processors:RenameKeys",
    d.DuplicateKeysConfig: "noether.data.processors:DuplicateKeys",
}
_DATASETS = {
    d.FolderDatasetConfig: "noether.data.folder:FolderDataset",
    a.AirfoilDatasetConfig: "noether.data.airfoil.dataset:AirfoilDataset",
}
_MODELS = {
    a.AirfoilTransformerConfig: "noether.data.airfoil.models:AirfoilTransformer",
    a.AirfoilMLPConfig: "noether.data.airfoil.models:AirfoilMLP",
}


def _short(kind: str) -> tuple[str, ...]:
    return (kind.rsplit(".", 1)[-1],)


@hookimpl
def noether_register_components(register: RegisterFunction) -> None:
    """Register the built-in data components."""
    for config, component in _NORMALIZERS.items():
        register("normalizer", attrs.fields(config).kind.default, config=config, component=component)
    for config, component in _WRAPPERS.items():
        register("wrapper", attrs.fields(config).kind.default, config=config, component=component)
    for family, table in (("pipeline", _PIPELINES), ("dataset", _DATASETS), ("model", _MODELS)):
        for config, component in table.items():
            kind = attrs.fields(config).kind.default
            register(family, kind, config=config, component=component, aliases=_short(kind))
