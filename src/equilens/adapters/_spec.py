"""The ``model:`` section of an audit spec: build the adapter, run it, return the table.

Besides the adapter's own options (``kind``, ``path``, ...), the section takes these keys,
which concern the run rather than the model:

``cache``
    ``true`` (default: :func:`default_cache_path`), ``false``, or a path (relative to the spec).
``batch_size``
    Rows per model call (default: the adapter's).
``on_error``
    ``raise`` (default: rows that fail are an error, exit code 2, after every row was tried
    and cached) or ``keep`` (audit the rows that succeeded; the failures are in the log).
``tasks``
    Which of ``predict``, ``predict_proba``, ``generate`` to run (default: what the model
    supports, classification first).
``outputs``
    Output column per task (default ``y_pred``, ``y_score``, ``output``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from equilens.adapters._base import check_keys
from equilens.adapters._cache import OutputCache, default_cache_path
from equilens.adapters._registry import adapter_entry, load_adapter
from equilens.adapters._runner import AdapterRun, ProgressCallback, predict_frame
from equilens.exceptions import InvalidInputError, InvalidParameterError

__all__ = ["RUN_KEYS", "check_model_spec", "run_model_spec"]

RUN_KEYS = ("cache", "batch_size", "on_error", "tasks", "outputs")


def _read(data: Any) -> Any:
    if not isinstance(data, str | Path):
        return data
    path = Path(data)
    if not path.is_file():
        raise InvalidInputError(f"data file not found: {path}")
    if path.suffix.lower() in (".parquet", ".pq"):
        return pd.read_parquet(path)
    return pd.read_csv(path)


def _cache_path(value: object, base_dir: Path | None) -> Path | None:
    if value is True or value is None:
        return default_cache_path()
    if value is False:
        return None
    if isinstance(value, str | Path):
        path = Path(value).expanduser()
        return path if path.is_absolute() or base_dir is None else base_dir / path
    raise InvalidParameterError(
        f"The 'cache' key of the model spec must be true, false or a path. Got {value!r} instead."
    )


def check_model_spec(spec: Any, *, base_dir: str | Path | None = None) -> None:
    """Check a spec's ``model:`` section without building the adapter or loading a model.

    What is checked: that it is a mapping, that its ``kind`` is a registered adapter (built-in
    or plugin), that the adapter knows every other key (when it declares them), and the run
    keys (``cache``, ``on_error``). ``equilens validate`` calls it, so that validate refuses
    what ``equilens audit`` would refuse before its first model call.

    Raises
    ------
    RegistryLookupError
        For an unknown ``kind`` (the message suggests close names).
    InvalidParameterError
        For an unknown key or a bad run key.
    """
    if not isinstance(spec, Mapping):
        raise InvalidParameterError(
            f"The model spec must be a mapping with a 'kind'. Got {type(spec).__name__} instead."
        )
    kind = spec.get("kind", "precomputed")
    entry = adapter_entry(kind)
    keys = getattr(entry.load(), "spec_keys", None)
    if keys is not None:
        options = {k: v for k, v in spec.items() if k not in RUN_KEYS and k != "kind"}
        check_keys(f"{entry.name} model spec", options, set(keys))
    _cache_path(spec.get("cache", True), None if base_dir is None else Path(base_dir))
    if spec.get("on_error", "raise") not in ("raise", "keep"):
        raise InvalidParameterError(
            "The 'on_error' key of the model spec must be 'raise' or 'keep'. "
            f"Got {spec.get('on_error')!r} instead."
        )


def run_model_spec(
    spec: Mapping[str, Any],
    data: Any,
    *,
    base_dir: str | Path | None = None,
    progress: ProgressCallback | None = None,
) -> AdapterRun:
    """Build the adapter of a spec's ``model:`` section and add its outputs to ``data``.

    Parameters
    ----------
    spec:
        The ``model:`` mapping: adapter options plus the run keys in :data:`RUN_KEYS`.
    data:
        A table, or the path of a CSV / Parquet file.
    base_dir:
        The spec file's folder (relative paths in the section are relative to it).
    progress:
        Called as ``progress(task, rows_done, rows_total)``.

    Returns
    -------
    AdapterRun
        ``frame`` is the data with ``y_pred`` / ``y_score`` / ``output`` columns; ``record()``
        is what the audit log should keep under ``model``.

    Raises
    ------
    ModelOutputError
        With ``on_error: raise``, when some rows failed (an :class:`InvalidInputError`).
    """
    if not isinstance(spec, Mapping):
        raise InvalidParameterError(
            f"The model spec must be a mapping with a 'kind'. Got {type(spec).__name__} instead."
        )
    base = None if base_dir is None else Path(base_dir)
    options = {k: v for k, v in spec.items() if k not in RUN_KEYS}
    adapter = load_adapter(options, base_dir=base)
    cache_path = _cache_path(spec.get("cache", True), base)
    with OutputCache(cache_path) if cache_path is not None else _NoCache() as cache:
        return predict_frame(
            adapter,
            _read(data),
            tasks=spec.get("tasks"),
            columns=spec.get("outputs"),
            cache=cache,
            batch_size=spec.get("batch_size"),
            progress=progress,
            on_error=spec.get("on_error", "raise"),
        )


class _NoCache:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        return None
