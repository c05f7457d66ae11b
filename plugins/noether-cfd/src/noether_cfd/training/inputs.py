"""What a CFD model gets from a batch: its forward properties, else every key except the targets and ``index``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

#: Batch keys never handed to the model (bookkeeping of the data path).
NOT_INPUTS = frozenset({"index"})


def model_inputs(batch: Mapping[str, Any], forward_properties: Sequence[str] | None,
                 target_properties: Sequence[str] | None) -> dict[str, Any]:
    """The keyword arguments of the model for ``batch``."""
    if forward_properties:
        return {key: batch[key] for key in forward_properties}
    targets = set(target_properties or ())
    return {k: v for k, v in batch.items() if k not in targets and k not in NOT_INPUTS}
