"""``noether predict``: check every input, predict every geometry in memory, then write all outputs at once.

Nothing is written before every input has been checked and every prediction made; the outputs are written
into a staging folder inside ``--out`` and moved to their final names at the end, so an error leaves no
partial output files.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from noether_cfd.predict.errors import PredictError

#: Geometry formats (surface meshes).
GEOMETRY_SUFFIXES = (".stl", ".vtp", ".vtk")
VOLUME_SUFFIXES = (".vtu", ".vtk")
COEFFICIENTS_JSON = "coefficients.json"
COEFFICIENTS_CSV = "coefficients.csv"


def read_geometries(paths: list[Path]) -> list[Any]:
    """Read every geometry (errors name the file); the meshes are oriented outward."""
    from noether_cfd.data.mesh import MeshError, read_mesh

    meshes = []
    stems: dict[str, Path] = {}
    for path in paths:
        if path.suffix.lower() not in GEOMETRY_SUFFIXES:
            raise PredictError(f"{path}: unsupported geometry format '{path.suffix}'; use one of "
                               f"{', '.join(GEOMETRY_SUFFIXES)}")
        if not path.is_file():
            raise PredictError(f"{path}: no such geometry file")
        if path.stem in stems:
            raise PredictError(f"{path} and {stems[path.stem]} would both write {path.stem}.vtp; rename one")
        stems[path.stem] = path
        try:
            meshes.append(read_mesh(path, require_faces=True).oriented_outward())
        except MeshError as exc:
            raise PredictError(str(exc)) from None
    return meshes


def read_volume(path: Path | None) -> np.ndarray | None:
    """Points of the volume mesh (cell centres when it has cells), or ``None``."""
    if path is None:
        return None
    from noether_cfd.data.mesh import MeshError, read_mesh

    if path.suffix.lower() not in VOLUME_SUFFIXES:
        raise PredictError(f"{path}: unsupported volume format '{path.suffix}'; use .vtu or .vtk")
    try:
        mesh = read_mesh(path)
    except MeshError as exc:
        raise PredictError(str(exc)) from None
    points = mesh.cell_centers if len(mesh.cell_centers) else mesh.points
    return np.asarray(points, dtype=np.float64)


def check_conditions(model: Any, conditions: np.ndarray | None) -> np.ndarray | None:
    """The conditions the model needs (an error when they are missing or of the wrong length)."""
    from noether_cfd.predict.inputs import needs_conditions

    wanted = needs_conditions(model)
    if wanted and conditions is None:
        raise PredictError(f"missing conditions: the model reads {wanted} per-sample conditions (as in its training "
                           f"data); pass them with --set conditions=v1,...,v{wanted}")
    if wanted and conditions is not None and len(conditions) != wanted:
        raise PredictError(f"--set conditions: the model reads {wanted} conditions, got {len(conditions)}")
    if not wanted and conditions is not None:
        raise PredictError("--set conditions: this model reads no conditions; leave them out")
    return conditions


def coefficient_reference(config: Any) -> Any:
    """The reference quantities of the run's CfdMetricsCallback, else the defaults."""
    from noether_cfd.metrics.forces import Reference

    for callback in getattr(config.trainer, "callbacks", None) or []:
        ref = getattr(callback, "reference", None)
        if getattr(callback, "name", None) == "CfdMetricsCallback" and ref is not None:
            return Reference(area=ref.area, length=ref.length, velocity=ref.velocity, density=ref.density,
                             moment_center=tuple(ref.moment_center))
    return Reference()


def predict_one(run: Any, mesh: Any, name: str, volume: np.ndarray | None, conditions: np.ndarray | None,
                reference: Any, chunk_size: int, device: Any) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Physical fields on the mesh points and the coefficients of one geometry."""
    import torch

    from noether_cfd import batch as keys
    from noether_cfd.metrics.forces import force_coefficients
    from noether_cfd.predict.inputs import GeometryInput, build_batch, predict_fields

    geometry = GeometryInput(name, mesh.points, mesh.point_normals(), mesh.point_areas(), volume)
    batch, surface_anchors, _ = build_batch(run, geometry, conditions, device)
    output = predict_fields(run, batch, chunk_size)
    n = len(mesh.points)
    fields: dict[str, np.ndarray] = {}
    for key, value in output.items():
        if not key.startswith("surface_"):
            continue  # volume fields were context only: there is no volume mesh to write them onto
        physical = run.denormalize(key, value.float().cpu())[0, surface_anchors:surface_anchors + n]
        fields[key] = physical.double().numpy()
    coefficients: dict[str, float] = {}
    if keys.SURFACE_PRESSURE in fields:
        def t(values: np.ndarray) -> torch.Tensor:
            return torch.from_numpy(np.asarray(values, dtype=np.float64))[None]

        shear = fields.get(keys.SURFACE_WALLSHEAR)
        result = force_coefficients(t(fields[keys.SURFACE_PRESSURE][:, 0]), t(geometry.normal), t(geometry.area),
                                    t(geometry.position), reference, wallshear=None if shear is None else t(shear))
        coefficients = {k: float(v[0]) for k, v in result.items()}
    return fields, coefficients


def write_outputs(out: Path, meshes: list[Any], names: list[str], fields: list[dict[str, np.ndarray]],
                  rows: list[dict[str, Any]]) -> list[Path]:
    """Write every file into a staging folder in ``out``, then move them to their final names."""
    from noether_cfd.data.mesh import write_mesh

    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".predict-", dir=out))
    try:
        written = []
        for mesh, name, data in zip(meshes, names, fields, strict=True):
            write_mesh(staging / f"{name}.vtp", mesh, point_data={k: v.astype(np.float32) for k, v in data.items()})
            written.append(f"{name}.vtp")
        (staging / COEFFICIENTS_JSON).write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
        columns = list(dict.fromkeys(k for row in rows for k in row))
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
        (staging / COEFFICIENTS_CSV).write_text(buffer.getvalue(), encoding="utf-8")
        written += [COEFFICIENTS_JSON, COEFFICIENTS_CSV]
        for file in written:
            os.replace(staging / file, out / file)
        return [out / file for file in written]
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def main(args: argparse.Namespace) -> int:
    """Run ``noether predict``; user errors print one message and return 2 with nothing written."""
    try:
        return _predict(args)
    except PredictError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _predict(args: argparse.Namespace) -> int:
    from noether_cfd.predict.settings import parse_settings
    from noether_cfd.predict.trained import check_run_dir

    settings = parse_settings(args.settings)
    if args.chunk_size <= 0:
        raise PredictError(f"--chunk-size must be positive, got {args.chunk_size}")
    if args.out.exists() and not args.out.is_dir():
        raise PredictError(f"--out {args.out}: exists and is not a folder")
    record = check_run_dir(args.run_dir)
    meshes = read_geometries(list(args.geometry))
    volume = read_volume(args.volume)

    import torch

    from noether_cfd.predict.trained import load_run

    try:
        device = torch.device(args.device)
    except RuntimeError as exc:
        raise PredictError(f"--device {args.device}: {exc}") from None
    run = load_run(args.run_dir, args.checkpoint, record, device)
    conditions = check_conditions(run.model, settings.conditions)
    reference = settings.reference_over(coefficient_reference(run.config))
    names = [path.stem for path in args.geometry]
    fields, rows = [], []
    for mesh, name in zip(meshes, names, strict=True):
        values, coefficients = predict_one(run, mesh, name, volume, conditions, reference, args.chunk_size, device)
        fields.append(values)
        rows.append({"geometry": name, "points": len(mesh.points), **coefficients})
    written = write_outputs(args.out, meshes, names, fields, rows)
    for path in written:
        print(f"wrote {path}", file=sys.stderr)
    print(f"predicted {len(meshes)} geometr{'y' if len(meshes) == 1 else 'ies'} with checkpoint '{run.tag}' of "
          f"{args.run_dir}", file=sys.stderr)
    return 0
