"""Human ratings next to the automatic metrics: logs, agreement, triangulation, verdicts.

The ratings rate the segments of one system (``rated_system``); ``item`` in the ratings is
the segment's ``id``. Per criterion: a ``measure`` audit of the scores clustered by item (one
log each), the two-way interval of each slice's mean, agreement per slice
(:func:`equilens.agreement.agreement_tables` at the rubric's level), and, where the rubric
names the metric the criterion stands for, the rank correlation per slice and the flags of
:mod:`equilens.textquality._triangulate`. The verdict table puts, per slice, the automatic
metric, the human score and the raters' agreement side by side.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from equilens.agreement import RatingColumns, agreement_tables
from equilens.exceptions import InvalidInputError
from equilens.textquality._ratings import Rubric, check_rubric_scores, human_rows
from equilens.textquality._triangulate import flags, rank_correlations

#: Metrics where a lower value is better (their sign is flipped before comparing with humans).
LOWER_IS_BETTER = frozenset({"ter", "nll_per_token"})


def _slice_key(feature: str | None, group: str | None) -> dict[str, str]:
    return {} if feature is None else {feature: group or ""}


def _difference(log: Any, feature: str | None, group: str | None) -> dict[str, Any] | None:
    """The audit's comparison of this slice with its reference (None for the reference)."""
    if log is None or feature is None:
        return None
    for c in log.comparisons:
        if c.slice == {feature: group} and c.difference is not None:
            p = c.p_holm if c.p_holm is not None else c.p_value
            return {
                "difference": float(c.difference),
                "p_holm": p,
                "significant": p is not None and p < 0.05,
                "reference": dict(c.reference),
            }
    return None


def _value(log: Any, key: dict[str, str]) -> dict[str, Any]:
    for r in log.results:
        if r.slice == key and r.metric in ("mean", "ratio_of_sums"):
            return {"value": r.value, "ci_low": r.ci_low, "ci_high": r.ci_high}
    return {"value": None, "ci_low": None, "ci_high": None}


def prepare_ratings(
    ratings: pd.DataFrame,
    rubric: Rubric,
    segments: pd.DataFrame,
    ids: pd.Series,
    sensitive: list[str],
    source: str,
) -> pd.DataFrame:
    """Ratings with each item's slice columns; items must be segment ids."""
    check_rubric_scores(ratings, rubric, criterion="criterion", score="score", source=source)
    numeric = ratings["criterion"].map(lambda c: rubric.criterion(str(c)).scale != "nominal")
    ratings = ratings.assign(
        score=ratings["score"].where(~numeric, pd.to_numeric(ratings["score"], errors="coerce"))
    )
    index = pd.Series(np.arange(len(ids)), index=ids.astype(str).to_numpy())
    if index.index.duplicated().any():
        raise InvalidInputError(
            f"--id column has a repeated value '{index.index[index.index.duplicated()][0]}'"
        )
    unknown = ~ratings["item"].astype(str).isin(index.index)
    if unknown.any():
        raise InvalidInputError(
            f"{source}: item '{ratings['item'][unknown].iloc[0]}' is not an --id of the data"
        )
    rows = index[ratings["item"].astype(str)].to_numpy()
    out = ratings.copy()
    for col in sensitive:
        out[col] = segments[col].to_numpy()[rows]
    out["segment"] = rows
    return out


def combined_tables(
    ratings: pd.DataFrame,
    rubric: Rubric,
    segments: pd.DataFrame,
    logs: dict[tuple[str, str], Any],
    *,
    rated_system: str,
    sensitive: list[str],
    bootstrap: int,
    seed: int,
    min_group_size: int,
) -> dict[str, Any]:
    """Human logs, human rows, agreement, triangulation and the verdict table."""
    from equilens.audit import audit

    features = sensitive or ["all"]
    human_logs: dict[str, Any] = {}
    agreement: list[dict[str, Any]] = []
    for name, part in ratings.groupby("criterion", sort=True):
        crit = rubric.criterion(str(name))
        tables = agreement_tables(
            part,
            RatingColumns("item", "rater", "score", "criterion", tuple(sensitive)),
            crit.scale,
            draws=bootstrap,
            seed=seed,
        )
        agreement += tables.rows
        if crit.scale != "nominal":
            human_logs[str(name)] = audit(
                part.assign(score=part["score"].astype(np.float64)),
                task="measure",
                value="score",
                cluster="item",
                sensitive_features=features,
                bootstrap=bootstrap,
                seed=seed,
                min_group_size=min_group_size,
            )
    humans = human_rows(ratings, rubric, sensitive)
    triangulation: list[dict[str, Any]] = []
    verdicts: list[dict[str, Any]] = []
    slices = [(None, None)] + [
        (f, str(g)) for f in sensitive for g in sorted(segments[f].astype(str).unique())
    ]
    for crit in rubric.criteria:
        if crit.metric is None or crit.scale == "nominal" or crit.name not in human_logs:
            continue
        mlog = logs.get((rated_system, crit.metric))
        if mlog is None:
            raise InvalidInputError(
                f"Rubric criterion '{crit.name}' names metric '{crit.metric}', which was not "
                f"computed (add it to --metrics; ROUGE is rouge1/rouge2/rougeL)"
            )
        values = _segment_values(segments, rated_system, crit.metric)
        part = ratings[ratings["criterion"] == crit.name]
        item_mean = part["score"].astype(np.float64).groupby(part["segment"]).mean()
        sign = -1.0 if crit.metric in LOWER_IS_BETTER else 1.0
        for feature, group in slices:
            seg_rows = item_mean.index.to_numpy()
            if feature is not None:
                seg_rows = seg_rows[segments[feature].astype(str).to_numpy()[seg_rows] == group]
            corr = rank_correlations(values[seg_rows], item_mean.loc[seg_rows].to_numpy())
            m_diff = _difference(mlog, feature, group)
            h_diff = _difference(human_logs[crit.name], feature, group)
            if m_diff:
                m_diff = {**m_diff, "difference": sign * m_diff["difference"]}
            flag = flags(corr, m_diff, h_diff)
            key = _slice_key(feature, group)
            triangulation.append(
                {
                    "criterion": crit.name,
                    "metric": crit.metric,
                    "feature": feature,
                    "group": group,
                    **corr,
                    "flags": flag,
                }
            )
            alpha = next(
                (
                    a
                    for a in agreement
                    if a["criterion"] == crit.name
                    and a["feature"] == feature
                    and a["group"] == group
                    and a["metric"] == "krippendorff_alpha"
                ),
                None,
            )
            verdicts.append(
                {
                    "criterion": crit.name,
                    "metric": crit.metric,
                    "feature": feature,
                    "group": group,
                    "automatic": _value(mlog, key) | {"vs_reference": m_diff},
                    "human": _value(human_logs[crit.name], key) | {"vs_reference": h_diff},
                    "agreement": {k: alpha[k] for k in ("value", "ci_low", "ci_high")}
                    if alpha
                    else None,
                    "spearman": corr.get("spearman"),
                    "flags": flag,
                }
            )
    return {
        "human_logs": human_logs,
        "human": humans,
        "agreement": agreement,
        "triangulation": triangulation,
        "verdicts": verdicts,
    }


def _segment_values(segments: pd.DataFrame, system: str, metric: str) -> np.ndarray:
    if metric == "nll_per_token":
        nll = segments[f"{system}.nll"].to_numpy(np.float64)
        tokens = segments[f"{system}.tokens"].to_numpy(np.float64)
        return np.asarray(nll / np.maximum(tokens, 1), dtype=np.float64)
    return np.asarray(segments[f"{system}.{metric}"].to_numpy(np.float64), dtype=np.float64)
