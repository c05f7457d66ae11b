"""Noether's core: schemas, config loading, registry and the training engine's building blocks."""
