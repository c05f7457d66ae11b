"""``dump_yaml`` writes YAML that loads back to the same data, with libyaml's emitter and without it."""

from __future__ import annotations

import io
import math
from typing import Any

import pytest
from ruamel.yaml import YAML

from noether.core.config.dump import dump_yaml

CASES: list[dict[str, Any]] = [
    {"nan": float("nan"), "inf": float("inf"), "ninf": -float("inf"), "small": 1e-6, "big": 1e20, "f": 0.1},
    {"yes": "yes", "null": "null", "float": "1.0", "colon": "a: b", "unicode": "ünïcödé ✓", "lines": "a\nb",
     "long": "x" * 200, "lead": " lead", "hash": "#c", "empty": "", "tab": "a\tb", "quote": "it's \"q\""},
    {"list": [], "map": {}, "none": None, "nested": [1, [2, [3]], {"k": [{}]}], "bool": True, "int": 2**70},
    {"words": " ".join(["word"] * 60), "k e y": 1, "": 2, "1": 3, "order": {"z": 1, "a": 2, "m": 3}},
]


def same(a: Any, b: Any) -> bool:
    """Equality that counts NaN equal to NaN."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def pure_dump(data: Any) -> str:
    """The pure-Python emitter that ruamel uses when libyaml is missing."""
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()


@pytest.mark.parametrize("data", CASES)
def test_dump_loads_back_with_either_emitter(data: dict[str, Any]) -> None:
    for text in (dump_yaml(data), pure_dump(data)):
        assert same(YAML(typ="safe", pure=True).load(text), data), text
        assert "{" not in text.replace("{}", "")  # block style, flow only for empty mappings
