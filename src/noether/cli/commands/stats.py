"""``noether stats CFG --dataset train [--out stats.yaml]``: per-property statistics of a configured dataset.

Streams the dataset once (with a progress bar) without normalization and writes mean, std, min, max and count
per property as the config sections ``dataset_statistics`` and ``dataset_normalizer``. Imports torch only when
it runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def _names(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _selection_below_wrappers(dataset_config: Any, wanted: list[str], excluded: list[str]) -> Any:
    """``dataset_config`` with ``--properties`` / ``--exclude`` added to its own property selection, so that
    the dataset loads only what is measured (a large field left out is never read); unchanged when nothing is
    left out, when the selection would be empty, or when a wrapper other than the built-in index wrappers
    sits on top (it may derive the keys asked for from others)."""
    import attrs

    from noether.core.registry import get_registry
    from noether.data.wrappers import keeps_sample_keys

    if not wanted and not excluded:
        return dataset_config
    registry = get_registry()
    for wrapper in dataset_config.dataset_wrappers or ():
        try:
            cls = registry.resolve("wrapper", wrapper.kind).component_class()
        except Exception:  # building the dataset reports it, with the config's location
            return dataset_config
        if not keeps_sample_keys(cls):
            return dataset_config
    included = dataset_config.included_properties
    left_out = set(dataset_config.excluded_properties or ()) | set(excluded)
    if wanted:
        keep = (set(wanted) if included is None else set(wanted) & included) - left_out
        # An empty selection is an error of its own; then the pass names what the samples lack instead.
        return attrs.evolve(dataset_config, included_properties=frozenset(keep), excluded_properties=None) \
            if keep else dataset_config
    if included is not None:
        keep = set(included) - left_out
        return attrs.evolve(dataset_config, included_properties=frozenset(keep)) if keep else dataset_config
    return attrs.evolve(dataset_config, excluded_properties=frozenset(left_out))


def add_parser(subparsers: Any) -> None:
    """Register the ``stats`` subcommand."""
    p = subparsers.add_parser(
        "stats",
        help="compute per-property statistics of a dataset (mean, std, min, max, count)",
        description="Stream the dataset DATASET of CFG once, without normalization, and write mean, std, "
        "min, max and count of every property as YAML (the config sections dataset_statistics and "
        "dataset_normalizer). The feature dimension is the last axis of each sample tensor (the axis the "
        "normalizers broadcast against); every other axis counts as observations.",
    )
    p.add_argument("config", help="path to the YAML config")
    p.add_argument("overrides", nargs="*", help="dotted overrides, e.g. datasets.train.root=/data")
    p.add_argument("--dataset", default="train", help="key under 'datasets' (default: train)")
    p.add_argument("--out", "-o", type=Path, help="write the YAML here instead of to stdout")
    p.add_argument("--properties", help="comma-separated properties to include (default: all)")
    p.add_argument("--exclude", help="comma-separated properties to leave out")
    p.add_argument("--log-scale", help="comma-separated properties whose sign(x)*log1p(|x|) is measured")
    p.add_argument("--num-workers", type=int, default=0, help="DataLoader worker processes (default: 0)")
    p.add_argument("--no-wrappers", action="store_true", help="ignore the dataset's wrappers (subset...)")
    p.add_argument("--skip-errors", action="store_true", help="report and skip samples that fail to load")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Compute and write the statistics; returns the exit status."""
    import attrs

    from noether.core.config.dump import dump_yaml
    from noether.core.config.loader import load_config
    from noether.core.errors import ConfigError

    config = load_config(args.config, args.overrides)
    if args.dataset not in config.datasets:
        known = ", ".join(config.datasets)
        print(f"error: no dataset '{args.dataset}' in {args.config}; datasets: {known}", file=sys.stderr)
        return 2
    if args.num_workers < 0:
        print("error: --num-workers must be >= 0", file=sys.stderr)
        return 2

    from noether.cli.collector import imports_paused

    with imports_paused(args):
        import torch

        from noether.data.dataset import build_dataset
        from noether.data.errors import SampleError
        from noether.data.stats import compute_statistics, format_table, statistics_document

    torch.manual_seed(config.seed)  # wrappers and datasets that draw from the run's seed see the same one
    dataset_config = config.datasets[args.dataset]
    if args.no_wrappers:
        dataset_config = attrs.evolve(dataset_config, dataset_wrappers=None)
    try:
        excluded = _names(args.exclude)
        selected = _selection_below_wrappers(dataset_config, _names(args.properties), excluded)
        dataset = build_dataset(selected, statistics=config.dataset_statistics, name=args.dataset, normalize=False)
        if selected is not dataset_config:
            # Properties left out below the wrappers are gone from the samples; other names stay for the pass
            # to check (a misspelt one is an error there).
            own = set(getattr(dataset, "root_dataset", dataset).properties)
            excluded = [name for name in excluded if name not in own]
        result = compute_statistics(
            dataset,
            properties=_names(args.properties) or None,
            exclude=excluded,
            log_scale=_names(args.log_scale),
            num_workers=args.num_workers,
            progress=not args.no_progress,
            skip_errors=args.skip_errors,
        )
    except ConfigError:
        raise  # reported with paths and locations by the CLI
    except (SampleError, KeyError, ValueError, AttributeError, FileNotFoundError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"error: {message}", file=sys.stderr)
        return 1
    header = (
        f"# Statistics of dataset '{args.dataset}' ({dataset_config.kind}) from {args.config}: "
        f"{result.num_samples} samples, written by `noether stats`.\n"
    )
    text = header + dump_yaml(statistics_document(result))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.out.with_name(args.out.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(args.out)
        print(format_table(result), file=sys.stderr)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    if result.errors:
        print(f"warning: {len(result.errors)} sample(s) failed and were skipped", file=sys.stderr)
    return 0
