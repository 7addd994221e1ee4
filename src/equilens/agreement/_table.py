"""Agreement from long-format ratings: per criterion and slice, slice test, rater bias, drift.

Ratings are one row per (item, rater[, criterion]) with a score. A slice is a group of a
sensitive column that is constant within an item (the item's group: raters may agree less
about texts from some groups). Slices hold disjoint items, so their coefficients are
independent and a Wald test of homogeneity (``Q = sum w_g (a_g - a_w)^2``, ``w = 1/se^2``
from each slice's jackknife over items, chi-square on ``G - 1`` df) asks whether agreement differs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from equilens.agreement._alpha import check_level, krippendorff_alpha
from equilens.agreement._icc import icc
from equilens.agreement._kappa import cohen_kappa, fleiss_kappa
from equilens.exceptions import InvalidInputError
from equilens.stats import holm

#: Cohen's kappa weights per level of measurement.
KAPPA_WEIGHTS: dict[str, str | None] = {
    "nominal": None,
    "ordinal": "linear",
    "interval": "quadratic",
    "ratio": "quadratic",
}


@dataclass(frozen=True)
class RatingColumns:
    """Which columns of a long-format ratings table play which role."""

    item: str
    rater: str
    score: str
    criterion: str | None = None
    sensitive: tuple[str, ...] = ()
    time: str | None = None


@dataclass
class AgreementTables:
    """Everything ``equilens agreement`` writes."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    slice_tests: list[dict[str, Any]] = field(default_factory=list)
    rater_bias: list[dict[str, Any]] = field(default_factory=list)
    rater_drift: list[dict[str, Any]] = field(default_factory=list)


def _f(x: float) -> float | None:
    return float(x) if x is not None and np.isfinite(x) else None


def check_ratings(frame: pd.DataFrame, cols: RatingColumns, level: str) -> pd.DataFrame:
    """Validated copy with columns ``item, rater, criterion, score`` (+ sensitive, time)."""
    check_level(level)
    out = pd.DataFrame(
        {
            "item": frame[cols.item].astype(str),
            "rater": frame[cols.rater].astype(str),
            "criterion": frame[cols.criterion].astype(str) if cols.criterion else "score",
        }
    )
    for col in (cols.item, cols.rater, cols.criterion):
        if col and frame[col].isna().any():
            raise InvalidInputError(f"Column '{col}' has missing values")
    score = frame[cols.score]
    if level != "nominal":
        numeric = pd.to_numeric(score, errors="coerce")
        bad = numeric.isna() & score.notna()
        if bad.any():
            raise InvalidInputError(
                f"Column '{cols.score}' must be numeric for level '{level}'; "
                f"got {str(score[bad].iloc[0])[:40]!r}"
            )
        if not np.isfinite(numeric.dropna()).all():
            raise InvalidInputError(f"Column '{cols.score}' has infinite values")
        if level == "ratio" and (numeric < 0).any():
            raise InvalidInputError(f"Column '{cols.score}' has negative values (level 'ratio')")
        out["score"] = numeric.astype(np.float64)
    else:
        out["score"] = score.where(score.isna(), score.astype(str))
    out = out[out["score"].notna()].copy()
    for col in cols.sensitive:
        out[col] = frame.loc[out.index, col].astype(str)
    if cols.time:
        out["time"] = _time_values(frame.loc[out.index, cols.time], cols.time)
    if out.empty:
        raise InvalidInputError(f"Column '{cols.score}' has no ratings")
    dup = out.duplicated(["item", "rater", "criterion"])
    if dup.any():
        r = out[dup].iloc[0]
        raise InvalidInputError(
            f"Rater '{r['rater']}' rated item '{r['item']}' twice (criterion "
            f"'{r['criterion']}'); keep one rating per item, rater and criterion"
        )
    for criterion, part in out.groupby("criterion", sort=True):
        if part["rater"].nunique() < 2:
            raise InvalidInputError(
                f"Only one rater ('{part['rater'].iloc[0]}') for criterion '{criterion}': "
                f"agreement is undefined without a second rater (column '{cols.rater}')"
            )
        per_item = part.groupby("item").size()
        if (per_item < 2).any():
            raise InvalidInputError(
                f"Item '{per_item.index[per_item < 2][0]}' has one rating for criterion "
                f"'{criterion}' (column '{cols.item}'); agreement needs every item rated at "
                "least twice: drop it or add a rating"
            )
    for col in cols.sensitive:
        varies = out.groupby("item")[col].nunique() > 1
        if varies.any():
            raise InvalidInputError(
                f"Column '{col}' differs between the ratings of item '{varies.index[varies][0]}'"
                "; a slice column must describe the item (one value per item)"
            )
    return out


def _time_values(values: pd.Series, name: str) -> pd.Series:
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().all():
        return numeric.astype(np.float64)
    stamps = pd.to_datetime(values, errors="coerce", utc=True)
    if stamps.isna().any():
        raise InvalidInputError(f"Column '{name}' must hold numbers or dates (time column)")
    days = (stamps - stamps.min()).dt.total_seconds() / 86400.0
    return days.astype(np.float64)


def _matrix(part: pd.DataFrame, level: str) -> tuple[np.ndarray, list[Any]]:
    """Items x raters matrix (NaN missing); nominal labels coded by their sorted order."""
    wide = part.pivot(index="item", columns="rater", values="score")
    if level == "nominal":
        labels = sorted(pd.unique(part["score"]).tolist())
        code = {v: i for i, v in enumerate(labels)}
        return wide.apply(lambda s: s.map(code)).to_numpy(np.float64), labels
    return wide.to_numpy(np.float64), []


def _row(base: dict[str, Any], metric: str, **kw: Any) -> dict[str, Any]:
    row = {**base, "metric": metric}
    row.update(kw)
    for key in ("value", "ci_low", "ci_high", "se"):
        if key in row:
            row[key] = _f(row[key])
    return row


def slice_rows(
    part: pd.DataFrame, level: str, base: dict[str, Any], *, draws: int, seed: int
) -> list[dict[str, Any]]:
    """The agreement rows of one criterion and slice."""
    matrix, _ = _matrix(part, level)
    n_items, n_raters = matrix.shape
    base = {**base, "n_items": int(n_items), "n_raters": int(n_raters), "level": level}
    a = krippendorff_alpha(matrix, level, draws=draws, seed=seed)
    rows = [
        _row(
            base,
            "krippendorff_alpha",
            value=a.value,
            ci_low=a.ci_low,
            ci_high=a.ci_high,
            se=a.jackknife_se if np.isfinite(a.jackknife_se) else a.se,
            ci_method=f"item bootstrap ({a.method}, {draws} draws)",
        )
    ]
    if n_raters == 2:
        both = ~np.isnan(matrix).any(axis=1)
        weights = KAPPA_WEIGHTS[level]
        if both.sum() >= 2:
            k = cohen_kappa(matrix[both, 0], matrix[both, 1], weights=weights)
            rows.append(
                _row(
                    base,
                    "cohen_kappa",
                    value=k.value,
                    ci_low=k.ci_low,
                    ci_high=k.ci_high,
                    se=k.se,
                    n_items=int(both.sum()),
                    weights=weights or "none",
                    ci_method="normal, Fleiss-Cohen-Everitt (1969) standard error",
                )
            )
    present = ~np.isnan(matrix)
    per_item = present.sum(axis=1)
    if level in ("nominal", "ordinal") and np.all(per_item == per_item[0]) and n_items >= 2:
        codes = np.unique(matrix[present])
        counts = np.stack([np.sum(matrix == c, axis=1) for c in codes], axis=1)
        f = fleiss_kappa(counts, draws=draws, seed=seed)
        rows.append(
            _row(
                base,
                "fleiss_kappa",
                value=f.value,
                ci_low=f.ci_low,
                ci_high=f.ci_high,
                se=f.se,
                ci_method=f"item bootstrap ({f.method}, {draws} draws)",
                note="categories treated as nominal" if level == "ordinal" else None,
            )
        )
    if level != "nominal":
        complete = present.all(axis=1)
        if complete.sum() >= 2:
            r = icc(matrix[complete])
            for form, value, lo, hi in (
                ("ICC(2,1)", r.single, r.single_low, r.single_high),
                ("ICC(2,k)", r.average, r.average_low, r.average_high),
            ):
                rows.append(
                    _row(
                        base,
                        "icc",
                        form=form,
                        value=value,
                        ci_low=lo,
                        ci_high=hi,
                        n_items=int(complete.sum()),
                        ci_method="F-based, McGraw & Wong (1996) case 2A",
                    )
                )
        else:
            rows.append(
                _row(
                    base,
                    "icc",
                    value=None,
                    ci_low=None,
                    ci_high=None,
                    note="undefined: fewer than two items rated by every rater",
                )
            )
    return rows


def homogeneity_test(values: np.ndarray, ses: np.ndarray) -> tuple[float, int, float]:
    """Wald chi-square test that independent estimates are equal: ``(Q, df, p)``."""
    from scipy import stats

    ok = np.isfinite(values) & np.isfinite(ses) & (ses > 0)
    v, s = values[ok], ses[ok]
    if v.size < 2:
        return float("nan"), 0, float("nan")
    w = 1.0 / (s * s)
    mean = np.sum(w * v) / np.sum(w)
    q = float(np.sum(w * (v - mean) ** 2))
    return q, int(v.size - 1), float(stats.chi2.sf(q, v.size - 1))


def rater_bias(part: pd.DataFrame) -> list[dict[str, Any]]:
    """Each rater's mean minus the other raters' mean on the items they share (t interval)."""
    from scipy import stats

    wide = part.pivot(index="item", columns="rater", values="score")
    x = wide.to_numpy(np.float64)
    present = ~np.isnan(x)
    total = np.where(present, x, 0.0).sum(axis=1, keepdims=True)
    count = present.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        others = (total - np.where(present, x, 0.0)) / (count - present)
    diffs = x - others
    out = []
    for j, rater in enumerate(wide.columns):
        d = diffs[:, j][np.isfinite(diffs[:, j])]
        n = d.size
        row: dict[str, Any] = {"rater": str(rater), "n_items": int(n), "bias": _f(d.mean())}
        if n >= 2 and d.std(ddof=1) > 0:
            se = d.std(ddof=1) / np.sqrt(n)
            t = stats.t.ppf(0.975, n - 1)
            row |= {
                "ci_low": _f(d.mean() - t * se),
                "ci_high": _f(d.mean() + t * se),
                "p_value": _f(2 * stats.t.sf(abs(d.mean() / se), n - 1)),
            }
        else:
            row |= {"ci_low": None, "ci_high": None, "p_value": None}
        out.append(row)
    _adjust(out)
    return out


def rater_drift(part: pd.DataFrame) -> list[dict[str, Any]]:
    """Each rater's deviation from the others regressed on time: slope per day (or unit)."""
    from scipy import stats

    wide = part.pivot(index="item", columns="rater", values="score")
    when = part.pivot(index="item", columns="rater", values="time").to_numpy(np.float64)
    x = wide.to_numpy(np.float64)
    present = ~np.isnan(x)
    total = np.where(present, x, 0.0).sum(axis=1, keepdims=True)
    count = present.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        diffs = x - (total - np.where(present, x, 0.0)) / (count - present)
    out = []
    for j, rater in enumerate(wide.columns):
        ok = np.isfinite(diffs[:, j]) & np.isfinite(when[:, j])
        d, t = diffs[ok, j], when[ok, j]
        row: dict[str, Any] = {"rater": str(rater), "n_items": int(ok.sum())}
        if ok.sum() >= 3 and np.ptp(t) > 0:
            fit = stats.linregress(t, d)
            q = stats.t.ppf(0.975, ok.sum() - 2)
            row |= {
                "slope": _f(fit.slope),
                "ci_low": _f(fit.slope - q * fit.stderr),
                "ci_high": _f(fit.slope + q * fit.stderr),
                "p_value": _f(fit.pvalue),
            }
        else:
            row |= {"slope": None, "ci_low": None, "ci_high": None, "p_value": None}
        out.append(row)
    _adjust(out)
    return out


def _adjust(rows: list[dict[str, Any]]) -> None:
    idx = [i for i, r in enumerate(rows) if r.get("p_value") is not None]
    adjusted: list[float] = (
        [float(p) for p in holm(np.array([rows[i]["p_value"] for i in idx]))] if idx else []
    )
    for i, p in zip(idx, adjusted, strict=True):
        rows[i]["p_holm"] = float(p)


def agreement_tables(
    ratings: pd.DataFrame,
    cols: RatingColumns,
    level: str,
    *,
    draws: int = 1000,
    seed: int = 0,
) -> AgreementTables:
    """Agreement rows per criterion and slice, slice tests, rater bias and drift."""
    data = check_ratings(ratings, cols, level)
    out = AgreementTables()
    for criterion, part in data.groupby("criterion", sort=True):
        base = {"criterion": str(criterion), "feature": None, "group": None, "slice": "overall"}
        out.rows += slice_rows(part, level, base, draws=draws, seed=seed)
        for col in cols.sensitive:
            alphas = []
            for group, sub in part.groupby(col, sort=True):
                if sub["item"].nunique() < 2 or sub["rater"].nunique() < 2:
                    continue
                sbase = {
                    "criterion": str(criterion),
                    "feature": col,
                    "group": str(group),
                    "slice": f"{col}={group}",
                }
                rows = slice_rows(sub, level, sbase, draws=draws, seed=seed)
                out.rows += rows
                alphas.append(rows[0])
            values = np.array([r["value"] if r["value"] is not None else np.nan for r in alphas])
            ses = np.array([r["se"] if r["se"] is not None else np.nan for r in alphas])
            q, df, p = homogeneity_test(values, ses)
            out.slice_tests.append(
                {
                    "criterion": str(criterion),
                    "feature": col,
                    "metric": "krippendorff_alpha",
                    "test": "Wald chi-square of equal alpha (jackknife standard errors)",
                    "statistic": _f(q),
                    "df": df,
                    "p_value": _f(p),
                    "groups": [r["group"] for r in alphas],
                }
            )
        if level != "nominal":
            out.rater_bias += [{"criterion": str(criterion), **r} for r in rater_bias(part)]
            if cols.time:
                out.rater_drift += [{"criterion": str(criterion), **r} for r in rater_drift(part)]
    _adjust(out.slice_tests)
    return out
