"""Data configs: torch-free imports, registrations, validation from YAML."""

from __future__ import annotations

import subprocess
import sys

import pytest

import noether
from noether.core.errors import ConfigError
from noether.core.registry import get_registry
from noether.core.schemas import DatasetBaseConfig
from noether.data.airfoil.schemas import AirfoilDatasetConfig, AirfoilMLPConfig, AirfoilTransformerConfig
from noether.data.schemas import FolderDatasetConfig, PipelineConfig, PointSamplingConfig


def test_schema_and_cli_modules_do_not_import_torch() -> None:
    code = (
        "import sys\n"
        "import noether.data.schemas, noether.data.airfoil.schemas, noether.cli.commands.stats\n"
        "from noether.core.registry import get_registry\n"
        "r = get_registry(); r.ensure_loaded(); assert not r.broken, r.broken\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("family, kind, alias", [
    ("dataset", "noether.data.FolderDataset", "FolderDataset"),
    ("dataset", "noether.data.airfoil.AirfoilDataset", "AirfoilDataset"),
    ("pipeline", "noether.data.Pipeline", "Pipeline"),
    ("pipeline", "noether.data.PointSampling", "PointSampling"),
    ("pipeline", "noether.data.ConcatCollator", "ConcatCollator"),
    ("model", "noether.data.airfoil.AirfoilTransformer", "AirfoilTransformer"),
    ("model", "noether.data.airfoil.AirfoilMLP", "AirfoilMLP"),
    ("wrapper", "noether.data.base.wrappers.SubsetWrapper", None),
    ("normalizer", "noether.data.preprocessors.normalizers.PositionNormalizer", None),
])
def test_kinds_are_registered_and_importable(family: str, kind: str, alias: str | None) -> None:
    registry = get_registry()
    registration = registry.resolve(family, kind)
    assert registration.component_class() is not None
    if alias is not None:
        assert registry.resolve(family, alias) is registration


def test_dataset_configs_structure_by_kind() -> None:
    configs = noether.structure({
        "a": {"kind": "AirfoilDataset", "split": "val", "train_size": 4},
        "f": {"kind": "noether.data.FolderDataset", "root": "data", "split": "train", "format": "npz"},
    }, dict[str, noether.core.schemas.AnyDatasetConfig])
    assert isinstance(configs["a"], AirfoilDatasetConfig) and configs["a"].root == "~/.cache/noether/airfoil"
    assert isinstance(configs["f"], FolderDatasetConfig)


def test_dataset_config_errors_have_paths() -> None:
    with pytest.raises(ConfigError) as info:
        noether.structure({"kind": "AirfoilDataset", "split": "training", "num_surface_points": 2},
                          DatasetBaseConfig)
    paths = sorted(issue.dotted_path for issue in info.value.issues)
    assert paths == ["num_surface_points", "split"]


def test_pipeline_config_nests_steps_by_kind() -> None:
    config = noether.structure({"kind": "Pipeline", "sample_processors": [
        {"kind": "PointSampling", "items": ["x"], "num_points": 8}]}, PipelineConfig)
    assert isinstance(config.sample_processors[0], PointSamplingConfig)
    assert noether.structure(noether.unstructure(config), PipelineConfig) == config


def test_model_configs_validate() -> None:
    with pytest.raises(ConfigError, match="outputs predicted by two point sets: p"):
        noether.structure({"kind": "AirfoilTransformer", "name": "m", "point_sets": [
            {"position": "a", "outputs": {"p": 1}}, {"position": "b", "outputs": {"p": 2}}]},
            AirfoilTransformerConfig)
    with pytest.raises(ConfigError, match="must not be empty"):
        noether.structure({"kind": "AirfoilMLP", "name": "m", "point_sets": []}, AirfoilMLPConfig)
