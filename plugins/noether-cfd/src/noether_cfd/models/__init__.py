"""CFD models."""
