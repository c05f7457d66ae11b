"""Torch-free registration of the CFD data kinds (config classes and ``module:attr`` component paths)."""

from typing import Any


def register(register: Any) -> None:
    """Register every CFD data kind with the registry's ``register`` callable."""
