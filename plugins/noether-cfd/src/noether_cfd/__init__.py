"""Noether CFD plugin: geometry-aware point-cloud models, mesh data, aerodynamic metrics and prediction."""
