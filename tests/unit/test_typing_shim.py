"""pnetstat._typing's run-time NamedTuple builds what typing.NamedTuple builds."""

from __future__ import annotations

import pickle
import typing

import pytest

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

    with pytest.raises(AttributeError):

        class Worse(_typing.NamedTuple):  # type: ignore[misc]
            a: int

            def _replace(self) -> None:  # type: ignore[override]
                pass


def test_model_rows_pickle_and_keep_their_module() -> None:
    owner = Owner(1, 3, "sshd")
    assert pickle.loads(pickle.dumps(owner)) == owner
    assert (Owner.__module__, InetSocket.__module__) == ("pnetstat.model", "pnetstat.model")
