"""The deprecated ``self.trainer`` of callbacks: the old trainer attributes, mapped onto the callback context.

Kept for one release so that callbacks written against ``self.trainer`` keep running (each access of
``self.trainer`` warns with a ``DeprecationWarning``). New code uses ``self.ctx``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from noether.core.callbacks.context import CallbackContext

#: Old trainer attribute -> context attribute, where the name changed.
_RENAMED = {
    "log_writer": "metrics",
    "train_model": "forward_model",
    "iterate_dataset": "iterate",
    "train_step": "compute_losses",
    "config": "trainer_config",
}


class _CheckpointsAdapter:
    """What callbacks used of ``trainer.checkpoints``: ``save`` of extra files and ``prune``."""

    def __init__(self, ctx: CallbackContext) -> None:
        self._ctx = ctx

    def save(self, tag: str, files: Mapping[str, Any], **_: Any) -> None:
        """Write ``files`` as the complete set ``tag``."""
        self._ctx.save_files(tag, files)

    def prune(self, keep_last: int) -> None:
        """Keep the newest ``keep_last`` periodic sets."""
        self._ctx.prune_checkpoints(keep_last)


class TrainerAdapter:
    """Looks like the old trainer to a callback; every attribute comes from the :class:`CallbackContext`.

    ``trainer.context`` is the context itself (it has ``datasets``, ``run_dir``, ``is_rank0``,
    ``all_reduce_mean``, ...).
    """

    def __init__(self, ctx: CallbackContext) -> None:
        self._ctx = ctx

    @property
    def context(self) -> CallbackContext:
        """The run around the callback (datasets, run directory, ranks, reductions)."""
        return self._ctx

    @property
    def checkpoints(self) -> _CheckpointsAdapter:
        """Extra checkpoint sets and pruning."""
        return _CheckpointsAdapter(self._ctx)

    def save_resumable(self, tag: str, *, ephemeral: bool = False) -> None:
        """A complete checkpoint that ``latest`` then points to."""
        self._ctx.save_checkpoint(tag, update_latest=True, ephemeral=ephemeral)

    def iterate_dataset(self, dataset_key: str, batch_size: int | None = None) -> Iterator[dict[str, Any]]:
        """Batches of a whole dataset on the device (``ctx.iterate``)."""
        return self._ctx.iterate(dataset_key, batch_size)

    def forward_properties_for(self, model: Any) -> list[str]:
        """The model's own ``forward_properties`` when set, else the trainer config's."""
        inner = getattr(model, "_orig_mod", model)  # torch.compile
        inner = getattr(inner, "module", inner) if type(inner).__name__ == "DistributedDataParallel" else inner
        own = getattr(getattr(inner, "config", None), "forward_properties", None)
        return list(own or getattr(self._ctx.trainer_config, "forward_properties", None) or [])

    def __getattr__(self, name: str) -> Any:
        try:
            return getattr(self._ctx, _RENAMED.get(name, name))
        except AttributeError:
            raise AttributeError(
                f"trainer.{name} is not available to callbacks any more; see CallbackContext "
                "(noether.core.callbacks.context) for what a callback may use"
            ) from None
