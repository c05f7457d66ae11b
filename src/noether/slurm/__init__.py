"""SLURM jobs: render a real sbatch script for a validated config (``noether submit``).

Importing this package does not import torch.
"""

from __future__ import annotations

from noether.slurm.script import EXIT_INTERRUPTED, JobScript, SlurmScriptError, SlurmShapeError, render_job_script
from noether.slurm.shape import JobShape, job_shape, shape_issues

__all__ = [
    "EXIT_INTERRUPTED", "JobScript", "JobShape", "SlurmScriptError", "SlurmShapeError", "job_shape",
    "render_job_script", "shape_issues",
]
