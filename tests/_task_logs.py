"""Hand-built audit logs of the non-binary tasks, with realistic rows, for the log's readers.

Each log has one family (``sex``: F, M; reference M), result rows for the overall population
and each group, a comparison per metric and group with the test the task writes (Welch t and
Hedges' g for means and ratios, chi-square and Cohen's h for shares), and for multiclass the
per-class criteria and confusion matrices.
"""

from __future__ import annotations

from typing import Any

from equilens.results import AuditLog
from equilens.results._log import FORMAT_VERSION

#: Per task: metric -> (overall, F, M) values; half-widths of the intervals are 2% of the value.
TASK_ROWS: dict[str, dict[str, tuple[float, float, float]]] = {
    "multiclass": {
        "accuracy_score": (0.90, 0.86, 0.93),
        "balanced_accuracy_score": (0.89, 0.85, 0.92),
        "f1_score[average=macro]": (0.88, 0.84, 0.91),
        "recall_score[class=0]": (0.95, 0.94, 0.96),
        "recall_score[class=7]": (0.80, 0.61, 0.90),
        "precision_score[class=7]": (0.85, 0.80, 0.88),
        "selection_rate[class=7]": (0.10, 0.09, 0.11),
        "top_k_accuracy_score[k=3]": (0.98, 0.97, 0.99),
        "roc_auc_score[class=7]": (0.96, 0.94, 0.97),
    },
    "regression": {
        "mean_error": (120.0, -300.0, 400.0),
        "mean_absolute_error": (1000.0, 1200.0, 850.0),
        "root_mean_squared_error": (1500.0, 1700.0, 1300.0),
        "r2_score": (0.62, 0.55, 0.66),
        "mean_prediction": (5000.0, 4200.0, 5600.0),
    },
    "measure": {"ratio_of_sums": (0.12, 0.15, 0.10)},
    "ranking": {
        "ndcg_score[k=10]": (0.71, 0.66, 0.74),
        "precision_at_k[k=10]": (0.40, 0.37, 0.42),
        "recall_at_k[k=10]": (0.55, 0.50, 0.58),
        "mean_reciprocal_rank": (0.60, 0.55, 0.63),
        "exposure_share[item_group=indie]": (0.20, 0.18, 0.21),
        "disparate_exposure[item_group=indie]": (0.65, 0.60, 0.68),
    },
}

_SHARES = {
    "accuracy_score",
    "recall_score[class=0]",
    "recall_score[class=7]",
    "precision_score[class=7]",
    "selection_rate[class=7]",
    "top_k_accuracy_score[k=3]",
}
_N = {"": 2000, "F": 900, "M": 1100}


def _result(metric: str, group: str, value: float, method: str) -> dict[str, Any]:
    half = max(abs(value) * 0.02, 0.005)
    return {
        "metric": metric,
        "slice": {"sex": group} if group else {},
        "n": _N[group],
        "value": value,
        "ci_low": max(value - half, 0.0) if 0 <= value <= 1 else value - half,
        "ci_high": min(value + half, 1.0) if 0 <= value <= 1 else value + half,
        "ci_method": method,
        "status": "ok",
    }


def _comparison(metric: str, f: float, m: float, share: bool) -> dict[str, Any]:
    diff = f - m
    half = max(abs(diff) * 0.4, 0.005)
    ratio = f / m if m else None
    return {
        "metric": metric,
        "features": ["sex"],
        "slice": {"sex": "F"},
        "reference": {"sex": "M"},
        "n": _N["F"],
        "n_reference": _N["M"],
        "value": f,
        "reference_value": m,
        "difference": diff,
        "difference_ci_low": diff - half,
        "difference_ci_high": diff + half,
        "ratio": ratio if ratio is not None and ratio >= 0 else None,
        "ratio_ci_low": None,
        "ratio_ci_high": None,
        "ci_method": "newcombe" if share else "welch-t",
        "test": "chi-square" if share else "welch-t",
        "statistic": 4.2,
        "p_value": 0.0004,
        "p_holm": 0.003,
        "p_bh": 0.002,
        "cohens_h": 0.2 if share else None,
        "status": "ok",
        "conclusion": "difference_detected",
        "effect_size_name": "cohens_h" if share else "hedges_g",
        "effect_size": 0.2 if share else 0.31,
        "rank_test": None
        if share
        else {
            "test": "mann-whitney",
            "statistic": 400000.0,
            "p_value": 0.01,
            "probability_of_superiority": 0.56,
            "values": "absolute error",
        },
    }


def task_log(task: str) -> AuditLog:
    """A log of ``task`` (multiclass, regression, measure or ranking)."""
    rows = TASK_ROWS[task]
    results: list[dict[str, Any]] = []
    comparisons: list[dict[str, Any]] = []
    for group, idx in (("", 0), ("F", 1), ("M", 2)):
        results.append(
            {
                **_result("count", group, float(_N[group]), "none"),
                "ci_low": None,
                "ci_high": None,
                "reason": "a count is exact",
            }
        )
        for metric, values in rows.items():
            method = "wilson" if metric in _SHARES else "t-delta"
            results.append(_result(metric, group, values[idx], method))
    for metric, (_, f, m) in rows.items():
        comparisons.append(_comparison(metric, f, m, metric in _SHARES))
    disparities: list[dict[str, Any]] = []
    if task == "multiclass":
        disparities.append(
            {
                "criterion": "equal_opportunity_difference[class=7]",
                "features": ["sex"],
                "method": "between_groups",
                "value": 0.29,
                "ci_low": 0.2,
                "ci_high": 0.38,
                "ci_method": "newcombe-simultaneous",
                "status": "ok",
                "groups": [{"sex": "F"}, {"sex": "M"}],
            }
        )
    matrices = None
    if task == "multiclass":
        matrices = [
            {
                "slice": {},
                "n": 2000,
                "labels": ["0", "7", "<b>x</b>"],
                "counts": [[600, 10, 5], [40, 500, 20], [12, 13, 800]],
            }
        ]
    raw: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "created": "2026-12-04T18:00:00Z",
        "run_id": f"run-{task}",
        "task": task,
        "spec_given": {"task": task},
        "spec_resolved": {"task": task, "min_group_size": 30, "columns": {}},
        "data": {"n_rows": 2000, "columns": {}},
        "seed": 0,
        "confidence_level": 0.95,
        "bootstrap_draws": 1000,
        "families": [
            {
                "features": ["sex"],
                "groups": [{"sex": "F"}, {"sex": "M"}],
                "reference": {"sex": "M"},
                "reference_rule": "largest",
            }
        ],
        "results": results,
        "disparities": disparities,
        "comparisons": comparisons,
        "multiple_comparisons": {
            "alpha": 0.05,
            "size": len(comparisons),
            "methods": ["holm", "benjamini-hochberg"],
        },
        "confusion_matrices": matrices,
    }
    return AuditLog.model_validate(raw)
