"""Keeping the portal's memory near its resting size after hostile or huge requests.

A big body is parsed in a thread-pool thread, and glibc gives each thread its own malloc arena:
what a 16 MB request allocated there stays mapped after it is freed, per thread, so the
resident size ratchets up with every thread that once parsed a big body (measured with
``hireview bench hostile``: +60 MiB with the default arenas, +31 MiB with one). ``limit_arenas``
(at start-up, before any thread) caps the arenas; ``release_memory`` (after a big request)
hands freed heap back. Both do nothing where there is no glibc.
"""

from __future__ import annotations

import ctypes
from typing import Any

_M_ARENA_MAX = -8  # mallopt parameter of glibc's malloc.h
_LIBC: list[Any] = []


def _libc() -> Any:
    if not _LIBC:
        try:
            _LIBC.append(ctypes.CDLL("libc.so.6"))
        except OSError:
            _LIBC.append(None)
    return _LIBC[0]


def limit_arenas(arenas: int = 1) -> None:
    """Cap glibc's malloc arenas (call before the server starts its threads). One: the GIL
    serialises the portal's Python work anyway, so arena contention costs nothing measurable."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(_M_ARENA_MAX, arenas)


def release_memory() -> None:
    """Give freed heap back to the system (glibc ``malloc_trim``)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
