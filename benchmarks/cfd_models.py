"""Forward+backward time per sample of each CFD model: the framework's trainer against a raw PyTorch loop.

Every model is its paper recipe's width and heads with the block counts scaled down (``SCALED``: a quarter
of the blocks, at least one), on point clouds scaled down from the recipes (``--quick``: 512 geometry points,
128 supernodes with 16 neighbours, 512 surface and 512 volume points, half of each anchors; without it
twice as many). Both contenders train the same model (AdamW, MSE on surface pressure and volume velocity,
batch 2) on the same pre-made samples: ``noether.run`` with the generic ``SupervisedTrainer`` and its
default callbacks (a run this short fires them after every update), and a hand-written loop over the same
tensors (:class:`CfdRawStepper`). Two measurements:

* **Interleaved** (the one to read): one noether run per model whose every update is paired with one
  hand-written update in the same process (``benchmarks/interleaved.py``), so that a slow spell of a shared
  machine hits both halves of a pair; wall time, the first two pairs (one-off costs: allocator growth, kernel
  selection) left out; the ratio of the means and the median of the per-pair ratios.
* **Separate runs** (full run only): each contender trains ``long`` and ``short`` updates, the time per update
  is ``(t_long - t_short) / (long - short)`` in CPU time, the best of three alternating repeats. On this 2-core
  VM these scattered 0.71-1.22x from one run to the next (one model against itself), so they show the order of
  magnitude only.

Figures only, no pass/fail. Run: ``python benchmarks/cfd_models.py [--quick] [--models AbUpt Upt ...]``.
"""

from __future__ import annotations

import argparse
import logging
import statistics
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


def build_model(kind: str) -> torch.nn.Module:
    """The model of :func:`model_dict`, built through the registry (without its optimizer)."""
    import noether
    from noether.core.registry import get_registry
    from noether.core.schemas import AnyModelConfig

    config = noether.structure({k: v for k, v in model_dict(kind).items() if k != "optimizer_config"},
                               AnyModelConfig)
    model: torch.nn.Module = get_registry().build("model", config)
    return model


def inputs_of(kind: str) -> list[str]:
    """The batch keys the model is given."""
    return ["surface_position", "volume_position", *EXTRA_INPUTS.get(kind, [])]


class CfdRawStepper:
    """The hand-written loop, one update per :meth:`step`: the same model and samples, AdamW, a fresh
    permutation per epoch (its own model instance, random generator and data)."""

    def __init__(self, kind: str, scale: int) -> None:
        with torch.random.fork_rng(devices=[]):  # a caller's (noether's) random streams stay untouched
            torch.manual_seed(0)
            self.model = build_model(kind).train()
        self.generator = torch.Generator().manual_seed(0)
        self.arrays = make_arrays(SAMPLES, scale)
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=1e-4)
        self.keys = inputs_of(kind)
        self.per_epoch = SAMPLES // BATCH
        self.perm = torch.randperm(SAMPLES, generator=self.generator)
        self.steps = 0

    def step(self) -> None:
        """One update."""
        position = self.steps % self.per_epoch
        if position == 0:
            self.perm = torch.randperm(SAMPLES, generator=self.generator)
        idx = self.perm[position * BATCH:(position + 1) * BATCH]
        arrays = self.arrays
        out = self.model(**{key: arrays[key][idx] for key in self.keys})
        loss = sum(torch.nn.functional.mse_loss(out[t], arrays[t][idx]) for t in TARGETS)
        assert isinstance(loss, torch.Tensor)
        loss.backward()
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)
        self.steps += 1


def raw_loop(kind: str, scale: int, updates: int) -> float:
    """CPU seconds of ``updates`` updates of the hand-written loop (:class:`CfdRawStepper`)."""
    stepper = CfdRawStepper(kind, scale)
    start = time.process_time()
    for _ in range(updates):
        stepper.step()
    return time.process_time() - start


def framework_config(kind: str, scale: int, updates: int, out: str) -> dict[str, Any]:
    """The noether config of the same training (generic SupervisedTrainer, default callbacks)."""
    return {
        "output_path": out, "store_code_in_output": False, "accelerator": "cpu",
        "datasets": {"train": {"kind": "benchmarks.cfd_models.CfdBenchDataset", "size": SAMPLES,
                               "scale": scale}},
        "model": model_dict(kind),
        "trainer": {"kind": "SupervisedTrainer", "max_updates": updates, "effective_batch_size": BATCH,
                    "forward_properties": inputs_of(kind), "target_properties": list(TARGETS)},
    }


def framework_run(kind: str, scale: int, updates: int) -> float:
    """CPU seconds of ``noether.run`` of the same training."""
    import noether
    from noether.training.runner import run

    with tempfile.TemporaryDirectory() as out:
        config = noether.structure(framework_config(kind, scale, updates, out))
        start = time.process_time()
        run(config)
        return time.process_time() - start


def interleaved_ratio(kind: str, scale: int, updates: int, warmup: int = 2) -> tuple[float, float, float, float]:
    """One noether run of ``updates`` updates, each paired with a hand-written update in the same process
    (``benchmarks/interleaved.py``): ``(noether ms, raw ms, ratio of the means, median of the pair ratios)``
    per sample, the first ``warmup`` pairs left out. Wall time: both halves of a pair see the same moment."""
    from benchmarks.interleaved import interleaved_run

    with tempfile.TemporaryDirectory() as out:
        pairs = interleaved_run(framework_config(kind, scale, updates, out), lambda: CfdRawStepper(kind, scale))
    kept = pairs[warmup:]
    ours = statistics.fmean(n for _, n, _ in kept) / BATCH * 1e3
    raw = statistics.fmean(r for _, _, r in kept) / BATCH * 1e3
    return ours, raw, ours / raw, statistics.median(n / r for _, n, r in kept)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="smaller point clouds, a shorter interleaved run, no separate runs")
    parser.add_argument("--models", nargs="*", default=list(SCALED), choices=list(SCALED))
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    scale, (long, short, repeats), paired = (1, (6, 2, 0), 12) if args.quick else (2, (10, 2, 3), 24)
    torch.set_num_threads(args.threads)
    logging.getLogger("noether").setLevel(logging.ERROR)
    sizes = {k: tuple(v.shape[1:]) for k, v in make_arrays(1, scale).items() if k.endswith("position")}
    print(f"torch {torch.__version__}; {args.threads} thread(s); batch {BATCH}; points {sizes}")
    params = {kind: sum(p.numel() for p in build_model(kind).parameters()) for kind in args.models}

    print(f"\ninterleaved: one {paired}-update noether run per model, each update paired with a hand-written one "
          f"in the same process (the first 2 pairs left out); wall ms per sample")
    print(f"  {'model':<20} {'params':>10} {'noether':>9} {'raw':>9} {'noether / raw':>14} {'median of pairs':>16}")
    for kind in args.models:
        ours, raw, ratio, pair_median = interleaved_ratio(kind, scale, paired)
        print(f"  {kind:<20} {params[kind]:>10,} {ours:>9.1f} {raw:>9.1f} {ratio:>13.3f}x {pair_median:>15.3f}x",
              flush=True)
    if not repeats:
        return

    print(f"\nseparate runs: ({long} - {short} updates) per run, {repeats} alternating repeats, the best; CPU ms per "
          "sample (noisy on a shared machine: the interleaved table is the one to read)")
    print(f"  {'model':<20} {'raw CPU ms/sample':>18} {'noether CPU ms/sample':>22} {'noether / raw':>14}")
    for kind in args.models:
        samples: dict[str, list[float]] = {"raw": [], "noether": []}
        # One discarded run first: the first updates of a model in a process pay one-off costs (allocator
        # growth, kernel selection) that the long-minus-short difference would otherwise charge to raw.
        raw_loop(kind, scale, 2)
        for _ in range(repeats):
            for name, fn in (("raw", raw_loop), ("noether", framework_run)):  # alternate against noise
                t_long, t_short = fn(kind, scale, long), fn(kind, scale, short)
                samples[name].append((t_long - t_short) / (long - short) / BATCH * 1e3)
        raw_best, fw = min(samples["raw"]), min(samples["noether"])
        print(f"  {kind:<20} {raw_best:>18.1f} {fw:>22.1f} {fw / raw_best:>13.2f}x", flush=True)


if __name__ == "__main__":
    main()
