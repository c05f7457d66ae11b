"""What one training step returns."""

from __future__ import annotations

from typing import Any

import attrs
import torch

from noether.core.errors import ConfigError, Issue, with_guesses


@attrs.define
class TrainerResult:
    """The loss of one step, the named losses to log, and any further outputs callbacks may track."""

    total_loss: torch.Tensor
    losses_to_log: dict[str, torch.Tensor] | None = None
    additional_outputs: dict[str, Any] | None = None


def to_result(losses: Any) -> TrainerResult:
    """Normalise what ``loss_compute`` returned (a tensor, a list, a dict, or ``(losses, additional_outputs)``)
    into a :class:`TrainerResult`; a ``total`` entry, or the sum of all losses, is the total loss."""
    if isinstance(losses, TrainerResult):
        return losses
    additional = None
    if isinstance(losses, tuple):
        losses, additional = losses
    if type(losses) is dict and len(losses) == 1 and "total" not in losses:
        # One named loss (a supervised trainer with one target): it is the total, without copying the dict.
        return TrainerResult(next(iter(losses.values())), losses, additional)
    if isinstance(losses, torch.Tensor):
        named = {"loss": losses}
    elif isinstance(losses, list):
        named = {f"loss_{i}": value for i, value in enumerate(losses)}
    elif isinstance(losses, dict):
        named = dict(losses)
    else:
        raise TypeError(f"loss_compute returned {type(losses).__name__}; expected a tensor, list or dict")
    if not named:
        raise ValueError("No losses computed: loss_compute returned an empty collection")
    if "total" in named:
        total: torch.Tensor = named["total"]
    elif len(named) == 1:
        total = next(iter(named.values()))
    else:
        total = torch.stack([v.reshape(()) for v in named.values()]).sum()
    return TrainerResult(total, {k: v for k, v in named.items() if k != "total"}, additional)


def check_batch_keys(
    batch: dict[str, Any],
    forward_properties: list[str],
    target_properties: list[str],
    forward_path: tuple[str, ...] = ("trainer", "forward_properties"),
) -> None:
    """A :class:`ConfigError` for every configured property list that names a key the batch lacks.

    Each issue is at the list's config path (``forward_path`` for the forward properties: a model's own list
    is elsewhere than the trainer's), so that ``noether run`` can say where it was written; it names the
    missing keys, the closest key the batch has for each, and every key it has.
    """
    keys = sorted(batch)
    issues = []
    for path, wanted in ((forward_path, forward_properties), (("trainer", "target_properties"), target_properties)):
        missing = [key for key in wanted if key not in batch]
        if missing:
            issues.append(Issue(path, f"names {with_guesses(missing, keys)}, which the training batch does not "
                                      f"have; the training batch has: {', '.join(keys)}"))
    if issues:
        raise ConfigError(issues, "a configured property is not in the batch")
