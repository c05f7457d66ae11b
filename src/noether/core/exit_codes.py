"""Exit statuses of ``noether`` commands (one place; the CLI, the runner and the SLURM script read them)."""

from __future__ import annotations

#: A usage or config error: the command line or the config must be fixed.
EXIT_USAGE = 2
#: A signal stopped training after a resumable checkpoint: continue the run (SLURM scripts requeue on it).
EXIT_INTERRUPTED = 75
