"""What the reports say, independent of the output format.

Both renderers (HTML and Markdown) read an :class:`~equilens.results.AuditLog` through
:class:`ReportContent`, which indexes the log and derives the plain-language findings. Text is
built as *segments* (``(kind, text)`` pairs) so each renderer can escape and emphasise it in its
own syntax; no string from the log is ever trusted as markup.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from equilens._pvalue import fmt_p
from equilens.metrics import criteria as criteria_registry
from equilens.report._log_labels import current_label
from equilens.report._task_content import (
    TASK_PROPORTIONS,
    headline_columns,
    task_metric_label,
    task_metric_meaning,
    task_metric_short,
)
from equilens.results import (
    AuditLog,
    Comparison,
    Disparity,
    FamilyRecord,
    MetricResult,
    SliceCurves,
    base_name,
    is_unit_metric,
)

SliceKey = tuple[tuple[str, str], ...]
SegmentKind = Literal["text", "num", "group"]
Segment = tuple[SegmentKind, str]

#: Human-readable metric names.
METRIC_LABELS: dict[str, str] = {
    "count": "Rows",
    "base_rate": "Base rate",
    "selection_rate": "Selection rate",
    "accuracy_score": "Accuracy",
    "balanced_accuracy_score": "Balanced accuracy",
    "precision_score": "Precision (PPV)",
    "true_positive_rate": "True positive rate",
    "false_positive_rate": "False positive rate",
    "false_negative_rate": "False negative rate",
    "true_negative_rate": "True negative rate",
    "negative_predictive_value": "Negative predictive value",
    "f1_score": "F1 score",
    "roc_auc_score": "ROC-AUC",
    "average_precision_score": "Average precision",
    "brier_score_loss": "Brier score",
    "expected_calibration_error": "Calibration error (ECE)",
    # probes
    "mean_score": "Mean score",
    "positive_rate": "Positive rate (score at or above the threshold)",
    "flip_rate": "Flip rate",
    "mean_score_shift": "Mean score shift",
    "score_shift_effect_size_dz": "Effect size d_z of the score shift",
    "score_increase_rate": "Share of changed pairs whose score rose",
    "subgroup_auc": "Subgroup AUC",
    "bpsn_auc": "BPSN AUC",
    "bnsp_auc": "BNSP AUC",
    "stereotype_preference_rate": "Stereotype preference rate",
    "log_likelihood_difference": "Log-likelihood difference",
    "language_model_score": "Language-model score",
    "icat_score": "ICAT score",
}

#: Short names for chart headers and compact tables.
METRIC_SHORT: dict[str, str] = {
    "count": "n",
    "base_rate": "Base rate",
    "selection_rate": "Selection rate",
    "accuracy_score": "Accuracy",
    "balanced_accuracy_score": "Bal. accuracy",
    "precision_score": "Precision",
    "true_positive_rate": "TPR",
    "false_positive_rate": "FPR",
    "false_negative_rate": "FNR",
    "true_negative_rate": "TNR",
    "negative_predictive_value": "NPV",
    "f1_score": "F1",
    "roc_auc_score": "ROC-AUC",
    "average_precision_score": "Avg. precision",
    "brier_score_loss": "Brier",
    "expected_calibration_error": "ECE",
    "mean_score": "Mean score",
    "positive_rate": "Positive rate",
    "flip_rate": "Flip rate",
    "mean_score_shift": "Score shift",
    "score_shift_effect_size_dz": "d_z",
    "score_increase_rate": "Increase share",
    "subgroup_auc": "Subgroup AUC",
    "bpsn_auc": "BPSN AUC",
    "bnsp_auc": "BNSP AUC",
    "stereotype_preference_rate": "Stereotype pref.",
    "log_likelihood_difference": "LL difference",
    "language_model_score": "LM score",
    "icat_score": "ICAT",
}

#: One-line meaning of each metric, phrased with "positive" for the positive label.
METRIC_MEANING: dict[str, str] = {
    "count": "number of cases",
    "base_rate": "share of cases whose true outcome is positive",
    "selection_rate": "share of cases predicted positive",
    "accuracy_score": "share of cases predicted correctly",
    "balanced_accuracy_score": "mean of the true positive and true negative rates",
    "precision_score": "among cases predicted positive, share whose true outcome is positive",
    "true_positive_rate": "among cases whose true outcome is positive, share predicted positive",
    "false_positive_rate": "among cases whose true outcome is negative, share predicted positive",
    "false_negative_rate": "among cases whose true outcome is positive, share predicted negative",
    "true_negative_rate": "among cases whose true outcome is negative, share predicted negative",
    "negative_predictive_value": (
        "among cases predicted negative, share whose true outcome is negative"
    ),
    "f1_score": "harmonic mean of precision and true positive rate",
    "roc_auc_score": "chance that the score ranks a random positive case above a random negative",
    "average_precision_score": "area under the precision-recall curve of the score",
    "brier_score_loss": "mean squared gap between score and true outcome (lower is better)",
    "expected_calibration_error": "mean gap between score and observed rate (lower is better)",
    "mean_score": "mean model score of the texts with this value",
    "positive_rate": "share of texts scoring at or above the decision threshold",
    "flip_rate": "share of pairs whose decision changes when only the value is swapped",
    "mean_score_shift": "mean of the swapped text's score minus the original's",
    "score_shift_effect_size_dz": "mean score shift divided by the standard deviation of shifts",
    "score_increase_rate": "among pairs whose score changed, share where it rose",
    "subgroup_auc": "ROC-AUC within texts mentioning the identity",
    "bpsn_auc": "ROC-AUC of background positives against the identity's negatives",
    "bnsp_auc": "ROC-AUC of background negatives against the identity's positives",
    "stereotype_preference_rate": "share of items where the stereotypical sentence is preferred",
    "log_likelihood_difference": "mean log-likelihood of the stereotype minus the anti-stereotype",
    "language_model_score": "share of meaningful options preferred over the unrelated one",
    "icat_score": "StereoSet's idealized CAT score, lms * min(ss, 1 - ss) / 0.5",
}

#: Metrics that are shares of cases (shown as percentages, differences in points).
PROPORTIONS = frozenset(
    {
        "base_rate",
        "selection_rate",
        "accuracy_score",
        "precision_score",
        "true_positive_rate",
        "false_positive_rate",
        "false_negative_rate",
        "true_negative_rate",
        "negative_predictive_value",
        "positive_rate",
        "flip_rate",
        "score_increase_rate",
        "stereotype_preference_rate",
        "language_model_score",
    }
)

#: Population and event of each proportion, for sentences ("Among <population>, x% ... <event>").
_SEMANTICS: dict[str, tuple[str, str]] = {
    "selection_rate": ("all cases", "were predicted positive"),
    "base_rate": ("all cases", "had a positive true outcome"),
    "accuracy_score": ("all cases", "were predicted correctly"),
    "false_positive_rate": ("cases whose true outcome was negative", "were predicted positive"),
    "true_positive_rate": ("cases whose true outcome was positive", "were predicted positive"),
    "false_negative_rate": ("cases whose true outcome was positive", "were predicted negative"),
    "true_negative_rate": ("cases whose true outcome was negative", "were predicted negative"),
    "precision_score": ("cases predicted positive", "had a positive true outcome"),
    "negative_predictive_value": ("cases predicted negative", "had a negative true outcome"),
}

#: Metrics shown per group in charts and compact tables, in this order, when the log has them.
KEY_METRICS: tuple[str, ...] = (
    "base_rate",
    "selection_rate",
    "false_positive_rate",
    "false_negative_rate",
    "precision_score",
    "accuracy_score",
    "roc_auc_score",
)

#: Metrics shown in the intersection heatmaps.
HEATMAP_METRICS: tuple[str, ...] = (
    "base_rate",
    "selection_rate",
    "false_positive_rate",
    "false_negative_rate",
    "precision_score",
)

#: Tie-break among equally large findings: error rates first (they are what people experience).
_PREFERENCE = {
    "false_positive_rate": 0,
    "false_negative_rate": 1,
    "selection_rate": 2,
    "precision_score": 3,
    "accuracy_score": 4,
    "roc_auc_score": 5,
    "true_positive_rate": 6,
    "true_negative_rate": 7,
}

#: TPR = 1 - FNR and TNR = 1 - FPR: a finding on one says the same as one on the other.
_COMPLEMENT_GROUP = {
    "true_positive_rate": "positives",
    "false_negative_rate": "positives",
    "true_negative_rate": "negatives",
    "false_positive_rate": "negatives",
}

CONCLUSION_LABELS: dict[str, str] = {
    "difference_detected": "difference detected",
    "no_difference_detected": "no difference detected",
    "insufficient_evidence": "insufficient evidence",
    "undefined": "undefined",
}


def slice_key(mapping: dict[str, str]) -> SliceKey:
    """A hashable, order-independent key of a slice mapping."""
    return tuple(sorted(mapping.items()))


def slice_text(mapping: dict[str, str]) -> str:
    """'race = A, sex = F' (or 'overall')."""
    if not mapping:
        return "overall"
    return ", ".join(f"{k} = {v}" for k, v in mapping.items())


def slice_values(mapping: dict[str, str]) -> str:
    """'A · F': the values only, for charts where the family names the features."""
    if not mapping:
        return "Overall"
    return " · ".join(mapping.values())


def against_parity(c: Comparison) -> bool:
    """Whether a comparison sets a group against a fixed value (a ranking's item group against
    exposure parity), not against a reference group: no reference slice, features given."""
    return not c.reference and bool(c.features)


def reference_values(c: Comparison) -> str:
    """The reference of a comparison for tables: the reference group's values, or parity."""
    if against_parity(c):
        return f"parity ({c.reference_value:g})" if c.reference_value is not None else "parity"
    return slice_values(c.reference)


def metric_label(metric: str) -> str:
    """Readable name of a metric (``Recall (class 7)`` for a per-class row of another task;
    the row's name when unknown). A log's own name for the row comes first while it is
    rendered (``Word error rate`` for a speech audit's ratio of sums)."""
    named = current_label(metric)
    if named is not None:
        return named.label
    if metric in METRIC_LABELS:
        return METRIC_LABELS[metric]
    return task_metric_label(metric, METRIC_LABELS)


def metric_short(metric: str) -> str:
    """Short name of a metric for headers."""
    named = current_label(metric)
    if named is not None:
        return named.short
    if metric in METRIC_SHORT:
        return METRIC_SHORT[metric]
    return task_metric_short(metric, METRIC_SHORT)


def metric_meaning(metric: str, task: str = "binary") -> str:
    """One-line meaning of a metric row ('' when neither equilens nor its registry has one)."""
    named = current_label(metric)
    if named is not None:
        return named.meaning
    if task == "binary" and metric in METRIC_MEANING:
        return METRIC_MEANING[metric]
    return task_metric_meaning(metric, METRIC_MEANING, task)


def is_bounded(metric: str) -> bool:
    """Whether a metric row's values lie in [0, 1] (chart axes stay within it)."""
    return metric in METRIC_LABELS or is_unit_metric(metric)


def is_share(metric: str) -> bool:
    """Whether a metric row is a share of cases (shown in percent, differences in points)."""
    base = base_name(metric)
    return metric in PROPORTIONS or base in PROPORTIONS or base in TASK_PROPORTIONS


def criterion_description(name: str) -> str:
    """One-line description of a fairness criterion from the registry ('' when unknown)."""
    if name in criteria_registry:
        return criteria_registry.get(name).description
    return ""


def family_label(features: list[str]) -> str:
    """'race × sex'."""
    return " × ".join(features)


def _minus(text: str) -> str:
    return text.replace("-", "\u2212")


def fmt_value(metric: str, value: float | None, digits: int | None = None) -> str:
    """A metric value: percentages for proportions, three decimals otherwise."""
    if value is None:
        return "–"
    if metric == "count":
        return f"{value:,.0f}"
    if is_share(metric):
        return f"{value * 100:.{1 if digits is None else digits}f}%"
    return f"{value:.{3 if digits is None else digits}f}"


def fmt_interval(
    metric: str, low: float | None, high: float | None, digits: int | None = None
) -> str:
    """'40.1–44.9%' or '0.651–0.702'; '–' when there is no interval."""
    if low is None or high is None:
        return "–"
    if is_share(metric):
        d = 1 if digits is None else digits
        return f"{low * 100:.{d}f}–{high * 100:.{d}f}%"
    d = 3 if digits is None else digits
    return f"{low:.{d}f}–{high:.{d}f}"


def fmt_diff(metric: str, value: float | None, digits: int | None = None) -> str:
    """A signed difference: percentage points for proportions."""
    if value is None:
        return "–"
    if is_share(metric):
        d = 1 if digits is None else digits
        return _minus(f"{value * 100:+.{d}f} pts")
    return _minus(f"{value:+.{3 if digits is None else digits}f}")


def fmt_diff_interval(
    metric: str, low: float | None, high: float | None, digits: int | None = None
) -> str:
    """'+17.0 to +23.1 pts'."""
    if low is None or high is None:
        return "–"
    if is_share(metric):
        d = 1 if digits is None else digits
        return _minus(f"{low * 100:+.{d}f} to {high * 100:+.{d}f} pts")
    d = 3 if digits is None else digits
    return _minus(f"{low:+.{d}f} to {high:+.{d}f}")


def fmt_number(value: float | None, digits: int = 3) -> str:
    """A plain number, '–' when missing."""
    if value is None:
        return "–"
    return _minus(f"{value:.{digits}f}")


def fmt_count(value: float) -> str:
    """A count; weighted counts keep one decimal."""
    if abs(value - round(value)) < 1e-9:
        return f"{round(value):,}"
    return f"{value:,.1f}"


def effect_size(c: Comparison) -> float:
    """Size of a comparison's effect: |Cohen's h|, |Hedges' g| for means, or twice the absolute
    difference when neither is defined (e.g. ROC-AUC), about the same scale for mid-range
    values."""
    if c.cohens_h is not None:
        return abs(c.cohens_h)
    if c.effect_size_name == "hedges_g" and c.effect_size is not None:
        # Means in their own units (money, words) cannot be ranked by the difference.
        return abs(c.effect_size)
    return 2.0 * abs(c.difference or 0.0)


@dataclass(frozen=True)
class Vocabulary:
    """Column names and labels that sentences refer to."""

    y_true: str
    y_pred: str
    y_score: str | None
    positive: str
    weighted: bool
    level: int
    alpha: float

    @classmethod
    def from_log(cls, log: AuditLog) -> Vocabulary:
        """Read the names from ``spec_resolved`` (with neutral fallbacks)."""
        res = log.spec_resolved
        cols = res.get("columns") if isinstance(res.get("columns"), dict) else {}
        assert isinstance(cols, dict)
        alpha = log.multiple_comparisons.get("alpha", 1.0 - log.confidence_level)
        return cls(
            y_true=str(cols.get("y_true") or "the true label"),
            y_pred=str(cols.get("y_pred") or "the prediction"),
            y_score=None if cols.get("y_score") is None else str(cols["y_score"]),
            positive=str(res.get("positive_label", "positive")),
            weighted=bool(res.get("weighted", False)),
            level=round(log.confidence_level * 100),
            alpha=float(alpha) if isinstance(alpha, int | float) else 1.0 - log.confidence_level,
        )


@dataclass(frozen=True)
class Finding:
    """One key finding: the comparison and its sentence."""

    comparison: Comparison
    segments: list[Segment]


@dataclass
class ReportContent:
    """The audit log, indexed for rendering, plus what the summary says about it."""

    log: AuditLog
    vocab: Vocabulary
    metrics: list[str]
    results: dict[tuple[str, SliceKey], MetricResult] = field(default_factory=dict)
    comparisons: dict[tuple[str, SliceKey], Comparison] = field(default_factory=dict)
    curves: dict[SliceKey, SliceCurves] = field(default_factory=dict)

    @classmethod
    def from_log(cls, log: AuditLog) -> ReportContent:
        """Index ``log``."""
        metrics = list(dict.fromkeys(r.metric for r in log.results))
        content = cls(log=log, vocab=Vocabulary.from_log(log), metrics=metrics)
        for r in log.results:
            content.results[(r.metric, slice_key(r.slice))] = r
        for c in log.comparisons:
            content.comparisons[(c.metric, slice_key(c.slice))] = c
        for cv in log.curves or []:
            content.curves[slice_key(cv.slice)] = cv
        return content

    # -- lookups -------------------------------------------------------------------------------

    def result(self, metric: str, mapping: dict[str, str]) -> MetricResult | None:
        """The result of ``metric`` on a slice, if the log has it."""
        return self.results.get((metric, slice_key(mapping)))

    def comparison(self, metric: str, mapping: dict[str, str]) -> Comparison | None:
        """The comparison of a slice with its reference on ``metric``, if any."""
        return self.comparisons.get((metric, slice_key(mapping)))

    def n(self, mapping: dict[str, str]) -> int | None:
        """Rows in a slice."""
        for r in self.log.results:
            if r.slice == mapping:
                return r.n
        return None

    @property
    def key_metrics(self) -> list[str]:
        """The key metrics the log has (a non-binary log's headline metrics, read from it)."""
        if self.log.task != "binary":
            return [col.metric for col in headline_columns(self.log) if not col.worst]
        return [m for m in KEY_METRICS if m in self.metrics]

    @property
    def single_families(self) -> list[FamilyRecord]:
        """Families of one feature."""
        return [f for f in self.log.families if len(f.features) == 1]

    @property
    def intersection_families(self) -> list[FamilyRecord]:
        """Families of two or more features."""
        return [f for f in self.log.families if len(f.features) > 1]

    def disparities(self, features: list[str]) -> list[Disparity]:
        """Disparity rows of one family."""
        return [d for d in self.log.disparities if d.features == features]

    @property
    def probe_only(self) -> bool:
        """Whether the log is a probe run's (no true outcomes or predictions per row)."""
        return self.log.spec_resolved.get("kind") == "probe"

    @property
    def min_group_size(self) -> int | None:
        """The minimum group size of the audit, when recorded."""
        value = self.log.spec_resolved.get("min_group_size")
        return int(value) if isinstance(value, int) else None

    @property
    def underpowered_gap(self) -> float | None:
        """The gap a comparison must be able to detect, when recorded."""
        value = self.log.spec_resolved.get("underpowered_gap")
        return float(value) if isinstance(value, int | float) else None

    # -- summary -------------------------------------------------------------------------------

    def conclusion_counts(self) -> Counter[str]:
        """How many tests reached each conclusion (a derived row repeats a test: not counted)."""
        return Counter(c.conclusion for c in self.log.comparisons if c.derived_from is None)

    def small_groups(self) -> list[dict[str, str]]:
        """Slices reported as insufficient evidence because they are small."""
        seen: dict[SliceKey, dict[str, str]] = {}
        for r in self.log.results:
            if r.status == "insufficient_evidence" and r.slice:
                seen.setdefault(slice_key(r.slice), r.slice)
        return list(seen.values())

    def underpowered(self) -> list[Comparison]:
        """Comparisons of sufficiently large groups that could not detect the stated gap."""
        return [
            c
            for c in self.log.comparisons
            if c.conclusion == "insufficient_evidence" and c.status == "ok"
        ]

    def key_findings(self, limit: int, intersections: bool) -> list[Finding]:
        """The largest detected differences, ranked by effect size then adjusted p-value.

        At most one finding per (family, metric), TPR/FNR and FPR/TNR counted as one metric, so
        the list spans several findings rather than restating one; for intersections also at
        most one finding per group. When that leaves slots free (one family and one metric,
        as in a WER audit by accent), the next-largest differences of the same (family,
        metric) fill them: three detected accents are three findings, not one.
        """
        if limit <= 0:
            return []
        detected = [
            c
            for c in self.log.comparisons
            if c.conclusion == "difference_detected"
            and c.difference is not None
            and (len(c.features) > 1) == intersections
        ]
        detected.sort(
            key=lambda c: (
                -effect_size(c),
                _PREFERENCE.get(c.metric, 99),
                c.p_holm if c.p_holm is not None else 1.0,
            )
        )
        chosen: list[Finding] = []
        seen: set[tuple[tuple[str, ...], str]] = set()
        seen_groups: set[SliceKey] = set()
        for c in detected:
            key = (tuple(c.features), _COMPLEMENT_GROUP.get(c.metric, c.metric))
            group = slice_key(c.slice)
            if key in seen or (intersections and group in seen_groups):
                continue
            seen.add(key)
            seen_groups.add(group)
            chosen.append(Finding(c, self.sentence(c)))
            if len(chosen) >= limit:
                return chosen
        taken = {id(f.comparison) for f in chosen}
        for c in detected:
            group = slice_key(c.slice)
            if id(c) in taken or (intersections and group in seen_groups):
                continue
            seen_groups.add(group)
            chosen.append(Finding(c, self.sentence(c)))
            if len(chosen) >= limit:
                break
        return chosen

    def sentence(self, c: Comparison) -> list[Segment]:
        """A plain-language sentence describing one comparison."""
        level = self.vocab.level
        if against_parity(c):
            return self._parity_sentence(c)
        own = self.result(c.metric, c.slice)
        ref = self.result(c.metric, c.reference)
        proportion = is_share(c.metric)
        if proportion:
            fine = (
                abs(c.difference or 0.0) < 0.05 or min(c.value or 0, c.reference_value or 0) < 0.05
            )
            d = 1 if fine else 0
        else:
            d = 2

        def ci(row: MetricResult | None) -> str:
            if row is None or row.ci_low is None or row.ci_high is None:
                return ""
            return f" ({level}% CI {fmt_interval(c.metric, row.ci_low, row.ci_high, d)})"

        diff_ci = ""
        if c.difference_ci_low is not None and c.difference_ci_high is not None:
            bounds = fmt_diff_interval(c.metric, c.difference_ci_low, c.difference_ci_high, d)
            diff_ci = f" ({level}% CI {bounds.removesuffix(' pts')})"
        if c.metric in _SEMANTICS:
            population, event = _SEMANTICS[c.metric]
            start = "Across all cases" if population == "all cases" else f"Among {population}"
            segs: list[Segment] = [
                ("text", f"{start}, "),
                ("num", fmt_value(c.metric, c.value, d)),
                ("text", " of group "),
                ("group", slice_text(c.slice)),
                ("text", f" {event}{ci(own)}, against "),
                ("num", fmt_value(c.metric, c.reference_value, d)),
                ("text", " of the reference group "),
                ("group", slice_text(c.reference)),
                ("text", f"{ci(ref)}; difference "),
                ("num", fmt_diff(c.metric, c.difference, d).replace(" pts", " percentage points")),
            ]
        else:
            segs = [
                ("text", f"{metric_label(c.metric)} was "),
                ("num", fmt_value(c.metric, c.value, d)),
                ("text", " for group "),
                ("group", slice_text(c.slice)),
                ("text", f"{ci(own)}, against "),
                ("num", fmt_value(c.metric, c.reference_value, d)),
                ("text", " for the reference group "),
                ("group", slice_text(c.reference)),
                ("text", f"{ci(ref)}; difference "),
                ("num", fmt_diff(c.metric, c.difference, d)),
            ]
        p = fmt_p(c.p_holm)
        p_text = f"Holm-adjusted p {p}" if p.startswith("<") else f"Holm-adjusted p = {p}"
        segs.append(("text", f"{diff_ci}, {p_text}."))
        return segs

    def _parity_sentence(self, c: Comparison) -> list[Segment]:
        """A group against a fixed value (exposure share / relevance share against 1)."""
        level = self.vocab.level
        ci = ""
        if c.ratio_ci_low is not None and c.ratio_ci_high is not None:
            ci = f" ({level}% CI {fmt_interval(c.metric, c.ratio_ci_low, c.ratio_ci_high, 2)})"
        p = fmt_p(c.p_holm)
        p_text = f"Holm-adjusted p {p}" if p.startswith("<") else f"Holm-adjusted p = {p}"
        return [
            ("text", f"{metric_label(c.metric)} was "),
            ("num", fmt_value(c.metric, c.value, 2)),
            ("text", " for "),
            ("group", slice_text(c.slice)),
            ("text", f"{ci}, against parity "),
            ("num", fmt_value(c.metric, c.reference_value, 2)),
            ("text", "; difference "),
            ("num", fmt_diff(c.metric, c.difference, 2)),
            ("text", f", {p_text}."),
        ]

    def comparison_reference_result(self, c: Comparison) -> MetricResult | None:
        """The reference group's result row of a comparison's metric (None against parity)."""
        if against_parity(c):
            return None
        return self.result(c.metric, c.reference)

    def base_rate_spread(self) -> list[tuple[FamilyRecord, MetricResult, MetricResult]]:
        """Single-feature families whose base rates clearly differ: the lowest and highest group.

        "Clearly" means the two groups' confidence intervals do not overlap (both groups above
        the minimum size). An empty list means no such family (or no base rates in the log).
        """
        out: list[tuple[FamilyRecord, MetricResult, MetricResult]] = []
        for fam in self.single_families:
            rows = [self.result("base_rate", g) for g in fam.groups]
            ok = [
                r
                for r in rows
                if r is not None
                and r.status == "ok"
                and r.value is not None
                and r.ci_low is not None
                and r.ci_high is not None
            ]
            if len(ok) < 2:
                continue
            low = min(ok, key=lambda r: r.value or 0.0)
            high = max(ok, key=lambda r: r.value or 0.0)
            assert low.ci_high is not None and high.ci_low is not None
            if low.ci_high < high.ci_low:
                out.append((fam, low, high))
        return out


def plain(segments: list[Segment]) -> str:
    """The text of a sentence without emphasis."""
    return "".join(text for _, text in segments)
