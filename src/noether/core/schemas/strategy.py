"""How several processes share one model: data parallel copies (DDP) or sharded parameters (FSDP2)."""


from collections.abc import Iterator
from typing import Literal

import attrs

from noether.core.schemas._base import Schema

#: Floating point types a mixed-precision policy may name (``None``: keep the parameters' own type).
PolicyDtype = Literal["float32", "bfloat16", "float16"]


@attrs.frozen(kw_only=True)
class StrategyConfig(Schema):
    """``trainer.strategy``: ``ddp`` (every process holds the whole model; gradients are all-reduced) or
    ``fsdp`` (``torch.distributed.fsdp.fully_shard``: parameters, gradients and optimizer state are sharded over
    the processes; checkpoints are written by every rank with ``torch.distributed.checkpoint``).

    The other fields apply to ``fsdp`` only.
    """

    kind: Literal["ddp", "fsdp"] = "ddp"
    #: Free the gathered parameters after each forward (less memory, one more all-gather in backward).
    #: ``false`` keeps them until the backward is done (ZeRO-2 like).
    reshard_after_forward: bool = True
    #: Shard every direct child module that holds parameters as its own unit (overlaps communication with
    #: compute); ``false`` shards the model as one unit.
    shard_children: bool = True
    #: Type the gathered parameters are cast to for forward and backward (mixed precision); ``None``: as stored.
    param_dtype: PolicyDtype | None = None
    #: Type gradients are reduced in; ``None``: ``param_dtype``.
    reduce_dtype: PolicyDtype | None = None
    #: Write the full (gathered) weights to ``<model>_cp=<tag>_model.th`` too, for tools that read one file
    #: (``noether predict``, initializers); ``false`` writes only the shards (gathering needs the whole model's
    #: memory on rank 0's CPU).
    full_weights_file: bool = True

    def _check(self) -> Iterator[tuple[str, str]]:
        if self.kind == "ddp":
            for name in ("param_dtype", "reduce_dtype"):
                if getattr(self, name) is not None:
                    yield name, "is an FSDP mixed-precision option; set kind: fsdp or remove it"
