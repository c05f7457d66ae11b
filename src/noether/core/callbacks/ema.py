"""Exponential moving averages of model weights."""

from __future__ import annotations

import logging
from typing import Any

import torch

from noether.core.callbacks.base import PeriodicCallback
from noether.core.time import Unit
from noether.core.writers.checkpoints import file_name, weights_payload

logger = logging.getLogger("noether")


def _dtensor_type() -> Any:
    """``DTensor`` when torch.distributed has it (FSDP-sharded parameters are DTensors), else ``None``."""
    try:
        from torch.distributed.tensor import DTensor
    except ImportError:  # pragma: no cover (torch built without distributed)
        return None
    return DTensor


def _full(tensor: torch.Tensor) -> torch.Tensor:
    """The whole tensor of a sharded one (a collective: every rank calls it), a plain tensor as it is."""
    dtensor = _dtensor_type()
    return tensor.full_tensor() if dtensor is not None and isinstance(tensor, dtensor) else tensor


def resolve_submodule(model: torch.nn.Module, path: str | None) -> torch.nn.Module:
    """The module at dotted ``path`` (``None``: the model); a composite's submodels are found by their key."""
    module: Any = model
    for part in (path or "").split("."):
        if not part:
            continue
        submodels = getattr(module, "submodels", None)
        if submodels is not None and part in submodels:
            module = submodels[part]
        elif hasattr(module, part):
            module = getattr(module, part)
        else:
            raise AttributeError(f"EmaCallback: model_paths entry '{path}' has no part '{part}'")
    return module


class EmaCallback(PeriodicCallback):
    """After every update, ``shadow = f * shadow + (1 - f) * param`` for each factor f and model path.

    Buffers are copied, not averaged. On firing, the averaged weights are saved as
    ``<model>[.<path>]_ema=<f>_cp=<tag>_model.th``; the shadows are part of the callback state (exact resume).
    """

    may_use_rng = False
    needs_eval_mode = False
    runs_in_evaluation = False

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.factors: list[float] = list(config.target_factors)
        self.paths: list[str | None] = list(config.model_paths or [None])
        self.shadows: dict[str, dict[str, torch.Tensor]] = {}
        self.modules: dict[str | None, torch.nn.Module] = {}
        for path in self.paths:
            self.modules[path] = resolve_submodule(self.model, path)
        self._params: dict[str | None, list[torch.Tensor]] = {}
        dtensor = _dtensor_type()
        #: Under FSDP the shadows are sharded like the parameters: each rank keeps (and checkpoints) its shards.
        self.per_rank_state = dtensor is not None and any(
            isinstance(p, dtensor) for m in self.modules.values() for p in m.parameters())

    @staticmethod
    def _key(path: str | None, factor: float) -> str:
        return f"{path or ''}|{factor}"

    def before_training(self, counter: Any) -> None:
        """Initialise the shadows from the current weights (unless restored from a checkpoint)."""
        for path, module in self.modules.items():
            self._params[path] = [p.detach() for p in module.parameters()]
            for factor in self.factors:
                key = self._key(path, factor)
                if key not in self.shadows:
                    self.shadows[key] = {n: t.detach().clone() for n, t in module.state_dict().items()}

    def track_after_update_step(self, counter: Any, times: dict[str, float]) -> None:
        """Move every shadow towards the new weights."""
        with torch.no_grad():
            for path, module in self.modules.items():
                names = [n for n, _ in module.named_parameters()]
                params = self._params[path]
                for factor in self.factors:
                    shadow = self.shadows[self._key(path, factor)]
                    targets = [shadow[n] for n in names]
                    torch._foreach_lerp_(targets, params, 1.0 - factor)
                    for name, buf in module.named_buffers():
                        shadow[name].copy_(buf)

    def _save(self, tag: str) -> None:
        ctx = self.ctx
        # Sharded shadows are gathered first, on every rank (callbacks fire on all ranks at the same update).
        shadows = {key: {n: _full(t) for n, t in shadow.items()} for key, shadow in self.shadows.items()} \
            if self.per_rank_state else self.shadows
        if not ctx.is_rank0:
            return
        iteration = ctx.counter.current.as_dict()
        files = {}
        for path in self.paths:
            base = ctx.model.name + (f".{path}" if path else "")
            for factor in self.factors:
                files[file_name(base, tag, "model", model_info=f"ema={factor}")] = weights_payload(
                    shadows[self._key(path, factor)], tag=tag, iteration=iteration, run_id=ctx.run_id,
                    ema=factor)
        ctx.save_files(f"ema.{tag}", files)

    def periodic_callback(self, interval_type: Unit, counter: Any) -> None:
        """Save the averaged weights (periodic tag and/or ``latest``)."""
        if self.config.save_weights:
            self._save(counter.current.tag)
        if self.config.save_latest_weights:
            self._save("latest")

    def after_training(self, counter: Any) -> None:
        """Save the averaged weights as ``last`` (not when a signal interrupted the run)."""
        if self.config.save_last_weights and not self.ctx.interrupted:
            self._save("last")

    def state_dict(self) -> dict[str, Any]:
        """The shadow weights (under FSDP: this rank's shards, and the number of ranks they were cut for)."""
        if self.per_rank_state:
            dtensor = _dtensor_type()
            return {"shadows": {k: {n: (t.to_local() if isinstance(t, dtensor) else t).cpu() for n, t in v.items()}
                                for k, v in self.shadows.items()},
                    "world_size": self.ctx.world_size}
        return {"shadows": {k: {n: t.cpu() for n, t in v.items()} for k, v in self.shadows.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the shadow weights (shards are put back into the layout of this rank's parameters)."""
        device = self.ctx.device
        if self.per_rank_state or "world_size" in state:
            if not self.per_rank_state or state.get("world_size") != self.ctx.world_size:
                logger.warning("EmaCallback: the checkpoint holds EMA shards of %s processes, this run has %d "
                               "(%s): the averages start again from the current weights", state.get("world_size"),
                               self.ctx.world_size, "sharded" if self.per_rank_state else "not sharded")
                self.shadows = {}
                return
            self.shadows = {k: self._reshard(path_key=k, local=v) for k, v in state["shadows"].items()}
            return
        self.shadows = {k: {n: t.to(device) for n, t in v.items()} for k, v in state["shadows"].items()}

    def _reshard(self, path_key: str, local: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """This rank's saved shards as DTensors laid out like the module's current parameters."""
        dtensor = _dtensor_type()
        path_text = path_key.rpartition("|")[0]
        path = next(p for p in self.paths if (p or "") == path_text)
        templates = self.modules[path].state_dict()
        out = {}
        for name, tensor in local.items():
            like = templates[name]
            tensor = tensor.to(self.ctx.device)
            if isinstance(like, dtensor):
                tensor = dtensor.from_local(tensor, like.device_mesh, like.placements, run_check=False,
                                            shape=like.shape, stride=like.stride())
            out[name] = tensor
        return out
