"""A trained CFD run loaded for prediction: its config, model weights and normalizers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import torch

from noether_cfd.predict.errors import PredictError
from noether_cfd.training.record import read_record

#: The resolved config every run directory holds.
RESOLVED_CONFIG = "hp_resolved.yaml"


@attrs.define
class TrainedRun:
    """What prediction needs from a run directory."""

    run_dir: Path
    config: Any
    model: torch.nn.Module
    tag: str
    #: Normalizer chains of the training data, per key.
    normalizers: dict[str, Any]
    #: The training dataset's pipeline config (sampling sizes, supernodes), or ``None``.
    pipeline: Any

    def normalize(self, key: str, value: torch.Tensor) -> torch.Tensor:
        """``value`` in the model's units (unchanged when the training data did not normalize ``key``)."""
        chain = self.normalizers.get(key)
        return value if chain is None else chain.normalize(value)

    def denormalize(self, key: str, value: torch.Tensor) -> torch.Tensor:
        """``value`` back in physical units."""
        chain = self.normalizers.get(key)
        return value if chain is None else chain.denormalize(value)


def check_run_dir(run_dir: Path) -> dict[str, Any]:
    """Fail early (before reading geometry) when ``run_dir`` is not a usable CFD run; returns its record."""
    if not run_dir.is_dir():
        raise PredictError(f"{run_dir}: no such run directory")
    if not (run_dir / RESOLVED_CONFIG).is_file():
        raise PredictError(f"{run_dir}: not a run directory (no {RESOLVED_CONFIG}); pass the folder a run wrote")
    try:
        return read_record(run_dir)
    except FileNotFoundError as exc:
        raise PredictError(str(exc)) from None


def load_run(run_dir: Path, tag: str, record: dict[str, Any], device: torch.device) -> TrainedRun:
    """Load config, model weights (checkpoint ``tag``) and normalizers of a run."""
    from noether.core.config.loader import load_config
    from noether.core.registry import get_registry
    from noether.core.writers.checkpoints import CheckpointStore, file_name
    from noether.data.normalizers import build_normalizers

    config = load_config(run_dir / RESOLVED_CONFIG)
    store = CheckpointStore(run_dir / "checkpoints")
    try:
        resolved = store.resolve(tag)
    except FileNotFoundError as exc:
        raise PredictError(f"{exc} (choose one with --checkpoint)") from None
    model = get_registry().build("model", config.model)
    weights = run_dir / "checkpoints" / file_name(model.name, resolved, "model")
    if not weights.is_file():
        raise PredictError(f"checkpoint '{resolved}' of {run_dir} has no weights file {weights.name}")
    state = torch.load(weights, map_location="cpu", weights_only=True)
    model.load_state_dict(state["state_dict"])
    model.to(device).eval()
    structured = {key: list(values) for key, values in record.get("normalizers", {}).items()}
    normalizers = build_normalizers(_structure_normalizers(structured))
    dataset_config = config.datasets.get(record.get("dataset_key", "train"))
    pipeline = getattr(dataset_config, "pipeline", None)
    if pipeline is not None:
        from noether.data.pipeline import structure_pipeline

        pipeline = structure_pipeline(pipeline)
    return TrainedRun(run_dir, config, model, resolved, normalizers, pipeline)


def _structure_normalizers(raw: dict[str, list[dict[str, Any]]]) -> dict[str, list[Any]]:
    from noether.core.config.converter import structure
    from noether.core.schemas.normalizers import AnyNormalizer

    return {key: [structure(item, AnyNormalizer) for item in items] for key, items in raw.items()}
