"""Torch-free registration of the CFD models kinds (config classes and ``module:attr`` component paths)."""

from typing import Any


def register(register: Any) -> None:
    """Register every CFD models kind with the registry's ``register`` callable."""
