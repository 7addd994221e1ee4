"""``compare``: champion (base) against challenger (candidate), paired where rows match."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np

from equilens._checks import check_confidence_level, check_int
from equilens.compare._finish import finish, headline, regressions
from equilens.compare._model import DataCheck, RunComparison, RunRef
from equilens.compare._paired import (
    PAIRED_CONFUSION_METRICS,
    PairedTables,
    auc_rows,
    confusion_metric_rows,
    disparity_rows,
)
from equilens.compare._unpaired import unpaired_rows
from equilens.data import AuditInputs, BinSpec, prepare_inputs
from equilens.engines import compute_cell_stats
from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.metrics import metrics as metric_registry
from equilens.results import AuditLog, base_name, read_log, task_metric_names
from equilens.slicing import SlicePlan, build_plan, resolve_intersections

METHODS = ("between_groups", "to_overall", "to_reference")
DEFAULT_METHODS: tuple[str, ...] = ("between_groups",)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _check_methods(methods: Sequence[str], func: str) -> tuple[str, ...]:
    out = tuple(methods)
    bad = [m for m in out if m not in METHODS]
    if bad or not out:
        raise InvalidParameterError(
            f"The 'disparity_methods' parameter of {func} must hold values among "
            f"{{'between_groups', 'to_overall', 'to_reference'}}. Got {list(out)!r} instead."
        )
    return out


def _check_labels(labels: Sequence[str], func: str) -> tuple[str, str]:
    if (
        isinstance(labels, str)
        or len(labels) != 2
        or not all(isinstance(x, str) and x.strip() for x in labels)
    ):
        raise InvalidParameterError(
            f"The 'labels' parameter of {func} must be two non-empty names (base, candidate). "
            f"Got {labels!r} instead."
        )
    return labels[0].strip(), labels[1].strip()


def _metric_names(metrics: Sequence[str] | None, logs: Sequence[AuditLog] = ()) -> list[str] | None:
    """The metrics asked for, as the logs name them.

    Binary logs: registry names (aliases resolved). Other tasks: the row names of the logs
    (``recall_score[class=7]``) or a base name (``recall_score``: every row of it); a name
    neither log has nor any task registers is a one-line error with close matches.
    """
    if metrics is None:
        return None
    task = logs[0].task if logs else "binary"
    if task == "binary":
        return [metric_registry.canonical(m) for m in metrics]
    rows = {r.metric for log in logs for r in log.results}
    known = rows | {base_name(m) for m in rows} | set(task_metric_names(task))
    out = []
    for m in metrics:
        name = m.replace(" ", "")
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.5)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            raise InvalidParameterError(f"Unknown {task} metric '{m}' for compare.{hint}")
        out.append(name)
    return out


def _as_log(value: AuditLog | str | Path, role: str) -> AuditLog:
    if isinstance(value, AuditLog):
        return value
    if isinstance(value, str | Path):
        return read_log(value)
    raise InvalidParameterError(
        f"The '{role}' parameter of compare must be an AuditLog or the path of one. "
        f"Got {type(value).__name__} instead."
    )


def _ref(log: AuditLog | None, label: str, n_rows: int | None = None) -> RunRef:
    if log is None:
        return RunRef(label=label, n_rows=n_rows)
    return RunRef(
        label=label,
        run_id=log.run_id,
        created=log.created,
        n_rows=log.data.n_rows,
        data_digest=log.data.digest,
        model=log.model,
    )


def _features(log: AuditLog) -> list[str]:
    return [str(x) for x in log.spec_resolved.get("sensitive_features", [])]


def weight_column(log: AuditLog) -> str | None:
    """The sample-weight column a log's audit used (None for an unweighted audit)."""
    columns = log.spec_resolved.get("columns", {})
    name = columns.get("sample_weight") if isinstance(columns, Mapping) else None
    return None if name is None else str(name)


def check_compatible(base: AuditLog, candidate: AuditLog) -> list[str]:
    """Raise when two logs cannot be compared; return warnings for lesser differences."""
    if base.task != candidate.task:
        raise InvalidInputError(
            f"The logs audit different tasks (base {base.task}, candidate {candidate.task}); "
            "compare two audits of the same task."
        )
    fb, fc = _features(base), _features(candidate)
    if sorted(fb) != sorted(fc):
        raise InvalidInputError(
            f"The logs audit different sensitive features: base [{', '.join(fb)}], candidate "
            f"[{', '.join(fc)}]; compare audits of the same groups."
        )
    if abs(base.confidence_level - candidate.confidence_level) > 1e-12:
        raise InvalidInputError(
            f"The logs use different confidence levels ({base.confidence_level} and "
            f"{candidate.confidence_level}); re-run one audit with the other's level."
        )
    warnings = []
    pb = base.spec_resolved.get("positive_label")
    pc = candidate.spec_resolved.get("positive_label")
    if pb != pc:
        warnings.append(
            f"The logs use different positive labels ({pb!r} and {pc!r}); rates are not comparable."
        )
    wb, wc = weight_column(base), weight_column(candidate)
    if (wb is None) != (wc is None):
        weighted = "base" if wb is not None else "candidate"
        warnings.append(
            f"Only the {weighted} audit is weighted (sample weight column "
            f"'{wb or wc}'); the two logs estimate different populations."
        )
    mb = base.spec_resolved.get("min_group_size")
    mc = candidate.spec_resolved.get("min_group_size")
    if mb != mc:
        warnings.append(f"The logs use different minimum group sizes ({mb} and {mc}).")
    return warnings


#: The column that holds the truth (or the measure) of each task's rows, first found.
_OUTCOME_ROLES = ("y_true", "value", "numerator", "relevance")


def _outcome_column(log: AuditLog) -> str:
    columns = log.spec_resolved.get("columns", {})
    if not isinstance(columns, Mapping):
        return ""
    return next((str(columns[r]) for r in _OUTCOME_ROLES if columns.get(r)), "")


def _check_columns(base: AuditLog, candidate: AuditLog) -> DataCheck:
    """Unpaired: do the two logs describe the same rows (y_true and sensitive hashes)?"""
    yb, yc = _outcome_column(base), _outcome_column(candidate)
    cols: dict[str, Literal["match", "differ", "missing"]] = {}
    for name_b, name_c, shown in [(yb, yc, yb or "y_true")] + [(s, s, s) for s in _features(base)]:
        hb, hc = base.data.columns.get(name_b), candidate.data.columns.get(name_c)
        cols[shown] = "missing" if hb is None or hc is None else "match" if hb == hc else "differ"
    engines = {base.spec_resolved.get("engine"), candidate.spec_resolved.get("engine")}
    if len(engines) > 1:
        return DataCheck(
            status="not_comparable",
            columns=cols,
            message="The logs were computed by different engines, whose column hashes differ "
            "by construction; whether they audited the same rows is unknown.",
        )
    same = all(v == "match" for v in cols.values()) and base.data.n_rows == candidate.data.n_rows
    if same:
        return DataCheck(
            status="match",
            columns=cols,
            message="The logs audited the same rows (true labels and sensitive features hash "
            "the same).",
        )
    differ = [k for k, v in cols.items() if v != "match"]
    return DataCheck(
        status="mismatch",
        columns=cols,
        message=f"The logs audited different rows ({base.data.n_rows} and "
        f"{candidate.data.n_rows} rows; columns that differ: {', '.join(differ) or 'none'}).",
    )


def compare_logs(
    base: AuditLog | str | Path,
    candidate: AuditLog | str | Path,
    *,
    metrics: Sequence[str] | None = None,
    disparity_methods: Sequence[str] = DEFAULT_METHODS,
    underpowered_gap: float = 0.10,
    labels: Sequence[str] = ("base", "candidate"),
) -> RunComparison:
    """Compare two audit logs as independent samples (no row-level data).

    Parameters
    ----------
    base, candidate:
        Audit logs (or their paths) of the champion and the challenger.
    metrics:
        Metrics to compare (default: every metric both logs report, except count and base
        rate).
    disparity_methods:
        Which summaries of each fairness criterion to compare (default between_groups).
    underpowered_gap:
        A change not detected whose interval is wider than +/- this gap is
        ``insufficient_evidence``, not "no change".
    labels:
        Names of the two runs in reports (e.g. ``("champion", "challenger")``).

    Returns
    -------
    RunComparison
        ``design == "unpaired"``.
    """
    b, c = _as_log(base, "base"), _as_log(candidate, "candidate")
    names = _check_labels(labels, "compare_logs")
    methods = _check_methods(disparity_methods, "compare_logs")
    warnings = check_compatible(b, c)
    alpha = 1.0 - b.confidence_level
    check = _check_columns(b, c)
    m_rows, d_rows = unpaired_rows(
        b, c, metrics=_metric_names(metrics, (b, c)), disparity_methods=methods, alpha=alpha
    )
    m_out, d_out, family = finish(m_rows, d_rows, alpha, underpowered_gap)
    if check.status == "match":
        note = (
            "Unpaired: only the two logs were given. They audited the same rows, so the runs "
            "are not independent; treating them as independent ignores the (usually positive) "
            "correlation between the two models' errors, which makes the intervals wider and "
            "the tests more conservative than a paired analysis. Pass the row-level "
            "predictions (--data) for the paired comparison."
        )
    else:
        note = (
            "Unpaired: the runs are treated as independent samples (different rows or no "
            "row-level data). Rates use Newcombe's interval and the chi-square / Fisher test "
            "on their counts; other metrics and the fairness criteria combine the logs' "
            "intervals (MOVER)."
        )
    return RunComparison(
        created=_now(),
        base=_ref(b, names[0]),
        candidate=_ref(c, names[1]),
        design="unpaired",
        design_note=note,
        data_check=check,
        confidence_level=b.confidence_level,
        min_group_size=int(b.spec_resolved.get("min_group_size", 30)),
        underpowered_gap=underpowered_gap,
        metrics=m_out,
        disparities=d_out,
        multiple_comparisons=family,
        headline=headline(m_out, d_out, names[0], names[1]),
        regressions=regressions(d_out),
        warnings=warnings,
    )


def read_frame(path: str | Path) -> Any:
    import pandas as pd

    p = Path(path)
    if not p.exists():
        raise InvalidInputError(f"Data file not found: {p}")
    name = p.name.lower()
    try:
        if name.endswith((".parquet", ".pq")):
            return pd.read_parquet(p)
        if name.endswith((".csv", ".csv.gz")):
            return pd.read_csv(p)
    except Exception as exc:  # pandas / pyarrow raise many types for a bad file
        raise InvalidInputError(f"Cannot read data file {p}: {type(exc).__name__}") from None
    raise InvalidInputError(f"Data file {p} must be .csv, .csv.gz, .parquet or .pq")


def _column(data: Any, name: str, role: str) -> np.ndarray[Any, Any]:
    """A column of a pandas / polars DataFrame, pyarrow Table or dict, as a numpy array."""
    try:
        columns = list(data.columns) if hasattr(data, "columns") else list(data.keys())
    except AttributeError:
        raise InvalidParameterError(
            f"The '{role}' parameter names a column, but the data is a {type(data).__name__}"
        ) from None
    if name not in columns:
        raise InvalidInputError(f"Column '{name}' ({role}) not found in the data")
    col = data[name]
    if hasattr(col, "to_numpy"):
        return np.asarray(col.to_numpy())
    return np.asarray(col)


def check_ids(data: Any, ids: Any) -> int:
    """Check that the id column (or array) has one distinct, non-missing value per row."""
    arr = _column(data, ids, "ids") if isinstance(ids, str) else np.asarray(ids)
    import pandas as pd

    series = pd.Series(arr)
    label = f"id column '{ids}'" if isinstance(ids, str) else "ids"
    if series.isna().any():
        raise InvalidInputError(f"The {label} has missing values; every row needs an id")
    dup = series[series.duplicated()]
    if len(dup):
        raise InvalidInputError(
            f"The {label} has {len(dup)} duplicated value(s) (e.g. {str(dup.iloc[0])!r}); a "
            "paired comparison needs one row per id"
        )
    return int(series.shape[0])


def _prepare(
    data: Any,
    *,
    y_true: Any,
    y_pred: Any,
    y_score: Any,
    sensitive: Any,
    positive_label: Any,
    bins: Any,
    max_groups: int,
) -> AuditInputs:
    return prepare_inputs(
        data,
        y_true=y_true,
        y_pred=y_pred,
        y_score=y_score,
        sensitive=sensitive,
        positive_label=positive_label,
        bins=bins,
        max_groups_per_feature=max_groups,
    )


def compare_predictions(
    data: Any = None,
    *,
    y_true: Any,
    base_pred: Any,
    candidate_pred: Any,
    sensitive_features: Any,
    base_score: Any = None,
    candidate_score: Any = None,
    ids: Any = None,
    positive_label: Any = None,
    bins: Mapping[str, BinSpec | Sequence[float]] | None = None,
    intersections: bool | Sequence[Sequence[str]] = False,
    reference: Mapping[str, str] | None = None,
    reference_rule: Literal["largest", "most_favoured"] = "largest",
    metrics: Sequence[str] | None = None,
    disparity_methods: Sequence[str] = DEFAULT_METHODS,
    min_group_size: int = 30,
    min_class_count: int = 10,
    bootstrap: int = 1000,
    seed: int = 0,
    confidence_level: float = 0.95,
    underpowered_gap: float = 0.10,
    max_groups_per_feature: int = 100,
    labels: Sequence[str] = ("base", "candidate"),
    _logs: tuple[AuditLog, AuditLog] | None = None,
    _families: Sequence[Sequence[str]] | None = None,
) -> RunComparison:
    """Compare two models' predictions on the same rows (paired design).

    Parameters
    ----------
    data:
        A DataFrame, Arrow table, dict of arrays or CSV / Parquet path holding every column
        (or None, then the arguments are arrays and ``sensitive_features`` a mapping).
    y_true, base_pred, candidate_pred:
        True labels and the two models' predicted labels.
    base_score, candidate_score:
        Optional scores of the positive label (both or neither): adds ROC-AUC with the paired
        DeLong test.
    sensitive_features, positive_label, bins, intersections, reference, reference_rule,
    min_group_size, min_class_count, confidence_level, max_groups_per_feature:
        As for :func:`equilens.audit`. ``most_favoured`` picks the reference among groups of
        at least ``min_group_size`` rows, and the p-values of the changes that depend on the
        reference (``to_reference`` criteria) are multiplied by the number of candidate
        references (Bonferroni), as in the audit. ROC-AUC changes on a slice with fewer than
        ``min_class_count`` positives or negatives get no test.
    ids:
        Optional row-id column (or array): checked to be unique and complete.
    metrics:
        Metrics to compare (default: the confusion metrics, and ROC-AUC with scores).
    disparity_methods:
        Summaries of each fairness criterion to compare (default between_groups).
    bootstrap, seed:
        Paired count-level bootstrap draws (0 disables the bootstrap intervals and tests) and
        their seed.
    underpowered_gap:
        A change not detected whose interval is wider than +/- this gap is
        ``insufficient_evidence``.
    labels:
        Names of the two runs in reports.

    Returns
    -------
    RunComparison
        ``design == "paired"``.
    """
    func = "compare_predictions"
    names = _check_labels(labels, func)
    methods = _check_methods(disparity_methods, func)
    min_group_size = check_int("min_group_size", min_group_size, 1, func)
    min_class_count = check_int("min_class_count", min_class_count, 2, func)
    bootstrap = check_int("bootstrap", bootstrap, 0, func)
    seed = check_int("seed", seed, 0, func)
    check_confidence_level(confidence_level, func)
    if (base_score is None) != (candidate_score is None):
        raise InvalidParameterError(
            f"Pass both 'base_score' and 'candidate_score' to {func}, or neither."
        )
    if isinstance(data, str | Path):
        data = read_frame(data)
    if ids is not None:
        if isinstance(ids, str) and data is None:
            raise InvalidParameterError(
                f"The 'ids' parameter of {func} names a column, but no data was given"
            )
        check_ids(data, ids)
    alpha = 1.0 - float(confidence_level)
    common = {
        "y_true": y_true,
        "sensitive": sensitive_features,
        "positive_label": positive_label,
        "bins": bins,
        "max_groups": max_groups_per_feature,
    }
    b_in = _prepare(data, y_pred=base_pred, y_score=base_score, **common)
    c_in = _prepare(data, y_pred=candidate_pred, y_score=candidate_score, **common)
    if b_in.label_values != c_in.label_values or b_in.positive_label != c_in.positive_label:
        raise InvalidInputError(
            f"The two prediction columns use different label values ({list(b_in.label_values)} "
            f"and {list(c_in.label_values)}); predict the same labels"
        )
    if ids is not None and not isinstance(ids, str) and len(np.asarray(ids)) != b_in.n_rows:
        raise InvalidInputError(
            f"Found inputs with inconsistent numbers of rows: ids {len(np.asarray(ids))}, "
            f"data {b_in.n_rows}"
        )
    stats = compute_cell_stats(
        y_true=b_in.y_true,
        y_pred=b_in.y_pred,
        feature_names=[ft.name for ft in b_in.features],
        feature_codes=[ft.codes for ft in b_in.features],
        feature_labels=[ft.labels for ft in b_in.features],
    )
    feature_names = [ft.name for ft in b_in.features]
    if _families is not None:
        families = [tuple(fam) for fam in _families]
    else:
        families = resolve_intersections(feature_names, intersections)
    plan = build_plan(
        stats,
        families,
        reference=reference,
        reference_rule=reference_rule,
        min_group_size=min_group_size,
    )
    rng = np.random.default_rng(seed)
    tables = PairedTables(b_in, c_in, plan, bootstrap, rng)
    wanted = _metric_names(metrics)
    conf_names = [m for m in PAIRED_CONFUSION_METRICS if wanted is None or m in wanted]
    # Criteria need their base metrics even when they are not reported.
    needed = list(dict.fromkeys([*conf_names, *PAIRED_CONFUSION_METRICS]))
    m_rows_all, evaluated = confusion_metric_rows(tables, plan, needed, min_group_size, alpha)
    m_rows = [r for r in m_rows_all if r["metric"] in conf_names]
    warnings: list[str] = []
    has_scores = b_in.y_score is not None and c_in.y_score is not None
    if has_scores and (wanted is None or "roc_auc_score" in wanted):
        m_rows.extend(auc_rows(b_in, c_in, tables, plan, min_group_size, min_class_count, alpha))
    unsupported = [m for m in (wanted or []) if m not in needed and m != "roc_auc_score"]
    if unsupported:
        warnings.append(
            f"Not compared in the paired design: {', '.join(unsupported)} (paired tests exist "
            "here for the confusion metrics and ROC-AUC)."
        )
    if wanted is not None and "roc_auc_score" in wanted and not has_scores:
        warnings.append("ROC-AUC not compared: pass base_score and candidate_score.")
    d_rows = disparity_rows(tables, plan, evaluated, methods, min_group_size, alpha)
    m_out, d_out, family = finish(m_rows, d_rows, alpha, underpowered_gap)
    family["min_class_count"] = min_class_count
    if any(fam.reference_rule == "most_favoured" for fam in plan.families):
        family["reference_selection"] = (
            "references chosen from the data (most_favoured, among groups of at least "
            f"{min_group_size} rows): the p-value of each to_reference criterion change is "
            "multiplied by the number of candidate references (Bonferroni), before Holm/BH"
        )
    small = [
        plan.slices[i].label() for i in range(1, plan.n_slices) if tables.n[i] < min_group_size
    ]
    if small:
        warnings.append(
            f"{len(small)} group(s) have fewer than {min_group_size} rows and are reported as "
            f"insufficient_evidence: {'; '.join(small[:8])}"
        )
    base_log, cand_log = _logs if _logs is not None else (None, None)
    if base_log is not None:
        warnings.extend(_reference_warnings(base_log, plan))
    note = (
        "Paired: both models' predictions on the same rows. Rates with a fixed denominator "
        "(selection rate, accuracy, TPR, FPR, FNR, TNR) use McNemar's test on the rows where "
        "the models disagree (exact binomial below 25 discordant rows) with Tango's score "
        "interval for the change; ROC-AUC uses the paired DeLong test (slices with at least "
        f"{min_class_count} positives and negatives); a fairness criterion's change is the "
        "MOVER difference of the two models' simultaneous criterion intervals (valid at "
        "parity); intervals of the other metrics come from a paired bootstrap "
        f"({bootstrap} draws, seed {seed}) that "
        "resamples rows within finest cells, keeping each row's two predictions together."
    )
    return RunComparison(
        created=_now(),
        base=_ref(base_log, names[0], b_in.n_rows),
        candidate=_ref(cand_log, names[1], c_in.n_rows),
        design="paired",
        design_note=note,
        data_check=DataCheck(
            status="not_checked", message="Row-level data given without audit logs."
        ),
        confidence_level=float(confidence_level),
        seed=seed,
        bootstrap_draws=bootstrap,
        min_group_size=min_group_size,
        underpowered_gap=underpowered_gap,
        metrics=m_out,
        disparities=d_out,
        multiple_comparisons=family,
        headline=headline(m_out, d_out, names[0], names[1]),
        regressions=regressions(d_out),
        warnings=warnings,
    )


def _bins_from_log(log: AuditLog) -> dict[str, Any] | None:
    raw = log.spec_given.get("bins")
    if not isinstance(raw, Mapping):
        return None
    out: dict[str, Any] = {}
    for k, v in raw.items():
        if isinstance(v, Mapping) and "edges" in v:
            labels = v.get("labels")
            out[str(k)] = BinSpec(tuple(v["edges"]), tuple(labels) if labels else None)
        elif isinstance(v, list):
            out[str(k)] = [float(x) for x in v]
        else:
            raise InvalidInputError(
                f"The base log's bins for '{k}' cannot be rebuilt ({v!r}); compare without --data"
            )
    return out


def _reference_from_log(
    log: AuditLog,
) -> tuple[dict[str, str], Literal["largest", "most_favoured"]]:
    """The base audit's explicit references and its rule for the other families.

    Only references the user fixed are passed as explicit: a reference the audit chose from
    the data (``most_favoured``) is chosen again by the same rule on the same rows, so that
    the comparison knows it was chosen from the data and corrects its p-values for it.
    """
    out: dict[str, str] = {}
    for fam in log.families:
        if len(fam.features) == 1 and fam.reference and fam.reference_rule == "explicit":
            out.update(fam.reference)
    rule: Literal["largest", "most_favoured"] = "largest"
    if any(fam.reference_rule == "most_favoured" for fam in log.families):
        rule = "most_favoured"
    return out, rule


def _mapping_text(mapping: Mapping[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in mapping.items())


def _reference_warnings(log: AuditLog, plan: SlicePlan) -> list[str]:
    """A warning for each family whose reference differs from the base audit's."""
    wanted = {tuple(fam.features): fam.reference for fam in log.families}
    out = []
    for fam in plan.families:
        ref = plan.slices[fam.reference].mapping
        logged = wanted.get(fam.features)
        if logged is not None and logged != ref:
            out.append(
                f"The reference of {fam.label()} is {plan.slices[fam.reference].label()} on the "
                f"given rows, not the base audit's ({_mapping_text(logged)})."
            )
    return out


def _data_check(
    logs: tuple[AuditLog, AuditLog], prepared: tuple[AuditInputs, AuditInputs]
) -> DataCheck:
    cols: dict[str, Literal["match", "differ", "missing"]] = {}
    for log, inputs in zip(logs, prepared, strict=True):
        yname = str(log.spec_resolved.get("columns", {}).get("y_true", ""))
        gname = str(inputs.columns.get("y_true"))
        pairs = [(yname, gname)] + [(s, s) for s in _features(log)]
        for in_log, in_data in pairs:
            h_log = log.data.columns.get(in_log)
            h_data = inputs.fingerprint.columns.get(in_data)
            state: Literal["match", "differ", "missing"] = (
                "missing"
                if h_log is None or h_data is None
                else "match"
                if h_log == h_data
                else "differ"
            )
            if cols.get(in_data) in ("differ", "missing"):
                continue
            cols[in_data] = state
        if log.data.n_rows != inputs.n_rows:
            cols["<row count>"] = "differ"
    engines = {str(log.spec_resolved.get("engine")) for log in logs}
    if engines - {"numpy"}:
        return DataCheck(
            status="not_comparable",
            columns=cols,
            message=f"A log was computed by the {', '.join(sorted(engines - {'numpy'}))} "
            "engine, whose column hashes are not row-ordered; the data could not be checked.",
        )
    bad = [k for k, v in cols.items() if v != "match"]
    if bad:
        return DataCheck(
            status="mismatch",
            columns=cols,
            message="The given data are not the rows the logs audited: "
            + ", ".join(f"{k} {cols[k]}" for k in bad)
            + ".",
        )
    return DataCheck(
        status="match",
        columns=cols,
        message="The given data are the rows both logs audited (true labels and sensitive "
        "features hash the same).",
    )


def compare(
    base: AuditLog | str | Path,
    candidate: AuditLog | str | Path,
    *,
    data: Any = None,
    base_pred: Any = None,
    candidate_pred: Any = None,
    base_score: Any = None,
    candidate_score: Any = None,
    y_true: Any = None,
    ids: Any = None,
    metrics: Sequence[str] | None = None,
    disparity_methods: Sequence[str] = DEFAULT_METHODS,
    bootstrap: int | None = None,
    seed: int | None = None,
    underpowered_gap: float = 0.10,
    labels: Sequence[str] = ("base", "candidate"),
    allow_data_mismatch: bool = False,
) -> RunComparison:
    """Compare two audit runs: paired when row-level predictions are given, else unpaired.

    Parameters
    ----------
    base, candidate:
        Audit logs (or their paths) of the champion and the challenger.
    data:
        Row-level data with both models' predictions (DataFrame, Arrow table, dict of arrays,
        or a CSV / Parquet path). With it the comparison is paired; without it unpaired.
    base_pred, candidate_pred, base_score, candidate_score:
        Columns (or arrays) of the two models' predictions and scores in ``data``.
    y_true:
        Column of the true labels (default: the column named in the base log).
    ids:
        Row-id column: checked to be unique (one row per id).
    metrics, disparity_methods, underpowered_gap, labels:
        As for :func:`compare_logs`.
    bootstrap, seed:
        Paired bootstrap draws and seed (default: the base log's).
    allow_data_mismatch:
        With data whose true labels or sensitive columns do not hash as in the logs, raise
        (default) or compare anyway, recording the mismatch.

    Returns
    -------
    RunComparison

    Raises
    ------
    InvalidInputError
        Unreadable logs, logs of different sensitive features or confidence levels, data
        that are not the audited rows (unless ``allow_data_mismatch``), a missing or
        duplicated id column.
    """
    b, c = _as_log(base, "base"), _as_log(candidate, "candidate")
    if data is None:
        if base_pred is not None or candidate_pred is not None:
            raise InvalidParameterError(
                "Predictions were given without data: pass data= (--data) with the columns"
            )
        return compare_logs(
            b,
            c,
            metrics=metrics,
            disparity_methods=disparity_methods,
            underpowered_gap=underpowered_gap,
            labels=labels,
        )
    if b.task != "binary" or c.task != "binary":
        task = b.task if b.task != "binary" else c.task
        raise InvalidInputError(
            f"The paired comparison (--data) supports binary audits only, not {task}; "
            "compare the two logs without --data (unpaired, row by row)"
        )
    if base_pred is None or candidate_pred is None:
        raise InvalidParameterError(
            "A paired comparison needs both prediction columns: base_pred and candidate_pred "
            "(--base-pred, --candidate-pred)"
        )
    weights = [w for w in (weight_column(b), weight_column(c)) if w is not None]
    if weights:
        raise InvalidInputError(
            f"The audits are weighted (sample weight column '{weights[0]}'), and the paired "
            "comparison (--data) supports no sample weights; compare the logs without --data "
            "(the unpaired comparison uses their weighted estimates and Kish effective sizes)"
        )
    warnings = check_compatible(b, c)
    if isinstance(data, str | Path):
        data = read_frame(data)
    resolved = b.spec_resolved
    y_col = y_true if y_true is not None else resolved.get("columns", {}).get("y_true")
    if y_col is None:
        raise InvalidInputError("The base log does not name its y_true column; pass y_true")
    sensitive = _features(b)
    positive = resolved.get("positive_label")
    bins = _bins_from_log(b)
    common = {
        "y_true": y_col,
        "sensitive": sensitive,
        "positive_label": positive,
        "bins": bins,
        "max_groups": int(b.spec_given.get("max_groups_per_feature", 100) or 100),
    }
    if ids is not None:
        check_ids(data, ids)
    prepared = (
        _prepare(data, y_pred=base_pred, y_score=base_score, **common),
        _prepare(data, y_pred=candidate_pred, y_score=candidate_score, **common),
    )
    check = _data_check((b, c), prepared)
    ref_given, ref_rule = _reference_from_log(b)
    if check.status == "mismatch" and not allow_data_mismatch:
        raise InvalidInputError(
            f"{check.message} Compare without --data (unpaired), or pass "
            "--allow-data-mismatch to compare these rows anyway"
        )
    result = compare_predictions(
        data,
        y_true=y_col,
        base_pred=base_pred,
        candidate_pred=candidate_pred,
        base_score=base_score,
        candidate_score=candidate_score,
        sensitive_features=sensitive,
        positive_label=positive,
        bins=bins,
        reference=ref_given,
        reference_rule=ref_rule,
        metrics=metrics,
        disparity_methods=disparity_methods,
        min_group_size=int(resolved.get("min_group_size", 30)),
        min_class_count=int(resolved.get("min_class_count", 10)),
        bootstrap=b.bootstrap_draws if bootstrap is None else bootstrap,
        seed=b.seed if seed is None else seed,
        confidence_level=b.confidence_level,
        underpowered_gap=underpowered_gap,
        max_groups_per_feature=common["max_groups"],
        labels=labels,
        _logs=(b, c),
        _families=[fam.features for fam in b.families],
    )
    if check.status == "mismatch":
        warnings.insert(
            0, f"DATA MISMATCH: {check.message} The comparison describes the given rows."
        )
    return result.model_copy(
        update={"data_check": check, "warnings": [*warnings, *result.warnings]}
    )
