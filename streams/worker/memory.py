"""glibc's allocator set for a long-running consumer, so the worker's memory stays flat.

A worker's biggest allocations are fetch responses of up to a megabyte, freed a moment later. glibc serves
a block above its mmap threshold with mmap and returns it to the system on free, but its threshold is
dynamic: each freed mmapped block raises it to that block's size, so the next fetch buffers come from the
heap, where a few long-lived objects between them keep it from shrinking. The result was a resident size
that grew without end while the Python objects did not (tracemalloc's total stayed flat): +22% in 30 min at
the design peak (`make soak`, 48 MB/h per worker). A fixed threshold (which also turns the dynamic one off)
and two arenas (the worker's threads are few) keep it flat: the same soak measured +2-3% over 12 min
(11-19 MB/h, levelling off). The cost is a few MB more at start, in mmapped fetch buffers.

Set with `mallopt` at start rather than with `MALLOC_*` variables, so every way of starting a worker gets it;
a process already given `MALLOC_MMAP_THRESHOLD_` or `MALLOC_ARENA_MAX` keeps its own. Elsewhere than glibc
this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # glibc malloc.h
M_ARENA_MAX = -8
MMAP_THRESHOLD_BYTES = 128 * 1024  # glibc's initial value, now fixed
ARENA_MAX = 2


def tune_malloc() -> dict[str, int]:
    """Apply the settings not already given in the environment; what was set (empty: nothing)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return {}
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return {}
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    wanted = {
        "MALLOC_MMAP_THRESHOLD_": (M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES),
        "MALLOC_ARENA_MAX": (M_ARENA_MAX, ARENA_MAX),
    }
    applied = {}
    for variable, (option, value) in wanted.items():
        if variable in os.environ:
            continue
        if mallopt(option, value) == 1:
            applied[variable] = value
        else:
            log.debug("mallopt(%d, %d) refused", option, value)
    return applied
