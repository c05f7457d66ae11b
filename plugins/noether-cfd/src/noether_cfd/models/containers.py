"""``nn.ModuleList`` and ``nn.ModuleDict`` that tell the type checker what they hold."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Generic, TypeVar, cast

from torch import nn

M = TypeVar("M", bound=nn.Module)


class Modules(nn.ModuleList, Generic[M]):
    """A module list of ``M``."""

    def __init__(self, modules: Iterable[M] = ()) -> None:
        super().__init__(modules)

    def __iter__(self) -> Iterator[M]:
        return cast(Iterator[M], super().__iter__())

    def __getitem__(self, index: int) -> M:  # type: ignore[override]
        return cast(M, super().__getitem__(index))


class ModulesByName(nn.ModuleDict, Generic[M]):
    """A module dict of ``M``."""

    def __init__(self, modules: Mapping[str, M]) -> None:
        super().__init__(dict(modules))

    def __getitem__(self, key: str) -> M:
        return cast(M, super().__getitem__(key))
