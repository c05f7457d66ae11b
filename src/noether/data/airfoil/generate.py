"""Generating the airfoil data set: deterministic, vectorized, written atomically, reused afterwards.

Layout: ``<root>/joukowski-v1-<digest>/{train,val,test}.npz`` plus ``meta.json``, where the digest identifies
the generation settings. The folder is built under a temporary name and renamed into place in one step, so an
interrupted generation never looks complete, and concurrent processes (e.g. distributed ranks) cannot see a
half-written copy.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import numpy as np
from tqdm import tqdm

from noether.data.airfoil.flow import (
    Airfoils,
    joukowski,
    map_derivative,
    physical_velocity,
    pressure_coefficient,
    surface_angles,
    surface_normals,
)

#: Bumped whenever the generated values change, so old copies are not reused.
FORMAT_VERSION = 1
SPLITS = ("train", "val", "test")
#: Fixed seed of each split: splits never overlap and do not change when another split's size changes.
SPLIT_SEEDS = {"train": 0, "val": 1, "test": 2}
#: Uniform ranges of the conditioning parameters: thickness/chord, camber/chord, angle of attack (degrees).
PARAMETER_RANGES = ((0.06, 0.16), (0.0, 0.05), (-4.0, 8.0))
#: Volume points lie between these multiples of the circle radius in the circle plane (log-uniform).
VOLUME_RADII = (1.02, 4.0)
#: Samples generated per vectorized chunk (one progress-bar step each).
CHUNK = 64
#: Leftover temporary folders older than this (seconds) belong to dead processes and are removed.
STALE_AFTER = 600.0
META_FILE = "meta.json"


@attrs.frozen
class GenerationSettings:
    """Everything that determines the generated values."""

    train_size: int = 512
    val_size: int = 64
    test_size: int = 128
    num_surface_points: int = 128
    num_volume_points: int = 512

    def size(self, split: str) -> int:
        """Number of samples of ``split``."""
        return int(getattr(self, f"{split}_size"))

    def as_dict(self) -> dict[str, Any]:
        """The settings plus the constants of the generator, as recorded in ``meta.json``."""
        return {
            "version": FORMAT_VERSION,
            **attrs.asdict(self),
            "split_seeds": SPLIT_SEEDS,
            "parameter_ranges": [list(r) for r in PARAMETER_RANGES],
            "volume_radii": list(VOLUME_RADII),
        }

    @property
    def folder_name(self) -> str:
        """``joukowski-v<version>-<digest of the settings>``."""
        digest = hashlib.sha256(json.dumps(self.as_dict(), sort_keys=True).encode()).hexdigest()[:12]
        return f"joukowski-v{FORMAT_VERSION}-{digest}"


def _complex_to_xy(values: np.ndarray) -> np.ndarray:
    return np.stack([values.real, values.imag], axis=-1).astype(np.float32)


def generate_chunk(
    airfoils: Airfoils, settings: GenerationSettings, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Arrays of a batch of airfoils (leading dim = airfoils), float32."""
    n = airfoils.thickness.shape[0]
    angles = surface_angles(airfoils, settings.num_surface_points)
    zeta_s = airfoils.circle_points(angles)
    vel_s = physical_velocity(airfoils, zeta_s)
    low, high = np.log(VOLUME_RADII[0]), np.log(VOLUME_RADII[1])
    rho = np.exp(rng.uniform(low, high, size=(n, settings.num_volume_points)))
    phi = rng.uniform(0.0, 2.0 * np.pi, size=(n, settings.num_volume_points))
    zeta_v = airfoils.circle_points(phi, rho)
    vel_v = physical_velocity(airfoils, zeta_v)
    params = np.stack([airfoils.thickness, airfoils.camber, airfoils.angle_of_attack], axis=-1)
    if not (np.all(np.isfinite(vel_v)) and np.all(np.isfinite(vel_s))) or np.any(map_derivative(zeta_v) == 0):
        raise FloatingPointError("non-finite velocity in generated airfoil flow")
    return {
        "surface_position": _complex_to_xy(joukowski(zeta_s)),
        "surface_normal": _complex_to_xy(surface_normals(airfoils, angles)),
        "surface_velocity": _complex_to_xy(vel_s),
        "surface_pressure": pressure_coefficient(vel_s)[..., None].astype(np.float32),
        "volume_position": _complex_to_xy(joukowski(zeta_v)),
        "volume_velocity": _complex_to_xy(vel_v),
        "volume_pressure": pressure_coefficient(vel_v)[..., None].astype(np.float32),
        "conditioning": params[:, None, :].astype(np.float32),
        "lift_coefficient": airfoils.lift_coefficient[:, None].astype(np.float32),
    }


def sample_parameters(split: str, size: int) -> Airfoils:
    """A split's airfoils: uniform parameters from the split's seed (row ``i`` never depends on size)."""
    rng = np.random.default_rng([SPLIT_SEEDS[split], 0])
    lows = np.array([r[0] for r in PARAMETER_RANGES])
    highs = np.array([r[1] for r in PARAMETER_RANGES])
    params = lows + (highs - lows) * rng.random((size, 3))
    return Airfoils.of(params[:, 0], params[:, 1], params[:, 2])


def generate_split(
    settings: GenerationSettings, split: str, progress: Callable[[int], Any] | None = None
) -> dict[str, np.ndarray]:
    """All arrays of one split; ``progress(n)`` is called after every chunk of ``n`` samples."""
    size = settings.size(split)
    airfoils = sample_parameters(split, size)
    rng = np.random.default_rng([SPLIT_SEEDS[split], 1])
    parts: list[dict[str, np.ndarray]] = []
    for start in range(0, size, CHUNK):
        stop = min(start + CHUNK, size)
        chunk = Airfoils(*(a[start:stop] for a in attrs.astuple(airfoils, recurse=False)))
        parts.append(generate_chunk(chunk, settings, rng))
        if progress is not None:
            progress(stop - start)
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def is_complete(folder: Path, settings: GenerationSettings) -> bool:
    """Whether ``folder`` holds a finished generation with exactly these settings."""
    try:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if meta.get("settings") != settings.as_dict():
        return False
    return all((folder / f"{split}.npz").is_file() for split in SPLITS)


def _remove_stale(root: Path, prefix: str) -> None:
    now = time.time()
    for path in root.glob(prefix + "*"):
        try:
            if now - path.stat().st_mtime > STALE_AFTER:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass


def ensure_generated(
    root: str | os.PathLike[str], settings: GenerationSettings, *, progress: bool | None = None
) -> Path:
    """The folder with the generated data under ``root``, generating it first if needed.

    ``progress``: show a progress bar (``None``: only on a terminal).
    """
    root = Path(root).expanduser()
    target = root / settings.folder_name
    if is_complete(target, settings):
        return target
    root.mkdir(parents=True, exist_ok=True)
    tmp_prefix = f".{settings.folder_name}.tmp-"
    _remove_stale(root, tmp_prefix)
    tmp = Path(tempfile.mkdtemp(prefix=tmp_prefix, dir=root))
    try:
        total = sum(settings.size(s) for s in SPLITS)
        started = time.perf_counter()
        with tqdm(total=total, desc=f"generating airfoil flows into {root}", unit="sample",
                  disable=None if progress is None else not progress) as bar:
            for split in SPLITS:
                arrays = generate_split(settings, split, bar.update)
                np.savez(tmp / f"{split}.npz", **arrays)  # type: ignore[arg-type]
        meta = {"settings": settings.as_dict(), "seconds": round(time.perf_counter() - started, 3),
                "sizes": {s: settings.size(s) for s in SPLITS}}
        (tmp / META_FILE).write_text(json.dumps(meta, indent=1, sort_keys=True), encoding="utf-8")
        if target.exists() and not is_complete(target, settings):
            # Not written by this code path (renames are atomic): move it aside rather than trust it.
            shutil.rmtree(target)
        try:
            os.rename(tmp, target)
        except OSError:
            if not is_complete(target, settings):  # another process may have finished first; that is fine
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target
