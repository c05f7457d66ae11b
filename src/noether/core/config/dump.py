"""Writing plain config data as YAML."""

from __future__ import annotations

import io
from typing import Any


def dump_yaml(data: Any) -> str:
    """Plain data as block-style YAML text (key order kept)."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()
