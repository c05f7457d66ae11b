"""Torch-free registration of the CFD pipeline kinds (config classes and ``module:attr`` component paths)."""

from typing import Any

#: ``(kind, config class in noether_cfd.pipeline.schemas, "module:Class" of the component)``.
_PIPELINE = (
    ("noether_cfd.SurfaceVolumeSampling", "SurfaceVolumeSamplingConfig",
     "noether_cfd.pipeline.sampling:SurfaceVolumeSampling"),
    ("noether_cfd.SupernodeSampling", "SupernodeSamplingConfig", "noether_cfd.pipeline.supernodes:SupernodeSampling"),
    ("noether_cfd.CfdCollator", "CfdCollatorConfig", "noether_cfd.pipeline.collate:CfdCollator"),
)


def register(register: Any) -> None:
    """Register every CFD pipeline kind with the registry's ``register`` callable."""
    for kind, config, component in _PIPELINE:
        register("pipeline", kind, config=f"noether_cfd.pipeline.schemas:{config}", component=component)
