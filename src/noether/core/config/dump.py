"""Writing plain config data as YAML."""

from __future__ import annotations

import io
from typing import Any


def dump_yaml(data: Any) -> str:
    """Plain data as block-style YAML text (key order kept).

    Emitted by libyaml (``ruamel.yaml.clib``, a dependency) when it is importable, which is three times faster
    than the pure-Python emitter that ruamel falls back to without it; both write YAML that loads back to
    ``data`` (tested), they differ only in how they wrap long and multi-line strings.
    """
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=False)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()
