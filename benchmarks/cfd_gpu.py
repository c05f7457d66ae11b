"""CFD models on a GPU: time per training step in bf16, eager and ``torch.compile``, with peak memory.

For a machine with a CUDA device (none is needed to read this): every CFD model at its paper recipe's sizes
(the config defaults) trains on synthetic point clouds of recipe size (``--points``, default 16,384 geometry,
surface and volume points, 2,048 supernodes with 16 neighbours, half of each set anchors) with AdamW under bf16
autocast, once eager and once compiled. Prints milliseconds per step (CUDA events, after warm-up) and the peak
allocated memory. ``--device cpu --points 256`` runs the same script on a CPU as a smoke check. The framework
against a raw loop is measured by ``benchmarks/cfd_models.py`` (CPU) and ``benchmarks/gpu_distributed.py``.
Run: ``python benchmarks/cfd_gpu.py [--models AbUpt Upt ...] [--points N] [--steps N] [--no-compile]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.cfd_models import EXTRA_INPUTS, SCALED, TARGETS

BATCH = 1


def make_batch(points: int, device: torch.device) -> dict[str, torch.Tensor]:
    """One synthetic sample of ``points`` points per set, in the batch contract's names."""
    g = torch.Generator().manual_seed(0)
    n_super, k = max(points // 8, 1), min(16, points)
    geometry = torch.rand(BATCH, points, 3, generator=g)
    supernodes = torch.stack([torch.randperm(points, generator=g)[:n_super] for _ in range(BATCH)])
    centres = geometry.gather(1, supernodes[..., None].expand(-1, -1, 3))
    neighbors = torch.cdist(centres, geometry).topk(k, largest=False).indices
    surface, volume = torch.rand(BATCH, points, 3, generator=g), torch.rand(BATCH, points, 3, generator=g)
    batch = {
        "geometry_position": geometry, "supernode_index": supernodes, "supernode_neighbors": neighbors,
        "surface_position": surface, "surface_anchor_count": torch.full((BATCH,), points // 2),
        "volume_position": volume, "volume_anchor_count": torch.full((BATCH,), points // 2),
        "surface_pressure": torch.sin(surface[..., :1] * 5), "volume_velocity": torch.cos(volume * 3),
    }
    return {key: value.to(device) for key, value in batch.items()}


def build_model(kind: str, device: torch.device) -> torch.nn.Module:
    """The model at its config defaults (the paper recipe's sizes)."""
    import noether
    from noether.core.registry import get_registry
    from noether.core.schemas import AnyModelConfig

    config = noether.structure({"kind": f"noether_cfd.{kind}", "name": "model"}, AnyModelConfig)
    return get_registry().build("model", config).to(device).train()


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_steps(kind: str, batch: dict[str, torch.Tensor], device: torch.device, steps: int,
               compile_model: bool) -> tuple[float, float]:
    """Milliseconds per bf16 training step after warm-up, and the peak allocated memory in GiB (0 on CPU)."""
    torch.manual_seed(0)
    model = build_model(kind, device)
    forward: Any = torch.compile(model) if compile_model else model
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    keys = ["surface_position", "volume_position", *EXTRA_INPUTS.get(kind, [])]
    inputs = {key: batch[key] for key in keys}

    def step() -> None:
        with torch.autocast(device.type, dtype=torch.bfloat16):
            out = forward(**inputs)
            loss = sum(torch.nn.functional.mse_loss(out[t].float(), batch[t]) for t in TARGETS)
        assert isinstance(loss, torch.Tensor)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    for _ in range(3):  # warm-up (and compilation)
        step()
    _sync(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    _sync(device)
    elapsed = (time.perf_counter() - start) / steps * 1000
    peak = torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else 0.0
    return elapsed, peak


def main() -> None:
    """Print one row per model and mode."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="*", default=list(SCALED), choices=list(SCALED))
    parser.add_argument("--points", type=int, default=16_384, help="points per set (geometry, surface, volume)")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--no-compile", action="store_true", help="eager only")
    args = parser.parse_args()
    device = torch.device(args.device)
    batch = make_batch(args.points, device)
    modes = [False] if args.no_compile else [False, True]
    print(f"device {device}, {args.points} points per set, batch {BATCH}, bf16 autocast, {args.steps} steps")
    print(f"{'model':<20} {'mode':<8} {'ms/step':>10} {'peak GiB':>9}")
    for kind in args.models:
        for compiled in modes:
            ms, peak = time_steps(kind, batch, device, args.steps, compiled)
            print(f"{kind:<20} {'compile' if compiled else 'eager':<8} {ms:>10.1f} {peak:>9.2f}", flush=True)


if __name__ == "__main__":
    main()
