"""Equal-FPR / equal-TPR operating points from scores only (no model needed).

The target is the original operating point's overall rate (the false-positive rate, or the
true-positive rate, of ``score >= threshold`` over all rows). Each group gets the threshold
whose rate in that group is closest to the target (ties: the higher threshold). From a score
column the rates are exact on the given rows; from an audit log's ROC curves (at most 101
points per group) they are the nearest curve point, and the achieved rate is reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np

from equilens.exceptions import InvalidInputError

Rate = Literal["fpr", "tpr"]


def _rate_curve(
    scores: np.ndarray[Any, Any], rate_rows: np.ndarray[Any, Any]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Candidate thresholds (unique scores, plus one above all) and the rate at each."""
    cand = np.unique(scores)
    cand = np.append(cand, np.inf)
    s = np.sort(rate_rows)
    above = len(s) - np.searchsorted(s, cand, side="left")
    return cand, above / max(len(s), 1)


def equal_rate_thresholds(
    y_true: Any, scores: Any, groups: Any, *, rate: Rate, threshold: float = 0.5
) -> tuple[dict[str, float], dict[str, float], float]:
    """Per-group thresholds equalising the FPR or TPR at the original overall rate.

    Returns ``(thresholds, achieved, target)``: per group the threshold (a row is positive
    when its score is >= it) and the rate it achieves on these rows, and the target rate.
    """
    y = np.asarray(y_true).astype(bool)
    s = np.asarray(scores, dtype=np.float64)
    g = np.asarray(groups).astype(str)
    which = ~y if rate == "fpr" else y
    if not which.any():
        kind = "negative" if rate == "fpr" else "positive"
        raise InvalidInputError(f"No {kind} rows: the {rate.upper()} is undefined")
    target = float(np.mean(s[which] >= threshold))
    thresholds: dict[str, float] = {}
    achieved: dict[str, float] = {}
    for label in np.unique(g):
        rows = (g == label) & which
        if not rows.any():
            raise InvalidInputError(
                f"Group '{label}' has no {'negative' if rate == 'fpr' else 'positive'} rows; "
                f"its {rate.upper()} cannot be set"
            )
        cand, rates = _rate_curve(s[g == label], s[rows])
        gap = np.abs(rates - target)
        best = int(np.flatnonzero(gap == gap.min()).max())
        thresholds[str(label)] = float(cand[best])
        achieved[str(label)] = float(rates[best])
    return thresholds, achieved, target


def thresholds_from_curves(
    curves: Any, feature: str, *, rate: Rate
) -> tuple[dict[str, float], dict[str, float], float]:
    """Per-group thresholds from an audit log's ROC curves (``AuditLog.curves``).

    The target is the overall slice's rate at the audited operating point (its confusion
    counts); each group takes its curve point nearest to it.
    """
    if not curves:
        raise InvalidInputError(
            "The audit log has no curves; audit with scores (y_score) to choose thresholds"
        )
    overall = next((c for c in curves if not c.slice), None)
    if overall is None:
        raise InvalidInputError("The audit log's curves lack the overall population")
    cm = overall.confusion
    pos, neg = cm.tp + cm.fn, cm.fp + cm.tn
    target = (
        float(cm.fp / neg if rate == "fpr" else cm.tp / pos)
        if (neg if rate == "fpr" else pos)
        else float("nan")
    )
    thresholds: dict[str, float] = {}
    achieved: dict[str, float] = {}
    for c in curves:
        if set(c.slice) != {feature}:
            continue
        if c.roc is None:
            raise InvalidInputError(
                f"Group '{feature}={c.slice[feature]}' has no ROC curve in the log (no scores, or "
                "no positive or no negative rows)"
            )
        values = np.asarray(c.roc.fpr if rate == "fpr" else c.roc.tpr)
        thr = [np.inf if t is None else float(t) for t in c.roc.threshold]
        gap = np.abs(values - target)
        best = int(np.flatnonzero(gap == gap.min()).min())
        thresholds[c.slice[feature]] = thr[best]
        achieved[c.slice[feature]] = float(values[best])
    if not thresholds:
        raise InvalidInputError(f"The audit log has no curves for the feature '{feature}'")
    return thresholds, achieved, target


def apply_thresholds(scores: Any, groups: Any, thresholds: Mapping[str, float]) -> Any:
    """Decisions ``score >= threshold[group]`` (a group without a threshold is an error)."""
    s = np.asarray(scores, dtype=np.float64)
    g = np.asarray(groups).astype(str)
    missing = sorted(set(np.unique(g)) - set(thresholds))
    if missing:
        raise InvalidInputError(
            f"No threshold for group(s) {', '.join(missing)}: they were not in the fitting rows"
        )
    t = np.array([thresholds[x] for x in g], dtype=np.float64)
    return (s >= t).astype(np.int64)
