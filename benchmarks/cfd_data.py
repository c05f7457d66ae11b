"""CFD data path: samples per second for 16,384-point surfaces with supernodes and a radius graph.

The framework's pipeline (``noether_cfd.SupernodeSampling`` + ``SurfaceVolumeSampling`` + ``CfdCollator``
through ``noether.data.Pipeline``) against a hand-written ``DataLoader`` doing the same work (seeded draws,
a cKDTree radius query with a fixed neighbour count, padding with masks), with 0 and 2 workers; the ratio is
framework / hand-written (1.0 = no overhead).

Then the same samples from a chunked store on disk (written by the plugin's converter into a temporary folder,
read from the page cache): ``noether_cfd.CfdStoreDataset`` on the batched path (one ``getitems_<field>`` per
field and batch, processed and padded by column) against the same dataset fetched sample by sample (through
``__getitem__`` only) and against a hand-written loader of the store files, each with the full pipeline and with
the point sampling and padding alone (no graph), and with reading and padding alone (the data path itself).
Contenders alternate; medians and minima of the batch times; one torch thread.
Run: ``python benchmarks/cfd_data.py [--quick]``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy.spatial import cKDTree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import noether
from noether.core.schemas import AnyDatasetConfig
from noether.data.dataset import build_dataset
from noether.data.pipeline import build_pipeline

SURFACE = 16_384
FULL = 20_000  # points of each stored full-resolution surface
VOLUME = 8_192
SUPERNODES = 2_048
NEIGHBORS = 32
RADIUS = 0.08
BATCH = 4


def make_samples(count: int) -> list[dict[str, torch.Tensor]]:
    """In-memory samples: points on unit spheres with normals, areas, a pressure and volume points."""
    rng = np.random.default_rng(0)
    samples = []
    for _ in range(count):
        d = rng.normal(size=(FULL, 3))
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        v = rng.normal(size=(2 * VOLUME, 3)) * 2
        samples.append({
            "surface_position": torch.from_numpy(d).float(), "surface_normal": torch.from_numpy(d).float(),
            "surface_area": torch.full((FULL,), 4 * np.pi / FULL),
            "surface_pressure": torch.from_numpy(d[:, :1]).float(),
            "volume_position": torch.from_numpy(v).float(), "volume_velocity": torch.from_numpy(v).float(),
        })
    return samples


class Stored(torch.utils.data.Dataset[dict[str, Any]]):
    """The samples, returned as the framework's datasets return them (a fresh dict with the index)."""

    def __init__(self, samples: list[dict[str, torch.Tensor]], collate_fn: Any = None) -> None:
        self.samples = samples
        self.collate_fn = collate_fn

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return {"index": index, **self.samples[index]}


class HandWritten(torch.utils.data.Dataset[dict[str, torch.Tensor]]):
    """What a user writes without the framework: sampling and the graph in ``__getitem__``."""

    def __init__(self, samples: list[dict[str, torch.Tensor]]) -> None:
        self.samples = samples
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        s = self.samples[index]
        rng = np.random.default_rng((0, self.epoch, index))
        geometry = s["surface_position"][torch.from_numpy(rng.choice(FULL, SURFACE, replace=False))]
        points = geometry.double().numpy()
        dist, idx = cKDTree(points).query(points[:SUPERNODES], k=NEIGHBORS, distance_upper_bound=RADIUS)
        found = np.isfinite(dist)
        surface = torch.from_numpy(rng.choice(FULL, SURFACE, replace=False))
        volume = torch.from_numpy(rng.choice(2 * VOLUME, VOLUME, replace=False))
        out = {"geometry_position": geometry, "supernode_index": torch.arange(SUPERNODES),
               "supernode_neighbors": torch.from_numpy(np.where(found, idx, 0)),
               "supernode_neighbor_mask": torch.from_numpy(found)}
        for key in ("surface_position", "surface_normal", "surface_area", "surface_pressure"):
            out[key] = s[key][surface]
        for key in ("volume_position", "volume_velocity"):
            out[key] = s[key][volume]
        return out


def pad_collate(batch: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Pad every point set to the longest sample, with one mask per set."""
    out: dict[str, torch.Tensor] = {}
    for prefix in ("geometry", "supernode", "surface", "volume"):
        keys = [k for k in batch[0] if k.startswith(prefix + "_")]
        if not keys:
            continue  # e.g. no supernodes without the graph
        longest = max(b[keys[0]].shape[0] for b in batch)
        mask = torch.zeros(len(batch), longest, dtype=torch.bool)
        for i, b in enumerate(batch):
            mask[i, : b[keys[0]].shape[0]] = True
        out[prefix + "_mask"] = mask
        for key in keys:
            first = batch[0][key]
            padded = first.new_zeros((len(batch), longest, *first.shape[1:]))
            for i, b in enumerate(batch):
                padded[i, : b[key].shape[0]] = b[key]
            out[key] = padded
    return out


PIPELINE = {
    "kind": "noether.data.Pipeline",
    "sample_processors": [
        {"kind": "noether_cfd.SupernodeSampling", "geometry_points": SURFACE, "num_supernodes": SUPERNODES,
         "graph": "radius", "radius": RADIUS, "max_neighbors": NEIGHBORS, "seed": 0},
        {"kind": "noether_cfd.SurfaceVolumeSampling", "surface_points": SURFACE, "volume_points": VOLUME, "seed": 0},
    ],
    "collators": [{"kind": "noether_cfd.CfdCollator"}],
}


def rate(dataset: Any, collate: Any, workers: int) -> float:
    loader = torch.utils.data.DataLoader(dataset, batch_size=BATCH, num_workers=workers, collate_fn=collate)
    start = time.perf_counter()
    count = sum(batch["surface_position"].shape[0] for batch in loader)
    return count / (time.perf_counter() - start)


def write_store(samples: list[dict[str, torch.Tensor]], root: Path) -> list[str]:
    """The samples in a chunked store (the plugin's converter: points shuffled, one ``.npy`` per field)."""
    from noether_cfd.data.store import convert_samples

    ids = [f"s{i:03d}" for i in range(len(samples))]
    arrays = {sid: {k: v.numpy() for k, v in s.items()} for sid, s in zip(ids, samples, strict=True)}
    convert_samples(root, ids, arrays.__getitem__, progress=False)
    return ids


def store_dataset(root: Path, pipeline: dict[str, Any], batched: bool) -> Any:
    """``noether_cfd.CfdStoreDataset`` reading the leading (random) points; ``batched=False``: sample by sample."""
    config = noether.structure({"kind": "noether_cfd.CfdStoreDataset", "root": str(root), "surface_points": SURFACE,
                                "volume_points": VOLUME, "pipeline": pipeline}, AnyDatasetConfig)
    dataset = build_dataset(config)
    if not batched:
        dataset = PerSample(dataset)
    return dataset


class PerSample(torch.utils.data.Dataset[dict[str, Any]]):
    """A dataset seen through ``__getitem__`` only: the DataLoader fetches it sample by sample."""

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset
        self.collate_fn = dataset.collate_fn

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.dataset[index]


class HandWrittenStore(HandWritten):
    """A hand-written loader of the store files: the leading points of each field, then the same work."""

    def __init__(self, root: Path, ids: list[str], sampling: bool, graph: bool) -> None:
        super().__init__([])
        self.folders = [root / "samples" / sid for sid in ids]
        self.sampling = sampling
        self.graph = graph

    def __len__(self) -> int:
        return len(self.folders)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        folder = self.folders[index]

        def load(field: str, rows: int) -> torch.Tensor:
            return torch.from_numpy(np.array(np.load(folder / f"{field}.npy", mmap_mode="r")[:rows]))

        rng = np.random.default_rng((0, self.epoch, index))
        out: dict[str, torch.Tensor] = {}
        if self.graph:
            geometry = load("surface_position", SURFACE)[torch.from_numpy(rng.permutation(SURFACE))]
            points = geometry.double().numpy()
            dist, idx = cKDTree(points).query(points[:SUPERNODES], k=NEIGHBORS, distance_upper_bound=RADIUS)
            found = np.isfinite(dist)
            out.update({"geometry_position": geometry, "supernode_index": torch.arange(SUPERNODES),
                        "supernode_neighbors": torch.from_numpy(np.where(found, idx, 0)),
                        "supernode_neighbor_mask": torch.from_numpy(found)})
        surface = torch.from_numpy(rng.permutation(SURFACE)) if self.sampling else slice(None)
        volume = torch.from_numpy(rng.permutation(VOLUME)) if self.sampling else slice(None)
        for key in ("surface_position", "surface_normal", "surface_area", "surface_pressure"):
            out[key] = load(key, SURFACE)[surface]
        for key in ("volume_position", "volume_velocity"):
            out[key] = load(key, VOLUME)[volume]
        return out


def batch_ms(dataset: Any, collate: Any, workers: int) -> float:
    """Milliseconds per batch of one pass (worker start-up included)."""
    loader = torch.utils.data.DataLoader(dataset, batch_size=BATCH, num_workers=workers, collate_fn=collate)
    start = time.perf_counter()
    batches = sum(1 for _ in loader)
    return (time.perf_counter() - start) / batches * 1e3


def store_rows(samples: list[dict[str, torch.Tensor]], rounds: int, worker_counts: tuple[int, ...]) -> None:
    """The store table: batched, per-sample and hand-written, with and without the supernode graph."""
    no_graph = {**PIPELINE, "sample_processors": PIPELINE["sample_processors"][1:]}
    pad_only = {**PIPELINE, "sample_processors": []}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "store"
        ids = write_store(samples, root)
        print(f"\nthe same samples from a chunked store ({SURFACE} surface / {VOLUME} volume points read per "
              f"sample), ms per batch of {BATCH}: median (min) of {rounds} alternating rounds")
        print(f"{'pipeline':<9} {'workers':>7} {'store batched':>15} {'store per-sample':>17} "
              f"{'hand-written':>14} {'per-sample/batched':>19} {'hand/batched':>13}")
        runs = (("read+pad", pad_only, False, False), ("sampling", no_graph, True, False),
                ("full", PIPELINE, True, True))
        for name, pipeline, sampling, graph in runs:
            batched, per_sample = store_dataset(root, pipeline, True), store_dataset(root, pipeline, False)
            hand = HandWrittenStore(root, ids, sampling, graph)
            for workers in worker_counts:
                contenders: dict[str, tuple[Any, Callable[..., Any]]] = {
                    "batched": (batched, batched.collate_fn), "per_sample": (per_sample, per_sample.collate_fn),
                    "hand": (hand, pad_collate),
                }
                times: dict[str, list[float]] = {key: [] for key in contenders}
                for _ in range(rounds):
                    for key, (dataset, collate) in contenders.items():
                        times[key].append(batch_ms(dataset, collate, workers))
                med = {key: statistics.median(values) for key, values in times.items()}
                cells = [f"{med[key]:.1f} ({min(times[key]):.1f})" for key in contenders]
                print(f"{name:<9} {workers:>7} {cells[0]:>15} {cells[1]:>17} {cells[2]:>14} "
                      f"{med['per_sample'] / med['batched']:>19.2f} {med['hand'] / med['batched']:>13.2f}")


def main() -> None:
    quick = "--quick" in sys.argv
    # One thread, as DataLoader workers have: on a shared machine torch's thread pool otherwise waits for
    # busy cores inside every operation, which swamps what is measured here.
    torch.set_num_threads(1)
    samples = make_samples(16 if quick else 64)
    framework = Stored(samples, build_pipeline(PIPELINE))
    hand = HandWritten(samples)
    rounds = 2 if quick else 3
    rows = []
    for workers in (0, 2):
        ours = [rate(framework, framework.collate_fn, workers) for _ in range(rounds)]
        theirs = [rate(hand, pad_collate, workers) for _ in range(rounds)]
        rows.append((workers, statistics.median(ours), statistics.median(theirs)))
    print(f"{len(samples)} samples of {FULL} surface points -> {SURFACE} sampled, {SUPERNODES} supernodes with "
          f"{NEIGHBORS}-neighbour radius graph, {VOLUME} volume points; batch {BATCH}, padded "
          f"(worker start-up included)")
    print(f"{'workers':<8} {'framework samples/s':>20} {'hand-written samples/s':>23} {'ratio':>6}")
    for workers, ours_rate, hand_rate in rows:
        print(f"{workers:<8} {ours_rate:>20.1f} {hand_rate:>23.1f} {ours_rate / hand_rate:>6.2f}")
    store_rows(samples, 5, (0,) if quick else (0, 2))


if __name__ == "__main__":
    main()
