"""``mitigate``: fit each mitigation on one split, evaluate it on the held-out split.

The evaluation reuses the pipeline: each option's held-out decisions are audited with
:func:`equilens.audit.audit` and compared with the original's through the paired
:func:`equilens.compare.compare_predictions` (McNemar, paired DeLong, paired bootstrap); the
trade-off curves come from :mod:`equilens.mitigate._tradeoff`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from equilens._checks import check_int
from equilens.audit import audit
from equilens.compare import RunComparison, compare_predictions
from equilens.exceptions import InvalidParameterError
from equilens.mitigate import _fit
from equilens.mitigate._inputs import Prepared, design_matrices, fold_masks, prepare
from equilens.mitigate._methods import CONSTRAINT_CRITERION, method_info
from equilens.mitigate._model import Change, Estimate, MitigationResult, Option, TradeoffCurve
from equilens.mitigate._tradeoff import cells_from_predictions, cells_from_scores, tradeoff_curve
from equilens.results import AuditLog

#: Criteria shown per option (between-groups summaries of the option's audit).
SHOWN_CRITERIA = (
    "demographic_parity_difference",
    "equal_opportunity_difference",
    "false_positive_rate_difference",
    "equalized_odds_difference",
)

#: Decisions and score (or None) of an option on the evaluation rows.
Outcome = tuple[Any, Any]


@dataclass
class MitigationRun:
    """The result document plus what it was computed from (not serialised)."""

    result: MitigationResult
    logs: dict[str, AuditLog] = field(default_factory=dict)
    """Each option's audit of the evaluation rows (``original`` included)."""
    comparisons: dict[str, RunComparison] = field(default_factory=dict)
    """Each mitigation's paired comparison against the original."""
    eval_frame: Any = None
    """The evaluation rows with every option's decisions (``pred_<option>``) and scores."""


@dataclass
class _Settings:
    threshold: float
    eps: float
    slacks: tuple[float, ...]
    grid_size: int
    grid_points: int
    bootstrap: int
    seed: int
    confidence_level: float
    min_group_size: int


def _estimate(log: AuditLog, metric: str) -> Estimate | None:
    for row in log.results:
        if row.metric == metric and not row.slice:
            return Estimate(value=row.value, ci_low=row.ci_low, ci_high=row.ci_high)
    return None


def _disparities(log: AuditLog) -> dict[str, Estimate]:
    out = {}
    for d in log.disparities:
        if d.method == "between_groups" and d.criterion in SHOWN_CRITERIA:
            key = f"{d.criterion}[{' x '.join(d.features)}]"
            out[key] = Estimate(value=d.value, ci_low=d.ci_low, ci_high=d.ci_high)
    return out


def _interval(change: float | None, low: float | None, high: float | None) -> str:
    def one(x: float | None) -> str:
        return "n/a" if x is None else f"{x:+.3f}"

    return f"{one(change)} [{one(low)}, {one(high)}]"


def _detected(comp: RunComparison) -> list[str]:
    """The comparison's detected changes, one line each."""
    out = []
    for m in comp.metrics:
        if m.conclusion == "change_detected":
            where = ", ".join(f"{k}={v}" for k, v in m.slice.items()) or "overall"
            text = _interval(m.change, m.change_ci_low, m.change_ci_high)
            out.append(f"{m.metric} ({where}): {text}, p(Holm) {m.p_holm:.2g}")
    for d in comp.disparities:
        if d.conclusion == "change_detected":
            text = _interval(d.change, d.change_ci_low, d.change_ci_high)
            family = " x ".join(d.features)
            out.append(f"{d.criterion} ({family}, {d.method}): {text}, p(Holm) {d.p_holm:.2g}")
    return out


def _versus(comp: RunComparison, criterion: str) -> dict[str, Change]:
    """The overall changes and the constraint's criterion changes, keyed for the memo."""
    out: dict[str, Change] = {}
    for m in comp.metrics:
        if not m.slice and m.metric in ("accuracy_score", "selection_rate", "roc_auc_score"):
            out[m.metric] = Change(
                value=m.change,
                ci_low=m.change_ci_low,
                ci_high=m.change_ci_high,
                p_holm=m.p_holm,
                conclusion=m.conclusion,
            )
    for d in comp.disparities:
        if d.method == "between_groups" and d.criterion == criterion:
            out[f"{criterion}[{' x '.join(d.features)}]"] = Change(
                value=d.change,
                ci_low=d.change_ci_low,
                ci_high=d.change_ci_high,
                p_holm=d.p_holm,
                conclusion=d.conclusion,
            )
    return out


def _fit_model(prep: Prepared, name: str, X: Any, y: Any, g: Any, s: _Settings) -> _fit.Fitted:
    est, constraint = prep.estimator, prep.constraint
    if name == "threshold_optimizer":
        return _fit.fit_threshold_optimizer(est, X, y, g, constraint=constraint, seed=s.seed)
    if name == "reweighing":
        return _fit.fit_reweighing(est, X, y, g)
    if name == "correlation_remover":
        return _fit.fit_correlation_remover(est, X, y, g)
    if name == "exponentiated_gradient":
        main = _fit.fit_exponentiated_gradient(
            est, X, y, g, constraint=constraint, eps=s.eps, seed=s.seed
        )
        for slack in s.slacks:
            f = main
            if slack != s.eps:
                f = _fit.fit_exponentiated_gradient(
                    est, X, y, g, constraint=constraint, eps=slack, seed=s.seed
                )
            main.family.append((f"slack {slack:g}", f.decide))
        return main
    return _fit.fit_grid_search(est, X, y, g, constraint=constraint, grid_size=s.grid_size)


def _fit_options(
    prep: Prepared, y_score: str | None, s: _Settings
) -> tuple[dict[str, Outcome], dict[str, _fit.Fitted], Any]:
    """Fit the original and every method on the fitting rows; decide the evaluation rows."""
    fit_df, ev_df = prep.side(prep.data, False), prep.side(prep.data, True)
    y_fit, g_fit, g_ev = (
        prep.side(prep.y, False),
        prep.side(prep.groups, False),
        prep.side(prep.groups, True),
    )
    options: dict[str, Outcome] = {}
    X_fit = X_ev = None
    score_fit = None
    if prep.estimator is not None:
        X_fit, X_ev = design_matrices(fit_df, ev_df, prep.features)
        pred, score = _fit.fit_original(prep.estimator, X_fit, y_fit).decide(X_ev, g_ev)
        if score is not None:
            pred = (score >= s.threshold).astype(np.int64)
            if any(method_info(m).needs == "scores" for m in prep.methods):
                score_fit = _fit.out_of_fold_scores(prep.estimator, X_fit, y_fit, s.seed)
        options["original"] = (pred, score)
    else:
        assert y_score is not None
        score_fit = fit_df[y_score].to_numpy(dtype=float)
        s_ev = ev_df[y_score].to_numpy(dtype=float)
        options["original"] = ((s_ev >= s.threshold).astype(np.int64), s_ev)
    ev_score = options["original"][1]
    fitted: dict[str, _fit.Fitted] = {}
    for name in prep.methods:
        if method_info(name).needs == "scores":
            if score_fit is None or ev_score is None:
                raise InvalidParameterError(
                    f"The method '{name}' needs scores: the estimator has no predict_proba"
                )
            f = _fit.fit_scores(y_fit, score_fit, g_fit, rate=name, threshold=s.threshold)
            options[name] = (f.decide(ev_score, g_ev)[0], None)
        else:
            f = _fit_model(prep, name, X_fit, y_fit, g_fit, s)
            options[name] = f.decide(X_ev, g_ev)
        fitted[name] = f
    return options, fitted, X_ev


def _evaluate(
    prep: Prepared, options: dict[str, Outcome], fitted: dict[str, _fit.Fitted], s: _Settings
) -> tuple[list[Option], dict[str, AuditLog], dict[str, RunComparison], Any]:
    """Audit every option on the evaluation rows; compare each mitigation with the original."""
    frame = prep.side(prep.data, True).reset_index(drop=True).copy()
    frame["_y"] = prep.side(prep.y, True)
    for name, (pred, score) in options.items():
        frame[f"pred_{name}"] = pred
        if score is not None:
            frame[f"score_{name}"] = score
    common: dict[str, Any] = {
        "y_true": "_y",
        "sensitive_features": prep.sensitive,
        "positive_label": 1,
        "bins": prep.bins or None,
        "bootstrap": s.bootstrap,
        "seed": s.seed,
        "confidence_level": s.confidence_level,
        "min_group_size": s.min_group_size,
    }
    logs: dict[str, AuditLog] = {}
    comparisons: dict[str, RunComparison] = {}
    out: list[Option] = []
    in_features = bool(set(prep.sensitive) & set(prep.features))
    for name, (_, score) in options.items():
        score_name = f"score_{name}" if score is not None else None
        log = logs[name] = audit(frame, y_pred=f"pred_{name}", y_score=score_name, **common)
        f = fitted.get(name)
        option: dict[str, Any] = {
            "name": name,
            "method": name,
            "stage": "original",
            "uses_sensitive_at_decision": in_features,
            "uses_sensitive_in_fitting": False,
            "note": (
                "model refitted on the fitting rows"
                if prep.estimator is not None
                else "the given scores (whether their model reads the sensitive feature "
                "is not known here)"
            )
            + f"; positive when score >= {s.threshold:g}",
        }
        if f is not None:
            info = method_info(name)
            both = score_name is not None and "score_original" in frame
            comp = comparisons[name] = compare_predictions(
                frame,
                base_pred="pred_original",
                candidate_pred=f"pred_{name}",
                base_score="score_original" if both else None,
                candidate_score=score_name if both else None,
                labels=("original", name),
                **common,
            )
            option.update(
                stage=info.stage,
                uses_sensitive_in_fitting=True,
                feasible=f.feasible,
                uses_sensitive_at_decision=info.uses_sensitive_at_decision or in_features,
                note=f.note,
                parameters=f.parameters,
                changes=_detected(comp),
                versus_original=_versus(comp, CONSTRAINT_CRITERION[prep.constraint]),
            )
        out.append(
            Option(
                **option,
                accuracy=_estimate(log, "accuracy_score"),
                roc_auc=_estimate(log, "roc_auc_score"),
                approval_rate=_estimate(log, "selection_rate"),
                disparities=_disparities(log),
            )
        )
    return out, logs, comparisons, frame


def _family_outcomes(
    fitted: dict[str, _fit.Fitted], X_ev: Any, g_ev: Any
) -> dict[str, list[tuple[str, Outcome]]]:
    """Each fitted family member's decisions on the evaluation rows (GridSearch, slacks)."""
    return {
        method: [(name, decide(X_ev, g_ev)) for name, decide in f.family]
        for method, f in fitted.items()
        if f.family
    }


def _curves(
    prep: Prepared,
    options: dict[str, Outcome],
    families: dict[str, list[tuple[str, Outcome]]],
    s: _Settings,
) -> dict[str, TradeoffCurve | None]:
    """The threshold grid of the original score, the options, and GridSearch's models."""
    y_ev, g_ev = prep.side(prep.y, True), prep.side(prep.groups, True)
    common: dict[str, Any] = {
        "draws": max(s.bootstrap, 1),
        "seed": s.seed,
        "confidence_level": s.confidence_level,
    }
    out: dict[str, TradeoffCurve | None] = {
        "tradeoff": None,
        "grid_curve": None,
        "slack_curve": None,
    }
    ev_score = options["original"][1]
    if ev_score is not None:
        if np.all((ev_score >= 0) & (ev_score <= 1)):
            grid = np.linspace(0.0, 1.0, s.grid_points)
        else:
            grid = np.quantile(ev_score, np.linspace(0, 1, s.grid_points))
        grid = np.unique(np.append(grid, s.threshold))
        out["tradeoff"] = tradeoff_curve(
            cells_from_scores(y_ev, g_ev, ev_score, grid),
            family="threshold",
            settings=[f"{t:.3g}" for t in grid],
            original=int(np.flatnonzero(np.isclose(grid, s.threshold))[0]),
            **common,
        )
    for key, method, family in (
        ("grid_curve", "grid_search", "grid"),
        ("slack_curve", "exponentiated_gradient", "slack"),
    ):
        members = families.get(method)
        if not members:
            continue
        decided = [outcome for _, outcome in members]
        scores = [sc for _, sc in decided]
        have = all(sc is not None for sc in scores)
        out[key] = tradeoff_curve(
            cells_from_predictions(
                y_ev,
                g_ev,
                np.column_stack([d for d, _ in decided]),
                scores=np.column_stack(scores) if have else None,
            ),
            family=family,
            settings=[n for n, _ in members],
            **common,
        )
    names = list(options)
    out["options_curve"] = tradeoff_curve(
        cells_from_predictions(y_ev, g_ev, np.column_stack([options[n][0] for n in names])),
        family="options",
        settings=names,
        original=0,
        **common,
    )
    return out


def _cross_fit(
    prep: Prepared, y_score: str | None, s: _Settings, folds: int
) -> tuple[dict[str, Outcome], dict[str, _fit.Fitted], dict[str, list[tuple[str, Outcome]]]]:
    """Fit every option on all folds but one, decide that fold; assemble all rows' outcomes."""
    n = len(prep.y)
    options: dict[str, list[Any]] = {}
    families: dict[str, dict[str, list[Any]]] = {}
    notes: dict[str, list[str]] = {}
    fitted: dict[str, _fit.Fitted] = {}
    for k, mask in enumerate(fold_masks(prep.groups, prep.y, folds, s.seed)):
        part = replace(prep, eval_mask=mask)
        opts, fits, X_ev = _fit_options(part, y_score, s)
        for name, (pred, score) in opts.items():
            slot = options.setdefault(name, [np.zeros(n, np.int64), np.zeros(n), True])
            slot[0][mask] = pred
            slot[2] = slot[2] and score is not None
            if score is not None:
                slot[1][mask] = score
        for method, members in _family_outcomes(fits, X_ev, part.side(part.groups, True)).items():
            for name, (pred, score) in members:
                slot = families.setdefault(method, {}).setdefault(
                    name, [np.zeros(n, np.int64), np.zeros(n), True]
                )
                slot[0][mask] = pred
                slot[2] = slot[2] and score is not None
                if score is not None:
                    slot[1][mask] = score
        for name, f in fits.items():
            notes.setdefault(name, []).append(f"fold {k + 1}: {f.note}")
            first = fitted.setdefault(name, replace(f, family=[]))
            first.feasible = first.feasible and f.feasible
    for name, f in fitted.items():
        f.note = f"cross-fitted over {folds} folds; " + "; ".join(notes[name])
    return (
        {name: (v[0], v[1] if v[2] else None) for name, v in options.items()},
        fitted,
        {
            method: [(name, (v[0], v[1] if v[2] else None)) for name, v in members.items()]
            for method, members in families.items()
        },
    )


def _slack(value: Any, name: str) -> float:
    """A constraint slack: a number in [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise InvalidParameterError(
            f"The '{name}' parameter of mitigate must hold numbers in [0, 1]. Got {value!r} "
            "instead."
        )
    return float(value)


def _split_record(
    prep: Prepared, eval_fraction: float, split: str | None, folds: int | None, seed: int
) -> dict[str, Any]:
    n_eval = int(prep.eval_mask.sum())
    if folds is not None:
        return {
            "folds": folds,
            "fit_rows": len(prep.y) - len(prep.y) // folds,
            "eval_rows": n_eval,
            "seed": seed,
            "statement": f"cross-fitted: every row was decided by options fitted on the other "
            f"{folds - 1} of {folds} folds (stratified by group and label) and never on itself",
        }
    return {
        "fit_rows": len(prep.eval_mask) - n_eval,
        "eval_rows": n_eval,
        "eval_fraction": float(eval_fraction) if split is None else None,
        "split_column": split,
        "seed": seed,
        "statement": "every option was fitted on the fitting rows only and evaluated on the "
        "held-out evaluation rows",
    }


def mitigate(
    data: Any,
    *,
    y_true: str,
    sensitive_features: str | Sequence[str],
    methods: Sequence[str],
    constraint: str = "demographic_parity",
    estimator: Any = None,
    features: Sequence[str] | None = None,
    y_score: str | None = None,
    positive_label: Any = None,
    threshold: float = 0.5,
    bins: Mapping[str, Sequence[float]] | None = None,
    eval_fraction: float = 0.3,
    split: str | None = None,
    folds: int | None = None,
    eps: float = 0.05,
    slacks: Sequence[float] = (),
    grid_size: int = 10,
    grid_points: int = 41,
    bootstrap: int = 1000,
    seed: int = 0,
    confidence_level: float = 0.95,
    min_group_size: int = 30,
) -> MitigationRun:
    """Fit mitigations on one split and evaluate them, with the original, on the other.

    Parameters
    ----------
    data:
        A pandas DataFrame or a CSV / Parquet path.
    y_true, sensitive_features:
        Column names: the true label and the sensitive feature(s); the mitigation's groups are
        the intersection of the sensitive features (binned with ``bins``).
    methods:
        Names among :data:`equilens.mitigate.METHODS`.
    constraint:
        ``demographic_parity``, ``equal_opportunity``, ``equalized_odds`` or
        ``false_positive_rate_parity`` (for the fairlearn methods; the paired comparison
        reports this constraint's criterion).
    estimator:
        A scikit-learn estimator (cloned, never modified) or a
        :class:`equilens.adapters.SklearnAdapter`; refitted on the fitting rows for the original
        and for each method. It sees a numeric design matrix of ``features`` (other columns
        one-hot encoded). The scores-only methods then choose thresholds on out-of-fold scores
        of the fitting rows.
    features:
        The model's feature columns (default: every column but the label, score, split and
        sensitive features).
    y_score:
        A score column (probability of the positive label) for the scores-only methods and the
        threshold trade-off curve, when no estimator is given.
    threshold:
        The original operating point: positive when score >= threshold.
    eval_fraction, split, folds:
        The held-out share of a seeded split stratified by group and label, or a column whose
        values ``fit`` / ``eval`` name each row's side; or ``folds`` (>= 2) for cross-fitting:
        each fold is decided by options fitted on the other folds, and every row is evaluated.
    eps, slacks, grid_size, grid_points:
        ExponentiatedGradient's constraint slack (and further slacks, each fitted for the
        ``slack`` trade-off curve), GridSearch's grid size and the number of thresholds of the
        threshold trade-off curve.
    bootstrap, seed, confidence_level, min_group_size:
        As for :func:`equilens.audit`; ``seed`` also seeds the split and randomised decisions.
    """
    settings = _Settings(
        threshold=float(threshold),
        eps=_slack(eps, "eps"),
        slacks=tuple(_slack(x, "slacks") for x in slacks),
        grid_size=check_int("grid_size", grid_size, 2, "mitigate"),
        grid_points=check_int("grid_points", grid_points, 3, "mitigate"),
        bootstrap=bootstrap,
        seed=seed,
        confidence_level=confidence_level,
        min_group_size=check_int("min_group_size", min_group_size, 1, "mitigate"),
    )
    prep = prepare(
        data,
        y_true=y_true,
        sensitive_features=sensitive_features,
        methods=methods,
        constraint=constraint,
        estimator=estimator,
        features=features,
        y_score=y_score,
        positive_label=positive_label,
        bins=bins,
        eval_fraction=eval_fraction,
        split=split,
        bootstrap=bootstrap,
        seed=seed,
        confidence_level=confidence_level,
    )
    g_fit = prep.side(prep.groups, False)
    labels, sizes = np.unique(g_fit, return_counts=True)
    small = [str(g) for g, n in zip(labels, sizes, strict=True) if n < min_group_size]
    warnings = []
    if small:
        warnings.append(
            f"Groups with fewer than {min_group_size} fitting rows: {', '.join(small)}; their "
            "thresholds and weights are noisy."
        )
    if folds is None:
        options, fitted, X_ev = _fit_options(prep, y_score, settings)
        families = _family_outcomes(fitted, X_ev, prep.side(prep.groups, True))
    else:
        if split is not None:
            raise InvalidParameterError("Pass 'split' or 'folds' to mitigate, not both")
        folds = check_int("folds", folds, 2, "mitigate")
        options, fitted, families = _cross_fit(prep, y_score, settings, folds)
        prep = replace(prep, eval_mask=np.ones(len(prep.y), dtype=bool))
    out, logs, comparisons, frame = _evaluate(prep, options, fitted, settings)
    curves = _curves(prep, options, families, settings)
    result = MitigationResult(
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        sensitive_features=prep.sensitive,
        constraint=prep.constraint,
        split=_split_record(prep, eval_fraction, split, folds, seed),
        options=out,
        warnings=warnings,
        tradeoff=curves["tradeoff"],
        grid_curve=curves["grid_curve"],
        slack_curve=curves["slack_curve"],
        options_curve=curves["options_curve"],
    )
    return MitigationRun(result=result, logs=logs, comparisons=comparisons, eval_frame=frame)
