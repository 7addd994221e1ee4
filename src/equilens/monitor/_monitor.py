"""Create a monitor from a reference batch and ingest further batches (pure apart from reading
the batch); see :mod:`equilens.monitor._sequential` for the alarm method."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

import numpy as np

from equilens._hash import content_hash
from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.metrics import metrics as metric_registry
from equilens.metrics import proportion_parts
from equilens.monitor._alarms import route_alarm
from equilens.monitor._drift import (
    DriftScore,
    chi_square_counts,
    ks_binned,
    psi_interval,
    quantile_groups,
)
from equilens.monitor._sequential import RateNull, log_sr_path, wilson_interval
from equilens.monitor._state import (
    Alarm,
    DriftRow,
    Look,
    MonitorConfig,
    MonitorState,
    Stream,
    Unmonitored,
)
from equilens.monitor._stats import OVERALL, BatchStats, ColumnSpec, GroupRef, reduce_batch
from equilens.policy import Policy, Severity
from equilens.results import base_name, task_of_metric

__all__ = [
    "DEFAULT_METRICS",
    "IngestResult",
    "build_streams",
    "create_monitor",
    "detect",
    "ingest_batch",
    "stream_counts",
]

#: Rates monitored by default.
DEFAULT_METRICS: tuple[str, ...] = (
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "accuracy_score",
)


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds")


def _check_metrics(names: Sequence[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        if name not in metric_registry:
            tasks = [t for t in task_of_metric(name) if t != "binary"]
            if tasks or base_name(name) != name:
                # Another task's metric (``mean_absolute_error``, ``recall_score[class=7]``).
                what = f"a {tasks[0]} metric" if tasks else "a per-class or per-k metric"
                raise InvalidParameterError(
                    f"--metrics: '{name}' is {what}; the monitor watches binary rates of rows "
                    "(selection_rate, true_positive_rate, false_positive_rate, accuracy_score, "
                    "...); for other tasks audit each batch with --task and keep the logs in "
                    "the run store (--store), then compare them"
                )
            raise InvalidParameterError(f"--metrics: unknown metric '{name}'")
        spec = metric_registry.get(name)
        if spec.kind != "proportion":
            raise InvalidParameterError(
                f"--metrics: '{spec.name}' is not a rate of rows (proportion metric); the monitor "
                "watches rates such as selection_rate, false_positive_rate, accuracy_score"
            )
        out.append(spec.name)
    if not out:
        raise InvalidParameterError("--metrics: give at least one metric")
    return list(dict.fromkeys(out))


def _check_config(config: MonitorConfig) -> None:
    if not 0 < config.alpha < 1:
        raise InvalidParameterError(f"--alpha must be in (0, 1), got {config.alpha}")
    if config.horizon < 1:
        raise InvalidParameterError(f"--horizon must be at least 1, got {config.horizon}")
    if not 0 < config.min_shift < 0.5:
        raise InvalidParameterError(f"--min-shift must be in (0, 0.5), got {config.min_shift}")
    if not 0 <= config.tolerance < 1:
        raise InvalidParameterError(f"--tolerance must be in [0, 1), got {config.tolerance}")
    if config.min_group_size < 1:
        raise InvalidParameterError(
            f"--min-group-size must be at least 1, got {config.min_group_size}"
        )


def stream_counts(stats: BatchStats, group: GroupRef, metric: str) -> tuple[int, int]:
    """Successes and trials of ``metric`` for ``group`` in ``stats`` (0, 0 when absent)."""
    i = stats.group_index(group)
    if i is None:
        return 0, 0
    num, den = proportion_parts(metric_registry.get(metric), stats.conf[i].astype(np.float64))
    return int(num), int(den)


def build_streams(
    reference: BatchStats, config: MonitorConfig
) -> tuple[list[Stream], list[Unmonitored]]:
    """The monitored streams (with nulls and Bonferroni shares) and the groups left out."""
    candidates: list[tuple[GroupRef, str, int, int]] = []
    left_out: list[Unmonitored] = []
    for group in reference.groups:
        for metric in config.metrics:
            x, n = stream_counts(reference, group, metric)
            if n < config.min_group_size:
                left_out.append(
                    Unmonitored(
                        feature=group.feature,
                        group=group.label,
                        metric=metric,
                        reason=f"the reference has {n} rows in the denominator, fewer than "
                        f"--min-group-size {config.min_group_size}",
                    )
                )
            else:
                candidates.append((group, metric, x, n))
    if not candidates:
        raise InvalidInputError(
            "No group of the reference is large enough to monitor (see --min-group-size)"
        )
    alpha_s = config.alpha / len(candidates)
    streams = []
    for group, metric, x, n in candidates:
        null = RateNull.from_reference(
            x,
            n,
            alpha_stream=alpha_s,
            horizon=config.horizon,
            min_shift=config.min_shift,
            tolerance=config.tolerance,
        )
        streams.append(
            Stream(
                id=f"{metric} | {group.name}",
                feature=group.feature,
                group=group.label,
                metric=metric,
                reference_x=x,
                reference_n=n,
                reference_rate=x / n,
                null_low=null.low,
                null_high=null.high,
                prior_a=null.prior_a,
                prior_b=null.prior_b,
                alpha=alpha_s,
                log_threshold=null.log_threshold,
            )
        )
    return streams, left_out


def _null(stream: Stream) -> RateNull:
    return RateNull(
        stream.null_low, stream.null_high, stream.prior_a, stream.prior_b, stream.log_threshold
    )


@dataclass(frozen=True)
class Detection:
    """A stream's detector after the latest look."""

    stream: Stream
    log_r: np.ndarray[Any, np.dtype[np.float64]]
    start: np.ndarray[Any, np.dtype[np.int64]]
    x: np.ndarray[Any, np.dtype[np.float64]]
    n: np.ndarray[Any, np.dtype[np.float64]]

    @property
    def crossed(self) -> bool:
        """Whether the detector is at or above its threshold after the latest look."""
        return bool(self.log_r.size) and float(self.log_r[-1]) >= self.stream.log_threshold

    @property
    def first_crossing(self) -> int | None:
        """0-based index of the first look at which the detector crossed, if any."""
        hits = np.flatnonzero(self.log_r >= self.stream.log_threshold)
        return int(hits[0]) if hits.size else None


def detect(streams: Sequence[Stream], looks: Sequence[BatchStats]) -> list[Detection]:
    """Run every stream's detector over the looks (in order)."""
    tables: dict[GroupRef, np.ndarray[Any, np.dtype[np.float64]]] = {}
    out = []
    for s in streams:
        group = GroupRef(s.feature, s.group)
        if group not in tables:
            conf = np.zeros((len(looks), 2, 2), dtype=np.float64)
            for t, b in enumerate(looks):
                i = b.group_index(group)
                if i is not None:
                    conf[t] = b.conf[i]
            tables[group] = conf
        x, n = proportion_parts(metric_registry.get(s.metric), tables[group])
        log_r, start = log_sr_path(x, n, _null(s))
        out.append(Detection(s, log_r, start, x, n))
    return out


def create_monitor(
    reference: object,
    *,
    y_true: str,
    y_pred: str,
    sensitive: Sequence[str],
    y_score: str | None = None,
    positive_label: str | int | float | bool | None = None,
    bins: Mapping[str, Sequence[float]] | None = None,
    features: Sequence[str] = (),
    metrics: Sequence[str] = DEFAULT_METRICS,
    alpha: float = 0.05,
    horizon: int = 100,
    min_shift: float = 0.05,
    tolerance: float = 0.0,
    min_group_size: int = 30,
    default_severity: Severity = "warn",
    policy: Policy | None = None,
    clock: Callable[[], datetime] | None = None,
) -> MonitorState:
    """Start a monitor: reduce the reference batch and fix every stream's null and threshold.

    Parameters
    ----------
    reference : DataFrame, Table, dict, str or Path
        The reference window (e.g. the audited data): columns as for
        :func:`equilens.data.prepare_inputs`.
    y_true, y_pred, y_score, sensitive, positive_label, bins
        Columns and options as for :func:`equilens.audit`.
    features : sequence of str
        Further columns tracked for drift (categorical: chi-square and PSI; numeric: PSI and KS
        on 20 reference-quantile bins).
    metrics : sequence of str
        Rates monitored per group; proportion metrics of the registry.
    alpha : float
        Family-wise probability of any false alarm over ``horizon`` looks, all streams together.
    horizon : int
        Looks covered by the guarantee; further ingests are refused.
    min_shift : float
        Rate shift the detector is tuned for.
    tolerance : float
        Shifts of a rate within the reference interval widened by this much never alarm.
    min_group_size : int
        Streams with fewer reference rows in the denominator are not monitored.
    default_severity : {"info", "warn", "block"}
        Severity of alarms that no policy rule maps.
    policy : Policy, optional
        Maps alarms to rules, escalation and retraining triggers.

    Returns
    -------
    MonitorState
    """
    config = MonitorConfig(
        y_true=y_true,
        y_pred=y_pred,
        y_score=y_score,
        sensitive=list(sensitive),
        positive_label=positive_label,
        bins={k: [float(e) for e in v] for k, v in (bins or {}).items()},
        features=list(features),
        metrics=_check_metrics(metrics),
        alpha=alpha,
        horizon=horizon,
        min_shift=min_shift,
        tolerance=tolerance,
        min_group_size=min_group_size,
        default_severity=default_severity,
    )
    _check_config(config)
    stats, fingerprint, edges = reduce_batch(reference, _spec(config), numeric_bin_edges=None)
    streams, left_out = build_streams(stats, config)
    return MonitorState(
        monitor_id=uuid.uuid4().hex[:12],
        created=_iso((clock or _now)()),
        config=config,
        reference=stats.to_dict(),
        reference_fingerprint=fingerprint,
        numeric_edges=edges,
        streams=streams,
        unmonitored=left_out,
        policy=None if policy is None else policy.model_dump(mode="json"),
        policy_hash=None if policy is None else content_hash(policy),
    )


def _spec(config: MonitorConfig) -> ColumnSpec:
    return ColumnSpec(
        y_true=config.y_true,
        y_pred=config.y_pred,
        y_score=config.y_score,
        sensitive=tuple(config.sensitive),
        positive_label=config.positive_label,
        bins=config.bins,
        features=tuple(config.features),
    )


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _row(
    subject: str, statistic: str, score: DriftScore, n_ref: int, n_cur: int, note: str = ""
) -> DriftRow:
    return DriftRow(
        subject=subject,
        statistic=statistic,  # type: ignore[arg-type]
        value=_finite(score.value),
        ci_low=_finite(score.ci_low),
        ci_high=_finite(score.ci_high),
        p_value=_finite(score.p_value),
        dof=score.dof,
        n_reference=n_ref,
        n_batch=n_cur,
        note=note if math.isfinite(score.value) else "undefined: an empty histogram",
    )


def drift_rows(reference: BatchStats, batch: BatchStats, seed: int = 0) -> list[DriftRow]:
    """PSI, KS and chi-square of one batch against the reference (descriptive)."""
    rows: list[DriftRow] = []
    if reference.score_hist is not None and batch.score_hist is not None:
        for gi, group in enumerate(reference.groups):
            bi = batch.group_index(group)
            if bi is None:
                continue
            ref = reference.score_hist[gi].astype(np.float64)
            cur = batch.score_hist[bi].astype(np.float64)
            subject = "score" if group == OVERALL else f"score | {group.name}"
            groups = quantile_groups(ref, 10)
            k = int(groups.max()) + 1
            r10 = np.bincount(groups, weights=ref, minlength=k).astype(np.float64)
            c10 = np.bincount(groups, weights=cur, minlength=k).astype(np.float64)
            n_ref, n_cur = int(ref.sum()), int(cur.sum())
            rows.append(
                _row(
                    subject,
                    "psi",
                    psi_interval(r10, c10, seed=seed),
                    n_ref,
                    n_cur,
                    f"{k} reference-quantile bins on the 1/100 grid, shares floored at 1e-4",
                )
            )
            rows.append(
                _row(subject, "ks", ks_binned(ref, cur), n_ref, n_cur, "D at the 1/100 grid")
            )
    for name, ref_counts in reference.categorical.items():
        cur_counts = batch.categorical.get(name, {})
        cats = sorted(set(ref_counts) | set(cur_counts))
        r = np.array([ref_counts.get(c, 0) for c in cats], dtype=np.float64)
        c = np.array([cur_counts.get(c, 0) for c in cats], dtype=np.float64)
        subject = f"feature {name}"
        n_ref, n_cur = int(r.sum()), int(c.sum())
        rows.append(_row(subject, "psi", psi_interval(r, c, seed=seed), n_ref, n_cur))
        rows.append(_row(subject, "chi_square", chi_square_counts(r, c), n_ref, n_cur))
    for name, ref_hist in reference.numeric.items():
        cur_hist = batch.numeric[name]
        r, c = ref_hist.astype(np.float64), cur_hist.astype(np.float64)
        subject = f"feature {name}"
        n_ref, n_cur = int(r.sum()), int(c.sum())
        note = f"{r.size - 1} reference-quantile bins and a missing-value bin"
        rows.append(_row(subject, "psi", psi_interval(r, c, seed=seed), n_ref, n_cur, note))
        ks = ks_binned(r[:-1], c[:-1])
        rows.append(
            _row(
                subject,
                "ks",
                ks,
                n_ref,
                n_cur,
                "D at the reference's 1/20 quantiles, missing values left out",
            )
        )
    return rows


@dataclass(frozen=True)
class IngestResult:
    """What one ingest found: the new look, its drift, its new alarms, and the detectors."""

    look: Look
    new_alarms: list[Alarm]
    detections: list[Detection]

    @property
    def blocking(self) -> bool:
        """Whether a new alarm has blocking severity."""
        return any(a.severity == "block" for a in self.new_alarms)


def _fmt(x: float) -> str:
    return f"{x:.4f}"


def ingest_batch(
    state: MonitorState,
    data: object,
    *,
    batch: str | None = None,
    allow_duplicate: bool = False,
    today: date | None = None,
    clock: Callable[[], datetime] | None = None,
) -> tuple[MonitorState, IngestResult]:
    """Add one batch: reduce it, score its drift, run the detectors, raise new alarms.

    Parameters
    ----------
    state : MonitorState
    data : DataFrame, Table, dict, str or Path
        The batch, with the reference's columns.
    batch : str, optional
        A label for the batch (default: the file name, or ``look N``).
    allow_duplicate : bool
        Accept a batch whose data fingerprint equals an earlier one's (by default an error:
        counting a batch twice would be counting evidence twice).
    today : date, optional
        Date policy exemptions are checked against (default today).

    Returns
    -------
    state : MonitorState
        The new state (the input is not changed).
    result : IngestResult

    Raises
    ------
    InvalidInputError
        Unreadable batch, a duplicate batch, or the horizon used up.
    """
    config = state.config
    look_no = len(state.looks) + 1
    if look_no > config.horizon:
        raise InvalidInputError(
            f"the monitor's horizon of {config.horizon} looks is used up (its false-alarm "
            "guarantee covers that many); start a new monitor with equilens monitor init"
        )
    stats, fingerprint, _ = reduce_batch(data, _spec(config), numeric_bin_edges=state.numeric_edges)
    if not allow_duplicate and (
        fingerprint == state.reference_fingerprint
        or any(fingerprint == lk.fingerprint for lk in state.looks)
    ):
        raise InvalidInputError(
            f"batch {batch or data!s} has the same data as the reference or an earlier batch "
            "(pass --allow-duplicate to count it again)"
        )
    reference = BatchStats.from_dict(state.reference)
    history = [BatchStats.from_dict(lk.stats) for lk in state.looks] + [stats]
    detections = detect(state.streams, history)
    policy = None if state.policy is None else Policy.model_validate(state.policy)
    when = (clock or _now)()
    label = batch or (str(data) if isinstance(data, str) else f"look {look_no}")
    already = {a.stream_id for lk in state.looks for a in lk.alarms}
    alarms = []
    for det in detections:
        s = det.stream
        if s.id in already or not det.crossed:
            continue
        k = int(det.start[-1])
        wx, wn = float(det.x[k:].sum()), float(det.n[k:].sum())
        rate = wx / wn if wn else math.nan
        lo, hi = wilson_interval(wx, wn)
        direction: Literal["up", "down"] = "up" if rate > s.null_high else "down"
        reason = (
            f"{s.metric} of {s.group_name} moved {direction}: {_fmt(rate)} (95% Wilson "
            f"{_fmt(lo)}-{_fmt(hi)}, n={int(wn)}) over looks {k + 1}-{look_no}, against the "
            f"reference {_fmt(s.reference_rate)} (null interval {_fmt(s.null_low)}-"
            f"{_fmt(s.null_high)}, n={s.reference_n}); evidence log R = {det.log_r[-1]:.2f} >= "
            f"{s.log_threshold:.2f} (family-wise false alarm probability <= {config.alpha} "
            f"over {config.horizon} looks)"
        )
        routing = route_alarm(
            policy,
            feature=s.feature,
            label=s.group,
            metric=s.metric,
            default_severity=config.default_severity,
            values={
                "metric": s.metric,
                "group": s.group_name,
                "features": s.feature or "",
                "method": "sequential",
                "on": "rate",
                "op": ">" if direction == "up" else "<",
                "value": _fmt(rate),
                "threshold": _fmt(s.null_high if direction == "up" else s.null_low),
                "ci_low": _fmt(lo),
                "ci_high": _fmt(hi),
                "reason": reason,
                "run_id": f"{state.monitor_id}/look-{look_no}",
            },
            today=today or date.today(),
        )
        alarms.append(
            Alarm(
                monitor_id=state.monitor_id,
                look=look_no,
                batch=label,
                created=_iso(when),
                stream_id=s.id,
                feature=s.feature,
                group=s.group,
                metric=s.metric,
                direction=direction,
                severity=routing.severity,
                rule_ids=routing.rule_ids,
                retrain=routing.retrain,
                owners=routing.owners,
                contacts=routing.contacts,
                messages=routing.messages,
                reference_rate=s.reference_rate,
                null_low=s.null_low,
                null_high=s.null_high,
                window_first_look=k + 1,
                window_rate=rate,
                window_ci_low=lo,
                window_ci_high=hi,
                window_n=int(wn),
                log_statistic=float(det.log_r[-1]),
                log_threshold=s.log_threshold,
                reason=reason,
            )
        )
    new_groups = [g.name for g in stats.groups if reference.group_index(g) is None]
    look = Look(
        look=look_no,
        batch=label,
        ingested_at=_iso(when),
        fingerprint=fingerprint,
        n_rows=stats.n_rows,
        stats=stats.to_dict(),
        drift=drift_rows(reference, stats, seed=look_no),
        log_statistics={d.stream.id: float(d.log_r[-1]) for d in detections},
        alarms=alarms,
        new_groups=new_groups,
    )
    new_state = state.model_copy(update={"looks": [*state.looks, look]})
    return new_state, IngestResult(look, alarms, detections)
