"""Checks of ``mitigate``'s inputs and the split into fitting and evaluation rows."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from equilens._checks import check_confidence_level, check_int
from equilens.compare import read_frame
from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.mitigate._methods import check_constraint, method_info

_FUNC = "mitigate"


@dataclass
class Prepared:
    """The checked inputs: labels, groups, the split and the design matrices."""

    data: Any
    y: Any
    groups: Any
    eval_mask: Any
    features: list[str]
    sensitive: list[str]
    bins: dict[str, list[float]]
    methods: list[str]
    constraint: str
    estimator: Any

    def side(self, values: Any, held_out: bool) -> Any:
        """The fitting (``held_out=False``) or evaluation rows of ``values``."""
        mask = self.eval_mask if held_out else ~self.eval_mask
        return values[mask]


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


def fold_masks(groups: Any, y: Any, folds: int, seed: int) -> list[np.ndarray[Any, Any]]:
    """Evaluation-row masks of ``folds`` seeded folds stratified by group and label."""
    from sklearn.model_selection import KFold, StratifiedKFold

    strata = np.char.add(np.asarray(groups).astype(str), np.asarray(y).astype(str))
    _, counts = np.unique(strata, return_counts=True)
    n = len(strata)
    if counts.min() >= folds:
        splits = StratifiedKFold(folds, shuffle=True, random_state=seed).split(strata, strata)
    else:
        splits = KFold(folds, shuffle=True, random_state=seed).split(strata)
    out = []
    for _, held in splits:
        mask = np.zeros(n, dtype=bool)
        mask[held] = True
        out.append(mask)
    return out


def group_labels(df: Any, sensitive: Sequence[str], bins: Mapping[str, Sequence[float]]) -> Any:
    """One group label per row: ``feature=value`` joined over the sensitive features."""
    parts = []
    for name in sensitive:
        col = df[name]
        if name in bins:
            edges = [float(x) for x in bins[name]]
            names = [f"<{edges[0]:g}"]
            names += [f"{a:g}-{b:g}" for a, b in itertools.pairwise(edges)]
            names += [f">={edges[-1]:g}"]
            codes = np.searchsorted(edges, col.to_numpy(dtype=float), side="right")
            text = np.array(names, dtype=object)[codes].astype(str)
        else:
            text = col.astype(str).to_numpy().astype(str)
        parts.append(np.char.add(f"{name}=", text))
    out = parts[0]
    for p in parts[1:]:
        out = np.char.add(np.char.add(out, ", "), p)
    return out


def design_matrices(fit: Any, other: Any, features: Sequence[str]) -> tuple[Any, Any]:
    """Numeric design matrices: numbers as they are, other columns one-hot (``fit``'s levels)."""
    import pandas as pd

    X_fit = pd.get_dummies(fit[list(features)], dtype=float)
    X_other = pd.get_dummies(other[list(features)], dtype=float)
    X_other = X_other.reindex(columns=X_fit.columns, fill_value=0.0)
    for X in (X_fit, X_other):
        if X.isna().to_numpy().any():
            bad = X.columns[X.isna().any()].tolist()[0]
            raise InvalidInputError(f"Feature column '{bad}' has missing values; impute them first")
    return X_fit.to_numpy(), X_other.to_numpy()


def _estimator(estimator: Any) -> Any:
    if estimator is None:
        return None
    if hasattr(estimator, "estimator") and callable(getattr(estimator, "prepare_inputs", None)):
        estimator = estimator.estimator  # a SklearnAdapter: its estimator (cloned when fitted)
    if not callable(getattr(estimator, "fit", None)):
        raise InvalidParameterError(
            "The 'estimator' parameter of mitigate must be a scikit-learn estimator. Got "
            f"{type(estimator).__name__} instead."
        )
    return estimator


def _methods(methods: Sequence[str], has_estimator: bool, has_score: bool) -> list[str]:
    if isinstance(methods, str) or not methods:
        raise InvalidParameterError(
            f"The 'methods' parameter of mitigate must be a non-empty list. Got {methods!r} "
            "instead."
        )
    for name in methods:
        info = method_info(name)
        if info.needs == "estimator" and not has_estimator:
            raise InvalidParameterError(
                f"The mitigation method '{name}' refits a model: pass an estimator (--estimator)"
            )
        if info.needs == "scores" and not has_score and not has_estimator:
            raise InvalidParameterError(
                f"The mitigation method '{name}' needs scores: pass y_score (--score) or an "
                "estimator"
            )
    return list(dict.fromkeys(methods))


def _labels(data: Any, y_true: str, positive_label: Any) -> Any:
    labels = data[y_true]
    if labels.isna().any():
        raise InvalidInputError(f"Column '{y_true}' (y_true) has missing values")
    values = sorted(labels.unique().tolist(), key=str)
    if len(values) != 2:
        raise InvalidInputError(
            f"Column '{y_true}' (y_true) must hold two labels; found {len(values)}"
        )
    pos = positive_label
    if pos is None and set(values) <= {0, 1}:
        pos = 1
    if pos is None or pos not in values:
        raise InvalidParameterError(
            f"The 'positive_label' parameter of mitigate must be one of {values}. Got "
            f"{positive_label!r} instead."
        )
    return (labels == pos).to_numpy().astype(np.int64)


def _check_numbers(
    bootstrap: int, seed: int, confidence_level: float, eval_fraction: float
) -> None:
    check_int("bootstrap", bootstrap, 0, _FUNC)
    check_int("seed", seed, 0, _FUNC)
    check_confidence_level(confidence_level, _FUNC)
    if not 0.05 <= float(eval_fraction) <= 0.95:
        raise InvalidParameterError(
            "The 'eval_fraction' parameter of mitigate must be in [0.05, 0.95]. Got "
            f"{eval_fraction!r} instead."
        )


def prepare(
    data: Any,
    *,
    y_true: str,
    sensitive_features: str | Sequence[str],
    methods: Sequence[str],
    constraint: str,
    estimator: Any,
    features: Sequence[str] | None,
    y_score: str | None,
    positive_label: Any,
    bins: Mapping[str, Sequence[float]] | None,
    eval_fraction: float,
    split: str | None,
    bootstrap: int,
    seed: int,
    confidence_level: float,
) -> Prepared:
    """Check every input (one-line errors naming the column or parameter) and split the rows."""
    import pandas as pd

    _check_numbers(bootstrap, seed, confidence_level, eval_fraction)
    constraint = check_constraint(constraint)
    if isinstance(data, str | Path):
        data = read_frame(data)
    if not isinstance(data, pd.DataFrame):
        raise InvalidParameterError(
            "The 'data' parameter of mitigate must be a pandas DataFrame or a file path. Got "
            f"{type(data).__name__} instead."
        )
    sensitive = (
        [sensitive_features] if isinstance(sensitive_features, str) else list(sensitive_features)
    )
    named = [("y_true", y_true), ("y_score", y_score), ("split", split)]
    named += [("sensitive_features", s) for s in sensitive]
    for role, name in named:
        if name is not None and name not in data.columns:
            raise InvalidInputError(f"Column '{name}' ({role}) not found in the data")
    estimator = _estimator(estimator)
    chosen = _methods(methods, estimator is not None, y_score is not None)
    y = _labels(data, y_true, positive_label)
    binned = {k: [float(x) for x in v] for k, v in (bins or {}).items()}
    stray = [k for k in binned if k not in sensitive]
    if stray:
        raise InvalidParameterError(
            f"The 'bins' parameter of mitigate names '{stray[0]}', which is not a sensitive "
            f"feature ({', '.join(sensitive)})"
        )
    groups = group_labels(data, sensitive, binned)
    if split is not None:
        side = data[split].astype(str).str.lower()
        bad = sorted(set(side) - {"fit", "eval"})
        if bad:
            raise InvalidInputError(
                f"Column '{split}' (split) must hold 'fit' or 'eval'; found '{bad[0]}'"
            )
        eval_mask = (side == "eval").to_numpy()
    else:
        strata = np.char.add(groups.astype(str), y.astype(str))
        eval_mask = split_rows(strata, float(eval_fraction), seed)
    if eval_mask.all() or not eval_mask.any():
        raise InvalidInputError("Both the fitting and the evaluation split need rows")
    if y_score is not None:
        col = data[y_score]
        if not pd.api.types.is_numeric_dtype(col) or col.isna().any():
            raise InvalidInputError(
                f"Column '{y_score}' (y_score) must be numeric without missing values"
            )
    skip = {y_true, y_score, split, *sensitive}
    feats = [str(c) for c in data.columns if c not in skip]
    if features is not None:
        feats = list(features)
    for name in feats:
        if name not in data.columns:
            raise InvalidInputError(f"Column '{name}' (features) not found in the data")
    return Prepared(
        data=data,
        y=y,
        groups=groups,
        eval_mask=eval_mask,
        features=feats,
        sensitive=sensitive,
        bins=binned,
        methods=chosen,
        constraint=constraint,
        estimator=estimator,
    )
