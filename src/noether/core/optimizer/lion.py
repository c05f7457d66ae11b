"""Lion (EvoLved Sign Momentum), with the optional "cautious" mask.

Update per parameter ``p`` with gradient ``g`` and momentum ``m`` (zero at the start):
``p <- p * (1 - lr * wd)``; ``u = sign(b1 * m + (1 - b1) * g)``; with ``caution`` the components of ``u``
whose sign disagrees with ``g`` are zeroed and the rest rescaled by ``1 / max(mean(mask), 1e-3)``;
``p <- p - lr * u``; ``m <- b2 * m + (1 - b2) * g``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor
from torch.optim.optimizer import Optimizer, ParamsT


class Lion(Optimizer):
    """The Lion optimizer (Chen et al., 2023, "Symbolic Discovery of Optimization Algorithms")."""

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-4,
        betas: tuple[float, float] = (0.9, 0.99),
        weight_decay: float = 0.0,
        caution: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
    ) -> None:
        if not lr >= 0.0:
            raise ValueError(f"Lion: lr must be >= 0, got {lr}")
        if len(betas) != 2 or not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"Lion: betas must be two values in [0, 1), got {betas}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Lion: weight_decay must be >= 0, got {weight_decay}")
        defaults: dict[str, Any] = {
            "lr": lr,
            "betas": tuple(betas),
            "weight_decay": weight_decay,
            "caution": caution,
            "maximize": maximize,
            "foreach": foreach,
        }
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore a pickled optimizer; fills in options that older states lack."""
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("caution", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        """One Lion update of every parameter that has a gradient; returns the closure's loss if given."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params, grads, moms = self._collect(group)
            if not params:
                continue
            foreach = group["foreach"]
            if foreach is None:
                # Like torch's own optimizers: the fused list kernels pay off on accelerators.
                foreach = all(p.device.type != "cpu" for p in params)
            update = _foreach_lion if foreach else _single_tensor_lion
            beta1, beta2 = group["betas"]
            update(
                params,
                grads,
                moms,
                lr=float(group["lr"]),
                beta1=beta1,
                beta2=beta2,
                weight_decay=group["weight_decay"],
                caution=group["caution"],
                maximize=group["maximize"],
            )
        return loss

    def _collect(self, group: dict[str, Any]) -> tuple[list[Tensor], list[Tensor], list[Tensor]]:
        """Parameters with gradients, their gradients and momenta, complex ones viewed as real."""
        params: list[torch.Tensor] = []
        grads: list[torch.Tensor] = []
        moms: list[torch.Tensor] = []
        for p in group["params"]:
            if p.grad is None:
                continue
            if p.grad.is_sparse:
                raise RuntimeError("Lion does not support sparse gradients")
            state = self.state[p]
            if len(state) == 0:
                state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            param, grad, mom = p, p.grad, state["exp_avg"]
            if torch.is_complex(param):
                param, grad, mom = (torch.view_as_real(t) for t in (param, grad, mom))
            params.append(param)
            grads.append(grad)
            moms.append(mom)
        return params, grads, moms


def _cautious(update: torch.Tensor, grad: torch.Tensor) -> None:
    """Zero the components of ``update`` that disagree with ``grad`` and rescale the rest (in place)."""
    mask = (update * grad > 0).to(grad.dtype)
    mask.div_(mask.mean().clamp_(min=1e-3))
    update.mul_(mask)


def _single_tensor_lion(
    params: list[torch.Tensor],
    grads: list[torch.Tensor],
    moms: list[torch.Tensor],
    *,
    lr: float,
    beta1: float,
    beta2: float,
    weight_decay: float,
    caution: bool,
    maximize: bool,
) -> None:
    for param, grad, mom in zip(params, grads, moms, strict=True):
        if maximize:
            grad = -grad
        if weight_decay != 0.0:
            param.mul_(1.0 - lr * weight_decay)
        update = mom.mul(beta1).add_(grad, alpha=1.0 - beta1).sign_()
        if caution:
            _cautious(update, grad)
        param.add_(update, alpha=-lr)
        mom.mul_(beta2).add_(grad, alpha=1.0 - beta2)


def _foreach_lion(
    params: list[torch.Tensor],
    grads: list[torch.Tensor],
    moms: list[torch.Tensor],
    *,
    lr: float,
    beta1: float,
    beta2: float,
    weight_decay: float,
    caution: bool,
    maximize: bool,
) -> None:
    # The list kernels need one device and dtype per call, so bucket first; the arithmetic is the same
    # sequence of operations as the single-tensor path, so both give identical results.
    buckets: dict[tuple[torch.device, torch.dtype], list[int]] = {}
    for index, param in enumerate(params):
        buckets.setdefault((param.device, param.dtype), []).append(index)
    for indices in buckets.values():
        ps = [params[i] for i in indices]
        gs = [grads[i] for i in indices]
        ms = [moms[i] for i in indices]
        if maximize:
            gs = list(torch._foreach_neg(gs))
        if weight_decay != 0.0:
            torch._foreach_mul_(ps, 1.0 - lr * weight_decay)
        updates = list(torch._foreach_mul(ms, beta1))
        torch._foreach_add_(updates, gs, alpha=1.0 - beta1)
        torch._foreach_sign_(updates)
        if caution:
            for update, grad in zip(updates, gs, strict=True):
                _cautious(update, grad)
        torch._foreach_add_(ps, updates, alpha=-lr)
        torch._foreach_mul_(ms, beta2)
        torch._foreach_add_(ms, gs, alpha=1.0 - beta2)
