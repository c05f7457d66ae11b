"""CFD metrics."""
