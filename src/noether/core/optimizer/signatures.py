"""The keyword arguments each built-in optimizer accepts, as a static table (no torch import).

``noether check`` uses this to reject a misspelled optimizer argument without importing torch. The table is
written for torch 2.13 (the project's upper pin); ``tests/optimizer/test_signatures.py`` compares it with the
real constructors so that it cannot drift.
"""

from __future__ import annotations

from collections.abc import Iterable

_COMMON_ADAM = ("lr", "betas", "eps", "weight_decay", "foreach", "maximize", "capturable", "differentiable")

#: Accepted constructor keywords (``params`` excluded) per optimizer kind.
TORCH_OPTIMIZER_ARGS: dict[str, frozenset[str]] = {
    "torch.optim.ASGD": frozenset(
        {"lr", "lambd", "alpha", "t0", "weight_decay", "foreach", "maximize", "differentiable", "capturable"}
    ),
    "torch.optim.Adadelta": frozenset(
        {"lr", "rho", "eps", "weight_decay", "foreach", "capturable", "maximize", "differentiable"}
    ),
    "torch.optim.Adafactor": frozenset(
        {"lr", "beta2_decay", "eps", "d", "weight_decay", "foreach", "maximize"}
    ),
    "torch.optim.Adagrad": frozenset(
        {"lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps", "foreach", "maximize",
         "differentiable", "fused"}
    ),
    "torch.optim.Adam": frozenset({*_COMMON_ADAM, "amsgrad", "fused", "decoupled_weight_decay"}),
    "torch.optim.AdamW": frozenset({*_COMMON_ADAM, "amsgrad", "fused"}),
    "torch.optim.Adamax": frozenset(_COMMON_ADAM),
    "torch.optim.LBFGS": frozenset(
        {"lr", "max_iter", "max_eval", "tolerance_grad", "tolerance_change", "history_size", "line_search_fn"}
    ),
    "torch.optim.NAdam": frozenset({*_COMMON_ADAM, "momentum_decay", "decoupled_weight_decay"}),
    "torch.optim.RAdam": frozenset({*_COMMON_ADAM, "decoupled_weight_decay"}),
    "torch.optim.RMSprop": frozenset(
        {"lr", "alpha", "eps", "weight_decay", "momentum", "centered", "capturable", "foreach", "maximize",
         "differentiable"}
    ),
    "torch.optim.Rprop": frozenset(
        {"lr", "etas", "step_sizes", "capturable", "foreach", "maximize", "differentiable"}
    ),
    "torch.optim.SGD": frozenset(
        {"lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize", "foreach", "differentiable",
         "fused"}
    ),
    "torch.optim.SparseAdam": frozenset({"lr", "betas", "eps", "maximize"}),
    "noether.core.optimizer.Lion": frozenset(
        {"lr", "betas", "weight_decay", "caution", "maximize", "foreach"}
    ),
}


def unknown_arg_message(kind: str, name: str, accepted: Iterable[str]) -> str:
    """The error for one argument ``kind`` does not take: close matches first, then every accepted name."""
    import difflib  # only when a suggestion is made: slow to import
    accepted = sorted(accepted)
    close = difflib.get_close_matches(name, accepted, n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return f"{kind} has no argument {name!r}{hint} (accepted: {', '.join(accepted)})"


def check_optimizer_args(kind: str, names: Iterable[str]) -> list[str]:
    """Error messages for the names in ``names`` that optimizer ``kind`` does not accept.

    Returns an empty list for a kind that is not in :data:`TORCH_OPTIMIZER_ARGS` (a user's own optimizer class
    can only be checked by importing it, which the optimizer wrapper does when the run starts). A
    ``weight_decay`` for an optimizer without one is reported too; leave it out of ``names`` when it is the
    default 0.0, which the wrapper drops.
    """
    accepted = TORCH_OPTIMIZER_ARGS.get(kind)
    if accepted is None:
        return []
    return [unknown_arg_message(kind, name, accepted) for name in names if name not in accepted]


def configured_arg_names(weight_decay: float, lr: float | None, extra_args: Iterable[str]) -> list[str]:
    """The constructor arguments an OptimizerConfig passes, in the form :func:`check_optimizer_args` takes.

    ``weight_decay`` is listed only when it is not 0.0, because the wrapper drops a zero weight decay for
    optimizers without one (LBFGS, Rprop, SparseAdam) instead of failing.
    """
    names = [] if weight_decay == 0.0 else ["weight_decay"]
    if lr is not None:
        names.append("lr")
    names.extend(extra_args)
    return names
