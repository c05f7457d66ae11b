"""The model's input batch for one new geometry, built like the training batches but at full resolution.

Surface queries are every mesh point, in mesh order, so predictions map straight onto the mesh. Models with
anchors (AB-UPT) get the training's number of anchor points, a seeded random subset of the mesh points,
*in front of* the queries (their own predictions are dropped). Geometry points and supernodes follow the
training pipeline's ``SupernodeSampling`` with fixed draws.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
import torch

from noether_cfd import batch as keys
from noether_cfd.pipeline.collate import pad_batch
from noether_cfd.pipeline.schemas import SupernodeSamplingConfig, SurfaceVolumeSamplingConfig
from noether_cfd.predict.errors import PredictError
from noether_cfd.predict.trained import TrainedRun

#: Seed of every draw at prediction time (predictions are reproducible).
PREDICT_SEED = 0
#: Volume context points when the training pipeline does not say how many.
DEFAULT_VOLUME_POINTS = 4096


@attrs.frozen
class GeometryInput:
    """A geometry in physical units: surface points with normals and areas, optional volume points."""

    name: str
    position: np.ndarray
    normal: np.ndarray
    area: np.ndarray
    volume_position: np.ndarray | None = None


def pipeline_steps(pipeline: Any) -> tuple[SurfaceVolumeSamplingConfig | None, SupernodeSamplingConfig | None]:
    """The sampling and supernode steps of a training pipeline config (either may be absent)."""
    steps = list(getattr(pipeline, "sample_processors", None) or ([pipeline] if pipeline is not None else []))
    sampling = next((s for s in steps if isinstance(s, SurfaceVolumeSamplingConfig)), None)
    supernodes = next((s for s in steps if isinstance(s, SupernodeSamplingConfig)), None)
    return sampling, supernodes


def needs_volume(model: torch.nn.Module) -> bool:
    """Whether the model reads volume points (CFD models that predict volume fields)."""
    input_keys = getattr(model, "input_keys", None)
    return callable(input_keys) and keys.VOLUME_POSITION in input_keys()


def needs_conditions(model: torch.nn.Module) -> int:
    """How many conditions the model reads (0: none)."""
    config = getattr(model, "config", None)
    return int(getattr(config, "condition_dim", 0) or 0)


def volume_context(geometry: GeometryInput, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` points drawn uniformly in the geometry's bounding box, enlarged twofold about its centre."""
    low, high = geometry.position.min(axis=0), geometry.position.max(axis=0)
    centre, half = (low + high) / 2, (high - low)
    return rng.uniform(centre - half, centre + half, size=(count, 3))


def build_batch(run: TrainedRun, geometry: GeometryInput, conditions: np.ndarray | None,
                device: torch.device) -> tuple[dict[str, torch.Tensor], int, int]:
    """The padded batch (``B = 1``) and the counts of leading surface and volume anchors to drop."""
    sampling, supernodes = pipeline_steps(run.pipeline)
    rng = np.random.default_rng(PREDICT_SEED)
    n = len(geometry.position)
    surface_anchors = min(sampling.surface_anchors or 0, n) if sampling is not None else 0
    anchor_index = rng.choice(n, size=surface_anchors, replace=False) if surface_anchors else np.zeros(0, np.int64)
    order = np.concatenate([anchor_index, np.arange(n)])

    def t(values: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.ascontiguousarray(values), dtype=torch.float32)

    sample: dict[str, Any] = {
        "index": 0,
        keys.SURFACE_POSITION: run.normalize(keys.SURFACE_POSITION, t(geometry.position[order])),
        keys.SURFACE_NORMAL: run.normalize(keys.SURFACE_NORMAL, t(geometry.normal[order])),
        keys.SURFACE_AREA: run.normalize(keys.SURFACE_AREA, t(geometry.area[order])),
        keys.SURFACE_ANCHOR_COUNT: torch.tensor(surface_anchors),
    }
    volume_anchors = 0
    if needs_volume(run.model):
        volume = geometry.volume_position
        if volume is None:
            count = (sampling.volume_points if sampling is not None else None) or DEFAULT_VOLUME_POINTS
            volume = volume_context(geometry, count, rng)
        volume_anchors = min(sampling.volume_anchors or 0, len(volume)) if sampling is not None else 0
        v_index = rng.choice(len(volume), size=volume_anchors, replace=False) if volume_anchors else np.zeros(0, int)
        sample[keys.VOLUME_POSITION] = run.normalize(keys.VOLUME_POSITION,
                                                     t(np.concatenate([volume[v_index], volume])))
        sample[keys.VOLUME_ANCHOR_COUNT] = torch.tensor(volume_anchors)
    if conditions is not None:
        sample[keys.CONDITIONS] = run.normalize(keys.CONDITIONS, t(conditions))
    if supernodes is not None:
        from noether_cfd.pipeline.supernodes import SupernodeSampling

        # The geometry is the mesh (queries only, not the anchor copies), as the dataset's surface was.
        geometry_source = {"index": 0, keys.SURFACE_POSITION: sample[keys.SURFACE_POSITION][surface_anchors:]}
        points = min(supernodes.geometry_points or n, n)
        config = attrs.evolve(supernodes, source=keys.SURFACE_POSITION, geometry_points=points,
                              num_supernodes=min(supernodes.num_supernodes, points), seed=PREDICT_SEED, fixed=True)
        built = SupernodeSampling(config)(geometry_source)
        for key in (keys.GEOMETRY_POSITION, keys.SUPERNODE_INDEX, keys.SUPERNODE_NEIGHBORS,
                    keys.SUPERNODE_NEIGHBOR_MASK):
            sample[key] = built[key]
    batch = pad_batch([sample])
    return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}, surface_anchors, \
        volume_anchors


def predict_fields(run: TrainedRun, batch: Mapping[str, torch.Tensor], chunk_size: int) -> dict[str, torch.Tensor]:
    """The model's fields (normalized), chunked when the model supports it."""
    inputs = {k: v for k, v in batch.items() if k != "index"}
    model = run.model
    with torch.no_grad():
        predict_chunked = getattr(model, "predict_chunked", None)
        output = predict_chunked(inputs, chunk_size) if predict_chunked is not None else model(**inputs)
    if not isinstance(output, Mapping):
        raise PredictError(f"model '{getattr(model, 'name', '?')}' returned {type(output).__name__}, not a dict of "
                           "fields; noether predict needs a CFD model (noether_cfd.models)")
    return dict(output)
