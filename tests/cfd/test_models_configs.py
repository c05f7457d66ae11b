"""The CFD model configs: registered kinds, torch-free validation with paths, recipe sizes and their doc card."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from noether_cfd.models.schemas import MODEL_CONFIGS, AbUptConfig, CfdModelConfig

import noether
from noether.core.errors import ConfigError
from noether.core.registry import get_registry
from noether.core.schemas import AnyModelConfig

DOCS = Path(__file__).resolve().parents[2] / "docs" / "cfd" / "models.md"
KINDS = {f"noether_cfd.{suffix}": config for suffix, config in MODEL_CONFIGS.items()}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_model_kind_resolves_from_yaml_data(kind: str) -> None:
    config = noether.structure({"kind": kind, "name": "m", "hidden_dim": 24, "num_heads": 2}, AnyModelConfig)
    assert type(config) is KINDS[kind]
    registration = get_registry().resolve("model", kind)
    assert registration.config_class() is KINDS[kind]
    assert registration.component_class().__name__ == kind.split(".")[1]
    assert registration.provider.distribution == "noether-cfd"


def test_configs_validate_and_register_without_importing_torch() -> None:
    code = (
        "import sys, noether\n"
        "from noether.core.registry import get_registry\n"
        "from noether.core.schemas import AnyModelConfig\n"
        "get_registry()\n"
        "for kind in ('AbUpt', 'Upt', 'Transolver', 'TransolverPlusPlus', 'RopeTransformer'):\n"
        "    noether.structure({'kind': 'noether_cfd.' + kind, 'name': 'm'}, AnyModelConfig)\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr


def test_invalid_configs_report_every_problem_at_its_path() -> None:
    with pytest.raises(ConfigError) as info:
        noether.structure({"kind": "noether_cfd.AbUpt", "name": "m", "physics_blocks": ["geometry", "sideways"],
                           "num_heads": 5, "hidden_dim": 0}, AnyModelConfig)
    text = str(info.value)
    assert "physics_blocks[1]: must be one of 'geometry', 'self', 'cross', got 'sideways'" in text
    assert "hidden_dim" in text
    with pytest.raises(ConfigError, match="'cross' blocks need both branches"):
        AbUptConfig(name="m", volume_outputs={})
    with pytest.raises(ConfigError, match="num_heads: must divide hidden_dim=192, got 5"):
        noether.structure({"kind": "noether_cfd.Upt", "name": "m", "num_heads": 5}, AnyModelConfig)
    with pytest.raises(ConfigError, match="fields predicted on both point sets: p"):
        noether.structure({"kind": "noether_cfd.Transolver", "name": "m", "surface_outputs": {"p": 1},
                           "volume_outputs": {"p": 1}}, AnyModelConfig)
    with pytest.raises(ConfigError, match="predicts nothing"):
        noether.structure({"kind": "noether_cfd.RopeTransformer", "name": "m", "surface_outputs": {},
                           "volume_outputs": {}}, AnyModelConfig)


def documented_parameter_counts() -> dict[str, int]:
    """``{config class name: count}`` from the ``Parameters at the defaults: N`` line of each card."""
    counts: dict[str, int] = {}
    card: str | None = None
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^## .*\(`(\w+Config)`\)", line)
        if heading:
            card = heading.group(1)
        found = re.search(r"Parameters at the defaults: \*\*([\d,]+)\*\*", line)
        if found and card:
            counts[card] = int(found.group(1).replace(",", ""))
    return counts


def count_parameters(config: CfdModelConfig) -> int:
    return sum(p.numel() for p in get_registry().build("model", config).parameters())


def test_recipe_size_defaults_build_and_match_the_documented_parameter_counts() -> None:
    documented = documented_parameter_counts()
    assert set(documented) == {c.__name__ for c in MODEL_CONFIGS.values()}
    for config_class in MODEL_CONFIGS.values():
        assert count_parameters(config_class(name="m")) == documented[config_class.__name__], config_class


def test_small_sizes_are_small() -> None:
    for config_class in MODEL_CONFIGS.values():
        assert count_parameters(config_class.small()) < 100_000, config_class
