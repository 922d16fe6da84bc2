"""Keep freed memory for reuse while a problem is solved (glibc; elsewhere a no-op).

The vectorised scoring and the solver's checks allocate and free many arrays
of a few megabytes. glibc hands such blocks back to the kernel at once, so
every new array page-faults its memory in again: measured here, that made
scoring 2.5 times slower than with the memory kept. During a solve the
allocator therefore keeps blocks up to 32 MiB and does not trim its heap;
afterwards the defaults return and the heap is trimmed down to 256 MiB, so a
long-running web process keeps enough for the next typical solve but not the
peak of a huge one.

For the same reason numpy's huge-page advice is switched off during a solve
(as ``NUMPY_MADVISE_HUGEPAGE=0`` would): first writes to fresh arrays ran
3-4 times slower with it on these machines.
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
_KEEP_AFTER = 256 * 1024 * 1024
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


def _hugepage_switch() -> Any:
    # numpy's own switch behind NUMPY_MADVISE_HUGEPAGE; private, so optional.
    try:
        from numpy._core import multiarray
    except ImportError:  # pragma: no cover - other numpy layouts
        return None
    return getattr(multiarray, "_set_madvise_hugepage", None)


_hugepage_before = True


@contextmanager
def reuse_freed_memory() -> Iterator[None]:
    """Within the block, keep freed memory for reuse instead of returning it.

    Nested and concurrent uses are counted: the last one out restores the defaults.
    """
    global _active, _hugepage_before
    libc = _libc()
    switch = _hugepage_switch()
    with _lock:
        _active += 1
        if _active == 1:
            if switch is not None:
                _hugepage_before = bool(switch(False))
            if libc is not None:
                libc.mallopt(_M_MMAP_THRESHOLD, _KEEP_BLOCKS)
                libc.mallopt(_M_TRIM_THRESHOLD, _NO_TRIM)
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                if switch is not None:
                    switch(_hugepage_before)
                if libc is not None:
                    libc.mallopt(_M_MMAP_THRESHOLD, _DEFAULT_THRESHOLD)
                    libc.mallopt(_M_TRIM_THRESHOLD, _DEFAULT_THRESHOLD)
                    libc.malloc_trim(ctypes.c_size_t(_KEEP_AFTER))
