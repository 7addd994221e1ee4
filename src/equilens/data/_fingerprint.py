"""Content hashes of the normalised columns of an audit.

Each role part (labels, scores, weights, a feature's codes and labels) is hashed with 128-bit
BLAKE2b over a small JSON header and the raw bytes of its numpy array. For large data the
hashing runs in background threads (``hashlib`` releases the GIL on large buffers) while the
remaining columns are being prepared.
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilens.data._alloc import BLOCK_ROWS
from equilens.data._types import DataFingerprint

__all__ = ["HashPart", "Hasher", "hash_dtype"]

_DIGEST_SIZE = 16
_THREADED_ROWS = 200_000  # below this, thread start-up costs more than it saves


@dataclass(frozen=True)
class HashPart:
    """One role's contribution to a column's hash."""

    column: str
    header: dict[str, object]
    array: NDArray[Any]
    dtype: np.dtype[Any] | None = None
    """Hash the values converted to this dtype (e.g. group codes as uint8); None: as they are."""


def hash_dtype(n_groups: int) -> np.dtype[Any]:
    """The smallest dtype that holds group codes ``0 .. n_groups - 1``."""
    if n_groups <= 1 << 8:
        return np.dtype(np.uint8)
    if n_groups <= 1 << 16:
        return np.dtype(np.uint16)
    return np.dtype(np.int32)


def _digest(part: HashPart) -> bytes:
    h = hashlib.blake2b(digest_size=_DIGEST_SIZE)
    header = json.dumps(part.header, sort_keys=True, separators=(",", ":"), default=str)
    h.update(header.encode())
    h.update(b"\0")
    arr = np.ascontiguousarray(part.array)
    dtype = arr.dtype if part.dtype is None else part.dtype
    h.update(dtype.str.encode())
    if dtype == arr.dtype:
        h.update(arr.view(np.uint8).data)
    else:  # convert block by block: the same bytes as converting at once, no big temporary
        for start in range(0, len(arr), BLOCK_ROWS):
            h.update(arr[start : start + BLOCK_ROWS].astype(dtype).view(np.uint8).data)
    return h.digest()


class Hasher:
    """Hash parts (in background threads for large data) while the caller goes on.

    Use as a context manager; :meth:`add` submits a part, :meth:`result` waits for all of them.
    """

    def __init__(self, n_rows: int) -> None:
        self._n_rows = n_rows
        workers = max(1, min(os.cpu_count() or 1, 4))
        self._pool: ThreadPoolExecutor | None = None
        if n_rows >= _THREADED_ROWS and workers > 1:
            self._pool = ThreadPoolExecutor(workers, thread_name_prefix="equilens-hash")
        self._jobs: list[tuple[str, Future[bytes]]] = []

    def __enter__(self) -> Hasher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def add(self, part: HashPart) -> None:
        """Start hashing ``part`` (in the calling thread for small data)."""
        job: Future[bytes]
        if self._pool is not None:
            job = self._pool.submit(_digest, part)
        else:
            job = Future()
            job.set_result(_digest(part))
        self._jobs.append((part.column, job))

    def result(self) -> DataFingerprint:
        """Wait for every part and combine the parts of each column.

        A column used in one role gets that role's digest; a column used in several (e.g. the
        label column also used as a sensitive feature) gets a digest over its role digests, in
        the order they were added.
        """
        by_column: dict[str, list[bytes]] = {}
        for column, job in self._jobs:
            by_column.setdefault(column, []).append(job.result())
        columns: dict[str, str] = {}
        for name, digests in by_column.items():
            if len(digests) == 1:
                columns[name] = digests[0].hex()
            else:
                h = hashlib.blake2b(digest_size=_DIGEST_SIZE)
                for d in digests:
                    h.update(d)
                columns[name] = h.hexdigest()
        return DataFingerprint(n_rows=self._n_rows, columns=columns)
