"""The few names of ``typing`` that pnetstat's start-up path needs at run time, without
importing ``typing``.

``import typing`` costs more than a third of an idle ``pnetstat -tan``'s imports on Python 3.11
(it imports ``re``, ``enum``, ``contextlib`` and builds hundreds of objects: about 13 M
instructions, 3 ms, measured with callgrind and ``-X importtime``; bench/results/
2026-12-06-vm-startup.md). Type checkers see ``typing``'s own names; at run time:

- ``TYPE_CHECKING`` is ``False`` (mypy treats any name ``TYPE_CHECKING`` as true);
- ``NamedTuple`` builds the same class ``typing.NamedTuple`` builds (``collections.namedtuple``
  with the class's annotations, defaults, methods and docstring) but leaves the annotations
  as they are instead of checking each one (``typing`` compiles every string annotation);
- ``Protocol`` is a plain base class (nothing here checks protocols at run time);
- ``TypeVar`` returns its name: a type variable only ever appears in annotations.
"""

from __future__ import annotations

TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import NamedTuple as NamedTuple
    from typing import Protocol as Protocol
    from typing import TypeVar as TypeVar
else:
    from collections import namedtuple

    # typing.NamedTupleMeta's rules: these never become class attributes, and these may not be
    # redefined by the class body.
    _SPECIAL = frozenset(("__module__", "__name__", "__annotations__"))
    _PROHIBITED = frozenset(
        ("__new__", "__init__", "__slots__", "__getnewargs__", "_fields", "_field_defaults",
         "_make", "_replace", "_asdict", "_source")
    )  # fmt: skip

    class _NamedTupleMeta(type):
        def __new__(mcls, typename, bases, namespace):
            if not bases:  # NamedTuple itself
                return super().__new__(mcls, typename, bases, namespace)
            annotations = namespace.get("__annotations__", {})
            defaults = [name for name in annotations if name in namespace]
            if defaults and list(annotations)[-len(defaults) :] != defaults:
                raise TypeError(f"{typename}: a field without a default follows one with")
            built = namedtuple(
                typename,
                list(annotations),
                defaults=[namespace[name] for name in defaults],
                module=namespace["__module__"],
            )
            built.__annotations__ = built.__new__.__annotations__ = dict(annotations)
            for key, value in namespace.items():
                if key in _PROHIBITED:
                    raise AttributeError("Cannot overwrite NamedTuple attribute " + key)
                if key not in _SPECIAL and key not in annotations:
                    setattr(built, key, value)
            return built

    class NamedTuple(metaclass=_NamedTupleMeta):
        """Base of a typed named tuple (see the module docstring)."""

    class Protocol:
        """Base of a protocol class (see the module docstring)."""

    def TypeVar(name, *constraints, **options):
        """A type variable's stand-in: its name (see the module docstring)."""
        return name


__all__ = ["TYPE_CHECKING", "NamedTuple", "Protocol", "TypeVar"]
