"""What the dashboard shows of the run store: runs grouped by model, trends, alarms.

Audit logs are content-addressed (a record names its log by SHA-256), so a log parsed once is
cached by its hash for the life of the process: a changed log is a different hash.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from equilens.monitor import Alarm, read_alarms
from equilens.results import AuditLog
from equilens.store import RunStore, StoredRecord

__all__ = [
    "LogCache",
    "RunIndex",
    "RunRow",
    "Trend",
    "TrendPoint",
    "model_key",
    "runs_by_model",
    "trend",
]


def model_key(log: AuditLog) -> str:
    """The model a run audited: the adapter's name, model, path or kind, else the name of the
    prediction column, else the run id."""
    info = log.model or {}
    for key in ("name", "model", "path", "kind"):
        value = info.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:200]
    columns = log.spec_resolved.get("columns")
    pred = columns.get("y_pred") if isinstance(columns, dict) else None
    if isinstance(pred, str) and pred:
        return f"predictions '{pred}'"
    return f"run {log.run_id[:12]}"


class LogCache:
    """Parsed audit logs by content hash (at most ``size``, least recently used dropped)."""

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._logs: OrderedDict[str, AuditLog] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, store: RunStore, log_hash: str) -> AuditLog:
        with self._lock:
            if log_hash in self._logs:
                self._logs.move_to_end(log_hash)
                return self._logs[log_hash]
        log = store.get_log(log_hash)
        with self._lock:
            self._logs[log_hash] = log
            while len(self._logs) > self._size:
                self._logs.popitem(last=False)
        return log


@dataclass(frozen=True)
class RunRow:
    """One record of the chain, with what the dashboard lists about its log."""

    record: StoredRecord
    model: str
    task: str
    created: str
    rows: int | None


class RunIndex:
    """Record -> model, computed once per log hash (small strings, kept for every record)."""

    def __init__(self, cache: LogCache) -> None:
        self.cache = cache
        self._meta: dict[str, tuple[str, str, str, int | None]] = {}
        self._lock = threading.Lock()

    def rows(self, store: RunStore) -> list[RunRow]:
        out = []
        for record in store.records():
            meta = self._meta.get(record.log_hash)
            if meta is None:
                log = self.cache.get(store, record.log_hash)
                meta = (model_key(log), log.task, log.created, log.data.n_rows)
                with self._lock:
                    self._meta[record.log_hash] = meta
            out.append(RunRow(record, *meta))
        return out


def runs_by_model(rows: list[RunRow]) -> dict[str, list[RunRow]]:
    """The records of each model, oldest first; models sorted by name."""
    grouped: dict[str, list[RunRow]] = {}
    for row in rows:
        grouped.setdefault(row.model, []).append(row)
    return dict(sorted(grouped.items()))


@dataclass(frozen=True)
class TrendPoint:
    seq: int
    stored_at: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    status: str


@dataclass(frozen=True)
class Trend:
    """One metric of one family over a model's runs: a series of points per group."""

    metric: str
    features: list[str]
    metrics: list[str]
    """Every metric the runs report (to choose from)."""
    families: list[list[str]]
    series: dict[str, list[TrendPoint]]
    """Group label -> points, one per run that reports it."""
    alarms: list[tuple[int, Alarm]]
    """Stored alarms placed after the run they follow (seq of the newest run before them)."""


def _group_label(features: list[str], slice_: dict[str, str]) -> str:
    if not slice_:
        return "overall"
    return ", ".join(f"{k} = {slice_[k]}" for k in features if k in slice_)


def trend(
    store: RunStore,
    cache: LogCache,
    runs: list[RunRow],
    metric: str | None,
    features: list[str] | None,
) -> Trend:
    """Per-group values of ``metric`` in the family ``features`` over ``runs``, with intervals.

    One point per distinct audit log (a decision re-recording the same log adds no point).
    The defaults are the first metric and the first single-feature family of the newest run.
    """
    seen: set[str] = set()
    logs: list[tuple[RunRow, AuditLog]] = []
    for row in runs:
        if row.record.log_hash not in seen:
            seen.add(row.record.log_hash)
            logs.append((row, cache.get(store, row.record.log_hash)))
    metrics = sorted({r.metric for _, log in logs for r in log.results})
    families = sorted(
        {tuple(f.features) for _, log in logs for f in log.families}, key=lambda f: (len(f), f)
    )
    chosen_metric = metric if metric in metrics else (metrics[0] if metrics else "")
    if features is not None and tuple(features) in families:
        chosen = list(features)
    else:
        chosen = list(families[0]) if families else []
    series: dict[str, list[TrendPoint]] = {}
    for row, log in logs:
        for result in log.results:
            if result.metric != chosen_metric:
                continue
            keys = sorted(result.slice)
            if result.slice and keys != sorted(chosen):
                continue
            label = _group_label(chosen, result.slice)
            series.setdefault(label, []).append(
                TrendPoint(
                    seq=row.record.seq,
                    stored_at=row.record.stored_at,
                    value=_num(result.value),
                    ci_low=_num(result.ci_low),
                    ci_high=_num(result.ci_high),
                    n=result.n,
                    status=result.status,
                )
            )
    return Trend(
        metric=chosen_metric,
        features=chosen,
        metrics=metrics,
        families=[list(f) for f in families],
        series=series,
        alarms=place_alarms(read_alarms(store), [row for row, _ in logs]),
    )


def place_alarms(alarms: list[Alarm], runs: list[RunRow]) -> list[tuple[int, Alarm]]:
    """Each alarm with the seq of the newest run stored before it was raised (0: before all)."""
    out = []
    for alarm in alarms:
        before = [r.record.seq for r in runs if r.record.stored_at <= alarm.created]
        out.append((before[-1] if before else 0, alarm))
    return out


def _num(value: Any) -> float | None:
    return None if value is None else float(value)
