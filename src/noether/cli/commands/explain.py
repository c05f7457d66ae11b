"""``noether explain KIND|CLASS [--json]``: the reference of one kind or schema class, without building the site.

Fields with their types, defaults, constraints and docs; the rules across fields; aliases; which distribution
provides the kind; and an example to start from. Works for every registered kind, plugins' included, and for
the schema classes of ``noether.core.schemas`` by name. Reads schemas only: torch is never imported.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from typing import Any

#: Exit status when nothing is called ``NAME``.
EXIT_UNKNOWN = 2


def add_parser(subparsers: Any) -> None:
    """Register the ``explain`` subcommand."""
    p = subparsers.add_parser(
        "explain",
        help="show the fields, defaults, rules and an example of a kind or schema class",
        description="Explain NAME: a registered kind or alias (e.g. 'CheckpointCallback', "
        "'torch.optim.AdamW'), the last part of a dotted kind (e.g. 'LinearWarmupCosineDecaySchedule'), or a "
        "schema class by name or module path (e.g. 'ConfigSchema'). Lists each "
        "field with its type, default, constraints and doc, the rules across fields, the aliases, the "
        "distribution that provides it and an example config.",
    )
    p.add_argument("name", metavar="NAME", help="a kind, alias or schema class name")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the explanation of ``args.name`` (every match when several families use the name)."""
    found = explain(args.name)
    if not found:
        print(f"noether explain: nothing is called '{args.name}'{_close_hint(args.name)}", file=sys.stderr)
        return EXIT_UNKNOWN
    if args.json:
        print(json.dumps(found if len(found) > 1 else found[0], indent=2))
    else:
        print("\n\n".join(render(entry) for entry in found))
    return 0


def explain(name: str) -> list[dict[str, Any]]:
    """Descriptions (plain data) of every registered kind and schema class called ``name``."""
    from noether.core.registry import get_registry

    registry = get_registry()
    out: list[dict[str, Any]] = []
    seen: set[type] = set()
    for reg in registry.registrations():
        qualname = reg.config_path.replace(":", ".")
        # The kind, an alias, the config class (dotted or not), or a dotted kind's last part (its class name).
        if (name in (reg.kind, *reg.aliases) or qualname == name or qualname.rsplit(".", 1)[-1] == name
                or reg.kind.rsplit(".", 1)[-1] == name):
            try:
                cls = reg.config_class()
            except Exception as exc:  # a plugin's broken schema module: say so, keep the other matches
                out.append({"kind": reg.kind, "family": reg.family, "error": f"{type(exc).__name__}: {exc}"})
                continue
            if reg.kind != name and name not in reg.aliases and cls in seen:
                continue  # a class registered under many kinds (OptimizerConfig) is shown once by class name
            seen.add(cls)
            out.append(describe_class(cls, registration=reg))
    if not out:
        schema_class = _schema_class(name)
        if schema_class is not None:
            out.append(describe_class(schema_class))
    return out


def _schema_class(name: str) -> type | None:
    """The schema class ``name`` of ``noether.core.schemas`` (or a dotted ``module.Class`` path under noether)."""
    import importlib

    from noether.core.config.introspect import is_schema_class

    module_name, _, attr = name.rpartition(".")
    candidates = [("noether.core.schemas", name)]
    if module_name.startswith("noether.") or module_name == "noether":
        candidates.append((module_name, attr))
    for module_path, attribute in candidates:
        try:
            obj = getattr(importlib.import_module(module_path), attribute, None)
        except ImportError:
            continue
        if is_schema_class(obj):
            return obj
    return None


def _close_hint(name: str) -> str:
    from noether.core import schemas
    from noether.core.registry import get_registry

    registry = get_registry()
    names = {n for reg in registry.registrations() if reg.listed
             for n in (reg.kind, reg.kind.rsplit(".", 1)[-1], *reg.aliases)}
    names |= {n for n in getattr(schemas, "__all__", ()) if n[:1].isupper()}
    close = difflib.get_close_matches(name, sorted(names), n=3, cutoff=0.6)
    # A part of a longer name ('CosineDecay' of 'LinearWarmupCosineDecaySchedule') is no close match for difflib.
    if len(name) >= 4:  # a shorter part is in too many names to be a hint
        close += [n for n in sorted(names, key=len) if name.lower() in n.lower() and n not in close][:3 - len(close)]
    if close:
        return "; did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
    return "; `noether plugins --kinds` lists every kind"


def describe_class(cls: type, registration: Any = None) -> dict[str, Any]:
    """A schema class (and the registration that names it, if any) as plain data."""
    from noether.core.config.introspect import class_rules, docstring, fields_of

    fields = [
        {
            "name": f.name,
            "type": _plain(f.type_text),
            "required": f.required,
            "default": f.default_text,
            "constraints": [_plain(r) for r in f.rules],
            "doc": _plain(f.doc),
        }
        for f in fields_of(cls)
    ]
    entry: dict[str, Any] = {
        "config_class": f"{cls.__module__}.{cls.__qualname__}",
        "doc": _plain(docstring(cls)),
        "fields": fields,
        "rules": [_plain(r) for r in class_rules(cls)],
        "field_aliases": dict(getattr(cls, "__aliases__", {})),
    }
    if registration is not None:
        reg = registration
        entry = {
            "kind": reg.kind,
            "family": reg.family,
            "summary": _plain(reg.describe()),
            "aliases": list(reg.aliases),
            "implementation": None if reg.component is None else reg.component_path.replace(":", "."),
            "provided_by": {"distribution": reg.provider.distribution, "version": reg.provider.version,
                            "plugin": reg.provider.plugin},
            "has_check": reg.check is not None,
            **entry,
        }
    entry["example"] = validated_example(cls, registration) or example_yaml(entry)
    return entry


def validated_example(cls: type, registration: Any = None) -> str | None:
    """A minimal config that validates (the reference's example), as YAML; ``None`` when none is found."""
    from noether.core.config.dump import dump_yaml
    from noether.core.config.examples import ExampleError, ExampleMaker
    from noether.core.config.introspect import families

    maker = ExampleMaker(families())
    try:
        if registration is not None:
            data = maker.kind_example(registration, maker.families[registration.family])
        else:
            data = maker.class_example(cls)
    except (ExampleError, KeyError):
        return None
    return dump_yaml(data)


def _plain(text: str) -> str:
    """Markdown of the reference as terminal text (code spans unquoted)."""
    return text.replace("`", "")


def example_yaml(entry: dict[str, Any]) -> str:
    """A skeleton when no valid example can be made: the selecting key, every required field as a placeholder."""
    lines = []
    if "kind" in entry:
        key = "name" if entry.get("family") == "callback" else "kind"
        lines.append(f"{key}: {entry['kind']}")
    for field in entry["fields"]:
        if field["name"] in ("kind", "name") and lines:
            continue
        if field["required"]:
            lines.append(f"{field['name']}: ...  # required: {field['type']}")
    optional = [f for f in entry["fields"] if not f["required"] and f["name"] not in ("kind", "name")]
    for field in optional[:3]:  # a few defaults show the shape without repeating the whole table
        lines.append(f"# {field['name']}: {field['default']}")
    return "\n".join(lines) + "\n"


def render(entry: dict[str, Any]) -> str:
    """The text form of one :func:`describe_class` entry."""
    if "error" in entry:
        return f"{entry['kind']} ({entry['family']}): its config class cannot be imported: {entry['error']}"
    out: list[str] = []
    if "kind" in entry:
        out.append(f"{entry['kind']}  ({entry['family'].replace('_', '-')})")
        if entry["summary"]:
            out.append(f"  {entry['summary']}")
        provider = entry["provided_by"]
        out.append(f"  provided by: {provider['distribution']}=={provider['version']} "
                   f"(plugin {provider['plugin']})")
        out.append(f"  config class: {entry['config_class']}")
        if entry["implementation"]:
            out.append(f"  implementation: {entry['implementation']}")
        if entry["aliases"]:
            out.append(f"  aliases: {', '.join(entry['aliases'])}")
        if entry["has_check"]:
            out.append("  validation: this kind's registration carries its own check (run by noether check)")
    else:
        out.append(entry["config_class"])
    doc = entry["doc"]
    if entry.get("summary") and " ".join(doc.split()).startswith(entry["summary"]):
        doc = doc.partition("\n\n")[2]  # the summary line above already says it
    if doc:
        out.extend(["", *(f"  {line}" if line else "" for line in doc.splitlines())])
    out.extend(["", "fields:"])
    for field in entry["fields"]:
        default = "required" if field["required"] else f"default {field['default']}"
        out.append(f"  {field['name']}: {field['type']}  ({default})")
        for rule in field["constraints"]:
            prefix = "must be " if rule[:1] in "<>=!" else "in " if rule[:1] in "[(" else ""
            out.append(f"      {prefix}{rule}")
        if field["doc"]:
            out.append(f"      {' '.join(field['doc'].split())}")
    if entry["rules"]:
        out.extend(["", "rules across fields:", *(f"  - {rule}" for rule in entry["rules"])])
    out.extend(["", "example:", *(f"  {line}" for line in entry["example"].splitlines())])
    return "\n".join(out)
