"""``noether predict``: fields and force coefficients on new geometries from a trained CFD run."""
