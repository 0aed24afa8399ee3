"""The few names of ``typing`` that pnetstat's start-up path needs at run time, without
importing ``typing``.

``import typing`` costs more than a third of an idle ``pnetstat -tan``'s imports on Python 3.11
(it imports ``re``, ``enum``, ``contextlib`` and builds hundreds of objects: about 13 M
instructions, 3 ms, measured with callgrind and ``-X importtime``; bench/results/
2026-12-06-vm-startup.md). Type checkers see ``typing``'s own names; at run time:

- ``TYPE_CHECKING`` is ``False`` (mypy treats any name ``TYPE_CHECKING`` as true);
- ``NamedTuple`` builds the class ``typing.NamedTuple`` builds (what ``collections.namedtuple``
  returns, with the class's annotations, defaults, methods and docstring) but leaves the
  annotations as they are instead of checking each one (``typing`` compiles every string
  annotation), and makes it without namedtuple's ``eval`` (see ``_named_tuple``);
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
    try:  # the C accessor collections.namedtuple uses for its fields
        from _collections import _tuplegetter
    except ImportError:  # not CPython
        from operator import itemgetter

        def _tuplegetter(index, doc):
            return property(itemgetter(index), doc=doc)

    # typing.NamedTupleMeta's rules: these never become class attributes, and these may not be
    # redefined by the class body.
    _SPECIAL = frozenset(("__module__", "__name__", "__annotations__"))
    _PROHIBITED = frozenset(
        ("__new__", "__init__", "__slots__", "__getnewargs__", "_fields", "_field_defaults",
         "_make", "_replace", "_asdict", "_source")
    )  # fmt: skip
    _tuple_new = tuple.__new__

    class _NamedTupleMeta(type):
        def __new__(mcls, typename, bases, namespace):
            if not bases:  # NamedTuple itself
                return super().__new__(mcls, typename, bases, namespace)
            annotations = namespace.get("__annotations__", {})
            defaults = [name for name in annotations if name in namespace]
            if defaults and list(annotations)[-len(defaults) :] != defaults:
                raise TypeError(f"{typename}: a field without a default follows one with")
            if any(name.startswith("_") for name in annotations):  # as namedtuple refuses
                raise ValueError(f"{typename}: field names cannot start with an underscore")
            built = _named_tuple(
                typename,
                tuple(annotations),
                tuple(namespace[name] for name in defaults),
                namespace["__module__"],
            )
            built.__annotations__ = built.__new__.__annotations__ = dict(annotations)
            for key, value in namespace.items():
                if key in _PROHIBITED:
                    raise AttributeError("Cannot overwrite NamedTuple attribute " + key)
                if key not in _SPECIAL and key not in annotations:
                    setattr(built, key, value)
            return built

    def _named_tuple(typename, fields, defaults, module):
        """The class ``collections.namedtuple(typename, fields, defaults=defaults,
        module=module)`` returns, built without its ``eval``: namedtuple compiles a
        ``__new__`` with the fields as parameters, and compiling is most of the cost of a
        class (3.2 M instructions under callgrind, about 0.9 ms, for the classes an idle
        ``pnetstat -tan`` builds). Here ``__new__`` takes ``*args, **kwargs``: a positional
        call costs about 0.1 µs more (the readers' loops build rows with ``tuple.__new__``
        anyway), a call with keywords about 1 µs more, and ``inspect.signature`` still shows
        the fields (``_Signature``). The generated tests in tests/unit/test_typing_shim.py
        hold it to namedtuple's behaviour."""
        size, first = len(fields), len(fields) - len(defaults)

        def __new__(_cls, *args, **kwargs):
            count = len(args)
            if not kwargs and first <= count <= size:
                return _tuple_new(_cls, args if count == size else args + defaults[count - first :])
            return _tuple_new(_cls, _arguments(fields, defaults, args, kwargs))

        arguments = ", ".join(fields) + ("," if size == 1 else "")  # namedtuple's words
        __new__.__qualname__ = f"{typename}.__new__"
        __new__.__doc__ = f"Create new instance of {typename}({arguments})"
        namespace = {
            "__doc__": f"{typename}({arguments})",
            "__slots__": (),
            "_fields": fields,
            "_field_defaults": dict(zip(fields[first:], defaults, strict=True)),
            "__new__": __new__,
            "_make": _make,
            "_replace": _replace,
            "__repr__": _repr,
            "_asdict": _asdict,
            "__getnewargs__": _getnewargs,
            "__match_args__": fields,
            "__signature__": _SIGNATURE,
            "__module__": module,
        }
        for index, name in enumerate(fields):
            namespace[name] = _tuplegetter(index, f"Alias for field number {index}")
        return type(typename, (tuple,), namespace)

    def _arguments(fields, defaults, args, kwargs):
        """The values of a call with keywords or a wrong count, or the TypeError Python raises
        for the same call of namedtuple's ``__new__``."""
        size, first = len(fields), len(fields) - len(defaults)
        if len(args) > size:
            raise TypeError(
                f"__new__() takes {size + 1} positional arguments but {len(args) + 1} were given"
            )
        values = dict(zip(fields, args, strict=False))  # args may be fewer
        for name, value in kwargs.items():
            if name not in fields:
                raise TypeError(f"__new__() got an unexpected keyword argument '{name}'")
            if name in values:
                raise TypeError(f"__new__() got multiple values for argument '{name}'")
            values[name] = value
        for name, value in zip(fields[first:], defaults, strict=True):
            values.setdefault(name, value)
        missing = [name for name in fields if name not in values]
        if missing:
            raise TypeError(f"__new__() missing {len(missing)} required argument(s): {missing}")
        return [values[name] for name in fields]

    # namedtuple's methods, shared by every class (they find their fields on the class).
    @classmethod
    def _make(cls, iterable):
        result = _tuple_new(cls, iterable)
        if len(result) != len(cls._fields):
            raise TypeError(f"Expected {len(cls._fields)} arguments, got {len(result)}")
        return result

    def _replace(self, /, **kwds):
        result = self._make(map(kwds.pop, self._fields, self))
        if kwds:
            raise ValueError(f"Got unexpected field names: {list(kwds)!r}")
        return result

    def _repr(self):
        pairs = ", ".join(
            f"{name}={value!r}" for name, value in zip(self._fields, self, strict=False)
        )
        return f"{self.__class__.__name__}({pairs})"

    def _asdict(self):
        return dict(zip(self._fields, self, strict=False))

    def _getnewargs(self):
        return tuple(self)

    class _Signature:
        """``inspect.signature`` of a class: its fields as namedtuple's ``__new__`` takes them
        (made when asked for: ``inspect`` is a heavy import)."""

        def __get__(self, instance, owner):
            from inspect import Parameter, Signature

            kind, empty = Parameter.POSITIONAL_OR_KEYWORD, Parameter.empty
            defaults = owner._field_defaults
            return Signature(
                [Parameter(name, kind, default=defaults.get(name, empty)) for name in owner._fields]
            )

    _SIGNATURE = _Signature()

    class NamedTuple(metaclass=_NamedTupleMeta):
        """Base of a typed named tuple (see the module docstring)."""

    class Protocol:
        """Base of a protocol class (see the module docstring)."""

    def TypeVar(name, *constraints, **options):
        """A type variable's stand-in: its name (see the module docstring)."""
        return name


__all__ = ["TYPE_CHECKING", "NamedTuple", "Protocol", "TypeVar"]
