"""Parameter groups: which parameters get weight decay, and per-parameter learning-rate scales.

Pure bookkeeping over ``model.named_parameters()``; torch itself is not imported, so this also serves tools
that inspect a model built elsewhere.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

#: Keys a modifier must not set: they are the group's own bookkeeping.
RESERVED_KEYS = frozenset({"params", "name"})


class Modifier(Protocol):
    """What :func:`build_param_groups` needs from a param-group modifier."""

    name: str

    def get_properties(self, name: str, param: Any = None) -> dict[str, float] | None:
        """Properties for parameter ``name``, or ``None`` if the modifier does not apply to it."""
        ...


@dataclass
class ParamGroup:
    """Parameters that share the same properties (``lr_scale``, ``weight_decay``, ...)."""

    name: str
    properties: dict[str, float]
    param_names: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list, repr=False)

    @property
    def weight_decay_excluded(self) -> bool:
        """Whether the group's weight decay is pinned to 0 (bias / 1-D exclusion, or a modifier value 0)."""
        return self.properties.get("weight_decay") == 0.0

    def to_torch(self) -> dict[str, Any]:
        """The group as a torch ``param_groups`` entry."""
        return {"params": list(self.params), "name": self.name, **self.properties}


def short_float(value: float) -> str:
    """The shortest scientific form that reads back as ``value``: ``0.1 -> 1e-1``, ``0 -> 0``."""
    if value == 0:
        return "0"
    text = f"{value:e}"
    for digits in range(17):
        text = f"{value:.{digits}e}"
        if float(text) == value:
            break
    mantissa, exponent = text.split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def group_name(properties: dict[str, float]) -> str:
    """``default`` without properties, else ``key=value&key=value`` in key order."""
    if not properties:
        return "default"
    return "&".join(f"{key}={short_float(value)}" for key, value in sorted(properties.items()))


def _exclusion(name: str, param: Any, exclude_bias: bool, exclude_norm: bool) -> str | None:
    """Why the parameter is excluded from weight decay, or ``None``."""
    if exclude_bias and name.rsplit(".", 1)[-1] == "bias":
        return "bias"
    # Normalization weights and scales are 1-D; so are biases, handled above.
    if exclude_norm and param.ndim <= 1:
        return "1-D"
    return None


def parameter_properties(
    name: str,
    param: Any,
    *,
    exclude_bias: bool,
    exclude_norm: bool,
    modifiers: Sequence[Modifier],
    weight_decay_supported: bool,
    matched: list[bool],
) -> dict[str, float]:
    """The properties of one parameter: the weight-decay exclusion, then every modifier that names it."""
    props: dict[str, float] = {}
    set_by: dict[str, str] = {}
    if weight_decay_supported and _exclusion(name, param, exclude_bias, exclude_norm) is not None:
        props["weight_decay"] = 0.0
    for index, modifier in enumerate(modifiers):
        found = modifier.get_properties(name, param)
        if not found:
            continue
        matched[index] = True
        for key, value in found.items():
            if key in RESERVED_KEYS:
                raise ValueError(f"{modifier!r} may not set {key!r} of parameter {name!r}")
            if key == "weight_decay" and not weight_decay_supported:
                raise ValueError(f"{modifier!r}: the optimizer has no weight_decay to set for {name!r}")
            if key in set_by and key == "lr_scale":
                props[key] *= value  # several lr scales of one parameter compose
            elif key in set_by:
                raise ValueError(
                    f"{modifier!r}: {key!r} of parameter {name!r} is already set by {set_by[key]}"
                )
            else:
                # A weight-decay modifier deliberately overrides the bias / 1-D exclusion.
                props[key] = float(value)
            set_by[key] = repr(modifier)
    return props


def _unmatched_error(modifier: Modifier, names: list[str]) -> ValueError:
    close = difflib.get_close_matches(modifier.name, names, n=5, cutoff=0.5)
    if close:
        hint = "close names: " + ", ".join(close)
    else:
        hint = "parameter names start with: " + ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
    return ValueError(f"{modifier!r} names no parameter of the model; {hint}")


def build_param_groups(
    named_parameters: Iterable[tuple[str, Any]],
    *,
    exclude_bias_from_weight_decay: bool = True,
    exclude_normalization_params_from_weight_decay: bool = True,
    modifiers: Sequence[Modifier] = (),
    weight_decay_supported: bool = True,
) -> list[ParamGroup]:
    """Group parameters by their properties, in order of first appearance.

    Biases and (with the flag) every parameter with ``ndim <= 1`` get ``weight_decay = 0``; each modifier
    then sets properties of the parameter it names: lr scales multiply, a weight-decay modifier overrides the
    exclusion. A modifier that names no parameter is an error listing close names. Frozen parameters are
    grouped like any other (the optimizer skips parameters without gradients).
    """
    named = list(named_parameters)
    matched = [False] * len(modifiers)
    groups: dict[tuple[tuple[str, float], ...], ParamGroup] = {}
    for name, param in named:
        props = parameter_properties(
            name,
            param,
            exclude_bias=exclude_bias_from_weight_decay,
            exclude_norm=exclude_normalization_params_from_weight_decay,
            modifiers=modifiers,
            weight_decay_supported=weight_decay_supported,
            matched=matched,
        )
        key = tuple(sorted(props.items()))
        group = groups.get(key)
        if group is None:
            group = groups[key] = ParamGroup(group_name(props), props)
        group.param_names.append(name)
        group.params.append(param)
    for modifier, hit in zip(modifiers, matched, strict=True):
        if not hit:
            raise _unmatched_error(modifier, [n for n, _ in named])
    return list(groups.values())
