"""The static table of optimizer arguments matches the real constructors; checks need no torch."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys

import pytest

from noether.core.optimizer.kinds import TORCH_OPTIMIZERS
from noether.core.optimizer.signatures import TORCH_OPTIMIZER_ARGS, check_optimizer_args, configured_arg_names


def live_arguments(kind: str) -> frozenset[str]:
    module, _, name = kind.rpartition(".")
    cls = getattr(importlib.import_module(module), name)
    params = inspect.signature(cls).parameters
    assert not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    return frozenset(n for n in params if n not in ("self", "params"))


def test_table_covers_every_registered_optimizer() -> None:
    expected = {f"torch.optim.{n}" for n in TORCH_OPTIMIZERS} | {"noether.core.optimizer.Lion"}
    assert set(TORCH_OPTIMIZER_ARGS) == expected


@pytest.mark.parametrize("kind", sorted(TORCH_OPTIMIZER_ARGS))
def test_table_matches_constructor_signature(kind: str) -> None:
    assert TORCH_OPTIMIZER_ARGS[kind] == live_arguments(kind), (
        f"{kind}: update TORCH_OPTIMIZER_ARGS in noether/core/optimizer/signatures.py for this torch version"
    )


def test_unknown_names_are_reported_with_suggestions() -> None:
    assert check_optimizer_args("torch.optim.SGD", ["lr", "momentum", "nesterov"]) == []
    [message] = check_optimizer_args("torch.optim.AdamW", ["lr", "beta"])
    assert "no argument 'beta'" in message
    assert "did you mean 'betas'" in message
    assert "accepted: amsgrad, betas" in message
    [message] = check_optimizer_args("torch.optim.SGD", ["betas"])
    assert "did you mean" not in message


def test_unknown_kind_is_not_checked() -> None:
    assert check_optimizer_args("my_pkg.MyOptimizer", ["anything"]) == []


def test_zero_weight_decay_is_not_an_argument() -> None:
    names = configured_arg_names(0.0, 0.1, ["max_iter"])
    assert names == ["lr", "max_iter"]
    assert check_optimizer_args("torch.optim.LBFGS", names) == []
    assert check_optimizer_args("torch.optim.LBFGS", configured_arg_names(0.1, None, [])) != []


def test_optimizer_package_and_signatures_do_not_import_torch() -> None:
    code = (
        "import sys, noether.core.optimizer as o; from noether.core.optimizer import check_optimizer_args;"
        "import noether.core.optimizer.param_group_modifiers, noether.core.optimizer.param_groups;"
        "check_optimizer_args('torch.optim.AdamW', ['lr']);"
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
