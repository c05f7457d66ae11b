"""Errors of the data path, and the index check every dataset and wrapper shares.

Messages name the dataset, the property and the sample, so that a failure deep inside a DataLoader worker can
be traced back to one file or one array.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from typing import Any

from noether.core.errors import with_guesses


class SampleError(RuntimeError):
    """Loading one property of one sample failed; the original exception is the ``__cause__``."""

    def __init__(self, dataset: str, prop: str, index: int, cause: BaseException) -> None:
        self.dataset = dataset
        self.property = prop
        self.index = index
        super().__init__(
            f"dataset {dataset}: loading property '{prop}' of sample {index} failed: "
            f"{type(cause).__name__}: {cause}"
        )


def unknown_properties(dataset: str, unknown: Iterable[str], known: Iterable[str]) -> AttributeError:
    """The error for property names a dataset does not have: each with its closest known name, then all of them."""
    names = sorted(known)
    unknown = list(unknown)
    noun = "property" if len(unknown) == 1 else "properties"
    return AttributeError(f"dataset {dataset} has no {noun} {with_guesses(unknown, names)}; "
                          f"its properties: {', '.join(names)}")


def check_index(idx: Any, length: int, dataset: str) -> int:
    """Return ``idx`` as a plain int, or raise as §8.2 says.

    Non-integers (bools included) raise ``TypeError``, negative values ``ValueError`` (refused rather than
    wrapped, so that an off-by-one in a sampler does not silently become a valid sample), and values
    ``>= length`` raise ``IndexError``.
    """
    if isinstance(idx, bool):
        raise TypeError(f"dataset {dataset}: sample index must be an integer, got {idx!r}")
    try:
        index = operator.index(idx)
    except TypeError:
        raise TypeError(
            f"dataset {dataset}: sample index must be an integer, got {type(idx).__name__} {idx!r}"
        ) from None
    if index < 0:
        raise ValueError(f"dataset {dataset}: sample index must be >= 0, got {index}")
    if index >= length:
        raise IndexError(f"dataset {dataset}: sample index {index} is out of range for {length} samples")
    return index


def load_sample(
    dataset: str,
    getters: tuple[tuple[str, Any], ...],
    index: int,
    sample: dict[str, Any],
) -> dict[str, Any]:
    """Fill ``sample`` with ``getter(index)`` per ``(property, getter)``; failures raise :class:`SampleError`.

    ``try`` costs nothing in CPython 3.11 unless an exception is raised, so the context is free on the hot
    path.
    """
    for prop, getter in getters:
        try:
            sample[prop] = getter(index)
        except SampleError:
            raise
        except Exception as exc:
            raise SampleError(dataset, prop, index, exc) from exc
    return sample
