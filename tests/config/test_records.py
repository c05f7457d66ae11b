"""The slotted records that replace attrs classes on the start-up path behave as the attrs classes did."""

from __future__ import annotations

import copy
import pickle
import weakref

import attrs
import pytest

from noether.core.config.groups import GroupChoices
from noether.core.config.yaml_source import Document
from noether.core.registry import Provider, Registration
from noether.core.schemas import Between, Constraint, Gt, Matches, NonBlank, OpenUnion


def test_frozen_records_compare_hash_print_and_refuse_changes() -> None:
    assert Gt(0) == Gt(0) and Gt(0) != Gt(1) and Gt(0) != Between(0, 1)
    assert Gt(0).__eq__(object()) is NotImplemented
    assert hash(Between(0.0, 1.0, open_high=True)) == hash(Between(0.0, 1.0, open_high=True))
    assert len({NonBlank(), NonBlank(), Gt(1)}) == 2
    assert repr(Between(0.0, 1.0, open_high=True)) == "Between(low=0.0, high=1.0, open_low=False, open_high=True)"
    assert repr(NonBlank()) == "NonBlank()" and repr(OpenUnion("model")) == (
        "OpenUnion(family='model', discriminator='kind', base=None, none_strings=())")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        Gt(0).bound = 1
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        del Matches("a", "b").pattern
    with pytest.raises(AttributeError):
        Gt(0).other = 1  # slotted: no new attributes either


def test_records_pickle_copy_and_take_weak_references() -> None:
    registration = Registration("model", "m.M", "m:Config", None, Provider("p", "dist", "1.0"), ("M",))
    for obj in (Gt(0.5), Matches(r"\d+", "digits", 2), registration, OpenUnion("x", base=int)):
        assert pickle.loads(pickle.dumps(obj)) == obj
        assert copy.deepcopy(obj) == obj and copy.copy(obj) == obj
        assert weakref.ref(obj)() is obj
    match Between(1, 2):
        case Between(low, high):
            assert (low, high) == (1, 2)


def test_mutable_records_are_unhashable_and_compare_by_fields() -> None:
    doc = Document({"a": 1})
    assert doc == Document({"a": 1}, {}, set(), []) and doc != Document({"a": 2})
    doc.data = {"a": 2}  # mutable, as an attrs.define class
    assert doc.data == {"a": 2}
    with pytest.raises(TypeError, match="unhashable"):
        hash(doc)
    choices = GroupChoices(config_dir=pytest.__file__)  # type: ignore[arg-type]
    assert choices.command_line == {} and choices.used == set()
    assert pickle.loads(pickle.dumps(doc)) == doc


def test_a_constraint_of_ones_own_may_be_an_attrs_class() -> None:
    @attrs.frozen
    class Even(Constraint):
        strict: bool = True

        def check(self, value: object) -> str | None:
            return None if isinstance(value, int) and value % 2 == 0 else "must be even"

        def describe(self) -> str:
            return "even"

    assert Even() == Even() and hash(Even()) == hash(Even()) and repr(Even()) == "Even(strict=True)"
    assert Even().check(3) == "must be even" and attrs.has(Even)
