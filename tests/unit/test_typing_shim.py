"""pnetstat._typing's run-time NamedTuple builds what typing.NamedTuple builds."""

from __future__ import annotations

import collections
import copy
import inspect
import pickle
import typing
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pnetstat import _typing
from pnetstat.model import InetSocket, Owner


def _pair(base: typing.Any) -> type:
    class Point(base):  # type: ignore[misc, valid-type]
        """A point."""

        x: int
        y: int = 0
        label: str = "p"

        @property
        def norm(self) -> int:
            return abs(self.x) + abs(self.y)

        def moved(self, dx: int) -> Point:
            return self._replace(x=self.x + dx)  # type: ignore[no-any-return]

    return Point


def test_the_same_class_as_typing_builds() -> None:
    ours, theirs = _pair(_typing.NamedTuple), _pair(typing.NamedTuple)
    for cls in (ours, theirs):
        point = cls(3, -4)
        assert isinstance(point, tuple) and tuple(point) == (3, -4, "p")
        assert (point.norm, point.moved(1), cls.__doc__) == (7, cls(4, -4), "A point.")
        assert (cls._fields, cls._field_defaults) == (("x", "y", "label"), {"y": 0, "label": "p"})
        assert repr(point) == "Point(x=3, y=-4, label='p')" and point._asdict()["y"] == -4
        assert list(cls.__annotations__) == ["x", "y", "label"]
        assert cls.__bases__ == (tuple,) and type(cls) is type
        with pytest.raises(TypeError):
            cls()


def test_rules_typing_enforces() -> None:
    with pytest.raises(TypeError):

        class Bad(_typing.NamedTuple):  # type: ignore[misc]
            a: int = 0
            b: int  # type: ignore[misc]

    with pytest.raises(ValueError):

        class Hidden(_typing.NamedTuple):  # type: ignore[misc]
            _a: int

    with pytest.raises(AttributeError):

        class Worse(_typing.NamedTuple):  # type: ignore[misc]
            a: int

            def _replace(self) -> None:  # type: ignore[override]
                pass


def test_model_rows_pickle_and_keep_their_module() -> None:
    owner = Owner(1, 3, "sshd")
    assert pickle.loads(pickle.dumps(owner)) == owner
    assert (Owner.__module__, InetSocket.__module__) == ("pnetstat.model", "pnetstat.model")


# --------------------------------------------------------------- against collections.namedtuple
# The shim builds its classes without namedtuple's eval (pnetstat._typing._named_tuple): every
# call below is made on both classes, and both must agree, value for value or error for error.

_FIELD = st.sampled_from(["a", "b", "c", "d", "e", "f", "g", "h", "label", "x_1"])
_VALUE = st.one_of(st.integers(-3, 3), st.text(max_size=2), st.none(), st.tuples(st.integers()))


@st.composite
def _class_and_calls(draw: st.DrawFn) -> tuple[list[str], list[object], list[Any]]:
    fields = draw(st.lists(_FIELD, min_size=1, max_size=8, unique=True))
    defaults = draw(st.lists(_VALUE, max_size=len(fields)))
    names = st.sampled_from([*fields, "zz", "_make"])
    call = st.tuples(st.lists(_VALUE, max_size=len(fields) + 2),
                     st.dictionaries(names, _VALUE, max_size=3))  # fmt: skip
    return fields, defaults, draw(st.lists(call, min_size=1, max_size=6))


def _outcome(make: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        value = make(*args, **kwargs)
    except (TypeError, ValueError) as exc:
        return type(exc)
    return (type(value).__name__, tuple(value), repr(value), value._asdict(), value._fields)


@given(_class_and_calls())
@settings(max_examples=300, deadline=None)
def test_classes_behave_as_namedtuple_builds_them(
    case: tuple[list[str], list[Any], list[Any]],
) -> None:
    fields, defaults, calls = case
    theirs = collections.namedtuple("Row", fields, defaults=defaults)  # type: ignore[misc]
    ours = _typing._named_tuple("Row", tuple(fields), tuple(defaults), __name__)
    assert (ours._fields, ours._field_defaults, ours.__match_args__, ours.__doc__) == (
        theirs._fields, theirs._field_defaults, theirs.__match_args__, theirs.__doc__)  # fmt: skip
    assert inspect.signature(ours) == inspect.signature(theirs)
    for args, kwargs in calls:
        mine = _outcome(ours, *args, **kwargs)
        assert mine == _outcome(theirs, *args, **kwargs), (args, kwargs)
        assert _outcome(ours._make, args) == _outcome(theirs._make, args)
        if not isinstance(mine, type):
            row, other = ours(*args, **kwargs), theirs(*args, **kwargs)
            # What pickle and copy rebuild a row from (the model rows' pickling is tested above).
            assert row.__getnewargs__() == other.__getnewargs__() and copy.copy(row) == row
            assert copy.deepcopy(row) == row and type(copy.copy(row)) is ours
            assert _outcome(row._replace, **kwargs) == _outcome(other._replace, **kwargs)
            for index, name in enumerate(fields):
                assert getattr(row, name) == row[index] == getattr(other, name)
