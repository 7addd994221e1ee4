"""Checks of what the schema cannot express: ranges, required sections and consistency.

A log is an input like any other: it may be hand-edited, truncated or forged. The schema
(``_log.py``) checks types and that every number is finite; :func:`log_problems` checks what
every log this project writes guarantees beyond that, so a report, the gate, a card or a
comparison never shows an AUC of 7.5 or passes a log whose results were emptied:

* ranges: rates, AUCs and other bounded metrics (and their intervals) in [0, 1]; p-values in
  [0, 1]; counts and sizes >= 0; ratios >= 0; differences of bounded metrics in [-1, 1];
  the confidence level in (0, 1); the seed and the bootstrap draws within bounds;
* order: every interval has ``ci_low <= ci_high``;
* consistency: one row count per slice across the audit's metric rows, comparisons and
  curves;
* task logs (format 1.3): values of the other tasks' bounded metrics (shares, AUCs, NDCG in
  [0, 1]; errors >= 0; R^2 <= 1), the rank tests beside mean comparisons, and the multiclass
  confusion matrices (square, one label per class, counts >= 0).

Only invariants that hold for every log written by equilens are checked (run against the demo
logs and every log the test suite writes); a log that passes can still be forged consistently,
which is what the run store's hash chain is for.
"""

from __future__ import annotations

from collections.abc import Iterator

from equilens.metrics import metrics
from equilens.results._log import AuditLog
from equilens.results._task_metrics import value_range

__all__ = ["log_problems"]

#: Slack for floating-point rounding at the edges of a range.
_EPS = 1e-9
#: Largest seed and bootstrap draw count a log may record.
MAX_SEED = 2**128
MAX_BOOTSTRAP = 10_000_000

#: Probe rows (``equilens probe``) whose values lie in [0, 1]: rates and areas under curves.
_PROBE_UNIT = frozenset(
    {
        "positive_rate",
        "flip_rate",
        "score_increase_rate",
        "subgroup_auc",
        "bpsn_auc",
        "bnsp_auc",
        "generalized_mean_subgroup_auc",
        "generalized_mean_bpsn_auc",
        "generalized_mean_bnsp_auc",
        "stereotype_preference_rate",
    }
)
#: Registry metrics that are not in [0, 1]: counts are >= 0; the calibration error is in
#: [-1, 1] (a debiased estimate may be below 0).
_OTHER_RANGES: dict[str, tuple[float, float]] = {
    "count": (0.0, float("inf")),
    "expected_calibration_error": (-1.0, 1.0),
}


def _fmt(value: float) -> str:
    return f"{value:.6g}"


def _audited(metric: str) -> bool:
    """Whether ``metric`` is a registry metric (its rows count the slice's rows in ``n``)."""
    return metric in metrics and metrics.canonical(metric) == metric


def _int(value: int) -> str:
    """An integer for a message: exact up to 20 digits, else in scientific notation."""
    return str(value) if abs(value) < 10**20 else f"{float(value):.3g}"


def _range_of(metric: str) -> tuple[float, float] | None:
    """The range of a metric's values and interval bounds; None when it has none."""
    if _audited(metric):
        return _OTHER_RANGES.get(metric, (0.0, 1.0))
    return (0.0, 1.0) if metric in _PROBE_UNIT else None


def _task_range_of(metric: str, task: str) -> tuple[float, float] | None:
    """The range of a row's value in a log of ``task``.

    Binary logs: as :func:`_range_of` (values and interval bounds). Other tasks: the binary
    registry's range for a binary name without parameters, else the range of the base metric
    (:func:`~equilens.results._task_metrics.value_range`); only values are checked there, since
    a t interval of a mean error near 0 may reach below 0.
    """
    if task == "binary" or _audited(metric):
        return _range_of(metric)
    return value_range(metric)


def _counted(metric: str, task: str) -> bool:
    """Whether a row's ``n`` counts the slice's rows (every row of a non-binary task does: one
    row count per slice), so the consistency check reads it."""
    return _audited(metric) or (task != "binary" and metric not in _PROBE_UNIT)


def _outside(
    where: str, value: float | None, low: float, high: float, what: str = ""
) -> Iterator[str]:
    if value is not None and not low - _EPS <= value <= high + _EPS:
        bounds = f"[{_fmt(low)}, {_fmt(high)}]" if high != float("inf") else f">= {_fmt(low)}"
        if high == float("inf"):
            yield f"{where}: {_fmt(value)} is negative{what}; it must be {bounds}"
        else:
            yield f"{where}: {_fmt(value)} is outside {bounds}{what}"


def _ordered(where: str, low: float | None, high: float | None, lo: str, hi: str) -> Iterator[str]:
    if low is not None and high is not None and low > high + _EPS:
        yield f"{where}.{lo}: {_fmt(low)} is above {hi} {_fmt(high)}"


def _key(mapping: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(mapping.items()))


def _label(mapping: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in mapping.items()) or "overall"


def _top(log: AuditLog) -> Iterator[str]:
    if not 0.0 < log.confidence_level < 1.0:
        yield f"confidence_level: {_fmt(log.confidence_level)} is outside (0, 1)"
    if not 0 <= log.seed < MAX_SEED:
        yield f"seed: {_int(log.seed)} is outside [0, 2**128)"
    if not 0 <= log.bootstrap_draws <= MAX_BOOTSTRAP:
        yield f"bootstrap_draws: {_int(log.bootstrap_draws)} is outside [0, {MAX_BOOTSTRAP}]"
    if log.data.n_rows < 0:
        yield f"data.n_rows: {log.data.n_rows} is negative"


def _results(log: AuditLog) -> Iterator[str]:
    for i, row in enumerate(log.results):
        where = f"results[{i}]"
        if row.n < 0:
            yield f"{where}.n: {row.n} is negative"
        bounds = _task_range_of(row.metric, log.task)
        if bounds is not None:
            what = f" for {row.metric}"
            checked = ("value", "ci_low", "ci_high") if _range_of(row.metric) else ("value",)
            for name in checked:
                yield from _outside(f"{where}.{name}", getattr(row, name), *bounds, what)
        yield from _ordered(where, row.ci_low, row.ci_high, "ci_low", "ci_high")
        for name in ("weighted_n", "effective_n", "error_bound"):
            yield from _outside(f"{where}.{name}", getattr(row, name), 0.0, float("inf"))
        yield from _outside(f"{where}.undefined_draws", row.undefined_draws, 0.0, 1.0)


def _comparisons(log: AuditLog) -> Iterator[str]:
    for i, row in enumerate(log.comparisons):
        where = f"comparisons[{i}]"
        for name in ("n", "n_reference"):
            if getattr(row, name) < 0:
                yield f"{where}.{name}: {getattr(row, name)} is negative"
        for name in ("p_value", "p_holm", "p_bh"):
            yield from _outside(f"{where}.{name}", getattr(row, name), 0.0, 1.0, " for a p-value")
        bounds = _task_range_of(row.metric, log.task)
        if bounds == (0.0, 1.0):
            what = f" for {row.metric}"
            for name in ("value", "reference_value"):
                yield from _outside(f"{where}.{name}", getattr(row, name), 0.0, 1.0, what)
            yield from _outside(f"{where}.difference", row.difference, -1.0, 1.0, what)
            for name in ("ratio", "ratio_ci_low", "ratio_ci_high"):
                yield from _outside(f"{where}.{name}", getattr(row, name), 0.0, float("inf"))
        yield from _ordered(
            where, row.difference_ci_low, row.difference_ci_high, "difference_ci_low",
            "difference_ci_high",
        )  # fmt: skip
        yield from _ordered(
            where, row.ratio_ci_low, row.ratio_ci_high, "ratio_ci_low", "ratio_ci_high"
        )
        if row.rank_test is not None:
            rank = row.rank_test
            yield from _outside(f"{where}.rank_test.p_value", rank.p_value, 0.0, 1.0)
            yield from _outside(
                f"{where}.rank_test.probability_of_superiority",
                rank.probability_of_superiority,
                0.0,
                1.0,
            )


def _matrices(log: AuditLog) -> Iterator[str]:
    """Multiclass confusion matrices: K labels, K x K counts >= 0, only in multiclass logs."""
    if log.confusion_matrices and log.task != "multiclass":
        yield f"confusion_matrices: a {log.task} log has no confusion matrices (multiclass only)"
    for i, m in enumerate(log.confusion_matrices or []):
        where = f"confusion_matrices[{i}]"
        k = len(m.labels)
        if m.n < 0:
            yield f"{where}.n: {m.n} is negative"
        if len(set(m.labels)) != k:
            yield f"{where}.labels: a class is repeated"
        if len(m.counts) != k or any(len(row) != k for row in m.counts):
            yield f"{where}.counts: not {k} x {k} (one row and column per label)"
        for r, row in enumerate(m.counts):
            for c, value in enumerate(row):
                if value < 0:
                    yield f"{where}.counts[{r}][{c}]: {_fmt(value)} is negative"


def _disparities(log: AuditLog) -> Iterator[str]:
    for i, row in enumerate(log.disparities):
        where = f"disparities[{i}]"
        yield from _ordered(where, row.ci_low, row.ci_high, "ci_low", "ci_high")
        yield from _outside(f"{where}.undefined_draws", row.undefined_draws, 0.0, 1.0)
        if row.criterion.endswith("_ratio"):
            yield from _outside(
                f"{where}.value", row.value, 0.0, float("inf"), f" for {row.criterion}"
            )


def _probes(log: AuditLog) -> Iterator[str]:
    for i, record in enumerate(log.probes or []):
        where = f"probes[{i}]"
        for name in ("units", "pairs", "failures", "top_k"):
            if getattr(record, name) < 0:
                yield f"{where}.{name}: {getattr(record, name)} is negative"
        for j, group in enumerate(record.groups):
            if group.n_pairs < 0:
                yield f"{where}.groups[{j}].n_pairs: {group.n_pairs} is negative"
            if group.flip is not None:
                flip = group.flip
                yield from _outside(f"{where}.groups[{j}].flip.rate", flip.rate, 0.0, 1.0)
                yield from _ordered(f"{where}.groups[{j}].flip", flip.ci_low, flip.ci_high,
                                    "ci_low", "ci_high")  # fmt: skip


def _consistency(log: AuditLog) -> Iterator[str]:
    """One row count per slice across the audit's metric rows, comparisons and curves.

    Probe rows are left out: their ``n`` counts pairs, units or items, which differ by metric.
    """
    sizes: dict[tuple[tuple[str, str], ...], tuple[int, str]] = {}
    for i, row in enumerate(log.results):
        if not _counted(row.metric, log.task):
            continue
        where = f"results[{i}]"
        first = sizes.setdefault(_key(row.slice), (row.n, where))
        if first[0] != row.n:
            yield (
                f"{where}.n: {row.n} rows for {_label(row.slice)}, but {first[1]} has "
                f"{first[0]} rows for the same slice"
            )
    for i, curve in enumerate(log.curves or []):
        key = _key(curve.slice)
        if key in sizes and sizes[key][0] != curve.n:
            yield (
                f"curves[{i}].n: {curve.n} rows for {_label(curve.slice)}, but the results "
                f"have {sizes[key][0]}"
            )
        for cell in ("tn", "fp", "fn", "tp"):
            if getattr(curve.confusion, cell) < 0:
                yield f"curves[{i}].confusion.{cell}: {getattr(curve.confusion, cell)} is negative"
    for i, comp in enumerate(log.comparisons):
        if not _counted(comp.metric, log.task):
            continue
        for name, mapping, n in (
            ("n", comp.slice, comp.n),
            ("n_reference", comp.reference, comp.n_reference),
        ):
            key = _key(mapping)
            if key in sizes and sizes[key][0] != n:
                yield (
                    f"comparisons[{i}].{name}: {n} rows for {_label(mapping)}, but the results "
                    f"have {sizes[key][0]}"
                )


def log_problems(log: AuditLog) -> list[str]:
    """Every problem of a schema-valid log, each as ``field.path: what is wrong``.

    Parameters
    ----------
    log : AuditLog
        A log that passed the schema (types, finite numbers).

    Returns
    -------
    list of str
        Empty when the log is consistent; otherwise one message per problem, in document
        order, each starting with the path of the field (``results[12].value``).
    """
    problems: list[str] = []
    for check in (_top, _results, _comparisons, _disparities, _probes, _matrices, _consistency):
        problems.extend(check(log))
    return problems
