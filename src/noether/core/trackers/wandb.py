"""Weights & Biases tracker: ``online``, ``offline`` (local files only, no network) or ``disabled``."""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from noether.core.trackers.base import Tracker, missing_package

logger = logging.getLogger("noether")


@contextlib.contextmanager
def _environ(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of the block and restore the previous values.

    The W&B service process reads its mode from the environment when it starts, so the variables must be set
    while ``wandb.init`` runs; restoring them afterwards keeps a later run in the same process (a sweep, a
    test session) from silently inheriting ``offline``.
    """
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def lists_to_dicts(value: Any) -> Any:
    """``value`` with every list turned into a dict keyed ``"0"``, ``"1"``, ...

    W&B flattens nested config dicts into filterable columns (``hp.trainer.callbacks.0.name``) but stores a
    list as one opaque value; keying list items by position makes them filterable too.
    """
    if isinstance(value, Mapping):
        return {str(key): lists_to_dicts(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return {str(index): lists_to_dicts(item) for index, item in enumerate(value)}
    return value


def wandb_run_id(run_id: str, stage_name: str | None) -> str:
    """The W&B run id: the Noether run id, plus the stage so that two stages of one run are two W&B runs.

    W&B ids may not contain ``/``, ``\\``, ``#``, ``?``, ``%`` or ``:``; other unusual characters go too.
    """
    raw = f"{run_id}-{stage_name}" if stage_name else run_id
    return re.sub(r"[^A-Za-z0-9_.-]", "-", raw)


class WandBTracker(Tracker):
    """Sends metrics, the resolved config and the summary to Weights & Biases.

    * ``mode: offline`` writes the run under ``<run_dir>/wandb/offline-run-*`` and never touches the network;
      upload it later with ``wandb sync <run_dir>/wandb/offline-run-*``.
    * ``mode: disabled`` does nothing (``wandb`` need not even be installed); unlike upstream, setting the
      summary works.
    * ``mode: online`` needs ``wandb login`` (or ``WANDB_API_KEY``); ``mode: null`` lets ``WANDB_MODE``
      decide.

    The metrics are logged with the update number as the W&B step, so curves line up with ``metrics.jsonl``.
    """

    def __init__(self, config: Any, *, run_dir: Path, run_name: str, run_id: str, hp: dict[str, Any],
                 **kwargs: Any) -> None:
        super().__init__(config, run_dir=run_dir, run_name=run_name, run_id=run_id, hp=hp, **kwargs)
        self._run: Any = None
        #: Everything passed to :meth:`set_summary` (kept even when no W&B run exists).
        self.summary: dict[str, Any] = {}
        mode: Any = config.mode
        if mode == "disabled":
            logger.info("W&B tracker disabled: metrics are only written to metrics.jsonl")
            return
        try:
            import wandb
        except ImportError as exc:
            raise missing_package("wandb", "trackers") from exc

        stage = hp.get("stage_name")
        env = {"WANDB_SILENT": os.environ.get("WANDB_SILENT", "true")}
        if mode == "offline":
            env["WANDB_MODE"] = "offline"
        run_config = {"run_name": run_name, "run_id": run_id, "stage_name": stage or "default",
                      "hp": lists_to_dicts(hp)}
        with _environ(env):
            try:
                self._run = wandb.init(
                    entity=config.entity,
                    project=config.project,
                    name=f"{run_name}/{stage}" if stage else run_name,
                    id=wandb_run_id(run_id, stage),
                    dir=str(run_dir),
                    config=run_config,
                    mode=mode,
                    # A resumed Noether run continues its W&B run instead of failing on the existing id.
                    resume="allow",
                    save_code=False,
                )
            except Exception as exc:
                if mode == "offline":
                    raise
                raise RuntimeError(
                    f"W&B could not start a run ({type(exc).__name__}: {exc}); log in with `wandb login` (or "
                    "set WANDB_API_KEY), or use `tracker.mode: offline` to write local files only"
                ) from exc
        logger.info("W&B run %s (mode %s) in %s", self._run.id, mode or "from WANDB_MODE", run_dir)

    def log(self, metrics: dict[str, Any], step: int) -> None:
        """Log one step's metrics at W&B step ``step`` (the update number)."""
        if self._run is not None:
            self._run.log(dict(metrics), step=step)

    def set_summary(self, summary: dict[str, Any]) -> None:
        """Merge ``summary`` into the W&B run summary (kept locally when there is no run)."""
        self.summary.update(summary)
        if self._run is not None:
            self._run.summary.update(dict(summary))

    def close(self) -> None:
        """Finish the W&B run (flushes the offline files); safe to call twice."""
        run, self._run = self._run, None
        if run is not None:
            run.finish()
