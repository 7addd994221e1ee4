"""Thin wrappers over fairlearn and scikit-learn: fit on the fitting rows, decide new rows.

Each wrapper calls fairlearn exactly as its documentation shows, with the caller's seed, so
``tests/mitigate/test_differential.py`` can check that the decisions equal fairlearn's own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.mitigate._methods import CONSTRAINTS
from equilens.mitigate._operating import Rate, apply_thresholds, equal_rate_thresholds
from equilens.mitigate._reweigh import reweighing_weights

#: ExponentiatedGradient's own ``eps``: its allowed violation beyond the constraint's bound.
EG_TOLERANCE = 0.01

Decide = Callable[[Any, Any], tuple[Any, Any]]
"""``decide(X, groups) -> (decisions 0/1, score or None)`` on new rows."""


@dataclass
class Fitted:
    """A fitted option: how it decides new rows and what to tell reviewers."""

    decide: Decide
    feasible: bool = True
    note: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    family: list[tuple[str, Decide]] = field(default_factory=list)
    """Further settings for a trade-off curve (GridSearch's models)."""


def _moment(constraint: str, bound: float | None) -> Any:
    import fairlearn.reductions as red

    cls = getattr(red, CONSTRAINTS[constraint][1])
    return cls() if bound is None else cls(difference_bound=bound)


def _proba(model: Any, X: Any) -> Any:
    if callable(getattr(model, "predict_proba", None)):
        return np.asarray(model.predict_proba(X))[:, 1]
    return None


def _plain(model: Any) -> Decide:
    def decide(X: Any, groups: Any) -> tuple[Any, Any]:
        return np.asarray(model.predict(X)).astype(np.int64), _proba(model, X)

    return decide


def out_of_fold_scores(estimator: Any, X: Any, y: Any, seed: int, folds: int = 5) -> Any:
    """Scores of the fitting rows from models that did not see them (5-fold, seeded).

    Thresholds chosen on a model's in-sample scores are chosen on scores it fitted; the
    out-of-fold scores behave like the held-out rows' scores.
    """
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return np.asarray(cross_val_predict(estimator, X, y, cv=cv, method="predict_proba"))[:, 1]


def fit_original(estimator: Any, X: Any, y: Any) -> Fitted:
    """The unmitigated estimator, refitted on the fitting rows."""
    from sklearn.base import clone

    model = clone(estimator).fit(X, y)
    return Fitted(_plain(model))


#: Largest gap between a group's achieved rate and the target for the thresholds to count as
#: meeting the constraint (a group with few rows of the label can only reach coarse rates).
RATE_TOLERANCE = 0.02


def fit_scores(y: Any, scores: Any, groups: Any, *, rate: str, threshold: float) -> Fitted:
    """``equal_fpr`` / ``equal_tpr``: per-group thresholds chosen on the fitting rows' scores.

    Infeasible when some group cannot come within :data:`RATE_TOLERANCE` of the target; the
    thresholds are then the best achievable (each group's closest rate), and the note says so.
    """
    kind: Rate = "fpr" if rate == "equal_fpr" else "tpr"
    thresholds, achieved, target = equal_rate_thresholds(
        y, scores, groups, rate=kind, threshold=threshold
    )

    def decide(score: Any, g: Any) -> tuple[Any, Any]:
        return apply_thresholds(score, g, thresholds), None

    text = ", ".join(
        f"{k} >= {v:.4g} ({kind.upper()} {achieved[k]:.3f})" for k, v in thresholds.items()
    )
    worst = max(abs(a - target) for a in achieved.values())
    feasible = worst <= RATE_TOLERANCE
    note = f"target {kind.upper()} {target:.3f} (overall at threshold {threshold:g}); {text}"
    if not feasible:
        note = (
            f"infeasible: no thresholds bring every group's {kind.upper()} within "
            f"{RATE_TOLERANCE} of the target {target:.3f} on the fitting rows; best achievable: "
            f"{text} (largest gap {worst:.3f})"
        )
    return Fitted(
        decide,
        feasible=feasible,
        note=note,
        parameters={"thresholds": thresholds, "achieved": achieved, "target": target},
    )


def fit_threshold_optimizer(
    estimator: Any, X: Any, y: Any, groups: Any, *, constraint: str, seed: int
) -> Fitted:
    """fairlearn ``ThresholdOptimizer`` (accuracy objective, ``predict_proba`` scores)."""
    from fairlearn.postprocessing import ThresholdOptimizer

    opt = ThresholdOptimizer(
        estimator=estimator,
        constraints=CONSTRAINTS[constraint][0],
        objective="accuracy_score",
        predict_method="predict_proba",
    )
    opt.fit(X, y, sensitive_features=groups)

    def decide(X_new: Any, g: Any) -> tuple[Any, Any]:
        pred = opt.predict(X_new, sensitive_features=g, random_state=seed)
        return np.asarray(pred).astype(np.int64), None

    return Fitted(
        decide,
        note="randomised per-group thresholds on the model's score (fairlearn "
        f"ThresholdOptimizer, {CONSTRAINTS[constraint][0]}); decisions drawn with seed {seed}",
        parameters={"constraint": CONSTRAINTS[constraint][0]},
    )


def _check_sample_weight(estimator: Any, method: str) -> tuple[str, Any]:
    """The fit keyword that passes sample weights (``step__sample_weight`` for a Pipeline)."""
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import has_fit_parameter

    if isinstance(estimator, Pipeline):
        name, last = estimator.steps[-1]
        key, target = f"{name}__sample_weight", last
    else:
        key, target = "sample_weight", estimator
    if not has_fit_parameter(target, "sample_weight"):
        raise InvalidParameterError(
            f"The estimator {type(target).__name__} does not accept sample weights in fit(), "
            f"which the method '{method}' needs; choose another method or estimator"
        )
    return key, target


def fit_reweighing(estimator: Any, X: Any, y: Any, groups: Any) -> Fitted:
    """The estimator refitted with Kamiran & Calders weights."""
    from sklearn.base import clone

    key, _ = _check_sample_weight(estimator, "reweighing")
    w = reweighing_weights(y, groups)
    model = clone(estimator).fit(X, y, **{key: w})
    cells = {
        f"{g}, y={int(v)}": float(w[(np.asarray(groups) == g) & (np.asarray(y) == v)][0])
        for g in np.unique(groups)
        for v in np.unique(y)
        if np.any((np.asarray(groups) == g) & (np.asarray(y) == v))
    }
    return Fitted(
        _plain(model),
        note="weights per (group, label): " + ", ".join(f"{k}: {v:.3f}" for k, v in cells.items()),
        parameters={"weights": cells},
    )


def fit_correlation_remover(estimator: Any, X: Any, y: Any, groups: Any) -> Fitted:
    """fairlearn ``CorrelationRemover`` on the numeric design matrix plus group indicators."""
    from fairlearn.preprocessing import CorrelationRemover
    from sklearn.base import clone

    levels = sorted({str(v) for v in np.asarray(groups)})

    def augment(X_new: Any, g: Any) -> Any:
        ind = (np.asarray(g).astype(str)[:, None] == np.array(levels[1:])[None, :]).astype(float)
        return np.column_stack([np.asarray(X_new, dtype=np.float64), ind])

    n_feat = np.asarray(X).shape[1]
    ids = list(range(n_feat, n_feat + len(levels) - 1))
    remover = CorrelationRemover(sensitive_feature_ids=ids, alpha=1.0)
    Xt = remover.fit_transform(augment(X, groups))
    model = clone(estimator).fit(Xt, y)

    def decide(X_new: Any, g: Any) -> tuple[Any, Any]:
        Z = remover.transform(augment(X_new, g))
        return np.asarray(model.predict(Z)).astype(np.int64), _proba(model, Z)

    return Fitted(decide, note="features decorrelated from the group indicators (alpha 1)")


def fit_exponentiated_gradient(
    estimator: Any, X: Any, y: Any, groups: Any, *, constraint: str, eps: float, seed: int
) -> Fitted:
    """fairlearn ``ExponentiatedGradient``; infeasible when its fitted mixture's constraint
    violation on the fitting rows exceeds ``eps`` (the best achievable point is reported)."""
    from fairlearn.reductions import ExponentiatedGradient

    moment = _moment(constraint, eps)
    key, _ = _check_sample_weight(estimator, "exponentiated_gradient")
    eg = ExponentiatedGradient(
        estimator, constraints=moment, eps=EG_TOLERANCE, sample_weight_name=key
    )
    eg.fit(X, y, sensitive_features=groups)
    pmf = np.asarray(eg._pmf_predict(X))[:, 1]
    violation = _violation(constraint, y, pmf, groups)
    feasible = violation <= eps + EG_TOLERANCE + 1e-9

    def decide(X_new: Any, g: Any) -> tuple[Any, Any]:
        pred = eg.predict(X_new, random_state=seed)
        return np.asarray(pred).astype(np.int64), np.asarray(eg._pmf_predict(X_new))[:, 1]

    note = (
        f"constraint {constraint} with slack {eps:g}; violation on the fitting rows {violation:.3f}"
    )
    if not feasible:
        note = (
            f"infeasible: the constraint {constraint} with slack {eps:g} was not met on the "
            f"fitting rows; best achievable violation {violation:.3f}"
        )
    return Fitted(
        decide,
        feasible=feasible,
        note=note,
        parameters={"eps": eps, "violation": violation, "best_gap": float(eg.best_gap_)},
    )


def _violation(constraint: str, y: Any, pred: Any, groups: Any) -> float:
    """The constraint's largest between-group gap of the (expected) decisions."""
    y = np.asarray(y).astype(bool)
    p = np.asarray(pred, dtype=np.float64)
    g = np.asarray(groups).astype(str)

    def gap(mask: Any) -> float:
        rates = [p[(g == v) & mask].mean() for v in np.unique(g) if np.any((g == v) & mask)]
        return float(max(rates) - min(rates)) if rates else 0.0

    everyone = np.ones_like(y)
    if constraint == "demographic_parity":
        return gap(everyone)
    if constraint == "equal_opportunity":
        return gap(y)
    if constraint == "false_positive_rate_parity":
        return gap(~y)
    return max(gap(y), gap(~y))


def fit_grid_search(
    estimator: Any, X: Any, y: Any, groups: Any, *, constraint: str, grid_size: int
) -> Fitted:
    """fairlearn ``GridSearch``; its best model decides, every grid model is a curve point."""
    from fairlearn.reductions import GridSearch

    key, _ = _check_sample_weight(estimator, "grid_search")
    gs = GridSearch(
        estimator,
        constraints=_moment(constraint, None),
        grid_size=grid_size,
        sample_weight_name=key,
    )
    gs.fit(X, y, sensitive_features=groups)
    if not gs.predictors_:
        raise InvalidInputError("GridSearch fitted no model (a grid of size 0?)")
    family = [(f"grid {i}", _plain(m)) for i, m in enumerate(gs.predictors_)]
    return Fitted(
        _plain(gs.predictors_[gs.best_idx_]),
        note=f"best of {len(gs.predictors_)} grid models (index {gs.best_idx_})",
        parameters={"grid_size": grid_size, "best_index": int(gs.best_idx_)},
        family=family,
    )
