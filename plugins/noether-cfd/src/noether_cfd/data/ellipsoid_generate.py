"""Generating the ellipsoid data set: deterministic per sample, written atomically, reused afterwards.

Layout: ``<root>/ellipsoid-v<version>-<digest>/{train,val,test}.npz`` plus ``meta.json``; the digest names
the settings. The folder is built under a temporary name and renamed into place in one step, so an
interrupted generation never looks complete and concurrent processes (distributed ranks) never read a
half-written copy. Sample ``i`` of a split is drawn from its own generator ``(seed, split, i)``: it does not
change when a split's size does.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import attrs
import numpy as np
from scipy.spatial.transform import Rotation
from tqdm import tqdm

from noether_cfd.data.ellipsoid_flow import (
    body_velocity,
    munk_moment,
    pressure_coefficient,
    surface_normals,
)
from noether_cfd.data.icosphere import icosphere
from noether_cfd.data.mesh import Mesh, point_areas

#: Bumped whenever the generated values change, so that old copies are not reused.
FORMAT_VERSION = 1
SPLITS = ("train", "val", "test")
SPLIT_IDS = {"train": 0, "val": 1, "test": 2}
#: The stream at infinity (world frame): unit speed along +x; the body is rotated instead.
STREAM = np.array([1.0, 0.0, 0.0])
#: Shell volume points lie at ``s * surface point`` for ``s`` uniform in this range (body frame).
SHELL = (1.02, 1.6)
META_FILE = "meta.json"
#: Temporary folders older than this (seconds) belong to dead processes and are removed.
STALE_AFTER = 600.0


@attrs.frozen
class EllipsoidSettings:
    """Everything that determines the generated values."""

    train_size: int = 256
    val_size: int = 32
    test_size: int = 64
    subdivisions: int = 3
    num_volume_points: int = 2048
    box: float = 2.0
    major_axis: tuple[float, float] = (0.6, 1.2)
    minor_axes: tuple[float, float] = (0.25, 0.6)
    seed: int = 0

    def size(self, split: str) -> int:
        """Samples of ``split``."""
        return int(getattr(self, f"{split}_size"))

    def as_dict(self) -> dict[str, Any]:
        """The settings and the generator's constants, as recorded in ``meta.json``."""
        data = attrs.asdict(self)
        data.update(version=FORMAT_VERSION, stream=STREAM.tolist(), shell=list(SHELL),
                    major_axis=list(self.major_axis), minor_axes=list(self.minor_axes))
        return data

    @property
    def folder_name(self) -> str:
        """``ellipsoid-v<version>-<digest of the settings>``."""
        digest = hashlib.sha256(json.dumps(self.as_dict(), sort_keys=True).encode()).hexdigest()[:12]
        return f"ellipsoid-v{FORMAT_VERSION}-{digest}"


def ellipsoid_surface(semi_axes: np.ndarray, rotation: np.ndarray | None = None, subdivisions: int = 3) -> Mesh:
    """The triangulated surface of an ellipsoid (an icosphere mapped onto it), rotated body to world.

    E.g. ``write_mesh("body.stl", ellipsoid_surface([1.0, 0.4, 0.3]))`` makes a geometry to predict on.
    """
    unit, triangles = icosphere(subdivisions)
    rot = np.eye(3) if rotation is None else np.asarray(rotation, dtype=np.float64).reshape(3, 3)
    return Mesh(points=(unit * np.asarray(semi_axes, dtype=np.float64).reshape(3)) @ rot.T, triangles=triangles)


def sample_body(settings: EllipsoidSettings, split: str, index: int) -> tuple[np.ndarray, np.ndarray]:
    """Semi-axes ``(3,)`` and rotation matrix ``(3, 3)`` (body to world) of one sample."""
    rng = np.random.default_rng([settings.seed, SPLIT_IDS[split], index, 0])
    axes = np.array([rng.uniform(*settings.major_axis), *rng.uniform(*settings.minor_axes, size=2)])
    rotation = Rotation.random(random_state=rng).as_matrix()
    return axes, rotation


def generate_sample(settings: EllipsoidSettings, split: str, index: int,
                    sphere: tuple[np.ndarray, np.ndarray]) -> dict[str, np.ndarray]:
    """The arrays of one sample (float32), world frame; ``sphere`` is the unit icosphere (points, triangles)."""
    axes, rot = sample_body(settings, split, index)
    rng = np.random.default_rng([settings.seed, SPLIT_IDS[split], index, 1])
    unit, triangles = sphere
    stream_body = rot.T @ STREAM
    surface_body = unit * axes
    surface_velocity = body_velocity(axes, stream_body, surface_body, lam=np.zeros(len(unit)))
    volume_body = _volume_points(settings, axes, rot, rng)
    volume_velocity = body_velocity(axes, stream_body, volume_body)
    surface = surface_body @ rot.T
    return {
        "surface_position": surface.astype(np.float32),
        "surface_normal": (surface_normals(axes, surface_body) @ rot.T).astype(np.float32),
        "surface_area": point_areas(surface, triangles).astype(np.float32),
        "surface_pressure": pressure_coefficient(surface_velocity, stream_body)[:, None].astype(np.float32),
        "surface_velocity": (surface_velocity @ rot.T).astype(np.float32),
        "volume_position": (volume_body @ rot.T).astype(np.float32),
        "volume_velocity": (volume_velocity @ rot.T).astype(np.float32),
        "volume_pressure": pressure_coefficient(volume_velocity, stream_body)[:, None].astype(np.float32),
        "conditions": np.concatenate([axes, stream_body]).astype(np.float32),
        "moment": munk_moment(axes, rot, STREAM).astype(np.float32),
        "semi_axes": axes,
        "rotation": rot,
    }


def _volume_points(settings: EllipsoidSettings, axes: np.ndarray, rot: np.ndarray,
                   rng: np.random.Generator) -> np.ndarray:
    """Body-frame volume points: half uniform in the world box outside the body, half in a near shell."""
    n_shell = settings.num_volume_points // 2
    n_box = settings.num_volume_points - n_shell
    direction = rng.normal(size=(n_shell, 3))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    shell = direction * axes * rng.uniform(*SHELL, size=(n_shell, 1))
    box: list[np.ndarray] = []
    count = 0
    while count < n_box:
        candidates = rng.uniform(-settings.box, settings.box, size=(2 * n_box, 3)) @ rot  # world -> body
        outside = candidates[((candidates / axes) ** 2).sum(axis=1) > SHELL[0] ** 2]
        box.append(outside)
        count += len(outside)
    return np.concatenate([shell, np.concatenate(box)[:n_box]])


def generate_split(settings: EllipsoidSettings, split: str, progress: tqdm[Any] | None = None) -> dict[str, Any]:
    """A split's arrays stacked over samples, plus the shared ``triangles`` of the surface mesh."""
    sphere = icosphere(settings.subdivisions)
    samples = []
    for index in range(settings.size(split)):
        samples.append(generate_sample(settings, split, index, sphere))
        if progress is not None:
            progress.update(1)
    arrays = {key: np.stack([s[key] for s in samples]) for key in samples[0]}
    arrays["triangles"] = sphere[1]
    return arrays


def is_complete(folder: Path, settings: EllipsoidSettings) -> bool:
    """Whether ``folder`` holds a finished generation with exactly these settings."""
    try:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return meta.get("settings") == settings.as_dict() and all((folder / f"{s}.npz").is_file() for s in SPLITS)


def ensure_generated(root: str | os.PathLike[str], settings: EllipsoidSettings, *,
                     progress: bool | None = None) -> Path:
    """The folder of the generated data under ``root``, generating it first if needed.

    ``progress``: show a progress bar (``None``: only on a terminal).
    """
    root = Path(root).expanduser()
    target = root / settings.folder_name
    if is_complete(target, settings):
        return target
    root.mkdir(parents=True, exist_ok=True)
    prefix = f".{settings.folder_name}.tmp-"
    now = time.time()
    for stale in root.glob(prefix + "*"):
        try:
            if now - stale.stat().st_mtime > STALE_AFTER:
                shutil.rmtree(stale, ignore_errors=True)
        except OSError:
            pass
    tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=root))
    try:
        started = time.perf_counter()
        total = sum(settings.size(s) for s in SPLITS)
        with tqdm(total=total, desc=f"generating ellipsoid flows into {root}", unit="sample",
                  disable=None if progress is None else not progress) as bar:
            for split in SPLITS:
                np.savez(tmp / f"{split}.npz", **generate_split(settings, split, bar))
        meta = {"settings": settings.as_dict(), "seconds": round(time.perf_counter() - started, 3)}
        (tmp / META_FILE).write_text(json.dumps(meta, indent=1, sort_keys=True), encoding="utf-8")
        if target.exists() and not is_complete(target, settings):
            shutil.rmtree(target)  # not written by this code (renames are atomic): do not trust it
        try:
            os.rename(tmp, target)
        except OSError:
            if not is_complete(target, settings):  # another process finished first: that is fine
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target
