"""Registered config classes named by "module:Class" match the kinds they are registered under."""

from __future__ import annotations

import attrs

from noether.core.registry import get_registry


def test_every_registration_names_its_own_kind() -> None:
    for reg in get_registry().registrations():
        if reg.provider.distribution != "noether":
            continue
        cls = reg.config_class()
        field = attrs.fields_dict(cls).get("kind")
        default = field.default if field is not None else None
        if reg.family == "callback":
            name = attrs.fields_dict(cls)["name"].default
            assert name == reg.kind, (reg.kind, name)
        elif reg.family not in ("optimizer", "param_group_modifier") and isinstance(default, str):
            assert default == reg.kind, (reg.family, reg.kind, default)
