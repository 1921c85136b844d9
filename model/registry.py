"""Named registries: the one place to add a task, encoder, backend or output format.

Each extension point of credscore is a :class:`Registry` (as spaCy's
``registry`` in ``spacy/util.py``): adding an entry is one ``register`` call
next to its implementation, never a new branch in an if-chain elsewhere.
Lookups by a name that is not registered fail with a one-line
:class:`~credscore.errors.InputError` listing the names that are.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

from credscore.errors import InputError

T = TypeVar("T")


class Registry(Generic[T]):
    """Entries of one kind (``"task"``, ``"encoder"``, ...) by name, in registration order."""

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, name: str, entry: T | None = None):
        """Add ``entry`` under ``name``; without ``entry``, a decorator that adds what it decorates."""
        if entry is None:
            def decorator(obj: T) -> T:
                self.register(name, obj)
                return obj
            return decorator
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is registered already")
        self._entries[name] = entry
        return entry

    def get(self, name: str) -> T:
        """The entry called ``name``; :class:`InputError` naming the known ones otherwise."""
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            raise InputError(f"unknown {self.kind} {name!r}; expected one of {', '.join(self._entries)}") from None

    def names(self) -> tuple[str, ...]:
        return tuple(self._entries)

    def items(self) -> Iterator[tuple[str, T]]:
        return iter(list(self._entries.items()))

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

