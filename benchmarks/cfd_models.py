"""Forward+backward time per sample of each CFD model: the framework's trainer against a raw PyTorch loop.

Every model is its paper recipe's width and heads with the block counts scaled down (``SCALED``: a quarter
of the blocks, at least one), on point clouds scaled down from the recipes (``--quick``: 512 geometry points,
128 supernodes with 16 neighbours, 512 surface and 512 volume points, half of each anchors; without it
twice as many). Both contenders train the same model (AdamW, MSE on surface pressure and volume velocity,
batch 2) on the same pre-made samples: ``noether.run`` with the generic ``SupervisedTrainer`` and its
default callbacks, and a hand-written loop over the same tensors. The time per update is
``(t_long - t_short) / (long - short)`` (start-up cancels), timed as this process's CPU time (one compute
thread; background threads such as the checkpoint writer count too), because wall-clock time on a shared
machine measures the neighbours. The table gives the best of the repeats per sample and the ratio
framework / raw. Figures only, no pass/fail.
Run: ``python benchmarks/cfd_models.py [--quick] [--models AbUpt Upt ...]``.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar

import attrs
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from noether.core.schemas import DatasetBaseConfig
from noether.data.arrays import ArrayDataset

BATCH = 2
SAMPLES = 8
TARGETS = ("surface_pressure", "volume_velocity")
#: Block counts of each model, scaled down to about a quarter of its recipe (width and heads unchanged).
SCALED: dict[str, dict[str, Any]] = {
    "AbUpt": {"physics_blocks": ["geometry", "self", "cross"], "decoder_depth": 1, "geometry_depth": 1},
    "Upt": {"approximator_depth": 3, "decoder_depth": 3},
    "Transolver": {"depth": 2},
    "TransolverPlusPlus": {"depth": 2},
    "RopeTransformer": {"depth": 3},
}
#: What each model reads besides surface and volume positions.
GEOMETRY_KEYS = ["geometry_position", "supernode_index", "supernode_neighbors"]
EXTRA_INPUTS: dict[str, list[str]] = {
    "AbUpt": [*GEOMETRY_KEYS, "surface_anchor_count", "volume_anchor_count"],
    "Upt": GEOMETRY_KEYS,
}


@attrs.frozen(kw_only=True)
class CfdBenchDatasetConfig(DatasetBaseConfig):
    """``size`` same-size synthetic CFD samples with a kNN supernode graph (``scale`` 1 or 2)."""

    size: int = SAMPLES
    scale: int = 1
    seed: int = 0


def make_arrays(size: int, scale: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """The samples every contender trains on: ``{key: (size, ...)}`` in the batch contract's names."""
    g = torch.Generator().manual_seed(seed)
    n_geometry, n_super, k, n_surface, n_volume = 512 * scale, 128 * scale, 16, 512 * scale, 512 * scale
    geometry = torch.rand(size, n_geometry, 3, generator=g) * 1000
    supernodes = torch.stack([torch.randperm(n_geometry, generator=g)[:n_super] for _ in range(size)])
    centres = geometry.gather(1, supernodes[..., None].expand(-1, -1, 3))
    neighbors = torch.cdist(centres, geometry).topk(k, largest=False).indices
    surface = torch.rand(size, n_surface, 3, generator=g) * 1000
    volume = torch.rand(size, n_volume, 3, generator=g) * 1000
    return {
        "geometry_position": geometry,
        "supernode_index": supernodes,
        "supernode_neighbors": neighbors,
        "surface_position": surface,
        "surface_anchor_count": torch.full((size,), n_surface // 2),
        "volume_position": volume,
        "volume_anchor_count": torch.full((size,), n_volume // 2),
        "surface_pressure": torch.sin(surface[..., :1] / 200),
        "volume_velocity": torch.cos(volume / 300),
    }


class CfdBenchDataset(ArrayDataset):
    """The arrays of :func:`make_arrays`, one gather per property and batch."""

    config_class = CfdBenchDatasetConfig
    array_properties: ClassVar[dict[str, str]] = {key: f"``{key}`` of the synthetic sample." for key in
                                                  make_arrays(1, 1)}
    normalize_arrays = False

    def __init__(self, config: CfdBenchDatasetConfig, **kwargs: Any) -> None:
        super().__init__(config, make_arrays(config.size, config.scale, config.seed), **kwargs)


def model_dict(kind: str) -> dict[str, Any]:
    """The model config both contenders train."""
    return {"kind": f"noether_cfd.{kind}", "name": "model", **SCALED[kind],
            "optimizer_config": {"kind": "torch.optim.AdamW", "lr": 1e-4}}


def inputs_of(kind: str) -> list[str]:
    """The batch keys the model is given."""
    return ["surface_position", "volume_position", *EXTRA_INPUTS.get(kind, [])]


def raw_loop(kind: str, scale: int, updates: int) -> float:
    """A hand-written loop: the same model and samples, AdamW, a fresh permutation per epoch."""
    import noether
    from noether.core.registry import get_registry
    from noether.core.schemas import AnyModelConfig

    torch.manual_seed(0)
    arrays = make_arrays(SAMPLES, scale)
    config = noether.structure({k: v for k, v in model_dict(kind).items() if k != "optimizer_config"},
                               AnyModelConfig)
    model = get_registry().build("model", config).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    keys = inputs_of(kind)
    per_epoch = SAMPLES // BATCH
    perm = torch.randperm(SAMPLES)
    start = time.process_time()
    for step in range(updates):
        if step % per_epoch == 0:
            perm = torch.randperm(SAMPLES)
        idx = perm[(step % per_epoch) * BATCH:(step % per_epoch + 1) * BATCH]
        out = model(**{key: arrays[key][idx] for key in keys})
        loss = sum(torch.nn.functional.mse_loss(out[t], arrays[t][idx]) for t in TARGETS)
        assert isinstance(loss, torch.Tensor)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    return time.process_time() - start


def framework_run(kind: str, scale: int, updates: int) -> float:
    """``noether.run`` of the same training (generic SupervisedTrainer, default callbacks)."""
    import noether
    from noether.training.runner import run

    with tempfile.TemporaryDirectory() as out:
        config = noether.structure({
            "output_path": out, "store_code_in_output": False, "accelerator": "cpu",
            "datasets": {"train": {"kind": "benchmarks.cfd_models.CfdBenchDataset", "size": SAMPLES,
                                   "scale": scale}},
            "model": model_dict(kind),
            "trainer": {"kind": "SupervisedTrainer", "max_updates": updates, "effective_batch_size": BATCH,
                        "forward_properties": inputs_of(kind), "target_properties": list(TARGETS)},
        })
        start = time.process_time()
        run(config)
        return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller point clouds, fewer updates, one repeat")
    parser.add_argument("--models", nargs="*", default=list(SCALED), choices=list(SCALED))
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    scale, (long, short, repeats) = (1, (6, 2, 1)) if args.quick else (2, (10, 2, 3))
    torch.set_num_threads(args.threads)
    logging.getLogger("noether").setLevel(logging.ERROR)
    sizes = {k: tuple(v.shape[1:]) for k, v in make_arrays(1, scale).items() if k.endswith("position")}
    print(f"torch {torch.__version__}; {args.threads} thread(s); batch {BATCH}; points {sizes}; "
          f"({long} - {short} updates) per repeat; {repeats} repeat(s); figures are noisy on shared machines")
    print(f"  {'model':<20} {'params':>10} {'raw CPU ms/sample':>18} {'noether CPU ms/sample':>22} "
          f"{'noether / raw':>14}")
    import noether
    from noether.core.registry import get_registry
    from noether.core.schemas import AnyModelConfig

    for kind in args.models:
        config = noether.structure({k: v for k, v in model_dict(kind).items() if k != "optimizer_config"},
                                   AnyModelConfig)
        params = sum(p.numel() for p in get_registry().build("model", config).parameters())
        samples: dict[str, list[float]] = {"raw": [], "noether": []}
        # One discarded run first: the first updates of a model in a process pay one-off costs (allocator
        # growth, kernel selection) that the long-minus-short difference would otherwise charge to raw.
        raw_loop(kind, scale, 2)
        for _ in range(repeats):
            for name, fn in (("raw", raw_loop), ("noether", framework_run)):  # alternate against noise
                t_long, t_short = fn(kind, scale, long), fn(kind, scale, short)
                samples[name].append((t_long - t_short) / (long - short) / BATCH * 1e3)
        raw, fw = min(samples["raw"]), min(samples["noether"])
        print(f"  {kind:<20} {params:>10,} {raw:>18.1f} {fw:>22.1f} {fw / raw:>13.2f}x", flush=True)


if __name__ == "__main__":
    main()
