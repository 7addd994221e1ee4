"""Content hashes of the normalised columns of an audit.

Each role part (labels, scores, weights, a feature's codes and labels) is hashed with 128-bit
BLAKE2b over a small JSON header and the raw bytes of its numpy array. Hashing runs in a thread
pool: ``hashlib`` releases the GIL on large buffers.
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from equilens.data._types import DataFingerprint

__all__ = ["HashPart", "Hasher", "feature_codes_for_hash"]

_DIGEST_SIZE = 16


@dataclass(frozen=True)
class HashPart:
    """One role's contribution to a column's hash."""

    column: str
    header: dict[str, object]
    array: NDArray[np.generic]


def feature_codes_for_hash(codes: NDArray[np.int32], n_groups: int) -> NDArray[np.generic]:
    """The codes in the smallest unsigned dtype that holds them (fewer bytes to hash)."""
    if n_groups <= 1 << 8:
        return codes.astype(np.uint8)
    if n_groups <= 1 << 16:
        return codes.astype(np.uint16)
    return codes


def _digest(part: HashPart) -> bytes:
    h = hashlib.blake2b(digest_size=_DIGEST_SIZE)
    header = json.dumps(part.header, sort_keys=True, separators=(",", ":"), default=str)
    h.update(header.encode())
    h.update(b"\0")
    arr = np.ascontiguousarray(part.array)
    h.update(str(arr.dtype.str).encode())
    h.update(arr.view(np.uint8).data)
    return h.digest()


class Hasher:
    """Hash parts in background threads while the caller keeps preparing columns.

    Use as a context manager; :meth:`add` submits a part, :meth:`result` waits for all of them.
    """

    def __init__(self, n_rows: int) -> None:
        self._n_rows = n_rows
        workers = max(1, min(os.cpu_count() or 1, 4))
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="equilens-hash")
        self._jobs: list[tuple[str, Future[bytes]]] = []

    def __enter__(self) -> Hasher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def add(self, part: HashPart) -> None:
        """Start hashing ``part``."""
        self._jobs.append((part.column, self._pool.submit(_digest, part)))

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
        for name, ds in by_column.items():
            if len(ds) == 1:
                columns[name] = ds[0].hex()
            else:
                h = hashlib.blake2b(digest_size=_DIGEST_SIZE)
                for d in ds:
                    h.update(d)
                columns[name] = h.hexdigest()
        return DataFingerprint(n_rows=self._n_rows, columns=columns)
