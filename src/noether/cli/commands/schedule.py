"""``noether schedule CFG [OVERRIDES...] [--out lr.png]``: the lr and weight-decay curves of a run.

Draws (or, without ``--out``, tabulates) the learning rate and weight decay that every optimizer of the config
will use at each update of the whole run, so a warm-up or a mistake shows before a GPU day is spent.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from noether.cli.reporting import EXIT_USAGE

if TYPE_CHECKING:
    from noether.core.optimizer.curves import OptimizerCurves


def add_parser(subparsers: Any) -> None:
    """Register the ``schedule`` subcommand."""
    p = subparsers.add_parser(
        "schedule",
        help="show the learning-rate and weight-decay curves a config produces",
        description="Evaluate the lr and weight-decay schedules of every optimizer in CFG over the run's "
        "updates. With --out, draw them (epochs marked); otherwise print a compact table.",
    )
    p.add_argument("config", help="path to the YAML config")
    p.add_argument("overrides", nargs="*", help="dotted overrides, e.g. trainer.max_epochs=5")
    p.add_argument("--out", type=Path, default=None, help="write a plot to this file (png, pdf, svg, ...)")
    p.add_argument("--rows", type=int, default=12, help="approximate number of table rows (default 12)")
    p.set_defaults(handler=run)


def optimizer_configs(model: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(model name, OptimizerConfig)`` of a model and, for composite models, of every submodel."""
    name = prefix + str(getattr(model, "name", "model"))
    if getattr(model, "optimizer_config", None) is not None:
        yield name, model.optimizer_config
    for sub in (getattr(model, "models", None) or {}).values():
        yield from optimizer_configs(sub, prefix=name + ".")


def run(args: argparse.Namespace) -> int:
    """Load the config, evaluate the schedules, and print or draw them."""
    from noether.cli.collector import imports_paused
    from noether.core.config.loader import load_config

    with imports_paused(args):
        from noether.core.optimizer.curves import optimizer_curves
        from noether.training.length import run_length

    config = load_config(args.config, args.overrides)
    total_updates, updates_per_epoch = run_length(config)
    optimizers = list(optimizer_configs(config.model))
    if not optimizers:
        print("error: the config has no optimizer_config, so there is no schedule to show", file=sys.stderr)
        return EXIT_USAGE
    try:
        curves = [optimizer_curves(name, cfg, total_updates, updates_per_epoch) for name, cfg in optimizers]
    except ValueError as exc:
        # A schedule that cannot be built is a config mistake: report it like one, without a traceback.
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.out is not None:
        draw(curves, total_updates, updates_per_epoch, args.out)
        print(f"wrote {args.out}")
        return 0
    print(render_table(curves, total_updates, updates_per_epoch, rows=max(2, args.rows)), end="")
    return 0


# -- table ---------------------------------------------------------------------------------------------------
def table_updates(curves: OptimizerCurves, updates_per_epoch: int, rows: int) -> list[int]:
    """About ``rows`` updates worth printing: first, last, the lr peak, epoch starts or even spacing."""
    updates = curves.updates
    if not updates:
        return []
    picked = {updates[0], updates[-1]}
    known = [(v, u) for u, v in zip(updates, curves.lr, strict=True) if v is not None]
    if known:
        picked.add(max(known)[1])  # the end of a warm-up is what people look for first
    last = updates[-1]
    epochs = last // updates_per_epoch + 1 if updates_per_epoch > 0 else 0
    if 0 < epochs <= rows:
        picked.update(e * updates_per_epoch for e in range(epochs))
    else:
        picked.update(round(i * last / (rows - 1)) for i in range(rows))
    index = {u: i for i, u in enumerate(updates)}
    # Long runs are sampled; print only updates that were evaluated (nearest sampled one otherwise).
    return sorted({u if u in index else min(updates, key=lambda x: abs(x - u)) for u in picked})


def _num(value: float | None) -> str:
    return "default" if value is None else f"{value:.6g}"


def render_table(curves_list: list[OptimizerCurves], total_updates: int, updates_per_epoch: int,
                 rows: int = 12) -> str:
    """A compact text table per optimizer: update, epoch, lr, weight decay."""
    epochs = total_updates / updates_per_epoch if updates_per_epoch > 0 else 0.0
    lines = [f"{total_updates} updates, {updates_per_epoch} per epoch ({epochs:g} epochs)"]
    for curves in curves_list:
        lines.append("")
        lines.append(f"{curves.name}: {curves.kind}")
        for param, scale in curves.lr_scales.items():
            lines.append(f"  lr of {param} is scaled by {scale:g}")
        lines.append(f"  {'update':>10} {'epoch':>9} {'lr':>12} {'weight_decay':>12}")
        position = {u: i for i, u in enumerate(curves.updates)}
        for update in table_updates(curves, updates_per_epoch, rows):
            i = position[update]
            epoch = update / updates_per_epoch if updates_per_epoch > 0 else 0.0
            lines.append(f"  {update:>10} {epoch:>9.2f} {_num(curves.lr[i]):>12} {_num(curves.wd[i]):>12}")
    return "\n".join(lines) + "\n"


# -- plot ----------------------------------------------------------------------------------------------------
def draw(curves_list: list[OptimizerCurves], total_updates: int, updates_per_epoch: int, out: Path) -> None:
    """Plot lr (top) and weight decay (bottom) against updates, epochs marked, into ``out``."""
    import matplotlib

    matplotlib.use("Agg")  # files only; never needs a display
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 6), layout="constrained")
    ax_lr, ax_wd = fig.subplots(2, 1, sharex=True)
    for curves in curves_list:
        known = [(u, v) for u, v in zip(curves.updates, curves.lr, strict=True) if v is not None]
        if known:
            ax_lr.plot([u for u, _ in known], [v for _, v in known], label=curves.name)
        ax_wd.plot(curves.updates, curves.wd, label=curves.name)
    _mark_epochs([ax_lr, ax_wd], total_updates, updates_per_epoch)
    ax_lr.set_ylabel("learning rate")
    ax_wd.set_ylabel("weight decay")
    ax_wd.set_xlabel("update")
    if updates_per_epoch > 0:
        top = ax_lr.secondary_xaxis(
            "top", functions=(lambda u: u / updates_per_epoch, lambda e: e * updates_per_epoch)
        )
        top.set_xlabel("epoch")
    if len(curves_list) > 1:
        ax_lr.legend()
    fig.suptitle(f"{total_updates} updates, {updates_per_epoch} per epoch")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)


def _mark_epochs(axes: list[Any], total_updates: int, updates_per_epoch: int) -> None:
    if updates_per_epoch <= 0:
        return
    epochs = total_updates // updates_per_epoch
    every = max(1, -(-epochs // 50))  # at most ~50 lines, or the plot turns grey
    for epoch in range(every, epochs + 1, every):
        for ax in axes:
            ax.axvline(epoch * updates_per_epoch, color="0.85", linewidth=0.8, zorder=0)
