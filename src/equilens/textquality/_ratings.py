"""Human ratings with a rubric: validation, per-criterion means per slice, rater-aware intervals.

A rubric (YAML) names the criteria, each with a scale type (nominal, ordinal, interval), its
allowed values (``values``) or range (``min``/``max``), anchors, and optionally the automatic
metric it stands for (``metric``, used by triangulation)::

    kind: rubric
    name: summary quality
    criteria:
      - {name: faithfulness, scale: ordinal, values: [1, 2, 3, 4, 5], metric: chrf,
         anchors: {1: "contradicts the article", 5: "fully supported"}}

Means go through the audit's ``measure`` task with ``cluster = item`` (the ratings of an item
are one unit), so group comparisons count items, not ratings. The raters are crossed with the
items: their own leniency is shared by every item they rate. That cancels in a comparison of
groups rated by the same raters, but not in a group's absolute mean, whose interval here is
also given with a **two-way cluster-robust** variance (items and raters; Cameron, Gelbach &
Miller 2011: ``V = V_item + V_rater - V_item x rater``, t on ``min(items, raters) - 1`` df).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from equilens._yaml import parse_yaml, validation_message
from equilens.exceptions import InvalidInputError


class Criterion(BaseModel):
    """One rubric criterion."""

    model_config = ConfigDict(extra="forbid")
    name: str
    scale: Literal["nominal", "ordinal", "interval"]
    values: list[Any] | None = None
    min: float | None = None
    max: float | None = None
    anchors: dict[Any, str] = Field(default_factory=dict)
    metric: str | None = None
    """The automatic metric this criterion stands for (e.g. ``chrf``), for triangulation."""
    description: str | None = None

    @model_validator(mode="after")
    def _scale(self) -> Criterion:
        if self.values is None and (self.min is None or self.max is None):
            raise ValueError(f"criterion '{self.name}' needs values or min and max")
        if self.scale == "nominal" and self.values is None:
            raise ValueError(f"nominal criterion '{self.name}' needs values")
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise ValueError(f"criterion '{self.name}': min must be below max")
        return self

    def check(self, scores: pd.Series, source: str) -> None:
        """Raise if a score is outside the scale (one line naming the criterion)."""
        if self.values is not None:
            allowed = {str(v) for v in self.values}
            if self.scale != "nominal":
                allowed |= {str(float(v)) for v in self.values}
            shown = scores.map(lambda v: _as_number_text(v) if self.scale != "nominal" else str(v))
            bad = ~shown.isin(allowed) & ~scores.map(str).isin(allowed)
        else:
            lo = self.min if self.min is not None else -np.inf
            hi = self.max if self.max is not None else np.inf
            numbers = pd.to_numeric(scores, errors="coerce")
            bad = numbers.isna() | ~numbers.between(lo, hi)
        if bad.any():
            scale = self.values if self.values is not None else f"[{self.min}, {self.max}]"
            raise InvalidInputError(
                f"{source}: score '{scores[bad].iloc[0]}' of criterion '{self.name}' is outside "
                f"the rubric's scale {scale}"
            )


def _as_number_text(value: Any) -> str:
    try:
        return str(float(value))
    except (TypeError, ValueError):
        return str(value)


class Rubric(BaseModel):
    """A rating rubric."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["rubric"] = "rubric"
    name: str = "rubric"
    criteria: list[Criterion] = Field(min_length=1)

    def criterion(self, name: str) -> Criterion:
        for c in self.criteria:
            if c.name == name:
                return c
        raise InvalidInputError(
            f"Criterion '{name}' of the ratings is not in rubric '{self.name}' "
            f"({', '.join(c.name for c in self.criteria)})"
        )


def load_rubric(path: str | Path) -> Rubric:
    """Read and validate a rubric YAML file (one-line errors with the file and line)."""
    data, located = parse_yaml(path, "rubric")
    if not isinstance(data, dict):
        raise InvalidInputError(f"{path}: a rubric must be a mapping with 'criteria'")
    try:
        return Rubric.model_validate(data)
    except ValidationError as exc:
        raise InvalidInputError(validation_message(exc, located, Path(path), Rubric)) from None


def check_rubric_scores(
    ratings: pd.DataFrame, rubric: Rubric, *, criterion: str, score: str, source: str
) -> None:
    """Every criterion in the ratings is in the rubric and every score on its scale."""
    for name, part in ratings.groupby(criterion, sort=True):
        rubric.criterion(str(name)).check(part[score].dropna(), source)


def two_way_mean_interval(
    scores: np.ndarray, items: np.ndarray, raters: np.ndarray, alpha: float = 0.05
) -> dict[str, Any]:
    """Mean with a two-way (item and rater) cluster-robust t interval."""
    from scipy import stats

    x = np.asarray(scores, dtype=np.float64)
    n = x.size
    mean = float(x.mean())
    e = x - mean

    def cluster_var(keys: np.ndarray) -> float:
        _, inv = np.unique(keys, return_inverse=True)
        sums = np.bincount(inv, weights=e)
        g = sums.size
        return float(g / max(g - 1, 1) * np.sum(sums * sums) / (n * n))

    pair = np.char.add(np.char.add(items.astype(str), "\x1f"), raters.astype(str))
    v = cluster_var(items) + cluster_var(raters) - cluster_var(pair)
    v_item = cluster_var(items)
    v = max(v, v_item)  # the rater part cannot make the mean more precise than items alone
    df = min(np.unique(items).size, np.unique(raters).size) - 1
    if df < 1 or v <= 0:
        return {"mean": mean, "ci_low": None, "ci_high": None, "df": df}
    t = float(stats.t.ppf(1 - alpha / 2, df))
    se = float(np.sqrt(v))
    return {"mean": mean, "ci_low": mean - t * se, "ci_high": mean + t * se, "se": se, "df": df}


def human_rows(ratings: pd.DataFrame, rubric: Rubric, sensitive: list[str]) -> list[dict[str, Any]]:
    """Per criterion and slice: the mean (or each category's share) with a two-way interval.

    ``ratings`` has columns ``item, rater, criterion, score`` and the item's ``sensitive``
    columns.
    """
    out: list[dict[str, Any]] = []
    for name, part in ratings.groupby("criterion", sort=True):
        crit = rubric.criterion(str(name))
        slices: list[tuple[str | None, str | None, pd.DataFrame]] = [(None, None, part)]
        for col in sensitive:
            slices += [(col, str(g), sub) for g, sub in part.groupby(col, sort=True)]
        for feature, group, sub in slices:
            items, raters = sub["item"].to_numpy(), sub["rater"].to_numpy()
            base = {
                "criterion": str(name),
                "scale": crit.scale,
                "feature": feature,
                "group": group,
                "n_items": int(sub["item"].nunique()),
                "n_raters": int(sub["rater"].nunique()),
                "n_ratings": len(sub),
                "ci_method": "two-way (item, rater) cluster-robust t",
            }
            if crit.scale == "nominal":
                for value in crit.values or []:
                    hit = (sub["score"].astype(str) == str(value)).to_numpy(np.float64)
                    r = two_way_mean_interval(hit, items, raters)
                    out.append(
                        {
                            **base,
                            "category": str(value),
                            "share": r["mean"],
                            "ci_low": r["ci_low"],
                            "ci_high": r["ci_high"],
                        }
                    )
            else:
                scores = pd.to_numeric(sub["score"]).to_numpy(np.float64)
                r = two_way_mean_interval(scores, items, raters)
                out.append(
                    {**base, "mean": r["mean"], "ci_low": r["ci_low"], "ci_high": r["ci_high"]}
                )
    return out
