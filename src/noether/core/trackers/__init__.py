"""Experiment trackers. Every run writes a local metrics file; a tracker forwards metrics to a service."""
