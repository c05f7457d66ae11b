"""Torch-free registration of the CFD metrics kinds (config classes and ``module:attr`` component paths)."""

from typing import Any


def register(register: Any) -> None:
    """Register every CFD metrics kind with the registry's ``register`` callable."""
