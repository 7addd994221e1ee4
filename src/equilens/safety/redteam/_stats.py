"""Statistics of a red-team run: rates per category and persona, paired tests, one log.

The graded cases go through the audit's ``measure`` task (a 0/1 value per case, clustered by
request, so a category's interval counts requests, not cases), three times:

* ``mean[outcome=harmful]`` and ``mean[outcome=refusal]`` on the harmful requests, per persona
  and per category;
* ``mean[outcome=refusal]`` on the benign controls (over-refusal), its slices marked
  ``requests=benign_controls``.

Persona comparisons are paired (each persona asks every request that the reference asks), so
their test is McNemar's on the discordant requests (exact binomial below 25 discordant pairs,
:func:`equilens.stats.mcnemar_test`), with Tango's score interval of the paired difference;
the category comparisons keep the audit's clustered Welch test. Every test of the run is one
Holm / Benjamini-Hochberg family; conclusions use Holm.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from equilens.audit import audit
from equilens.exceptions import InvalidInputError
from equilens.results import AuditLog, Comparison, FamilyRecord, MetricResult, RedteamRecord
from equilens.safety._family import adjust_and_conclude
from equilens.stats import mcnemar_test, tango_interval

__all__ = ["BENIGN_SLICE", "metric_name", "paired_difference", "redteam_log"]

#: The slice key that marks the over-refusal rows (benign controls).
BENIGN_SLICE = {"requests": "benign_controls"}
COLUMNS = ("case_id", "request_id", "category", "benign", "persona", "outcome")


def metric_name(outcome: str) -> str:
    """The log's metric name of an outcome's rate (``mean[outcome=harmful]``)."""
    return f"mean[outcome={outcome}]"


def paired_difference(
    b: int, c: int, n: int, alpha: float
) -> tuple[float | None, float | None, float | None]:
    """A paired difference of proportions (other - reference) and Tango's score interval.

    ``b``: pairs where only the other member is positive, ``c``: only the reference; ``n``
    pairs (:func:`equilens.stats.tango_interval`; Tango 1998, Statistics in Medicine 17,
    891-908). Returns the difference ``(b - c) / n`` and the interval (None without pairs).
    """
    if n <= 0:
        return None, None, None
    lo, hi = tango_interval(b, c, n, alpha)
    return (b - c) / n, float(lo), float(hi)


def _mdd(b: int, c: int, n: int, alpha: float) -> float:
    """Smallest paired difference McNemar's test detects with 80% power (normal approximation,
    discordant share estimated with 1/2 added to each discordant cell)."""
    psi = (b + c + 1.0) / (n + 2.0)
    z = float(sps.norm.ppf(1 - alpha / 2) + sps.norm.ppf(0.8))
    return min(1.0, z * float(np.sqrt(psi / n)))


def _rename(rows: Sequence[Any], metric: str, extra: dict[str, str]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        d = row.model_dump()
        if "metric" in d:
            d["metric"] = metric
        for key in ("slice", "reference"):
            if key in d:
                d[key] = {**extra, **d[key]}
        if "groups" in d:
            d["groups"] = [{**extra, **g} for g in d["groups"]]
        if "features" in d and extra:
            d["features"] = [*extra, *d["features"]]
        out.append(d)
    return out


def _paired(
    row: dict[str, Any], frame: pd.DataFrame, value: str, alpha: float, min_pairs: int
) -> None:
    """Replace a persona comparison's independent-samples test by the paired one."""
    persona, ref = row["slice"]["persona"], row["reference"]["persona"]
    a = frame.loc[frame["persona"] == persona, ["request_id", value]].drop_duplicates("request_id")
    r = frame.loc[frame["persona"] == ref, ["request_id", value]].drop_duplicates("request_id")
    both = a.merge(r, on="request_id", suffixes=("_other", "_ref"))
    n = len(both)
    other = both[f"{value}_other"].to_numpy() > 0.5
    base = both[f"{value}_ref"].to_numpy() > 0.5
    b, c = int(np.sum(other & ~base)), int(np.sum(~other & base))
    diff, lo, hi = paired_difference(b, c, n, alpha)
    row.update(
        difference=diff,
        difference_ci_low=lo,
        difference_ci_high=hi,
        ratio_ci_low=None,
        ratio_ci_high=None,
        ci_method="tango score (paired difference)",
        effect_size_name=None,
        effect_size=None,
        rank_test=None,
        reference_correction=None,
    )
    if n < min_pairs:
        row.update(
            status="insufficient_evidence",
            reason=f"{n} paired requests, below the minimum of {min_pairs}: no test",
            test="none",
            statistic=None,
            p_value=None,
            minimum_detectable_difference=None,
        )
        return
    stat, p, name = mcnemar_test(b, c)
    row.update(
        status="ok",
        reason=f"paired over {n} requests: {b} only this persona, {c} only the reference",
        test=str(name),
        statistic=float(stat),
        p_value=float(p),
        minimum_detectable_difference=_mdd(b, c, n, alpha),
    )


def _check(frame: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise InvalidInputError(f"The graded cases have no column '{missing[0]}'")
    bad = ~frame["outcome"].isna() & ~frame["outcome"].isin(["harmful", "refusal", "neither"])
    if bad.any():
        raise InvalidInputError(
            f"column 'outcome': {frame['outcome'][bad].iloc[0]!r} is not harmful, refusal or "
            "neither"
        )
    graded = frame[frame["outcome"].notna()].copy()
    graded["harmful"] = (graded["outcome"] == "harmful").astype(np.float64)
    graded["refusal"] = (graded["outcome"] == "refusal").astype(np.float64)
    return graded


def redteam_log(
    frame: pd.DataFrame,
    *,
    record: dict[str, Any],
    reference: str,
    confidence_level: float = 0.95,
    min_pairs: int = 10,
    min_group_size: int = 30,
    underpowered_gap: float = 0.10,
    seed: int = 0,
) -> AuditLog:
    """The audit log of graded red-team cases.

    Parameters
    ----------
    frame:
        One row per case: ``case_id``, ``request_id``, ``category``, ``benign`` (bool),
        ``persona``, ``outcome`` (``harmful``, ``refusal``, ``neither``; missing when
        ungraded).
    record:
        The fields of :class:`~equilens.results.RedteamRecord` other than ``counts``,
        ``graded``, ``cases`` (suite, grader, personas, examples, ...).
    reference:
        The reference persona (the paired tests compare every other persona with it).
    min_pairs:
        Persona comparisons with fewer paired requests get no test.
    min_group_size:
        Slices with fewer cases get no test (the audit's rule).
    """
    graded = _check(frame)
    alpha = 1.0 - confidence_level
    harm = graded[~graded["benign"].astype(bool)]
    benign = graded[graded["benign"].astype(bool)]
    if harm.empty:
        raise InvalidInputError("No graded answer to a harmful request: nothing to audit")
    common: dict[str, Any] = {
        "task": "measure",
        "cluster": "request_id",
        "bootstrap": 0,
        "seed": seed,
        "confidence_level": confidence_level,
        "min_group_size": min_group_size,
        "underpowered_gap": underpowered_gap,
    }
    # One audit per outcome and feature: the finest cells of an audit are the intersections of
    # its features, and a cluster (request) is one unit per finest cell. With persona and
    # category together, a request's persona cases would fall in different cells and the
    # category intervals would count cases, not requests (the null simulation showed a
    # Welch test of size 0.14 at 0.05). Each audit keeps the rows whose clusters it counts
    # right: the category audit its overall and category rows, the persona audit its persona
    # rows (one case per request and persona). Since clustered sums count a cluster once per
    # slice (stats.slice_sums), one audit with both features would now count requests too;
    # merging the split into one audit is left as a follow-up (its rows are what tests pin).
    runs: list[tuple[AuditLog, pd.DataFrame, str, dict[str, str], bool]] = []
    plans: list[tuple[pd.DataFrame, str, dict[str, str]]] = [
        (harm, v, {}) for v in ("harmful", "refusal")
    ]
    if not benign.empty:
        plans.append((benign, "refusal", BENIGN_SLICE))
    for data, value, extra in plans:
        for feature in ("category", "persona"):
            if feature == "persona" and data["persona"].nunique() < 2:
                continue
            log = audit(
                data,
                value=value,
                sensitive_features=[feature],
                reference={"persona": reference} if feature == "persona" else None,
                **common,
            )
            runs.append((log, data, value, extra, feature == "category"))
    results: list[MetricResult] = []
    raw: list[dict[str, Any]] = []
    families: list[FamilyRecord] = []
    warnings: list[str] = []
    for log, data, value, extra, by_category in runs:
        name = metric_name(value)
        # The benign controls' category rows are their overall row (one pool of controls).
        if extra and by_category:
            kept = [r for r in log.results if not r.slice]
        else:
            kept = [r for r in log.results if by_category or r.slice]
        results.extend(MetricResult(**d) for d in _rename(kept, name, extra))
        for row in _rename(log.comparisons if not (extra and by_category) else [], name, extra):
            if not by_category:
                _paired(row, data, value, alpha, min_pairs)
            raw.append(row)
        if (value == "harmful" or extra) and not (extra and by_category):
            families.extend(FamilyRecord(**d) for d in _rename(log.families, "", extra))
        prefix = "Benign controls (over-refusal): " if extra else ""
        warnings.extend(
            prefix + w
            for w in log.warnings
            if not w.startswith("Bootstrap disabled") and prefix + w not in warnings
        )
    family = adjust_and_conclude(
        raw,
        alpha,
        underpowered_gap,
        "every test of this red-team run: persona vs the reference persona (paired, McNemar) "
        "and category vs the reference category (Welch, clustered by request), for the "
        "harmful rate and the refusal rate on harmful requests and the refusal rate on benign "
        "controls",
    )
    counts = (
        graded.groupby(["category", "persona"], sort=True)["outcome"]
        .value_counts()
        .unstack(fill_value=0)
        .reindex(columns=["harmful", "refusal", "neither"], fill_value=0)
    )
    record = {
        **record,
        "cases": len(frame),
        "graded": len(graded),
        "counts": [
            {
                "category": str(key[0]),  # type: ignore[index]
                "persona": str(key[1]),  # type: ignore[index]
                "cases": int(r.sum()),
                **{str(k): int(v) for k, v in r.items()},
            }
            for key, r in counts.iterrows()
        ],
    }
    ungraded = len(frame) - len(graded)
    if ungraded:
        warnings.append(
            f"{ungraded} of {len(frame)} cases have no grade (failed model calls or off-format "
            "judge replies); the rates are over the graded cases only"
        )
    base = runs[0][0]
    return base.model_copy(
        update={
            "spec_given": {"suite": record.get("suite"), "grader": record["grader"].get("name")},
            "spec_resolved": {
                **base.spec_resolved,
                "redteam": {
                    "outcomes": {
                        metric_name("harmful"): "harmful answers among harmful requests",
                        metric_name("refusal"): "refusals among harmful requests; with "
                        "requests=benign_controls: refusals of benign controls (over-refusal)",
                    },
                    "reference_persona": reference,
                    "min_pairs": min_pairs,
                    "persona_test": "mcnemar (paired by request)",
                },
            },
            "families": families,
            "results": results,
            "comparisons": [Comparison(**r) for r in raw],
            "multiple_comparisons": family,
            "warnings": warnings,
            "redteam": RedteamRecord(**record),
        }
    )
