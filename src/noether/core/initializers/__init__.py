"""Initializers: continue a run exactly (resume) or start from another run's weights."""
