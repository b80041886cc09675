"""A read-only view of a cluster: the object to hand to code that must never write.

The view copies the `ClusterReader` methods of a backend into a slotted object and keeps no reference to the
backend as an attribute, so no attribute path (`view.backend.scale`, `view.__dict__`, `view.logs.__self__`)
leads to a write method.
Python cannot stop a determined caller digging through closures or the garbage collector; the guarantee is
architectural: the probe tool server is built from this view, and tests assert that it exposes no write method.
"""

from __future__ import annotations

from typing import Any

from aoi.cluster.interface import WRITE_METHODS, ClusterReader

READ_METHODS: tuple[str, ...] = tuple(
    name for name in ClusterReader.__dict__ if not name.startswith("_") and callable(ClusterReader.__dict__[name])
)


def _delegate(method: Any) -> Any:
    """A plain function calling `method`: unlike the bound method it has no `__self__` leading to the backend."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return method(*args, **kwargs)

    call.__name__ = method.__name__
    call.__doc__ = method.__doc__
    return call


class ReadOnlyView:
    """Exposes exactly the read methods of a `ClusterReader`."""

    __slots__ = READ_METHODS

    def __init__(self, backend: ClusterReader) -> None:
        for name in READ_METHODS:
            object.__setattr__(self, name, _delegate(getattr(backend, name)))
        leaked = [m for m in WRITE_METHODS if hasattr(self, m)]
        if leaked:  # pragma: no cover - guards READ_METHODS against a future name clash
            raise TypeError(f"read-only view would expose write methods: {leaked}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("ReadOnlyView is immutable")

    def __repr__(self) -> str:
        return f"<ReadOnlyView methods={len(READ_METHODS)}>"
