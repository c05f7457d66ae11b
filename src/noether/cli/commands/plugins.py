"""``noether plugins [--kinds] [--json]``: the installed plugins, their versions, kinds, and broken ones."""

from __future__ import annotations

import argparse
import json
from typing import Any


def add_parser(subparsers: Any) -> None:
    """Register the ``plugins`` subcommand."""
    p = subparsers.add_parser(
        "plugins",
        help="list plugins, their versions and kinds, and broken plugins",
        description="List the built-in and installed plugins (entry-point group 'noether.plugins') with their "
        "distribution, version and number of kinds; plugins that failed to load (and why: an import error, a "
        "misspelled hook name, a hook without @noether.hookimpl) and disabled ones. `noether explain KIND` "
        "shows one kind in full.",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output (every kind included)")
    p.add_argument("--kinds", action="store_true", help="also list every kind with its summary and aliases")
    p.set_defaults(handler=run)


def collect() -> dict[str, Any]:
    """Plugins, kinds and broken plugins as plain data."""
    from noether.core.registry import get_registry

    registry = get_registry()
    registry.ensure_loaded()
    shown = {(reg.family, reg.kind): reg for reg in registry.registrations() if reg.listed}
    return {
        "plugins": [
            {
                "name": p.name,
                "distribution": p.distribution,
                "version": p.version,
                "builtin": p.builtin,
                "kinds": [
                    {"family": fam, "kind": kind, "summary": shown[fam, kind].describe(),
                     "aliases": list(shown[fam, kind].aliases)}
                    for fam, kind in p.kinds if (fam, kind) in shown
                ],
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
                aliases = f"  (also: {', '.join(kind['aliases'])})" if kind["aliases"] else ""
                print(f"    {kind['family']:<22} {kind['kind']}{aliases}")
                if kind["summary"]:
                    print(f"    {'':<22}   {kind['summary']}")
    for broken in info["broken"]:
        print(f"{broken['name']}  {broken['distribution']}=={broken['version']}  BROKEN: {broken['error']}")
    for name in info["disabled"]:
        print(f"{name}  DISABLED")
    return 0
