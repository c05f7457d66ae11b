"""CFD data."""
