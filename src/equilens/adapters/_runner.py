"""Run an adapter over many rows: batches, the output cache, per-row errors, progress.

:func:`run_adapter` returns a :class:`BatchResult` (one output per row, ``None`` where the row
failed, and the failures with their row indices); :func:`predict_frame` adds the outputs to a
DataFrame as ``y_pred`` / ``y_score`` / ``output`` columns, ready for ``audit``.

A batch that raises is split in halves until the failing rows are isolated, so one bad row costs
about ``2 log2(batch)`` extra calls and the other rows of its batch are kept. Successful outputs
are written to the cache after every batch, so a crash or an interrupt loses at most the batch
in flight, and a re-run computes only what is missing.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from equilens import _progress
from equilens.adapters._base import (
    TASKS,
    AdapterCallError,
    GenerationSettings,
    ModelAdapter,
    ModelOutputError,
    PartialBatchError,
    Task,
    one_line,
)
from equilens.adapters._cache import OutputCache
from equilens.adapters._inputs import input_header, n_rows, row_digests, take
from equilens.exceptions import InvalidParameterError

__all__ = [
    "AdapterRun",
    "BatchResult",
    "ProgressCallback",
    "RowError",
    "predict_frame",
    "progress_bar",
    "run_adapter",
]

logger = logging.getLogger("equilens.adapters")

ProgressCallback = Callable[[str, int, int], None]
"""Called as ``progress(task, rows_done, rows_total)`` after the cache lookup and each batch."""

DEFAULT_COLUMNS: dict[Task, str] = {
    "predict": "y_pred",
    "predict_proba": "y_score",
    "generate": "output",
}

# A batch of at least this many rows whose every row fails with one and the same error is taken
# as a broken model (wrong features, wrong file), not as bad rows: the run stops there.
_SYSTEMATIC_MIN_ROWS = 8

# float32 models (ONNX) round probabilities to 1 + 1.2e-7; such scores are clipped to [0, 1].
_SCORE_SLACK = 1e-6


@dataclass(frozen=True)
class RowError:
    """One row that failed: its position in the inputs and a one-line error."""

    index: int
    error: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict."""
        return {"index": self.index, "error": self.error}


@dataclass
class BatchResult:
    """Outputs of one task over all rows.

    Attributes
    ----------
    task:
        ``predict``, ``predict_proba`` or ``generate``.
    outputs:
        One output per input row; ``None`` where the row failed.
    errors:
        The failed rows, in row order.
    n_cached, n_computed:
        Rows read from the cache and rows computed by the model in this run.
    model_calls:
        Calls made to the model (batches, plus the extra calls that isolated failing rows).
    seconds:
        Wall-clock time of the run.
    stopped:
        Why the run stopped early (a fatal error); the remaining rows are in ``errors``.
    """

    task: Task
    outputs: list[Any]
    errors: tuple[RowError, ...] = ()
    n_cached: int = 0
    n_computed: int = 0
    model_calls: int = 0
    seconds: float = 0.0
    stopped: str | None = None

    @property
    def ok(self) -> bool:
        """Whether every row has an output."""
        return not self.errors

    @property
    def ok_mask(self) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """A boolean array: True where the row has an output."""
        mask = np.ones(len(self.outputs), dtype=bool)
        mask[[e.index for e in self.errors]] = False
        return mask

    @property
    def rows_per_second(self) -> float:
        """Rows computed by the model per second (nan when none was computed)."""
        return self.n_computed / self.seconds if self.n_computed and self.seconds > 0 else math.nan

    def summary(self, max_errors: int = 20) -> dict[str, Any]:
        """A JSON-able summary for the audit log (at most ``max_errors`` errors listed)."""
        return {
            "task": self.task,
            "n_rows": len(self.outputs),
            "n_cached": self.n_cached,
            "n_computed": self.n_computed,
            "n_failed": len(self.errors),
            "model_calls": self.model_calls,
            "seconds": round(self.seconds, 6),
            "stopped": self.stopped,
            "errors": [e.to_dict() for e in self.errors[:max_errors]],
        }

    def error_message(self, kind: str, max_rows: int = 3) -> str:
        """A one-line description of the failed rows."""
        shown = "; ".join(f"row {e.index}: {e.error}" for e in self.errors[:max_rows])
        more = len(self.errors) - max_rows
        tail = f"; and {more} more" if more > 0 else ""
        stop = f" The run stopped: {self.stopped}." if self.stopped else ""
        kept = len(self.outputs) - len(self.errors)
        return (
            f"The {kind} model failed on {len(self.errors)} of {len(self.outputs)} rows "
            f"({self.task}): {shown}{tail}.{stop} The {kept} other outputs are kept (and cached)."
        )

    def raise_for_errors(self, kind: str = "model") -> None:
        """Raise :class:`ModelOutputError` (exit code 2) if any row failed."""
        if self.errors:
            raise ModelOutputError(self.error_message(kind), run=self)


def _normalise(task: Task, value: Any) -> Any:
    """A JSON-able output, or raise ValueError saying why the value is not one."""
    if isinstance(value, np.generic):
        value = value.item()
    if task == "generate":
        if not isinstance(value, str):
            raise ValueError(f"the model returned a {type(value).__name__}, not a str")
        return value
    if task == "predict_proba":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"the score {value!r} is not a number")
        score = float(value)
        if not math.isfinite(score) or not -_SCORE_SLACK <= score <= 1.0 + _SCORE_SLACK:
            raise ValueError(f"the score {score!r} is not a probability in [0, 1]")
        return min(max(score, 0.0), 1.0)
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        raise ValueError(f"the model returned no label ({value!r})")
    if not isinstance(value, str | int | float | bool):
        raise ValueError(f"the label {value!r} is not a str, int, float or bool")
    return value


class _Runner:
    def __init__(
        self,
        adapter: ModelAdapter,
        task: Task,
        prepared: pd.DataFrame | list[str],
        settings: GenerationSettings,
    ) -> None:
        self.adapter = adapter
        self.task = task
        self.prepared = prepared
        self.settings = settings
        self.calls = 0

    def _invoke(self, inputs: pd.DataFrame | list[str]) -> Sequence[Any]:
        self.calls += 1
        if self.task == "generate":
            assert isinstance(inputs, list)
            return self.adapter.generate(inputs, self.settings)
        if self.task == "predict_proba":
            return self.adapter.predict_proba(inputs)
        return self.adapter.predict(inputs)

    def call(self, idx: list[int]) -> tuple[dict[int, Any], dict[int, str]]:
        """Outputs and one-line errors of the rows ``idx`` (positions in the inputs)."""
        outputs: dict[int, Any] = {}
        errors: dict[int, str] = {}
        try:
            raw = self._invoke(take(self.prepared, idx))
            raw_list = list(raw)
            if len(raw_list) != len(idx):
                raise ValueError(f"the model returned {len(raw_list)} outputs for {len(idx)} rows")
        except PartialBatchError as partial:
            for j, i in enumerate(idx):
                if j in partial.errors:
                    errors[i] = one_line(partial.errors[j])
                else:
                    self._keep(i, partial.outputs[j], outputs, errors)
            return outputs, errors
        except AdapterCallError as exc:
            if exc.fatal:
                raise
            return self._split(idx, exc)
        except Exception as exc:
            return self._split(idx, exc)
        for i, value in zip(idx, raw_list):
            self._keep(i, value, outputs, errors)
        return outputs, errors

    def _keep(self, i: int, value: Any, outputs: dict[int, Any], errors: dict[int, str]) -> None:
        try:
            outputs[i] = _normalise(self.task, value)
        except ValueError as exc:
            errors[i] = f"InvalidOutput: {exc}"

    def _split(self, idx: list[int], exc: Exception) -> tuple[dict[int, Any], dict[int, str]]:
        if len(idx) == 1:
            return {}, {idx[0]: one_line(exc)}
        mid = len(idx) // 2
        out_a, err_a = self.call(idx[:mid])
        out_b, err_b = self.call(idx[mid:])
        return {**out_a, **out_b}, {**err_a, **err_b}


def _open_cache(cache: OutputCache | str | Path | None) -> tuple[OutputCache | None, bool]:
    if cache is None or isinstance(cache, OutputCache):
        return cache, False
    if isinstance(cache, str | Path):
        return OutputCache(cache), True
    raise InvalidParameterError(
        "The 'cache' parameter of run_adapter must be an OutputCache, a path or None. "
        f"Got {cache!r} instead."
    )


def _check_task(adapter: ModelAdapter, task: object) -> Task:
    if task not in TASKS:
        raise InvalidParameterError(
            "The 'task' parameter of run_adapter must be a str among "
            f"{{'predict', 'predict_proba', 'generate'}}. Got {task!r} instead."
        )
    checked: Task = task
    if checked not in adapter.capabilities:
        supported = ", ".join(t for t in TASKS if t in adapter.capabilities) or "nothing"
        raise InvalidParameterError(
            f"The {adapter.kind} model adapter does not support {checked}; it supports {supported}."
        )
    return checked


def _check_batch_size(batch_size: object, default: int) -> int:
    if batch_size is None:
        return default
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise InvalidParameterError(
            "The 'batch_size' parameter of run_adapter must be an int in the range [1, inf). "
            f"Got {batch_size!r} instead."
        )
    return batch_size


def _run_prepared(
    adapter: ModelAdapter,
    task: Task,
    prepared: pd.DataFrame | list[str],
    *,
    settings: GenerationSettings,
    cache: OutputCache | None,
    batch_size: int,
    progress: ProgressCallback | None,
) -> BatchResult:
    t0 = time.perf_counter()
    total = n_rows(prepared)
    outputs: list[Any] = [None] * total
    errors: dict[int, str] = {}
    use_cache = cache is not None and adapter.cacheable
    keys: list[bytes] = []
    namespace = ""
    cached: dict[bytes, Any] = {}
    if use_cache and cache is not None:
        parts = {
            "model": adapter.fingerprint(),
            "task": task,
            "inputs": input_header(prepared),
            "generation": settings.to_dict() if task == "generate" else None,
        }
        namespace = OutputCache.namespace_for(parts)
        cache.register_namespace(namespace, parts)
        keys = row_digests(prepared)
        cached = cache.get_many(namespace, keys)
    todo: list[int] = []
    n_cached = 0
    for i in range(total):
        if use_cache and keys[i] in cached:
            outputs[i] = cached[keys[i]]
            n_cached += 1
        else:
            todo.append(i)
    done = n_cached
    if progress is not None:
        progress(task, done, total)
    runner = _Runner(adapter, task, prepared, settings)
    n_computed = 0
    stopped: str | None = None
    for start in range(0, len(todo), batch_size):
        idx = todo[start : start + batch_size]
        try:
            got, failed = runner.call(idx)
        except AdapterCallError as exc:  # fatal: every later row would fail the same way
            stopped = one_line(exc)
            for i in todo[start:]:
                errors[i] = f"not run: {stopped}"
            break
        if len(idx) >= _SYSTEMATIC_MIN_ROWS and not got and len(set(failed.values())) == 1:
            stopped = (
                f"every row of a batch of {len(idx)} failed with {next(iter(failed.values()))}"
            )
            for i in todo[start:]:
                errors[i] = failed.get(i, f"not run: {stopped}")
            break
        for i, value in got.items():
            outputs[i] = value
        errors.update(failed)
        n_computed += len(got)
        if use_cache and cache is not None and got:
            cache.put_many(namespace, [(keys[i], v) for i, v in got.items()])
        done += len(idx)
        if progress is not None:
            progress(task, done, total)
    seconds = time.perf_counter() - t0
    result = BatchResult(
        task=task,
        outputs=outputs,
        errors=tuple(RowError(i, errors[i]) for i in sorted(errors)),
        n_cached=n_cached,
        n_computed=n_computed,
        model_calls=runner.calls,
        seconds=seconds,
        stopped=stopped,
    )
    logger.info(
        "%s %s: %d rows, %d cached, %d computed, %d failed, %d model calls in %.3f s",
        adapter.kind,
        task,
        total,
        n_cached,
        n_computed,
        len(result.errors),
        runner.calls,
        seconds,
    )
    return result


def run_adapter(
    adapter: ModelAdapter,
    task: Task,
    data: Any,
    *,
    settings: GenerationSettings | Mapping[str, Any] | None = None,
    cache: OutputCache | str | Path | None = None,
    batch_size: int | None = None,
    progress: ProgressCallback | None = None,
) -> BatchResult:
    """Run one task of a model over every row of ``data``, in batches, through the cache.

    Parameters
    ----------
    adapter:
        A model adapter (see :func:`load_adapter`).
    task:
        ``predict``, ``predict_proba`` or ``generate``.
    data:
        A table (for tabular models) or texts / a table with a text column (for text models).
    settings:
        Generation settings (``generate`` only); default: the adapter's own.
    cache:
        An :class:`OutputCache`, the path of one, or None for no cache.
    batch_size:
        Rows per model call; default: the adapter's ``default_batch_size``.
    progress:
        Called as ``progress(task, rows_done, rows_total)``; default: a progress bar on a
        terminal (stderr), nothing on a pipe (see :mod:`equilens._progress`).

    Returns
    -------
    BatchResult
        Outputs for every row that succeeded and the errors of those that failed. A run never
        raises for failing rows; call :meth:`BatchResult.raise_for_errors` to make it.

    Raises
    ------
    InvalidParameterError
        If the adapter does not support ``task`` or an argument is invalid.
    InvalidInputError
        If ``data`` lacks the columns or texts the model reads.
    """
    checked = _check_task(adapter, task)
    size = _check_batch_size(batch_size, adapter.default_batch_size)
    gen = GenerationSettings.from_mapping(settings) if settings is not None else adapter.settings
    opened, owned = _open_cache(cache)
    try:
        prepared = adapter.prepare_inputs(data)
        with contextlib.ExitStack() as stack:
            if progress is None:
                progress = stack.enter_context(progress_bar(adapter.kind))
            return _run_prepared(
                adapter,
                checked,
                prepared,
                settings=gen,
                cache=opened,
                batch_size=size,
                progress=progress,
            )
    finally:
        if owned and opened is not None:
            opened.close()


@dataclass
class AdapterRun:
    """The outputs of a model added to a table, with what is needed for the audit log.

    Attributes
    ----------
    frame:
        A copy of the data with one column per task (``y_pred``, ``y_score``, ``output``);
        failed rows hold a missing value.
    results:
        The :class:`BatchResult` of each task.
    columns:
        The column written for each task.
    model:
        ``adapter.describe()``.
    """

    frame: pd.DataFrame
    results: dict[Task, BatchResult]
    columns: dict[Task, str]
    model: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether every task has an output for every row."""
        return all(r.ok for r in self.results.values())

    @property
    def ok_mask(self) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """True for rows with an output in every task (use ``frame[run.ok_mask]``)."""
        mask = np.ones(len(self.frame), dtype=bool)
        for r in self.results.values():
            mask &= r.ok_mask
        return mask

    def record(self, max_errors: int = 20) -> dict[str, Any]:
        """A JSON-able record for the audit log: the model and a summary of each task."""
        out = {
            "model": self.model,
            "columns": dict(self.columns),
            "runs": {t: r.summary(max_errors) for t, r in self.results.items()},
        }
        json.dumps(out, allow_nan=False)  # fail here, not when the log is written
        return out


def predict_frame(
    adapter: ModelAdapter,
    data: Any,
    *,
    tasks: Sequence[Task] | None = None,
    columns: Mapping[str, str] | None = None,
    settings: GenerationSettings | Mapping[str, Any] | None = None,
    cache: OutputCache | str | Path | None = None,
    batch_size: int | None = None,
    progress: ProgressCallback | None = None,
    on_error: Literal["raise", "keep"] = "raise",
) -> AdapterRun:
    """Run a model over a table and add its outputs as columns (``y_pred``, ``y_score``, ...).

    Parameters
    ----------
    adapter:
        A model adapter.
    data:
        The audit table: the model's features (or its text column) plus labels and sensitive
        features, which the model does not see.
    tasks:
        Default: ``predict`` and ``predict_proba`` where supported, else ``generate``.
    columns:
        Output column per task; default ``{"predict": "y_pred", "predict_proba": "y_score",
        "generate": "output"}``. A column that already exists in ``data`` is an error.
    settings, cache, batch_size, progress:
        As for :func:`run_adapter`.
    on_error:
        ``raise``: after every row was tried (and the outputs cached), raise
        :class:`ModelOutputError` naming the failed rows; its ``run`` attribute holds this
        result. ``keep``: return; failed rows hold missing values (see ``ok_mask``).

    Returns
    -------
    AdapterRun
    """
    from equilens.adapters._inputs import as_table

    if on_error not in ("raise", "keep"):
        raise InvalidParameterError(
            "The 'on_error' parameter of predict_frame must be a str among {'raise', 'keep'}. "
            f"Got {on_error!r} instead."
        )
    frame = as_table(data, adapter=adapter.kind).copy()
    if tasks is None:
        chosen: list[Task] = [t for t in ("predict", "predict_proba") if t in adapter.capabilities]
        if not chosen:
            chosen = ["generate"]
    else:
        chosen = [_check_task(adapter, t) for t in tasks]
    names = dict(DEFAULT_COLUMNS)
    if columns is not None:
        for key, value in columns.items():
            if key not in TASKS or not isinstance(value, str):
                raise InvalidParameterError(
                    "The 'columns' parameter of predict_frame must map tasks (predict, "
                    f"predict_proba, generate) to column names. Got {dict(columns)!r} instead."
                )
            names[key] = value
    for task in chosen:
        if names[task] in frame.columns:
            raise InvalidParameterError(
                f"The data already has a column '{names[task]}'; choose another output column "
                f"for {task} with columns={{'{task}': ...}}."
            )
    size = _check_batch_size(batch_size, adapter.default_batch_size)
    gen = GenerationSettings.from_mapping(settings) if settings is not None else adapter.settings
    opened, owned = _open_cache(cache)
    results: dict[Task, BatchResult] = {}
    try:
        prepared = adapter.prepare_inputs(frame)
        for task in chosen:
            results[task] = _run_prepared(
                adapter,
                task,
                prepared,
                settings=gen,
                cache=opened,
                batch_size=size,
                progress=progress,
            )
    finally:
        if owned and opened is not None:
            opened.close()
    for task, result in results.items():
        values = result.outputs
        if task == "predict_proba":
            frame[names[task]] = np.array(
                [np.nan if v is None else v for v in values], dtype=np.float64
            )
        else:
            frame[names[task]] = pd.Series(values, index=frame.index, dtype=object)
            if result.ok:
                frame[names[task]] = frame[names[task]].infer_objects()
    run = AdapterRun(
        frame=frame,
        results=results,
        columns={t: names[t] for t in chosen},
        model=adapter.describe(),
    )
    if on_error == "raise":
        for result in results.values():
            if result.errors:
                raise ModelOutputError(result.error_message(adapter.kind), run=run)
    return run


@contextlib.contextmanager
def progress_bar(description: str = "model") -> Iterator[ProgressCallback]:
    """A progress bar on stderr (on a terminal; nothing on a pipe), as a callback for
    ``progress=``.

    Examples
    --------
    >>> with progress_bar("german credit") as bar:  # doctest: +SKIP
    ...     run = predict_frame(adapter, df, progress=bar)
    """
    with contextlib.ExitStack() as stack:
        bars: dict[str, Callable[..., None]] = {}
        seen: dict[str, int] = {}

        def update(task: str, done: int, total: int) -> None:
            if task not in bars:
                bars[task] = stack.enter_context(_progress.bar(f"{description} {task}", total))
                seen[task] = 0
            bars[task](done - seen[task], total=total)
            seen[task] = done

        yield update
