"""``audit()``: the one place that joins the steps of an audit.

rows -> validated inputs -> finest-cell statistics (one pass) -> slices -> metrics with
intervals -> fairness criteria -> comparisons with tests -> the audit log.
"""

from __future__ import annotations

import importlib.metadata
import platform
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from equilens._version import __version__
from equilens.audit._compare import comparison_rows
from equilens.audit._criteria import criterion_rows
from equilens.audit._slice_metrics import SliceTables, evaluate_metric
from equilens.data import BinSpec
from equilens.engines._select import InputsInfo, compute_statistics
from equilens.exceptions import InvalidParameterError
from equilens.metrics._evaluated import Evaluated
from equilens.metrics._scores import calibration_curve_from_table, roc_curve_from_hist
from equilens.metrics._spec import COMPARISON_METRICS, DEFAULT_METRICS, criteria
from equilens.metrics._spec import metrics as metric_registry
from equilens.results._log import (
    AuditLog,
    CalibrationBin,
    ConfusionCounts,
    DataFingerprintRecord,
    FamilyRecord,
    MetricResult,
    RocCurve,
    SliceCurves,
)
from equilens.slicing._plan import SlicePlan, build_plan, resolve_intersections
from equilens.stats._tables import ScoreBins

FloatArray = NDArray[np.float64]

ProgressCallback = Callable[[str], None]


def _check_int(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or int(value) < low:
        raise InvalidParameterError(
            f"The '{name}' parameter of audit must be an int in the range [{low}, inf). "
            f"Got {value!r} instead."
        )
    return int(value)


def _describe(value: object) -> object:
    """A JSON-able description of an argument as passed (data are summarised, never copied)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _describe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        if len(value) > 20:
            return f"<sequence of length {len(value)}>"
        return [_describe(v) for v in value]
    if isinstance(value, BinSpec):
        return {"edges": list(value.edges), "labels": value.labels}
    length = getattr(value, "__len__", None)
    size = f" of length {length()}" if callable(length) else ""
    return f"<{type(value).__name__}{size}>"


def _packages() -> dict[str, str]:
    out = {"python": platform.python_version(), "equilens": __version__}
    for name in ("numpy", "scipy", "pandas", "pyarrow", "pydantic"):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover
            continue
    return out


def audit(
    data: Any = None,
    *,
    y_true: Any,
    y_pred: Any,
    sensitive_features: Any,
    y_score: Any = None,
    sample_weight: Any = None,
    positive_label: Any = None,
    intersections: bool | Sequence[Sequence[str]] = False,
    bins: Mapping[str, BinSpec | Sequence[float]] | None = None,
    reference: Mapping[str, str] | None = None,
    reference_rule: Literal["largest", "most_favoured"] = "largest",
    metrics: Sequence[str] | None = None,
    min_group_size: int = 30,
    min_class_count: int = 10,
    bootstrap: int = 1000,
    seed: int = 0,
    confidence_level: float = 0.95,
    interval_method: Literal["auto", "bootstrap"] = "auto",
    score_mode: Literal["auto", "exact", "grid"] = "auto",
    max_groups_per_feature: int = 100,
    underpowered_gap: float = 0.10,
    engine: str = "auto",
    progress: ProgressCallback | None = None,
) -> AuditLog:
    """Audit a model's predictions: metrics per group and intersection, with evidence.

    Parameters
    ----------
    data:
        A pandas / polars DataFrame, a pyarrow Table, a dict of arrays, a CSV / Parquet path,
        or None (then ``y_true`` etc. are arrays and ``sensitive_features`` a mapping).
    y_true, y_pred, y_score, sample_weight:
        Column names in ``data`` (or arrays). ``y_score`` is a probability-like score in [0, 1].
    sensitive_features:
        Column name(s) of the sensitive features (or a mapping name -> array).
    positive_label:
        The favourable / positive label; inferred for 0/1 and boolean labels.
    intersections:
        True for every intersection of two or more features, or a list of feature tuples.
    bins:
        Numeric sensitive features to cut into named bands (``{"age": [25, 45]}``).
    reference, reference_rule:
        Reference group per feature; otherwise the largest group (or the most favoured, i.e.
        highest selection rate).
    metrics:
        Group metrics to report (default: all that the inputs support).
    min_group_size:
        Groups with fewer rows are reported with status ``insufficient_evidence``; their
        comparisons get no p-value and stay out of the Holm / Benjamini-Hochberg family.
    min_class_count:
        A ROC-AUC comparison needs at least this many positives and this many negatives in the
        group and in its reference (Kish effective counts when weighted); below it the
        comparison is ``insufficient_evidence``, with no p-value, out of the family.
    bootstrap, seed:
        Count-level stratified bootstrap draws (0 disables) and the seed that makes them
        reproducible.
    confidence_level:
        Level of every interval (alpha = 1 - level is also the tests' level).
    interval_method:
        ``auto``: closed-form intervals where well-calibrated ones exist (Wilson, Newcombe;
        Newcombe's score interval for ROC-AUC), bootstrap otherwise; ``bootstrap``: bootstrap
        percentile intervals throughout (ROC-AUC keeps its score interval and the MOVER
        interval of its differences).
    score_mode:
        ``exact`` score histograms (one bin per distinct score), ``grid`` (fine fixed bins with
        a reported error bound), or ``auto``.
    underpowered_gap:
        A non-significant comparison whose minimum detectable difference exceeds this gap is
        ``insufficient_evidence``, not "no difference".
    engine:
        ``auto`` (by the input's type and size, see :func:`equilens.engines.choose_engine`),
        ``numpy`` (in memory), ``duckdb`` (CSV / Parquet paths, DuckDB relations and frames,
        out of core) or ``spark`` (a pyspark DataFrame or paths read by Spark).
    progress:
        Called with the name of each step as it starts.

    Returns
    -------
    AuditLog
    """
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    step_start = [t0]

    def step(name: str) -> None:
        if progress is not None:
            progress(name)
        step_start.append(time.perf_counter())

    def done(name: str) -> None:
        timings[name] = round(time.perf_counter() - step_start[-1], 6)

    min_group_size = _check_int("min_group_size", min_group_size, 1)
    min_class_count = _check_int("min_class_count", min_class_count, 2)
    bootstrap = _check_int("bootstrap", bootstrap, 0)
    seed = _check_int("seed", seed, 0)
    max_groups_per_feature = _check_int("max_groups_per_feature", max_groups_per_feature, 2)
    if not isinstance(confidence_level, float | int) or not 0.5 <= float(confidence_level) < 1:
        raise InvalidParameterError(
            "The 'confidence_level' parameter of audit must be a float in the range [0.5, 1). "
            f"Got {confidence_level!r} instead."
        )
    if interval_method not in ("auto", "bootstrap"):
        raise InvalidParameterError(
            "The 'interval_method' parameter of audit must be a str among {'auto', 'bootstrap'}. "
            f"Got {interval_method!r} instead."
        )
    if score_mode not in ("auto", "exact", "grid"):
        raise InvalidParameterError(
            "The 'score_mode' parameter of audit must be a str among {'auto', 'exact', 'grid'}. "
            f"Got {score_mode!r} instead."
        )
    if reference_rule not in ("largest", "most_favoured"):
        raise InvalidParameterError(
            "The 'reference_rule' parameter of audit must be a str among "
            f"{{'largest', 'most_favoured'}}. Got {reference_rule!r} instead."
        )
    alpha = 1.0 - float(confidence_level)
    requested = list(metrics) if metrics is not None else None
    chosen = (
        [metric_registry.canonical(m) for m in requested] if requested else list(DEFAULT_METRICS)
    )

    step("statistics")
    stats, inputs = compute_statistics(
        data,
        y_true=y_true,
        y_pred=y_pred,
        y_score=y_score,
        sample_weight=sample_weight,
        sensitive=sensitive_features,
        positive_label=positive_label,
        bins=bins,
        max_groups_per_feature=max_groups_per_feature,
        score_mode=score_mode,
        engine=engine,
    )
    done("statistics")
    if not stats.has_scores:
        wanted_scores = [m for m in (requested or []) if metric_registry.get(m).needs_scores]
        if wanted_scores:
            raise InvalidParameterError(
                f"Metric(s) {', '.join(wanted_scores)} need scores; pass y_score (--y-score)."
            )
        chosen = [m for m in chosen if not metric_registry.get(m).needs_scores]
    feature_names = list(inputs.features)

    families = resolve_intersections(feature_names, intersections)
    plan = build_plan(
        stats,
        families,
        reference=reference,
        reference_rule=reference_rule,
        min_group_size=min_group_size,
    )

    step("bootstrap")
    rng = np.random.default_rng(seed)
    tables = SliceTables.build(stats, plan.membership, bootstrap, rng)
    done("bootstrap")

    step("metrics")
    insufficient = tables.n < min_group_size
    needed = list(dict.fromkeys([*chosen, *_criteria_bases(chosen)]))
    evaluated: dict[str, Evaluated] = {
        name: evaluate_metric(metric_registry.get(name), tables, alpha, interval_method)
        for name in needed
    }
    auc = evaluated.get("roc_auc_score")
    if auc is not None and auc.variance is not None and bootstrap > 0:
        sd = np.sqrt(np.where(np.isfinite(auc.variance), auc.variance, np.nan))
        auc.draws = rng.normal(auc.value, sd, size=(bootstrap, auc.value.shape[0]))
        auc.draws_kind = "parametric"
    results = _result_rows(plan, tables, [evaluated[m] for m in chosen], insufficient, inputs)
    done("metrics")

    step("criteria")
    disparities = []
    for cname in criteria.names():
        spec = criteria.get(cname)
        if all(b in evaluated for b in spec.base_metrics):
            disparities.extend(criterion_rows(spec, plan, evaluated, insufficient, alpha))
    done("criteria")

    step("comparisons")
    comp_metrics = [m for m in COMPARISON_METRICS if m in evaluated]
    comparisons, family = comparison_rows(
        plan,
        evaluated,
        comp_metrics,
        insufficient,
        tables.n,
        alpha,
        interval_method,
        underpowered_gap,
        min_class_count,
    )
    done("comparisons")

    warnings = _warnings(plan, tables.n, min_group_size, inputs, bootstrap)
    score_info = None
    if stats.score_bins is not None:
        bound = evaluated["roc_auc_score"].error_bound if "roc_auc_score" in evaluated else None
        score_info = {
            "mode": stats.score_bins.mode,
            "bins": stats.score_bins.n_bins,
            "inexact_bins": int((~stats.score_bins.exact).sum()),
            "max_auc_error_bound": None
            if bound is None or not np.isfinite(bound).any()
            else float(np.nanmax(bound)),
        }
    timings["total"] = round(time.perf_counter() - t0, 6)
    given = {
        "data": _describe(data),
        "y_true": _describe(y_true),
        "y_pred": _describe(y_pred),
        "y_score": _describe(y_score),
        "sample_weight": _describe(sample_weight),
        "sensitive_features": _describe(sensitive_features),
        "positive_label": _describe(positive_label),
        "intersections": _describe(intersections),
        "bins": _describe(bins),
        "reference": _describe(reference),
        "reference_rule": reference_rule,
        "metrics": _describe(metrics),
        "min_group_size": min_group_size,
        "min_class_count": min_class_count,
        "bootstrap": bootstrap,
        "seed": seed,
        "confidence_level": confidence_level,
        "interval_method": interval_method,
        "score_mode": score_mode,
        "max_groups_per_feature": max_groups_per_feature,
        "underpowered_gap": underpowered_gap,
        "engine": engine,
    }
    resolved = {
        "columns": inputs.columns,
        "positive_label": _describe(inputs.positive_label),
        "label_values": [_describe(v) for v in inputs.label_values],
        "sensitive_features": feature_names,
        "families": [list(f.features) for f in plan.families],
        "reference": {fam.label(): plan.slices[fam.reference].mapping for fam in plan.families},
        "metrics": chosen,
        "criteria": sorted({d.criterion for d in disparities}),
        "comparison_metrics": comp_metrics,
        "min_group_size": min_group_size,
        "min_class_count": min_class_count,
        "bootstrap": bootstrap,
        "bootstrap_method": "count-level stratified multinomial (strata: finest cells)",
        "seed": seed,
        "confidence_level": float(confidence_level),
        "interval_method": interval_method,
        "score_mode": None if stats.score_bins is None else stats.score_bins.mode,
        "weighted": inputs.weighted,
        "underpowered_gap": underpowered_gap,
        "engine": inputs.engine,
    }
    return AuditLog(
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        run_id=uuid.uuid4().hex,
        spec_given=given,
        spec_resolved=resolved,
        data=DataFingerprintRecord.model_validate(inputs.fingerprint.to_dict()),
        seed=seed,
        confidence_level=float(confidence_level),
        bootstrap_draws=bootstrap,
        score_bins=score_info,
        families=[
            FamilyRecord(
                features=list(f.features),
                groups=[plan.slices[i].mapping for i in f.members],
                reference=plan.slices[f.reference].mapping,
                reference_rule=f.reference_rule,
            )
            for f in plan.families
        ],
        results=results,
        disparities=disparities,
        comparisons=comparisons,
        multiple_comparisons=family,
        warnings=warnings,
        timings=timings,
        packages=_packages(),
        curves=_slice_curves(plan, tables, stats.score_bins),
    )


#: Most points kept of a ROC curve in the log.
MAX_ROC_POINTS = 101


def _downsample(fpr: FloatArray, tpr: FloatArray, max_points: int) -> NDArray[np.intp]:
    """Indices of at most ``max_points`` curve points, evenly spaced along the curve's length.

    The first and last points are always kept.
    """
    if fpr.shape[0] <= max_points:
        return np.arange(fpr.shape[0])
    length = np.concatenate(([0.0], np.cumsum(np.abs(np.diff(fpr)) + np.abs(np.diff(tpr)))))
    targets = np.linspace(0.0, length[-1], max_points)
    idx = np.searchsorted(length, targets, side="left")
    idx = np.clip(idx, 0, fpr.shape[0] - 1)
    idx[0], idx[-1] = 0, fpr.shape[0] - 1
    return np.unique(idx)


def _slice_curves(
    plan: SlicePlan, tables: SliceTables, score_bins: ScoreBins | None
) -> list[SliceCurves]:
    """Confusion counts, ROC and calibration curves of the overall and single-feature groups."""
    chosen = [0] + [i for f in plan.families if len(f.features) == 1 for i in f.members]
    out: list[SliceCurves] = []
    for s in chosen:
        w = tables.wsum[s]
        roc = calibration = None
        if tables.hist is not None and score_bins is not None:
            neg, pos = tables.hist[s, 0], tables.hist[s, 1]
            fpr, tpr, thr = roc_curve_from_hist(neg, pos, score_bins.values)
            if np.isfinite(fpr).all() and np.isfinite(tpr).all():
                keep = _downsample(fpr, tpr, MAX_ROC_POINTS)
                roc = RocCurve(
                    fpr=fpr[keep].tolist(),
                    tpr=tpr[keep].tolist(),
                    threshold=[float(t) if np.isfinite(t) else None for t in thr[keep]],
                )
        if tables.calib is not None:
            calib = tables.calib[s]  # (2, M, [rows, sum w, sum w*s])
            rate, mean, weight = calibration_curve_from_table(calib[0, :, 1:], calib[1, :, 1:])
            counts = calib[:, :, 0].sum(axis=0)[(calib[0, :, 1] + calib[1, :, 1]) > 0]
            calibration = [
                CalibrationBin(mean_score=m, observed_rate=r, weight=wt, count=round(c))
                for m, r, wt, c in zip(mean.tolist(), rate.tolist(), weight.tolist(), counts)
            ]
        out.append(
            SliceCurves(
                slice=plan.slices[s].mapping,
                n=int(tables.n[s]),
                confusion=ConfusionCounts(
                    tn=float(w[0, 0]), fp=float(w[0, 1]), fn=float(w[1, 0]), tp=float(w[1, 1])
                ),
                roc=roc,
                calibration=calibration,
            )
        )
    return out


def _criteria_bases(chosen: Sequence[str]) -> list[str]:
    """Base metrics needed by the criteria whose inputs the chosen metrics allow."""
    scores = any(metric_registry.get(m).needs_scores for m in chosen)
    out: list[str] = []
    for cname in criteria.names():
        for base in criteria.get(cname).base_metrics:
            if metric_registry.get(base).needs_scores and not scores:
                continue
            out.append(base)
    return out


def _result_rows(
    plan: SlicePlan,
    tables: SliceTables,
    evaluated: Sequence[Evaluated],
    insufficient: np.ndarray[Any, np.dtype[np.bool_]],
    inputs: InputsInfo,
) -> list[MetricResult]:
    rows: list[MetricResult] = []
    weighted = inputs.weighted
    for ev in evaluated:
        for s, sl in enumerate(plan.slices):
            value = float(ev.value[s])
            defined = bool(np.isfinite(value))
            lo, hi = float(ev.lo[s]), float(ev.hi[s])
            has_ci = defined and np.isfinite(lo) and np.isfinite(hi)
            if not defined:
                status, reason = "undefined", ev.spec.undefined_when
            elif insufficient[s]:
                status = "insufficient_evidence"
                reason = f"{int(tables.n[s])} rows, below the minimum group size"
            else:
                status, reason = "ok", None
            if defined and not has_ci and reason is None:
                reason = ev.no_ci_reason or "the interval is undefined for this slice"
            rows.append(
                MetricResult(
                    metric=ev.spec.name,
                    slice=sl.mapping,
                    n=int(tables.n[s]),
                    value=value if defined else None,
                    ci_low=lo if has_ci else None,
                    ci_high=hi if has_ci else None,
                    ci_method=str(ev.method[s]) if has_ci else "none",
                    status=status,  # type: ignore[arg-type]
                    reason=reason,
                    weighted_n=float(ev.weight_total[s])
                    if weighted and ev.weight_total is not None
                    else None,
                    effective_n=float(ev.trials[s]) if ev.trials is not None else None,
                    undefined_draws=float(ev.undefined_draws[s])
                    if ev.undefined_draws is not None and has_ci
                    else None,
                    error_bound=float(ev.error_bound[s])
                    if ev.error_bound is not None and np.isfinite(ev.error_bound[s])
                    else None,
                )
            )
    return rows


def _warnings(
    plan: SlicePlan,
    n: np.ndarray[Any, np.dtype[np.int64]],
    min_group_size: int,
    inputs: InputsInfo,
    bootstrap: int,
) -> list[str]:
    out: list[str] = []
    small = [plan.slices[i].label() for i in range(1, plan.n_slices) if n[i] < min_group_size]
    if small:
        shown = "; ".join(small[:8]) + (f"; and {len(small) - 8} more" if len(small) > 8 else "")
        out.append(
            f"{len(small)} group(s) have fewer than {min_group_size} rows and are reported as "
            f"insufficient_evidence: {shown}"
        )
    if inputs.weighted:
        out.append(
            "Weighted audit: intervals and tests use Kish effective sample sizes; the bootstrap "
            "resamples rows and draws their total weight with the variance of the weights."
        )
    if bootstrap == 0:
        out.append("Bootstrap disabled: metrics without a closed-form interval show none.")
    out.append(
        "Between-groups differences (largest minus smallest group) are biased upward when "
        "groups are small; read them with their intervals (simultaneous over the groups, so "
        "they reach parity when the data cannot rule it out)."
    )
    return out
