"""The mitigation methods: what each one is, when it runs, and what it reads at decision time."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from equilens.exceptions import InvalidParameterError
from equilens.mitigate._model import Stage


@dataclass(frozen=True)
class MethodInfo:
    """One mitigation method."""

    name: str
    stage: Stage
    needs: str
    """``scores`` (a score column is enough) or ``estimator`` (refits a scikit-learn model)."""
    uses_sensitive_at_decision: bool
    """Deciding a row reads its sensitive feature (group-specific treatment)."""
    summary: str


METHODS: dict[str, MethodInfo] = {
    m.name: m
    for m in (
        MethodInfo(
            "equal_fpr",
            "post-processing",
            "scores",
            True,
            "per-group thresholds on the score so that every group's false-positive rate "
            "equals the original overall rate (chosen on the fitting rows)",
        ),
        MethodInfo(
            "equal_tpr",
            "post-processing",
            "scores",
            True,
            "per-group thresholds on the score so that every group's true-positive rate "
            "equals the original overall rate (chosen on the fitting rows)",
        ),
        MethodInfo(
            "threshold_optimizer",
            "post-processing",
            "estimator",
            True,
            "fairlearn ThresholdOptimizer: randomised per-group thresholds that maximise "
            "accuracy under the constraint (Hardt, Price & Srebro 2016)",
        ),
        MethodInfo(
            "reweighing",
            "pre-processing",
            "estimator",
            False,
            "Kamiran & Calders (2012) reweighing: each (group, label) cell weighted "
            "P(group) P(label) / P(group, label) in fitting; the model then decides without "
            "the sensitive feature unless it is one of its features",
        ),
        MethodInfo(
            "correlation_remover",
            "pre-processing",
            "estimator",
            True,
            "fairlearn CorrelationRemover: removes the features' linear correlation with the "
            "sensitive feature; transforming a row reads its sensitive feature",
        ),
        MethodInfo(
            "exponentiated_gradient",
            "in-processing",
            "estimator",
            False,
            "fairlearn ExponentiatedGradient (Agarwal et al. 2018): a randomised mixture of "
            "models that meets the constraint up to its slack on the fitting rows; it reads "
            "the sensitive feature in fitting only (unless it is one of the model's features)",
        ),
        MethodInfo(
            "grid_search",
            "in-processing",
            "estimator",
            False,
            "fairlearn GridSearch: one model per Lagrange multiplier on a grid; the best "
            "trade-off model is kept and every grid model is a point of the trade-off curve",
        ),
    )
}

#: Constraint name -> (fairlearn ThresholdOptimizer name, fairlearn reductions moment class).
CONSTRAINTS: dict[str, tuple[str, str]] = {
    "demographic_parity": ("demographic_parity", "DemographicParity"),
    "equal_opportunity": ("true_positive_rate_parity", "TruePositiveRateParity"),
    "equalized_odds": ("equalized_odds", "EqualizedOdds"),
    "false_positive_rate_parity": ("false_positive_rate_parity", "FalsePositiveRateParity"),
}

#: The audit criterion each constraint equalises (its between-groups difference).
CONSTRAINT_CRITERION: dict[str, str] = {
    "demographic_parity": "demographic_parity_difference",
    "equal_opportunity": "equal_opportunity_difference",
    "equalized_odds": "equalized_odds_difference",
    "false_positive_rate_parity": "false_positive_rate_difference",
}


def _unknown(kind: str, name: object, known: list[str]) -> InvalidParameterError:
    close = difflib.get_close_matches(str(name), known, n=1, cutoff=0.5)
    hint = f" Did you mean: {close[0]}?" if close else ""
    return InvalidParameterError(
        f"Unknown mitigation {kind} '{name}'; use one of {', '.join(known)}.{hint}"
    )


def method_info(name: str) -> MethodInfo:
    """The method called ``name`` (one-line error with the closest name otherwise)."""
    if name not in METHODS:
        raise _unknown("method", name, list(METHODS))
    return METHODS[name]


def check_constraint(name: str) -> str:
    """``name`` when it is a known constraint."""
    if name not in CONSTRAINTS:
        raise _unknown("constraint", name, list(CONSTRAINTS))
    return name
