"""Keep freed memory for reuse while a problem is solved (glibc only; elsewhere a no-op).

The vectorised scoring and the solver's checks allocate and free many arrays
of a few megabytes. glibc hands such blocks back to the kernel at once, so
every new array page-faults its memory in again: measured here, that made
scoring 2.5 times slower than with the memory kept. During a solve the
allocator therefore keeps blocks up to 32 MiB and does not trim its heap;
afterwards the defaults return and the heap is trimmed, so a long-running
web process does not keep the peak.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from threading import Lock
from typing import Any

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_DEFAULT_THRESHOLD = 128 * 1024
_KEEP_BLOCKS = 32 * 1024 * 1024
_NO_TRIM = 1 << 30
_lock = Lock()
_active = 0


@cache
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt  # noqa: B018 - glibc only; musl and macOS lack it
        libc.malloc_trim  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


@contextmanager
def reuse_freed_memory() -> Iterator[None]:
    """Within the block, keep freed memory for reuse instead of returning it.

    Nested and concurrent uses are counted: the last one out restores the defaults.
    """
    global _active
    libc = _libc()
    if libc is None:
        yield
        return
    with _lock:
        _active += 1
        if _active == 1:
            libc.mallopt(_M_MMAP_THRESHOLD, _KEEP_BLOCKS)
            libc.mallopt(_M_TRIM_THRESHOLD, _NO_TRIM)
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                libc.mallopt(_M_MMAP_THRESHOLD, _DEFAULT_THRESHOLD)
                libc.mallopt(_M_TRIM_THRESHOLD, _DEFAULT_THRESHOLD)
                libc.malloc_trim(0)
