"""Schedules tests run against a registry of the core and schedule registrations only."""

from tests.support.registry import _core_registry

__all__ = ["_core_registry"]
