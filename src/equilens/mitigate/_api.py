"""``mitigate``: fit each mitigation on one split, evaluate it on the held-out split.

The evaluation reuses the pipeline: each option's held-out decisions are audited with
:func:`equilens.audit.audit` and compared with the original's through the paired
:func:`equilens.compare.compare_predictions` (McNemar, paired DeLong, paired bootstrap); the
trade-off curves come from :mod:`equilens.mitigate._tradeoff`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from equilens._checks import check_confidence_level, check_int
from equilens.audit import audit
from equilens.compare import RunComparison, compare_predictions, read_frame
from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.mitigate import _fit
from equilens.mitigate._methods import CONSTRAINT_CRITERION, check_constraint, method_info
from equilens.mitigate._model import Change, Estimate, MitigationResult, Option
from equilens.mitigate._tradeoff import cells_from_predictions, cells_from_scores, tradeoff_curve
from equilens.results import AuditLog

#: Criteria shown per option (between-groups summaries of the option's audit).
SHOWN_CRITERIA = (
    "demographic_parity_difference",
    "equal_opportunity_difference",
    "false_positive_rate_difference",
    "equalized_odds_difference",
)


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


def split_rows(labels: Any, eval_fraction: float, seed: int) -> np.ndarray[Any, Any]:
    """Evaluation-row mask: a seeded split stratified on ``labels`` (group and true label)."""
    from sklearn.model_selection import train_test_split

    lab = np.asarray(labels).astype(str)
    idx = np.arange(len(lab))
    _, counts = np.unique(lab, return_counts=True)
    strat = lab if counts.min() >= 2 else None
    _, eval_idx = train_test_split(idx, test_size=eval_fraction, random_state=seed, stratify=strat)
    mask = np.zeros(len(lab), dtype=bool)
    mask[eval_idx] = True
    return mask


def _groups(df: Any, sensitive: Sequence[str], bins: Mapping[str, Sequence[float]]) -> Any:
    """One group label per row: ``feature=value`` joined over the sensitive features."""
    parts = []
    for name in sensitive:
        col = df[name]
        if name in bins:
            edges = [float(x) for x in bins[name]]
            names = (
                [f"<{edges[0]:g}"]
                + [f"{a:g}-{b:g}" for a, b in zip(edges, edges[1:], strict=False)]
                + [f">={edges[-1]:g}"]
            )
            codes = np.searchsorted(edges, col.to_numpy(dtype=float), side="right")
            col_text = np.array(names, dtype=object)[codes]
        else:
            col_text = col.astype(str).to_numpy()
        parts.append(np.char.add(f"{name}=", col_text.astype(str)))
    out = parts[0]
    for p in parts[1:]:
        out = np.char.add(np.char.add(out, ", "), p)
    return out


def _design(fit: Any, other: Any, features: Sequence[str]) -> tuple[Any, Any]:
    """Numeric design matrices: numbers as they are, other columns one-hot (levels of ``fit``)."""
    import pandas as pd

    Xf = pd.get_dummies(fit[list(features)], dtype=float)
    Xo = pd.get_dummies(other[list(features)], dtype=float).reindex(
        columns=Xf.columns, fill_value=0.0
    )
    for X in (Xf, Xo):
        if X.isna().to_numpy().any():
            bad = X.columns[X.isna().any()].tolist()[0]
            raise InvalidInputError(f"Feature column '{bad}' has missing values; impute them first")
    return Xf.to_numpy(), Xo.to_numpy()


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


def _detected(comp: RunComparison) -> list[str]:
    """The comparison's detected changes, one sentence each."""
    out = []
    for m in comp.metrics:
        if m.conclusion == "change_detected":
            where = ", ".join(f"{k}={v}" for k, v in m.slice.items()) or "overall"
            out.append(
                f"{m.metric} ({where}): {m.change:+.3f} [{m.change_ci_low:+.3f}, "
                f"{m.change_ci_high:+.3f}], p(Holm) {m.p_holm:.2g}"
            )
    for d in comp.disparities:
        if d.conclusion == "change_detected":
            out.append(
                f"{d.criterion} ({' x '.join(d.features)}, {d.method}): {d.change:+.3f} "
                f"[{d.change_ci_low:+.3f}, {d.change_ci_high:+.3f}], p(Holm) {d.p_holm:.2g}"
            )
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


def _check_methods(methods: Sequence[str], has_estimator: bool, has_score: bool) -> list[str]:
    if isinstance(methods, str) or not methods:
        raise InvalidParameterError(
            f"The 'methods' parameter of mitigate must be a non-empty list. Got {methods!r} instead."
        )
    for name in methods:
        info = method_info(name)
        if info.needs == "estimator" and not has_estimator:
            raise InvalidParameterError(
                f"The mitigation method '{name}' refits a model: pass an estimator (--estimator)"
            )
        if info.needs == "scores" and not has_score and not has_estimator:
            raise InvalidParameterError(
                f"The mitigation method '{name}' needs scores: pass y_score (--score) or an estimator"
            )
    return list(dict.fromkeys(methods))


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
    eps: float = 0.05,
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
        ``false_positive_rate_parity`` (for the fairlearn methods).
    estimator:
        An unfitted scikit-learn estimator (or a fitted one: it is cloned), or a
        :class:`equilens.adapters.SklearnAdapter`; refitted on the fitting rows for the original
        and for each in- or pre-processing method. It sees a numeric design matrix of
        ``features`` (other columns one-hot encoded).
    features:
        The model's feature columns (default: every column but the label, score, split and
        sensitive features).
    y_score:
        A score column (probability of the positive label) for the scores-only methods and the
        threshold trade-off curve, when no estimator is given.
    threshold:
        The original operating point: positive when score >= threshold.
    eval_fraction, split:
        The held-out share of a seeded split stratified by group and label, or a column whose
        values ``fit`` / ``eval`` name each row's side.
    eps, grid_size, grid_points:
        ExponentiatedGradient's constraint slack, GridSearch's grid size and the number of
        thresholds of the trade-off curve.
    bootstrap, seed, confidence_level, min_group_size:
        As for :func:`equilens.audit`; ``seed`` also seeds the split and randomised decisions.
    """
    import pandas as pd

    func = "mitigate"
    bootstrap = check_int("bootstrap", bootstrap, 0, func)
    seed = check_int("seed", seed, 0, func)
    grid_points = check_int("grid_points", grid_points, 3, func)
    grid_size = check_int("grid_size", grid_size, 2, func)
    check_confidence_level(confidence_level, func)
    if not 0.05 <= float(eval_fraction) <= 0.95:
        raise InvalidParameterError(
            f"The 'eval_fraction' parameter of mitigate must be in [0.05, 0.95]. Got {eval_fraction!r} instead."
        )
    constraint = check_constraint(constraint)
    if isinstance(data, str | Path):
        data = read_frame(data)
    if not isinstance(data, pd.DataFrame):
        raise InvalidParameterError(
            f"The 'data' parameter of mitigate must be a pandas DataFrame or a file path. Got {type(data).__name__} instead."
        )
    sensitive = (
        [sensitive_features] if isinstance(sensitive_features, str) else list(sensitive_features)
    )
    bins = dict(bins or {})
    for role, name in [
        ("y_true", y_true),
        ("y_score", y_score),
        ("split", split),
        *[("sensitive_features", s) for s in sensitive],
    ]:
        if name is not None and name not in data.columns:
            raise InvalidInputError(f"Column '{name}' ({role}) not found in the data")
    if (
        estimator is not None
        and hasattr(estimator, "estimator")
        and callable(getattr(estimator, "prepare_inputs", None))
    ):
        estimator = estimator.estimator  # a SklearnAdapter: its estimator, cloned below
    if estimator is not None and not callable(getattr(estimator, "fit", None)):
        raise InvalidParameterError(
            f"The 'estimator' parameter of mitigate must be a scikit-learn estimator. Got {type(estimator).__name__} instead."
        )
    chosen = _check_methods(methods, estimator is not None, y_score is not None)
    labels = data[y_true]
    if labels.isna().any():
        raise InvalidInputError(f"Column '{y_true}' (y_true) has missing values")
    values = sorted(labels.unique().tolist(), key=str)
    if len(values) != 2:
        raise InvalidInputError(
            f"Column '{y_true}' (y_true) must hold two labels; found {len(values)}"
        )
    pos = (
        positive_label
        if positive_label is not None
        else (1 if set(values) <= {0, 1} else (True if set(values) <= {False, True} else None))
    )
    if pos is None or pos not in values:
        raise InvalidParameterError(
            f"The 'positive_label' parameter of mitigate must be one of {values}. Got {positive_label!r} instead."
        )
    y = (labels == pos).to_numpy().astype(np.int64)
    groups = _groups(data, sensitive, bins)
    if split is not None:
        side = data[split].astype(str).str.lower()
        bad = sorted(set(side) - {"fit", "eval"})
        if bad:
            raise InvalidInputError(
                f"Column '{split}' (split) must hold 'fit' or 'eval'; found '{bad[0]}'"
            )
        eval_mask = (side == "eval").to_numpy()
    else:
        eval_mask = split_rows(
            np.char.add(groups.astype(str), y.astype(str)), float(eval_fraction), seed
        )
    if eval_mask.all() or not eval_mask.any():
        raise InvalidInputError("Both the fitting and the evaluation split need rows")
    if y_score is not None:
        score_col = data[y_score]
        if not pd.api.types.is_numeric_dtype(score_col) or score_col.isna().any():
            raise InvalidInputError(
                f"Column '{y_score}' (y_score) must be numeric without missing values"
            )
    skip = {y_true, y_score, split}
    feats = (
        list(features)
        if features is not None
        else [c for c in data.columns if c not in skip and c not in sensitive]
    )
    for name in feats:
        if name not in data.columns:
            raise InvalidInputError(f"Column '{name}' (features) not found in the data")
    fit_df, ev_df = data[~eval_mask], data[eval_mask]
    y_fit, y_ev = y[~eval_mask], y[eval_mask]
    g_fit, g_ev = groups[~eval_mask], groups[eval_mask]
    warnings: list[str] = []
    small = [g for g in np.unique(g_fit) if np.sum(g_fit == g) < min_group_size]
    if small:
        warnings.append(
            f"Groups with fewer than {min_group_size} fitting rows: {', '.join(small)}; their thresholds and weights are noisy."
        )

    X_fit = X_ev = None
    options: dict[str, tuple[Any, Any]] = {}
    fitted: dict[str, _fit.Fitted] = {}
    if estimator is not None:
        X_fit, X_ev = _design(fit_df, ev_df, feats)
        orig = _fit.fit_original(estimator, X_fit, y_fit)
        pred, score = orig.decide(X_ev, g_ev)
        score_fit = None
        if score is not None and any(method_info(m).needs == "scores" for m in chosen):
            score_fit = _fit.out_of_fold_scores(estimator, X_fit, y_fit, seed)
        if score is not None:
            pred = (score >= threshold).astype(np.int64)
        options["original"] = (pred, score)
    else:
        assert y_score is not None
        score = fit_df[y_score].to_numpy(dtype=float)
        score_fit = score
        s_ev = ev_df[y_score].to_numpy(dtype=float)
        options["original"] = ((s_ev >= threshold).astype(np.int64), s_ev)
    ev_score = options["original"][1]
    for name in chosen:
        if name in ("equal_fpr", "equal_tpr"):
            if score_fit is None or ev_score is None:
                raise InvalidParameterError(
                    f"The method '{name}' needs scores: the estimator has no predict_proba"
                )
            f = _fit.fit_scores(y_fit, score_fit, g_fit, rate=name, threshold=threshold)
            options[name] = (f.decide(ev_score, g_ev)[0], None)
        else:
            f = _FITTERS[name](
                estimator,
                X_fit,
                y_fit,
                g_fit,
                constraint=constraint,
                eps=eps,
                grid_size=grid_size,
                seed=seed,
            )
            options[name] = f.decide(X_ev, g_ev)
        fitted[name] = f

    frame = ev_df.reset_index(drop=True).copy()
    frame["_y"] = y_ev
    frame["_group"] = g_ev
    for name, (pred, sc) in options.items():
        frame[f"pred_{name}"] = pred
        if sc is not None:
            frame[f"score_{name}"] = sc
    common = dict(
        y_true="_y",
        sensitive_features=sensitive,
        positive_label=1,
        bins=bins or None,
        bootstrap=bootstrap,
        seed=seed,
        confidence_level=confidence_level,
        min_group_size=min_group_size,
    )
    logs: dict[str, AuditLog] = {}
    comparisons: dict[str, RunComparison] = {}
    out: list[Option] = []
    in_features = bool(set(sensitive) & set(feats))
    for name, (pred, sc) in options.items():
        score_name = f"score_{name}" if sc is not None else None
        log = audit(frame, y_pred=f"pred_{name}", y_score=score_name, **common)  # type: ignore[arg-type]
        logs[name] = log
        changes: list[str] = []
        versus: dict[str, Change] = {}
        if name != "original":
            both = score_name is not None and "score_original" in frame
            comp = compare_predictions(
                frame,
                base_pred="pred_original",
                candidate_pred=f"pred_{name}",
                base_score="score_original" if both else None,
                candidate_score=score_name if both else None,
                labels=("original", name),
                **common,  # type: ignore[arg-type]
            )
            comparisons[name] = comp
            changes = _detected(comp)
            versus = _versus(comp, CONSTRAINT_CRITERION[constraint])
        info = method_info(name) if name != "original" else None
        f = fitted.get(name)
        out.append(
            Option(
                name=name,
                method=name,
                stage=info.stage if info else "original",
                uses_sensitive_at_decision=(info.uses_sensitive_at_decision if info else False)
                or in_features,
                uses_sensitive_in_fitting=info is not None,
                feasible=f.feasible if f else True,
                note=f.note
                if f
                else (
                    "model refitted on the fitting rows"
                    if estimator is not None
                    else "the given scores"
                )
                + f"; positive when score >= {threshold:g}",
                parameters=f.parameters if f else {},
                accuracy=_estimate(log, "accuracy_score"),
                roc_auc=_estimate(log, "roc_auc_score"),
                approval_rate=_estimate(log, "selection_rate"),
                disparities=_disparities(log),
                changes=changes,
                versus_original=versus,
            )
        )
    tradeoff = None
    if ev_score is not None:
        grid = (
            np.linspace(0.0, 1.0, grid_points)
            if np.all((ev_score >= 0) & (ev_score <= 1))
            else np.quantile(ev_score, np.linspace(0, 1, grid_points))
        )
        grid = np.unique(np.append(grid, threshold))
        table = cells_from_scores(y_ev, g_ev, ev_score, grid)
        tradeoff = tradeoff_curve(
            table,
            family="threshold",
            settings=[f"{t:.3g}" for t in grid],
            original=int(np.flatnonzero(np.isclose(grid, threshold))[0]),
            draws=max(bootstrap, 1),
            seed=seed,
            confidence_level=confidence_level,
        )
    names = list(options)
    decisions = np.column_stack([options[n][0] for n in names])
    grid_curve = None
    gs = fitted.get("grid_search")
    if gs is not None and gs.family:
        gd = np.column_stack([d(X_ev, g_ev)[0] for _, d in gs.family])
        grid_curve = tradeoff_curve(
            cells_from_predictions(y_ev, g_ev, gd),
            family="grid",
            settings=[n for n, _ in gs.family],
            draws=max(bootstrap, 1),
            seed=seed,
            confidence_level=confidence_level,
        )
    options_curve = tradeoff_curve(
        cells_from_predictions(y_ev, g_ev, decisions),
        family="options",
        settings=names,
        original=0,
        draws=max(bootstrap, 1),
        seed=seed,
        confidence_level=confidence_level,
    )
    result = MitigationResult(
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        sensitive_features=sensitive,
        constraint=constraint,
        split={
            "fit_rows": int((~eval_mask).sum()),
            "eval_rows": int(eval_mask.sum()),
            "eval_fraction": float(eval_fraction) if split is None else None,
            "split_column": split,
            "seed": seed,
            "statement": "every option was fitted on the fitting rows only and evaluated on the "
            "held-out evaluation rows",
        },
        options=out,
        tradeoff=tradeoff,
        grid_curve=grid_curve,
        options_curve=options_curve,
        warnings=warnings,
    )
    return MitigationRun(result=result, logs=logs, comparisons=comparisons, eval_frame=frame)


def _fit_model(name: str) -> Any:
    def run(
        estimator: Any,
        X: Any,
        y: Any,
        g: Any,
        *,
        constraint: str,
        eps: float,
        grid_size: int,
        seed: int,
    ) -> _fit.Fitted:
        if name == "threshold_optimizer":
            return _fit.fit_threshold_optimizer(
                estimator, X, y, g, constraint=constraint, seed=seed
            )
        if name == "reweighing":
            return _fit.fit_reweighing(estimator, X, y, g)
        if name == "correlation_remover":
            return _fit.fit_correlation_remover(estimator, X, y, g)
        if name == "exponentiated_gradient":
            return _fit.fit_exponentiated_gradient(
                estimator, X, y, g, constraint=constraint, eps=eps, seed=seed
            )
        return _fit.fit_grid_search(estimator, X, y, g, constraint=constraint, grid_size=grid_size)

    return run


_FITTERS = {
    n: _fit_model(n)
    for n in (
        "threshold_optimizer",
        "reweighing",
        "correlation_remover",
        "exponentiated_gradient",
        "grid_search",
    )
}
