"""Stopping on a signal: SIGTERM (and SIGINT with ``save_on_sigint``, SIGUSR1 from SLURM) only set a flag; the
loop writes a resumable checkpoint after the current update and stops."""

from __future__ import annotations

import contextlib
import signal
from types import FrameType
from typing import Any


class StopRequest:
    """Whether training should stop after the current update because of a signal.

    ``interrupt_at_update`` acts like a SIGTERM arriving during that update (``verify-resume`` and tests use it).
    """

    def __init__(self, *, save_on_sigint: bool, interrupt_at_update: int | None = None) -> None:
        self.save_on_sigint = save_on_sigint
        self.interrupt_at_update = interrupt_at_update
        #: The signal that asked to stop, once one did.
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}

    @property
    def requested(self) -> bool:
        """Whether a stop was requested."""
        return self.signum is not None

    def check(self, update: int) -> bool:
        """Whether to stop after ``update`` (the simulated interruption counts as a SIGTERM)."""
        if self.interrupt_at_update is not None and update >= self.interrupt_at_update and self.signum is None:
            self.signum = signal.SIGTERM
        return self.signum is not None

    def request(self, signum: int = signal.SIGTERM) -> None:
        """Ask to stop (another rank's signal, decided collectively)."""
        self.signum = self.signum or signum

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        # Only set a flag: the checkpoint is written at the end of the current update, outside the handler.
        self.signum = signum

    def install(self) -> None:
        """Handle the stop signals (a no-op outside the main thread, where signals cannot be handled)."""
        wanted = [signal.SIGTERM] + ([signal.SIGINT] if self.save_on_sigint else [])
        if hasattr(signal, "SIGUSR1"):  # SLURM's preemption warning (sbatch --signal=USR1@<seconds>)
            wanted.append(signal.SIGUSR1)
        for sig in wanted:
            with contextlib.suppress(ValueError):
                self._previous[sig] = signal.signal(sig, self._on_signal)

    def restore(self) -> None:
        """Put the previous handlers back."""
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}
