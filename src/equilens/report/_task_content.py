"""What the reports and the terminal summary show of a non-binary task's log.

A binary log has fixed key metrics (selection rate, error rates, ...). Other tasks name their
rows after their own registries, per class (``recall_score[class=7]``), per cut-off
(``ndcg_score[k=10]``) or per item group (``exposure_share[item_group=a]``); which rows a log
holds depends on its data. So the headline columns are read from the log itself: every
unparameterised metric, the first variant of each parameterised one (``f1_score[average=
macro]``, the smallest ``k``), and, for per-class metrics, the *worst class* of each group, so
a table of ten classes stays one row per group. Nothing here hard-codes an exhaustive list of
names: an unknown metric is shown under its own name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from equilens.results import (
    AuditLog,
    Comparison,
    MetricResult,
    base_name,
    describe_params,
    metric_params,
    task_metric_spec,
)

__all__ = [
    "TASK_METRIC_LABELS",
    "TASK_METRIC_MEANING",
    "TASK_METRIC_SHORT",
    "TASK_PROPORTIONS",
    "Headline",
    "comparison_test_text",
    "effect_size_text",
    "headline_columns",
    "headline_label",
    "headline_table",
    "interval_methods",
    "task_metric_label",
    "task_metric_meaning",
    "task_metric_short",
    "underpowered_gap_text",
]

#: Readable names of the base metrics of the non-binary tasks.
TASK_METRIC_LABELS: dict[str, str] = {
    "recall_score": "Recall",
    "top_k_accuracy_score": "Top-k accuracy",
    "mean_error": "Mean error (bias)",
    "mean_absolute_error": "Mean absolute error",
    "root_mean_squared_error": "Root mean squared error",
    "r2_score": "R²",
    "mean_prediction": "Mean prediction",
    "mean_target": "Mean true value",
    "mean": "Mean",
    "ratio_of_sums": "Ratio of sums",
    "ndcg_score": "NDCG",
    "precision_at_k": "Precision at k",
    "recall_at_k": "Recall at k",
    "mean_reciprocal_rank": "Mean reciprocal rank",
    "exposure_share": "Exposure share",
    "relevance_share": "Relevance share",
    "disparate_exposure": "Disparate exposure",
}

#: Short names for table headers.
TASK_METRIC_SHORT: dict[str, str] = {
    "recall_score": "Recall",
    "top_k_accuracy_score": "Top-k acc.",
    "mean_error": "Bias",
    "mean_absolute_error": "MAE",
    "root_mean_squared_error": "RMSE",
    "r2_score": "R²",
    "mean_prediction": "Mean pred.",
    "mean_target": "Mean true",
    "mean": "Mean",
    "ratio_of_sums": "Ratio",
    "ndcg_score": "NDCG",
    "precision_at_k": "P@k",
    "recall_at_k": "R@k",
    "mean_reciprocal_rank": "MRR",
    "exposure_share": "Exposure",
    "relevance_share": "Relevance",
    "disparate_exposure": "Disp. exposure",
}

#: One-line meanings in logs of other tasks than binary (the registry's description is the
#: fallback); multiclass rows name one class (``[class=c]``) or an average over classes.
TASK_METRIC_MEANING: dict[str, str] = {
    "accuracy_score": "share of cases predicted correctly",
    "balanced_accuracy_score": "mean over the classes of each class's recall",
    "f1_score": "F1 (harmonic mean of precision and recall) of each class, averaged as named",
    "precision_score": "among cases predicted as the class, share truly of the class",
    "selection_rate": "share of cases predicted as the class",
    "false_positive_rate": "among cases not of the class, share predicted as the class",
    "roc_auc_score": "chance that the class's score ranks a case of the class above another",
    "recall_score": "among cases of the class, share predicted as the class",
    "top_k_accuracy_score": "share of cases whose true class is among the k highest scores",
    "mean_error": "mean of prediction minus true value (above 0: over-prediction)",
    "mean_absolute_error": "mean absolute gap between prediction and true value",
    "root_mean_squared_error": "square root of the mean squared gap between prediction and truth",
    "r2_score": "share of the true values' variance the predictions explain",
    "mean_prediction": "mean of the predictions",
    "mean_target": "mean of the true values (compare with the mean prediction)",
    "mean": "mean of the measured value per row",
    "ratio_of_sums": "sum of the numerator over the sum of the denominator (e.g. word error rate)",
    "ndcg_score": "discounted gain of the top k items against the ideal order, per query",
    "precision_at_k": "share of the top k items that are relevant, per query",
    "recall_at_k": "share of a query's relevant items that are in its top k",
    "mean_reciprocal_rank": "mean of 1 / rank of the first relevant item, per query",
    "exposure_share": "share of the position-weighted attention the item group receives",
    "relevance_share": "share of the relevance the item group holds",
    "disparate_exposure": "exposure share over relevance share (1: exposure matches merit)",
}

#: Base metrics of the non-binary tasks that are shares of rows (percentages).
TASK_PROPORTIONS = frozenset(
    {"recall_score", "top_k_accuracy_score", "selection_rate", "false_positive_rate"}
)

#: A parameter that splits a metric into one row per class: headline tables show the worst
#: class of each group. Per item group rows (ranking exposure) have no "worst" direction:
#: they are shown in their own section, not in the headline.
_PER_CLASS = "class"
_PER_ITEM_GROUP = "item_group"


def _with_params(label: str, metric: str) -> str:
    params = describe_params(metric)
    return f"{label} ({params})" if params else label


def task_metric_label(metric: str, known: dict[str, str]) -> str:
    """Readable name of a row's metric: ``Recall (class 7)``; the raw name when unknown."""
    base = base_name(metric)
    label = TASK_METRIC_LABELS.get(base) or known.get(base) or base
    return _with_params(label, metric) if base != metric else label


def task_metric_short(metric: str, known: dict[str, str]) -> str:
    """Short header of a row's metric: ``Recall (class 7)``, ``NDCG (top 10)``."""
    base = base_name(metric)
    label = TASK_METRIC_SHORT.get(base) or known.get(base) or base
    return _with_params(label, metric) if base != metric else label


def task_metric_meaning(metric: str, known: dict[str, str], task: str) -> str:
    """One-line meaning of a row's metric: ours, else the registry's description, else ''."""
    base = base_name(metric)
    if base in TASK_METRIC_MEANING:
        return TASK_METRIC_MEANING[base]
    if base in known:
        return known[base]
    spec = task_metric_spec(metric, task)
    return spec.description.rstrip(".") if spec is not None else ""


@dataclass(frozen=True)
class Headline:
    """One headline column: a metric row per slice, or the worst of per-class rows."""

    metric: str
    """The row name (``accuracy_score``, ``f1_score[average=macro]``) or the base name of a
    per-class metric (``recall_score``) when ``worst``."""
    worst: bool = False
    lower_is_worse: bool = True
    """For ``worst`` columns: whether the lowest value is the worst (metrics where greater is
    better or whose direction is unknown); else the highest."""

    def row(self, rows: dict[str, MetricResult]) -> tuple[MetricResult | None, str]:
        """The row shown for one slice (its rows by metric) and a note naming the class."""
        if not self.worst:
            return rows.get(self.metric), ""
        candidates = [
            r
            for name, r in rows.items()
            if base_name(name) == self.metric and r.value is not None and r.status == "ok"
        ]
        if not candidates:
            return None, ""
        pick = min if self.lower_is_worse else max
        chosen = pick(candidates, key=lambda r: r.value or 0.0)
        return chosen, describe_params(chosen.metric)


def headline_columns(log: AuditLog, limit: int = 6) -> list[Headline]:
    """The headline columns of a non-binary log, read from its rows (see the module notes)."""
    names = list(dict.fromkeys(r.metric for r in log.results))
    columns: list[Headline] = []
    seen: set[str] = set()
    worst: list[Headline] = []
    for name in names:
        base = base_name(name)
        if name == "count" or base in seen:
            continue
        params = metric_params(name)
        if _PER_ITEM_GROUP in params:
            continue
        if _PER_CLASS in params:
            if base == "recall_score" or not worst:
                spec = task_metric_spec(name, log.task)
                lower = spec is None or spec.greater_is_better is not False
                col = Headline(base, worst=True, lower_is_worse=lower)
                worst = [col] if base == "recall_score" else worst or [col]
            continue
        seen.add(base)
        columns.append(Headline(name))
    return columns[: max(limit - len(worst), 1)] + worst


def headline_label(col: Headline) -> str:
    """The header of a headline column."""
    from equilens.report._content import metric_short

    return f"worst {metric_short(col.metric)}" if col.worst else metric_short(col.metric)


def comparison_test_text(c: Comparison) -> str:
    """The test of a comparison in words: ``welch-t``, with the rank test beside when run."""
    text = c.test
    if c.rank_test is not None:
        text += f"; {c.rank_test.test}"
    return text


def effect_size_text(c: Comparison) -> str:
    """``hedges_g = +0.41`` (or Cohen's h); '-' when the row has none."""
    if c.effect_size_name is not None and c.effect_size is not None:
        return f"{c.effect_size_name} = {c.effect_size:+.2f}".replace("-", "\u2212")
    if c.cohens_h is not None:
        return f"cohens_h = {c.cohens_h:+.2f}".replace("-", "\u2212")
    return "-"


def interval_methods(log: AuditLog) -> dict[str, list[str]]:
    """Each interval method of the log's result rows -> the metrics (base names) using it."""
    out: dict[str, list[str]] = {}
    for r in log.results:
        if r.ci_method == "none":
            continue
        bases = out.setdefault(r.ci_method, [])
        base = base_name(r.metric)
        if base not in bases:
            bases.append(base)
    return out


def headline_table(
    log: AuditLog, fmt: Callable[[MetricResult], str]
) -> tuple[list[str], list[list[str]]]:
    """Headers and rows (group, n, one cell per headline column) of a non-binary log.

    ``fmt`` writes one row's value and interval; a worst-class cell adds the class.
    """
    columns = headline_columns(log)
    by_slice: dict[tuple[tuple[str, str], ...], dict[str, MetricResult]] = {}
    labels: dict[tuple[tuple[str, str], ...], tuple[str, int]] = {}
    for r in log.results:
        key = tuple(r.slice.items())
        by_slice.setdefault(key, {})[r.metric] = r
        labels[key] = (", ".join(f"{k}={v}" for k, v in r.slice.items()) or "overall", r.n)
    headers = ["group", "n", *(headline_label(c) for c in columns)]
    rows: list[list[str]] = []
    for key, metrics in by_slice.items():
        label, n = labels[key]
        cells = [label, str(n)]
        for col in columns:
            row, note = col.row(metrics)
            cells.append("" if row is None else fmt(row) + (f" ({note})" if note else ""))
        rows.append(cells)
    return headers, rows


def underpowered_gap_text(gap: float | None, task: str) -> str:
    """The gap an inconclusive comparison could not detect, in the unit its task reads it in.

    Binary rows are shares (percentage points); in other tasks a share's gap is in proportion
    points and a mean's or a ratio's in standard deviations of the per-unit values
    (``audit/_compare.py``).
    """
    g = 0.1 if gap is None else gap
    if task == "binary":
        return f"{g * 100:.0f} percentage points"
    return (
        f"{g:g} (proportion points for shares; standard deviations of the per-unit values "
        "for means and ratios)"
    )
