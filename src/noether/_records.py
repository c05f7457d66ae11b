"""Small record classes that behave like attrs classes, for the few that every start of the CLI creates.

Creating an attrs class costs about 0.35 ms (its attributes, the slotted copy of the class, the source of its
methods), and ``noether check`` used to create twenty such classes before it reached the first schema: the
constraint markers, the type markers, the registry's records, the loader's document. These are records with
two to nine fields and no validation, so a class statement with ``__slots__`` and an explicit ``__init__`` over
the shared methods here does the same for a tenth of the cost.

What they share with an ``attrs.frozen`` (or ``attrs.define``) class: ``__slots__`` (with ``__weakref__``), the
repr ``Name(field=value, ...)``, equality by class and fields, a hash of the fields when frozen (none when
mutable), ``FrozenInstanceError`` on assignment when frozen, pickling and copying, ``__match_args__``. What
they do not have: ``__attrs_attrs__`` (``attrs.fields``, ``attrs.evolve`` and ``attrs.asdict`` do not apply).
The schema classes stay attrs classes; these are not config classes.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any, ClassVar

from attr.exceptions import FrozenInstanceError

__all__ = ["FrozenRecord", "Record"]


def _no_values(_: object) -> tuple[Any, ...]:
    return ()


class Record:
    """A mutable record: its fields are ``__fields__`` (also its ``__slots__``), set by the subclass's ``__init__``."""

    __slots__ = ("__weakref__",)
    #: The fields in order: what repr, equality, hashing and pickling read.
    __fields__: ClassVar[tuple[str, ...]] = ()
    #: ``record -> tuple`` of its field values, made once per class (typing and cattrs hash the markers on every
    #: cache lookup, so this is on the start-up path hundreds of times).
    _values: ClassVar[Any] = staticmethod(_no_values)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields = cls.__fields__
        if len(fields) == 1:
            single = attrgetter(fields[0])
            cls._values = staticmethod(lambda obj: (single(obj),))
        elif fields:
            cls._values = staticmethod(attrgetter(*fields))
        else:
            cls._values = staticmethod(_no_values)

    def __repr__(self) -> str:
        name = type(self).__qualname__.rsplit(">.", 1)[-1]
        return f"{name}({', '.join(f'{field}={getattr(self, field)!r}' for field in self.__fields__)})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values(self) == other._values(other)

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    #: Mutable records are unhashable, as attrs makes a class with ``eq`` and without ``frozen``.
    __hash__: ClassVar[None] = None  # type: ignore[assignment]

    def __getstate__(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__fields__}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)


class FrozenRecord(Record):
    """An immutable, hashable record (``attrs.frozen``): assigning or deleting a field raises."""

    __slots__ = ()

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError()

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError()

    def __hash__(self) -> int:  # type: ignore[override]
        return hash((type(self).__qualname__, self._values(self)))
