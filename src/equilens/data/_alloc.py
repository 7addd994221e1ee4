"""Memory for large arrays: one Arrow memory pool that does not ask for huge pages.

numpy (``np.empty`` of 4 MiB or more) and Arrow's default mimalloc pool both ask the kernel for
transparent huge pages. Where first-touching a huge page is slow (virtual machines under memory
pressure, where the kernel compacts memory synchronously) that cost 0.5 to 2 s of system time
per 10-million-row call, against about 0.2 s with ordinary pages. So file reads, the Arrow
kernels that produce row-sized results, and the output arrays all use :data:`POOL`: Arrow's
jemalloc pool (ordinary pages, memory reused between calls) where the build has it, else the
system allocator. Output arrays are Arrow buffers wrapped by numpy without a copy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import DTypeLike, NDArray

__all__ = ["BLOCK_ROWS", "POOL", "empty"]

BLOCK_ROWS = 1 << 18
"""Rows per block when a step needs a temporary: keeps temporaries small and in cache."""

_SMALL_BYTES = 1 << 20


def _pick_pool() -> pa.MemoryPool:
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:  # builds without jemalloc (e.g. some platforms' wheels)
        return pa.system_memory_pool()


POOL: pa.MemoryPool = _pick_pool()
"""The Arrow memory pool for everything row-sized that equilens.data allocates."""


def empty(n: int, dtype: DTypeLike) -> NDArray[Any]:
    """An uninitialised, writable 1-D array of ``n`` items (in Arrow's pool if large)."""
    dt = np.dtype(dtype)
    nbytes = n * dt.itemsize
    if nbytes < _SMALL_BYTES:
        return np.empty(n, dtype=dt)
    return np.frombuffer(pa.allocate_buffer(nbytes, memory_pool=POOL), dtype=dt)
