"""``noether plugins [--json]``: the installed plugins, their versions, kinds, and broken ones."""

from __future__ import annotations

import argparse
import json
from typing import Any


def add_parser(subparsers: Any) -> None:
    """Register the ``plugins`` subcommand."""
    p = subparsers.add_parser("plugins", help="list plugins, their versions and kinds, and broken plugins")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--kinds", action="store_true", help="also list every kind of every plugin")
    p.set_defaults(handler=run)


def collect() -> dict[str, Any]:
    """Plugins, kinds and broken plugins as plain data."""
    from noether.core.registry import get_registry

    registry = get_registry()
    registry.ensure_loaded()
    return {
        "plugins": [
            {
                "name": p.name,
                "distribution": p.distribution,
                "version": p.version,
                "builtin": p.builtin,
                "kinds": [{"family": fam, "kind": kind} for fam, kind in p.kinds],
            }
            for p in registry.plugins
        ],
        "broken": [
            {"name": b.name, "distribution": b.distribution, "version": b.version, "error": b.error}
            for b in registry.broken
        ],
        "disabled": list(registry.disabled),
    }


def run(args: argparse.Namespace) -> int:
    """Print the plugin list."""
    info = collect()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    for plugin in info["plugins"]:
        origin = "built in" if plugin["builtin"] else "plugin"
        print(f"{plugin['name']}  {plugin['distribution']}=={plugin['version']}  ({origin}, "
              f"{len(plugin['kinds'])} kinds)")
        if args.kinds:
            for kind in plugin["kinds"]:
                print(f"    {kind['family']:<22} {kind['kind']}")
    for broken in info["broken"]:
        print(f"{broken['name']}  {broken['distribution']}=={broken['version']}  BROKEN: {broken['error']}")
    for name in info["disabled"]:
        print(f"{name}  DISABLED")
    return 0
