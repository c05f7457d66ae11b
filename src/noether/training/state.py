"""What a resumable checkpoint holds besides weights and optimizers: the trainer file ``<model>_cp=<tag>_trainer.th``.

This module alone knows the keys of that file. Version 1 (manifests without ``format_version`` are version 1)::

    training_iteration     {"epoch", "update", "sample"} after the last finished update
    updates_per_epoch      checked on resume (the dataset or effective_batch_size must not change)
    effective_batch_size
    callback_state_dicts   {callback checkpoint_key: state}
    grad_scaler            torch.amp.GradScaler state
    rng                    RNG streams of rank 0 (tensors, ints and strings only: loads with weights_only)
    nan_count              non-finite losses skipped in a row
    log_writer             the summary accumulators (min/max/last)
    plugins                {distribution: version} of the plugins installed when it was written
    per_rank               (several processes) [{"rng", "callbacks"}] indexed by rank
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import attrs

from noether.core.time import UpdateCounter

logger = logging.getLogger("noether")

#: The trainer file format written by this version (stored in the manifest as ``format_version``).
FORMAT_VERSION = 1

ITERATION = "training_iteration"
UPDATES_PER_EPOCH = "updates_per_epoch"
EFFECTIVE_BATCH_SIZE = "effective_batch_size"
CALLBACKS = "callback_state_dicts"
GRAD_SCALER = "grad_scaler"
RNG = "rng"
NAN_COUNT = "nan_count"
LOG_WRITER = "log_writer"
PLUGINS = "plugins"
PER_RANK = "per_rank"
_RANK_RNG = "rng"
_RANK_CALLBACKS = "callbacks"


def resume_update(trainer_state: Mapping[str, Any]) -> int:
    """The update a trainer file was written after."""
    return int(trainer_state[ITERATION]["update"])


def saved_plugins(trainer_state: Mapping[str, Any]) -> dict[str, str]:
    """The plugin versions recorded in a trainer file."""
    return dict(trainer_state.get(PLUGINS) or {})


@attrs.define
class TrainState:
    """The resumable state of training, gathered from its owners (each keeps its own ``state_dict``).

    ``callbacks`` are the run's callbacks (stateful ones have a non-``None`` ``state_dict()``; those marked
    ``per_rank_state`` keep one state per process).
    """

    counter: UpdateCounter
    effective_batch_size: int
    grad_scaler: Any
    callbacks: list[Any]
    log_writer: Any
    plugin_versions: Mapping[str, str] = attrs.field(factory=dict)
    nan_count: int = 0

    def callback_states(self) -> dict[str, Any]:
        """``{checkpoint_key: state}`` of every stateful callback."""
        states = {}
        for cb in self.callbacks:
            state = cb.state_dict()
            if state is not None:
                states[cb.checkpoint_key] = state
        return states

    def state_dict(self, rng: dict[str, Any], per_rank: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """The trainer file (``rng``: this process's streams in checkpoint form)."""
        state = {
            ITERATION: self.counter.current.as_dict(),
            UPDATES_PER_EPOCH: self.counter.updates_per_epoch,
            EFFECTIVE_BATCH_SIZE: self.effective_batch_size,
            CALLBACKS: self.callback_states(),
            GRAD_SCALER: self.grad_scaler.state_dict(),
            RNG: rng,
            NAN_COUNT: self.nan_count,
            LOG_WRITER: self.log_writer.state_dict(),
            PLUGINS: dict(self.plugin_versions),
        }
        if per_rank is not None:
            state[PER_RANK] = per_rank
        return state

    def rank_part(self, rng: dict[str, Any]) -> dict[str, Any]:
        """What differs between processes: the RNG streams and the per-rank callback states."""
        return {
            _RANK_RNG: rng,
            _RANK_CALLBACKS: {cb.checkpoint_key: cb.state_dict() for cb in self.callbacks
                              if getattr(cb, "per_rank_state", False)},
        }

    def load_state_dict(self, state: Mapping[str, Any], *, rank: int = 0, world_size: int = 1) -> dict[str, Any] | None:
        """Restore everything but weights and optimizers; returns this process's RNG state to restore at the
        start of the loop (``None`` when the file has none)."""
        upe = state.get(UPDATES_PER_EPOCH)
        if upe is not None and upe != self.counter.updates_per_epoch:
            raise ValueError(
                f"the checkpoint was written with {upe} updates per epoch, this run has "
                f"{self.counter.updates_per_epoch}: the dataset or effective_batch_size changed"
            )
        self.counter.start_at(resume_update(state))
        self._load_callbacks(state.get(CALLBACKS, {}))
        self.grad_scaler.load_state_dict(state[GRAD_SCALER])
        self.nan_count = int(state.get(NAN_COUNT, 0))
        self.log_writer.load_state_dict(state.get(LOG_WRITER, {}))
        rng: dict[str, Any] | None = state.get(RNG)
        if world_size > 1 or state.get(PER_RANK):
            rng = self._load_rank_part(state.get(PER_RANK), rank, world_size) or rng
        return rng

    def _load_callbacks(self, states: Mapping[str, Any]) -> None:
        for cb in self.callbacks:
            if cb.state_dict() is not None:
                if cb.checkpoint_key in states:
                    cb.load_state_dict(states[cb.checkpoint_key])
                else:
                    logger.warning("no state for callback '%s' in the checkpoint", cb.checkpoint_key)
        unknown = set(states) - {cb.checkpoint_key for cb in self.callbacks}
        for key in sorted(unknown):
            logger.warning("checkpoint holds state for callback '%s', which this run does not have", key)

    def _load_rank_part(self, per_rank: list[dict[str, Any]] | None, rank: int, world: int) -> dict[str, Any] | None:
        if not per_rank:
            if world > 1:
                logger.warning("the checkpoint was written by a single process; every rank continues with the "
                               "RNG state of rank 0 (dropout differs from an uninterrupted %d-process run)", world)
            return None
        if len(per_rank) != world:
            logger.warning("the checkpoint was written by %d processes and this run has %d: the data order and "
                           "weights continue exactly, per-process RNG streams start from rank 0's",
                           len(per_rank), world)
            return None
        mine = per_rank[rank]
        states = mine.get(_RANK_CALLBACKS, {})
        for cb in self.callbacks:
            if getattr(cb, "per_rank_state", False) and cb.checkpoint_key in states:
                cb.load_state_dict(states[cb.checkpoint_key])
        rng: dict[str, Any] | None = mine.get(_RANK_RNG)
        return rng
