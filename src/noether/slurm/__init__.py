"""SLURM jobs: render a real sbatch script for a validated config (``noether submit``).

Importing this package does not import torch.
"""

from __future__ import annotations

from noether.slurm.script import EXIT_INTERRUPTED, JobScript, SlurmScriptError, render_job_script

__all__ = ["EXIT_INTERRUPTED", "JobScript", "SlurmScriptError", "render_job_script"]
