"""Stopping on a signal: SIGTERM (and SIGINT with ``save_on_sigint``, SIGUSR1 from SLURM) only set a flag; the
loop writes a resumable checkpoint after the current update and stops."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType
from typing import Any

#: A stop signal that arrived while no :class:`StopRequest` was installed (start-up, or the end of the run).
_pending: list[int] = []


def _stop_signals(save_on_sigint: bool = False) -> list[int]:
    wanted: list[int] = [int(signal.SIGTERM)]
    if save_on_sigint:
        wanted.append(int(signal.SIGINT))
    if hasattr(signal, "SIGUSR1"):  # SLURM's preemption warning (sbatch --signal=USR1@<seconds>)
        wanted.append(int(signal.SIGUSR1))
    return wanted


def _remember(signum: int, _frame: FrameType | None) -> None:
    # Start-up and shut-down write files (resolved config, summary, the last checkpoint): a signal never cuts
    # them; it is acted on when the loop starts (stop before the first update) or reported at the end.
    _pending.append(signum)


@contextlib.contextmanager
def held_stop_signals() -> Iterator[list[int]]:
    """Around a whole run: SIGTERM/SIGUSR1 outside the training loop are remembered instead of killing the
    process; yields the list of signals that arrived and were not acted on."""
    previous: dict[int, Any] = {}
    for sig in _stop_signals():
        with contextlib.suppress(ValueError):  # not the main thread: signals cannot be handled here
            previous[sig] = signal.signal(sig, _remember)
    try:
        yield _pending
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _pending.clear()


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
        if _pending:  # arrived during start-up: stop before the first update
            self.signum = self.signum or _pending.pop()
            _pending.clear()
        for sig in _stop_signals(self.save_on_sigint):
            with contextlib.suppress(ValueError):
                self._previous[sig] = signal.signal(sig, self._on_signal)

    def restore(self) -> None:
        """Put the previous handlers back."""
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}
