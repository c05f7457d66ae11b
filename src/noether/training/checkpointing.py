"""Saving and restoring training through the checkpoint store: weights, optimizers and the :class:`TrainState`.

Under several processes rank 0 writes, but every rank enters :meth:`Checkpointer.save` (the per-rank part of
the state is gathered with a collective at that point); a ``.error`` set is written by the failing rank alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from noether.core.models.base import Model
from noether.core.writers.checkpoints import FORMAT_VERSION_KEY, CheckpointStore, file_name, weights_payload
from noether.training import distributed
from noether.training.rng import RngSnapshot
from noether.training.sharded_checkpoint import SHARDED, load_sharded, save_sharded
from noether.training.state import FORMAT_VERSION, TrainState

logger = logging.getLogger("noether")


class Checkpointer:
    """Writes checkpoint sets of one run and restores a resume state into the model, optimizers and state."""

    def __init__(self, store: CheckpointStore, state: TrainState, model: Model, optimizers: Mapping[str, Any], *,
                 run_id: str, is_rank0: bool, world_size: int, sharded: bool = False,
                 full_weights_file: bool = True) -> None:
        self.store = store
        self.state = state
        self.model = model
        self.optimizers = optimizers
        self.run_id = run_id
        self.is_rank0 = is_rank0
        self.world_size = world_size
        #: FSDP: every rank writes the model's and optimizers' shards (``sharded_checkpoint``); the weights file
        #: holds the gathered full weights when ``full_weights_file``.
        self.sharded = sharded
        self.full_weights_file = full_weights_file
        #: The training RNG streams as they were before the callbacks of this update ran (they may draw);
        #: ``None`` outside callbacks, where the current streams are the training streams.
        self.rng_snapshot: RngSnapshot | None = None
        #: Called before every write (the metrics file is synced so that no line a resume keeps is lost).
        self.before_write: Any = None
        #: While callbacks of an update run, their writes wait here (see :meth:`defer`).
        self._deferred: list[Callable[[], None]] | None = None

    def defer(self) -> None:
        """Hold back saves and prunes until :meth:`write_deferred`: the checkpoint of an update then holds the
        state after every callback of that update, whatever their order, and follows its metrics row."""
        self._deferred = []

    def write_deferred(self) -> None:
        """Do the held-back writes, in the order they were asked for."""
        pending, self._deferred = self._deferred or [], None
        for write in pending:
            write()

    def drop_deferred(self) -> None:
        """Forget held-back writes (a callback failed; the error checkpoint is written instead)."""
        self._deferred = None

    def _held(self, write: Callable[[], None]) -> bool:
        if self._deferred is None:
            return False
        self._deferred.append(write)
        return True

    def _rng(self) -> dict[str, Any]:
        snapshot = self.rng_snapshot or RngSnapshot.take()
        return snapshot.to_checkpoint()

    def save(self, tag: str, *, weights: bool = True, optim: bool = True, trainer_state: bool = True,
             update_latest: bool = False, model_names: list[str] | None = None, ephemeral: bool = False) -> None:
        """Write one checkpoint set (rank 0); ``update_latest`` moves ``latest`` to it when complete."""
        if self._held(lambda: self.save(tag, weights=weights, optim=optim, trainer_state=trainer_state,
                                        update_latest=update_latest, model_names=model_names,
                                        ephemeral=ephemeral)):
            return
        per_rank = None
        if trainer_state and self.world_size > 1 and not tag.endswith(".error"):
            # A collective (every rank saves trainer states at the same points); skipped for ".error", which
            # only the failing rank writes.
            per_rank = distributed.gather_objects(self.state.rank_part(self._rng()))
        sharded_entry, full_weights = None, None
        if self.sharded:
            if tag.endswith(".error"):
                weights = optim = False  # written by one rank alone: no collective can gather the shards
            if weights or optim:
                sharded_entry = save_sharded(self.store.directory, self.model.name, tag, self.model,
                                             self.optimizers, with_optim=optim, is_rank0=self.is_rank0)
            if weights and self.full_weights_file:
                full_weights = self._gather_full_weights(model_names)
            weights = weights and self.full_weights_file
        if not self.is_rank0:
            return
        if self.before_write is not None:
            self.before_write()
        iteration = self.state.counter.current.as_dict()
        files: dict[str, Any] = {}
        if weights:
            files.update(self._weight_files(tag, iteration, model_names, full_weights))
        if optim and not self.sharded:
            for name, wrapper in self.optimizers.items():
                files[file_name(name, tag, "optim")] = wrapper.state_dict()
        if trainer_state:
            files[file_name(self.model.name, tag, "trainer")] = self.state.state_dict(self._rng(), per_rank)
        extra = self._manifest_extra()
        if sharded_entry is not None:
            extra[SHARDED] = sharded_entry
        self.store.save(tag, files, iteration=iteration, update_latest=update_latest, ephemeral=ephemeral,
                        extra=extra)

    def _chosen_leaves(self, model_names: list[str] | None) -> list[tuple[str, Model]]:
        return [(name, leaf) for name, leaf in self.model.leaf_models()
                if not model_names or leaf.name in model_names or name in model_names]

    def _gather_full_weights(self, model_names: list[str] | None) -> dict[str, Any]:
        """The full weights of every chosen leaf model on rank 0 (a collective; empty dicts elsewhere)."""
        from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

        options = StateDictOptions(full_state_dict=True, cpu_offload=True)
        return {name: get_model_state_dict(leaf, options=options) for name, leaf in self._chosen_leaves(model_names)}

    def _weight_files(self, tag: str, iteration: dict[str, int | None],
                      model_names: list[str] | None, full_weights: dict[str, Any] | None = None) -> dict[str, Any]:
        from noether.core.config.converter import unstructure

        files = {}
        for name, leaf in self._chosen_leaves(model_names):
            state = full_weights[name] if full_weights is not None else leaf.state_dict()
            files[file_name(name, tag, "model")] = weights_payload(
                state, tag=tag, iteration=iteration, run_id=self.run_id,
                model_config=unstructure(leaf.config), config_kind=leaf.config.config_kind)
        return files

    def _manifest_extra(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "plugins": dict(self.state.plugin_versions),
                FORMAT_VERSION_KEY: FORMAT_VERSION}

    def save_files(self, tag: str, files: Mapping[str, Any]) -> None:
        """Write extra files as one complete set (rank 0 only; not a collective)."""
        if not self.is_rank0 or self._held(lambda: self.save_files(tag, files)):
            return
        if self.before_write is not None:
            self.before_write()
        self.store.save(tag, files, iteration=self.state.counter.current.as_dict(), update_latest=False,
                        extra=self._manifest_extra())

    def prune(self, keep_last: int) -> None:
        """Keep the newest ``keep_last`` periodic sets (rank 0 deletes)."""
        if self.is_rank0 and not self._held(lambda: self.prune(keep_last)):
            self.store.prune(keep_last)

    def restore(self, resume: Any, *, rank: int) -> dict[str, Any] | None:
        """Load a ``ResumeState`` (weights, optimizers, train state); returns the RNG state to restore when the
        loop starts."""
        manifest = CheckpointStore(resume.directory).read_manifest(resume.tag) or {}
        if manifest.get(SHARDED):
            # Shards of an FSDP run: DCP reshards them for this run's world size (one process included).
            load_sharded(resume.directory, manifest[SHARDED], self.model, self.optimizers)
            return self.state.load_state_dict(resume.trainer_state, rank=rank, world_size=self.world_size)
        if self.sharded:
            raise ValueError(f"checkpoint '{resume.tag}' in {resume.directory} was written without FSDP; "
                             "resume it with trainer.strategy.kind: ddp (FSDP resumes from sharded sets only)")
        for name, leaf in self.model.leaf_models():
            leaf.load_state_dict(resume.model_states[name]["state_dict"])
        for name, wrapper in self.optimizers.items():
            if name in resume.optim_states:
                wrapper.load_state_dict(resume.optim_states[name])
            else:
                logger.warning("the checkpoint has no optimizer state for '%s'; starting it fresh", name)
        return self.state.load_state_dict(resume.trainer_state, rank=rank, world_size=self.world_size)
