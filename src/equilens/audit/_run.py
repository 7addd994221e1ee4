"""``audit()``: the one place that joins the steps of an audit.

rows -> validated inputs -> finest-cell statistics (one pass) -> slices -> metrics with
intervals -> fairness criteria -> comparisons with tests -> the audit log.
"""

from __future__ import annotations

import dataclasses
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
from equilens.audit._evaluate import evaluate
from equilens.audit._rows import standing_warnings
from equilens.audit._slice_metrics import SliceTables
from equilens.audit._task_run import run_task
from equilens.data import BinSpec
from equilens.engines import compute_statistics
from equilens.exceptions import InvalidParameterError
from equilens.metrics import (
    DEFAULT_METRICS,
    calibration_curve_from_table,
    roc_curve_from_hist,
)
from equilens.metrics import metrics as metric_registry
from equilens.results import (
    AuditLog,
    CalibrationBin,
    ConfusionCounts,
    ConfusionMatrix,
    DataFingerprintRecord,
    FamilyRecord,
    RocCurve,
    SliceCurves,
)
from equilens.slicing import SlicePlan, build_plan, resolve_intersections
from equilens.stats import ScoreBins
from equilens.tasks import Task, TaskOptions, check_task, get_task

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
    y_true: Any = None,
    y_pred: Any = None,
    sensitive_features: Any,
    task: str = "binary",
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
    value: Any = None,
    numerator: Any = None,
    denominator: Any = None,
    cluster: Any = None,
    query: Any = None,
    item: Any = None,
    rank: Any = None,
    relevance: Any = None,
    item_group: Any = None,
    k: int | Sequence[int] | None = None,
    top_k: int | None = None,
) -> AuditLog:
    """Audit a model's predictions: metrics per group and intersection, with evidence.

    Parameters
    ----------
    data:
        A pandas / polars DataFrame, a pyarrow Table, a dict of arrays, a CSV / Parquet path,
        or None (then ``y_true`` etc. are arrays and ``sensitive_features`` a mapping).
    y_true, y_pred, y_score, sample_weight:
        Column names in ``data`` (or arrays). ``y_score`` is a probability-like score in [0, 1]
        (multiclass: a list of one score column per class, in sorted class order; ranking:
        the score that orders each query's items).
    task:
        ``binary`` (default), ``multiclass``, ``regression``, ``measure`` (a number per row,
        ``value``, or a ratio of sums, ``numerator`` / ``denominator``, e.g. a word error
        rate) or ``ranking`` (``query``, ``item``, ``y_score`` or ``rank``, ``relevance``,
        optional ``item_group``). See ``docs/design/0009-tasks.md``.
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
    value, numerator, denominator, cluster, query, item, rank, relevance, item_group:
        The columns of the non-binary tasks (see ``task``). ``cluster`` (measure, regression)
        names the unit that repeated measurements share (prompt, speaker, user), so intervals
        and tests count clusters, not rows.
    k:
        Ranking cut-off(s) for NDCG@k, precision@k and recall@k (default 10).
    top_k:
        Multiclass: the k of top-k accuracy (needs class scores).

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
    task = check_task(task)
    task_columns = {
        "y_true": y_true,
        "y_pred": y_pred,
        "y_score": y_score,
        "sample_weight": sample_weight,
        "value": value,
        "numerator": numerator,
        "denominator": denominator,
        "cluster": cluster,
        "query": query,
        "item": item,
        "rank": rank,
        "relevance": relevance,
        "item_group": item_group,
    }
    settings = {"k": k, "top_k": top_k}
    given = {
        "data": _describe(data),
        "task": task,
        **{
            role: _describe(v)
            for role, v in task_columns.items()
            if v is not None or role in _BINARY
        },
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
        **{name: _describe(v) for name, v in settings.items() if v is not None},
    }
    if task != "binary":
        if positive_label is not None:
            raise InvalidParameterError(
                f"The 'positive_label' parameter of audit applies to the binary task; the "
                f"'{task}' task has no positive label (CLI: drop --positive-label)."
            )
        return _task_audit(
            get_task(task),
            data,
            columns=task_columns,
            sensitive_features=sensitive_features,
            intersections=intersections,
            bins=bins,
            reference=reference,
            reference_rule=reference_rule,
            metrics=metrics,
            settings={name: v for name, v in settings.items() if v is not None},
            options=TaskOptions(
                alpha=alpha,
                interval_method=interval_method,
                bootstrap=bootstrap,
                rng=np.random.default_rng(seed),
                min_group_size=min_group_size,
                min_class_count=min_class_count,
            ),
            underpowered_gap=underpowered_gap,
            max_groups_per_feature=max_groups_per_feature,
            engine=engine,
            given=given,
            seed=seed,
            confidence_level=float(confidence_level),
            bootstrap=bootstrap,
            t0=t0,
            step=step,
            done=done,
            timings=timings,
        )
    extra = [role for role, v in task_columns.items() if v is not None and role not in _BINARY]
    extra += [name for name, v in settings.items() if v is not None]
    if extra:
        raise InvalidParameterError(
            f"The binary task does not read {', '.join(extra)}; set task= (CLI: --task) to "
            "the task those columns belong to (measure, regression, ranking, multiclass)."
        )
    for role in ("y_true", "y_pred"):
        if task_columns[role] is None:
            raise InvalidParameterError(
                f"The binary task needs the {role} column (--{role.replace('_', '-')})."
            )
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

    ev = evaluate(
        stats,
        plan,
        chosen,
        weighted=inputs.weighted,
        alpha=alpha,
        interval_method=interval_method,
        bootstrap=bootstrap,
        rng=np.random.default_rng(seed),
        min_group_size=min_group_size,
        min_class_count=min_class_count,
        underpowered_gap=underpowered_gap,
        progress=progress,
    )
    timings.update(ev.timings)
    tables, evaluated = ev.tables, ev.evaluated
    results, disparities = ev.results, ev.disparities
    comparisons, family, comp_metrics = ev.comparisons, ev.family, ev.comparison_metrics

    warnings = standing_warnings(plan, tables.n, min_group_size, inputs.weighted, bootstrap)
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
        task="binary",
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        run_id=uuid.uuid4().hex,
        spec_given=given,
        spec_resolved=resolved,
        data=DataFingerprintRecord.model_validate(inputs.fingerprint.to_dict()),
        seed=seed,
        confidence_level=float(confidence_level),
        bootstrap_draws=bootstrap,
        score_bins=score_info,
        families=_family_records(plan),
        results=results,
        disparities=disparities,
        comparisons=comparisons,
        multiple_comparisons=family,
        warnings=warnings,
        timings=timings,
        packages=_packages(),
        curves=_slice_curves(plan, tables, stats.score_bins),
    )


#: The columns the binary task reads.
_BINARY = ("y_true", "y_pred", "y_score", "sample_weight")


def _task_audit(
    task: Task,
    data: Any,
    *,
    given: dict[str, Any],
    seed: int,
    confidence_level: float,
    bootstrap: int,
    t0: float,
    timings: dict[str, float],
    **kwargs: Any,
) -> AuditLog:
    """The audit of a non-binary task (:func:`~equilens.audit._task_run.run_task`) as a log."""
    settings = task.check_settings(kwargs.pop("settings"))
    options = dataclasses.replace(kwargs.pop("options"), settings=settings)
    run = run_task(task, data, settings=settings, options=options, **kwargs)
    plan, ev = run.plan, run.evaluation
    warnings = standing_warnings(plan, ev.n, options.min_group_size, run.stats.weighted, bootstrap)
    warnings = [*ev.warnings, *warnings]
    timings["total"] = round(time.perf_counter() - t0, 6)
    resolved = {
        "task": task.name,
        "columns": run.columns,
        "sensitive_features": run.features,
        "families": [list(f.features) for f in plan.families],
        "reference": {fam.label(): plan.slices[fam.reference].mapping for fam in plan.families},
        "metrics": ev.reported or list(ev.evaluated),
        "criteria": sorted({d.criterion for d in run.disparities}),
        "comparison_metrics": [m for m in ev.comparison_metrics if m in ev.evaluated],
        "min_group_size": options.min_group_size,
        "min_class_count": options.min_class_count,
        "bootstrap": bootstrap,
        "seed": seed,
        "confidence_level": confidence_level,
        "interval_method": options.interval_method,
        "weighted": run.stats.weighted,
        "underpowered_gap": kwargs["underpowered_gap"],
        "engine": "numpy",
        **{f"task_{key}": value for key, value in ev.resolved.items()},
    }
    return AuditLog(
        task=task.name,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        run_id=uuid.uuid4().hex,
        spec_given=given,
        spec_resolved=resolved,
        data=DataFingerprintRecord.model_validate(run.fingerprint),
        seed=seed,
        confidence_level=confidence_level,
        bootstrap_draws=bootstrap,
        families=_family_records(plan),
        results=run.results,
        disparities=run.disparities,
        comparisons=run.comparisons,
        multiple_comparisons=run.family,
        warnings=warnings,
        timings=timings,
        packages=_packages(),
        confusion_matrices=None
        if ev.confusion_matrices is None
        else [ConfusionMatrix.model_validate(m) for m in ev.confusion_matrices],
    )


def _family_records(plan: SlicePlan) -> list[FamilyRecord]:
    """The log's record of each family: features, groups and reference."""
    return [
        FamilyRecord(
            features=list(f.features),
            groups=[plan.slices[i].mapping for i in f.members],
            reference=plan.slices[f.reference].mapping,
            reference_rule=f.reference_rule,
        )
        for f in plan.families
    ]


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
