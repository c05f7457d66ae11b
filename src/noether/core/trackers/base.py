"""The tracker interface."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class Tracker:
    """Forwards metrics to an experiment-tracking service.

    Built as ``Tracker(config, run_dir=..., run_name=..., run_id=..., hp=...)`` on rank 0 only. Integrations
    import their client library in ``__init__`` so that it is only needed when configured.
    """

    def __init__(self, config: Any, *, run_dir: Path, run_name: str, run_id: str, hp: dict[str, Any],
                 **_: Any) -> None:
        self.config = config
        self.run_dir = run_dir
        self.run_name = run_name
        self.run_id = run_id
        self.hp = hp
        #: The update a run continued in place from (see :meth:`resumed_at`), ``None`` for a fresh run.
        self.resumed_after: int | None = None

    def resumed_at(self, update: int) -> None:
        """The run continues in its own directory from the checkpoint after ``update``; called once, before
        the first :meth:`log`. Steps after ``update`` were logged by the interrupted run and are logged again:
        a tracker that appends drops its earlier records of them (or the new ones) instead of keeping both."""
        self.resumed_after = update

    def log(self, metrics: dict[str, Any], step: int) -> None:
        """Record the metrics of one step."""

    def set_summary(self, summary: dict[str, Any]) -> None:
        """Record the end-of-run summary."""

    def close(self) -> None:
        """Flush and release the service."""


def missing_package(package: str, extra: str | None = None) -> ImportError:
    """An ImportError that says which ``pip install`` line fixes it."""
    hint = f"pip install {package}" + (f"  (or: pip install 'noether[{extra}]')" if extra else "")
    return ImportError(f"this tracker needs the package '{package}', which is not installed: {hint}")
