"""Running a counterfactual or identity probe and writing its audit log.

A probe run scores every text of a paired design (template suite or swapped free texts),
compares each attribute value with its family's reference on the same units, and writes the
result as an :class:`~equilens.results.AuditLog`, so reports and the policy gate read it like
any audit. Slices are ``{attribute: value}`` mappings, families are attributes (and their
intersection), and every comparison of the run forms one family for Holm and
Benjamini-Hochberg adjustment.

Rows written
------------
``MetricResult`` per slice (every attribute value, reference included):
``mean_score`` (bootstrap interval over units), ``positive_rate`` (share of units scoring at
or above the threshold, Clopper-Pearson). Per non-reference slice, on the units paired with
the reference: ``flip_rate`` (Clopper-Pearson), ``mean_score_shift`` (paired
bootstrap) and ``score_shift_effect_size_dz`` (bootstrap).

``Comparison`` per non-reference slice: ``mean_score`` (Wilcoxon signed-rank; its difference
is the mean score shift, its ``effect_size`` d_z), ``positive_rate`` (McNemar, exact binomial
for few flips; Cohen's h) and ``score_increase_rate`` (exact sign test of the share of changed
pairs whose score rose, against 1/2).

The log's ``probes`` holds one :class:`~equilens.results._log.ProbeRecord` with the same
statistics per attribute value (flip rate and McNemar test, mean shift with Wilcoxon and sign
tests and d_z, p-values adjusted over the run) and the most-changed pairs verbatim.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import platform
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from equilens._files import ensure_dir, write_text_atomic
from equilens._version import __version__
from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.probes._bias_auc import unintended_bias_aucs
from equilens.probes._paired import (
    ABS_GAP_TEST,
    FLIP_GAP_TEST,
    PAIRED_T,
    SIGN_FLIP,
    SIGN_TEST,
    WILCOXON,
    FlipStats,
    InvarianceStats,
    ShiftStats,
    flip_stats,
    invariance_stats,
    mcnemar_mdd,
    shift_stats,
)
from equilens.probes._record import (
    DEFAULT_TOP_K,
    estimate,
    group_conclusion,
    model_record,
    probe_test,
    word_swaps,
)
from equilens.probes._scoring import Failure, score_texts
from equilens.probes._suite import Suite, load_suite
from equilens.probes._swap import SwapResult, TermSwapper
from equilens.results import (
    AuditLog,
    Comparison,
    DataFingerprintRecord,
    FamilyRecord,
    MetricResult,
    ProbeEstimate,
    ProbeFlip,
    ProbeGroup,
    ProbePair,
    ProbeRecord,
    ProbeShift,
    ProbeTest,
)
from equilens.stats import (
    benjamini_hochberg,
    clopper_pearson_interval,
    cohens_h,
    holm,
    percentile_interval,
    t_mean_interval,
    tango_interval,
)

__all__ = [
    "PairRecord",
    "ProbeRun",
    "evaluate_text_classifier",
    "probe_texts",
    "run_counterfactual",
    "run_identity",
]

FloatArray = NDArray[np.float64]
Conclusion = Literal[
    "difference_detected", "no_difference_detected", "insufficient_evidence", "undefined"
]

#: Most failures listed one by one in the log's warnings (the rest are counted).
MAX_FAILURE_WARNINGS = 20


@dataclass(frozen=True)
class PairRecord:
    """One counterfactual pair as a user reads it.

    Attributes
    ----------
    unit : int
        The unit (template x fillers, or free text) the pair belongs to.
    slice : dict of str to str
        The non-reference value, e.g. ``{"gender": "female"}``.
    reference : dict of str to str
        The reference value, e.g. ``{"gender": "male"}``.
    reference_text, text : str
        The texts (first text of each variant when a variant has several, e.g. names).
    reference_score, score : float
        The unit's scores (mean over the variant's texts).
    shift : float
        ``score - reference_score``.
    flipped : bool
        Whether the decision at the threshold differs.
    swaps : list of str
        The swaps that turned the reference text into the other (free-text probes).
    """

    unit: int
    slice: dict[str, str]
    reference: dict[str, str]
    reference_text: str
    text: str
    reference_score: float
    score: float
    shift: float
    flipped: bool
    swaps: list[str] = field(default_factory=list)


@dataclass
class ProbeRun:
    """The outcome of a probe: its audit log, the pairs and the failed inputs."""

    log: AuditLog
    pairs: list[PairRecord]
    failures: list[Failure]

    def _repr_html_(self) -> str:
        """The probe report's sections in Jupyter (CSS scoped to the output)."""
        return self.log._repr_html_()

    def most_changed(self, k: int = 10) -> list[PairRecord]:
        """The ``k`` pairs with the largest absolute score shift (flips first on ties)."""
        return most_changed(self.pairs, k)

    def write(self, out_dir: str | Path) -> Path:
        """Write ``audit.json``, ``pairs.jsonl`` and ``failures.jsonl`` into ``out_dir``."""
        from equilens.results import write_log

        out = ensure_dir(out_dir, "the probe output directory")
        write_log(self.log, out / "audit.json")
        write_jsonl(out / "pairs.jsonl", self.pairs)
        write_jsonl(out / "failures.jsonl", self.failures)
        return out / "audit.json"


def write_jsonl(path: Path, records: Sequence[Any]) -> Path:
    """Write dataclass ``records`` as JSON lines to ``path``, atomically."""
    text = "".join(json.dumps(asdict(r), ensure_ascii=False) + "\n" for r in records)
    return write_text_atomic(path, text)


def most_changed(pairs: Sequence[PairRecord], k: int) -> list[PairRecord]:
    """The ``k`` pairs with the largest absolute score shift (flips first on ties)."""
    return sorted(pairs, key=lambda p: (abs(p.shift), p.flipped), reverse=True)[:k]


def _probe_pair(p: PairRecord) -> ProbePair:
    return ProbePair(
        slice=dict(p.slice),
        reference=dict(p.reference),
        unit=p.unit,
        original_text=p.reference_text,
        swapped_text=p.text,
        swaps=list(p.swaps) or word_swaps(p.reference_text, p.text),
        original_score=p.reference_score,
        swapped_score=p.score,
        shift=p.shift,
        flipped=p.flipped,
    )


# ---------------------------------------------------------------------------------------------
# helpers


def _f(x: float | None) -> float | None:
    if x is None:
        return None
    return float(x) if np.isfinite(x) else None


def _check_options(
    func: str, threshold: float, bootstrap: int, confidence_level: float, min_pairs: int
) -> None:
    if not isinstance(threshold, int | float) or not np.isfinite(threshold):
        raise InvalidParameterError(
            f"The 'threshold' parameter of {func} must be a finite float. Got {threshold!r} "
            "instead."
        )
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, int) or bootstrap < 1:
        raise InvalidParameterError(
            f"The 'bootstrap' parameter of {func} must be an int in the range [1, inf). "
            f"Got {bootstrap!r} instead."
        )
    if not isinstance(confidence_level, float) or not 0.0 < confidence_level < 1.0:
        raise InvalidParameterError(
            f"The 'confidence_level' parameter of {func} must be a float in the range (0, 1). "
            f"Got {confidence_level!r} instead."
        )
    if isinstance(min_pairs, bool) or not isinstance(min_pairs, int) or min_pairs < 1:
        raise InvalidParameterError(
            f"The 'min_pairs' parameter of {func} must be an int in the range [1, inf). "
            f"Got {min_pairs!r} instead."
        )


def _check_top_k(func: str, top_k: int) -> None:
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 0:
        raise InvalidParameterError(
            f"The 'top_k' parameter of {func} must be an int in the range [0, inf). "
            f"Got {top_k!r} instead."
        )


def _hash(values: Sequence[str]) -> str:
    h = hashlib.blake2b(digest_size=16)
    for v in values:
        h.update(v.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()


def _fingerprint(texts: Sequence[str], labels: Sequence[int] | None) -> DataFingerprintRecord:
    columns = {"text": _hash(texts)}
    if labels is not None:
        columns["label"] = _hash([str(x) for x in labels])
    digest = _hash([str(len(texts)), *(f"{k}={v}" for k, v in sorted(columns.items()))])
    return DataFingerprintRecord(n_rows=len(texts), columns=columns, digest=digest)


def package_versions(*extra: str) -> dict[str, str]:
    """Versions of Python, equilens, the numeric stack and ``extra`` distributions."""
    out = {"python": platform.python_version(), "equilens": __version__}
    for name in ("numpy", "scipy", "pydantic", *extra):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def _describe_model(model: Any, name: str | None) -> str:
    if name:
        return name
    return getattr(model, "__qualname__", None) or type(model).__name__


class AllInputsFailedError(InvalidInputError):
    """The model failed on every input of a probe: nothing was measured.

    A bad-input error (exit code 2), not an internal one: the fault is in the model, its
    settings or its endpoint, which the user gives. ``failures`` holds every failed input,
    so a caller can write them out for diagnosis.
    """

    def __init__(self, failures: Sequence[Failure], total: int) -> None:
        first = failures[0].error if failures else "no error recorded"
        super().__init__(
            f"the model failed on every one of the {total} probe inputs, so nothing was "
            f"measured (first error: {first})"
        )
        self.failures = list(failures)


def check_some_scored(failures: Sequence[Failure], total: int) -> None:
    """Raise :class:`AllInputsFailedError` when every one of ``total`` inputs failed."""
    if total > 0 and len(failures) >= total:
        raise AllInputsFailedError(failures, total)


def _failure_warnings(failures: Sequence[Failure], total: int) -> list[str]:
    if not failures:
        return []
    lines = [f"the model failed on {len(failures)} of {total} inputs; they were left out"]
    lines.extend(str(f) for f in failures[:MAX_FAILURE_WARNINGS])
    if len(failures) > MAX_FAILURE_WARNINGS:
        lines.append(f"... and {len(failures) - MAX_FAILURE_WARNINGS} more (see failures.jsonl)")
    return lines


# ---------------------------------------------------------------------------------------------
# the paired design and its statistics


@dataclass(frozen=True)
class _Design:
    """Unit x variant scores of a paired design."""

    groups: list[dict[str, str]]
    reference: dict[str, str]
    attributes: list[str]
    scores: FloatArray  # (U, V); NaN where missing or failed
    first_text: list[list[str]]  # [u][v] first text of the variant for the unit
    swaps: list[list[list[str]]] | None = None  # [u][v] swap descriptions (free text)


@dataclass(frozen=True)
class _Family:
    features: list[str]
    values: list[dict[str, str]]
    reference: dict[str, str]
    columns: list[FloatArray]  # per value, unit scores (mean over its variants)
    variant_of: list[int | None]  # per value, the single variant index (None: a mean)


def _families(design: _Design) -> list[_Family]:
    fams: list[_Family] = []
    for a in design.attributes:
        members = [i for i, g in enumerate(design.groups) if a in g]
        values = list(dict.fromkeys(design.groups[i][a] for i in members))
        if a not in design.reference or len(values) < 2:
            continue
        cols: list[FloatArray] = []
        single: list[int | None] = []
        for v in values:
            idx = [i for i in members if design.groups[i][a] == v]
            cols.append(design.scores[:, idx].mean(axis=1))
            single.append(idx[0] if len(idx) == 1 else None)
        fams.append(_Family([a], [{a: v} for v in values], {a: design.reference[a]}, cols, single))
    full = [i for i, g in enumerate(design.groups) if set(g) == set(design.attributes)]
    if len(design.attributes) > 1 and len(full) > 1:
        ref = {a: design.reference[a] for a in design.attributes if a in design.reference}
        if any(design.groups[i] == ref for i in full):
            fams.append(
                _Family(
                    list(design.attributes),
                    [dict(design.groups[i]) for i in full],
                    ref,
                    [design.scores[:, i] for i in full],
                    list(full),
                )
            )
    return fams


@dataclass(frozen=True)
class _GroupStats:
    """The paired statistics of one non-reference value, before p-value adjustment."""

    features: list[str]
    value: dict[str, str]
    reference: dict[str, str]
    n: int
    status: str
    reason: str | None
    flip: FlipStats
    shift: ShiftStats
    invariance: InvarianceStats
    raw_rows: tuple[int, ...]  # its comparison rows in the raw list, in _GROUP_ROWS order


def _status(n: int, min_pairs: int) -> tuple[str, str | None]:
    if n == 0:
        return "undefined", "no pairs (every pair had a failed input)"
    if n < min_pairs:
        return "insufficient_evidence", f"{n} pairs, fewer than min_pairs={min_pairs}"
    return "ok", None


def _t_mean(x: FloatArray, alpha: float) -> tuple[float | None, float | None]:
    """The t interval of a mean over units (a percentile bootstrap under-covers at 10)."""
    _, lo, hi, _, _ = t_mean_interval(x, alpha)
    return _f(lo), _f(hi)


#: The comparison rows of one non-reference value, in the order they are written.
_GROUP_ROWS = (
    "mean_score",
    "positive_rate",
    "score_increase_rate",
    "flip_rate",
    "mean_absolute_score_shift",
)


def _mean_test_name(sh: ShiftStats) -> str:
    """Paired t, or the exact sign-flip test when the shifts have no spread."""
    if sh.t_p is None:
        return "none"
    return PAIRED_T if sh.t_statistic is not None else SIGN_FLIP


def _invariance_rows(
    base: dict[str, Any], inv: InvarianceStats, alpha: float
) -> list[dict[str, Any]]:
    """Comparison rows of the flip rate and the mean absolute shift against the gap.

    The reference value of both is 0 (an invariant model flips nothing and moves nothing);
    the test is one-sided against the gap, so ``difference_detected`` means "above the gap"
    and ``no_difference_detected`` needs the interval's upper limit below it.
    """
    none = {"ratio": None, "ratio_ci_low": None, "ratio_ci_high": None}
    return [
        {
            **base,
            **none,
            "metric": "flip_rate",
            "value": inv.flip_rate,
            "reference_value": 0.0 if inv.n else None,
            "difference": inv.flip_rate,
            "difference_ci_low": inv.flip_ci_low,
            "difference_ci_high": inv.flip_ci_high,
            "ci_method": "clopper-pearson",
            "test": FLIP_GAP_TEST if inv.n else "none",
            "statistic": None if inv.flip_rate is None else inv.flip_rate * inv.n,
            "p_value": inv.flip_p,
        },
        {
            **base,
            **none,
            "metric": "mean_absolute_score_shift",
            "value": inv.mean_abs_shift,
            "reference_value": 0.0 if inv.n else None,
            "difference": inv.mean_abs_shift,
            "difference_ci_low": inv.abs_ci_low,
            "difference_ci_high": inv.abs_ci_high,
            "ci_method": "t (lower limit clipped at 0)",
            "test": "none"
            if inv.abs_p is None
            else ABS_GAP_TEST
            if inv.abs_statistic is not None
            else f"{ABS_GAP_TEST}; {SIGN_FLIP}",
            "statistic": inv.abs_statistic,
            "p_value": inv.abs_p,
        },
    ]


def _paired_rows(
    design: _Design,
    *,
    threshold: float,
    bootstrap: int,
    seed: int,
    alpha: float,
    min_pairs: int,
    gap: float,
) -> tuple[
    list[MetricResult],
    list[dict[str, Any]],
    list[FamilyRecord],
    list[PairRecord],
    list[_GroupStats],
]:
    results: list[MetricResult] = []
    raw: list[dict[str, Any]] = []
    families: list[FamilyRecord] = []
    pairs: list[PairRecord] = []
    groups: list[_GroupStats] = []
    rng = np.random.default_rng(seed)
    for fam in _families(design):
        families.append(
            FamilyRecord(
                features=fam.features,
                groups=fam.values,
                reference=fam.reference,
                reference_rule="given" if fam.reference else "first",
            )
        )
        r_idx = fam.values.index(fam.reference)
        ref_col = fam.columns[r_idx]
        for v_idx, (value, col) in enumerate(zip(fam.values, fam.columns)):
            ok = np.isfinite(col)
            n_ok = int(ok.sum())
            st, reason = _status(n_ok, min_pairs)
            lo, hi = _t_mean(col[ok], alpha)
            results.append(
                MetricResult(
                    metric="mean_score",
                    slice=value,
                    n=n_ok,
                    value=_f(float(col[ok].mean())) if n_ok else None,
                    ci_low=lo,
                    ci_high=hi,
                    ci_method="t",
                    status=st,  # type: ignore[arg-type]
                    reason=reason,
                )
            )
            pos = int(np.sum(col[ok] >= threshold))
            p_lo, p_hi = clopper_pearson_interval(pos, n_ok, alpha) if n_ok else (np.nan, np.nan)
            results.append(
                MetricResult(
                    metric="positive_rate",
                    slice=value,
                    n=n_ok,
                    value=pos / n_ok if n_ok else None,
                    ci_low=_f(float(p_lo)),
                    ci_high=_f(float(p_hi)),
                    ci_method="clopper-pearson",
                    status=st,  # type: ignore[arg-type]
                    reason=reason,
                )
            )
            if v_idx == r_idx:
                continue
            both = np.isfinite(col) & np.isfinite(ref_col)
            a, b = ref_col[both], col[both]
            n = int(both.sum())
            st, reason = _status(n, min_pairs)
            fl = flip_stats(a, b, threshold=threshold, alpha=alpha)
            sh = shift_stats(a, b, draws=bootstrap, seed=rng, alpha=alpha)
            inv = invariance_stats(a, b, gap=gap, threshold=threshold, alpha=alpha)
            results.extend(
                [
                    MetricResult(
                        metric="flip_rate",
                        slice=value,
                        n=n,
                        value=fl.rate,
                        ci_low=fl.ci_low,
                        ci_high=fl.ci_high,
                        ci_method="clopper-pearson",
                        status=st,  # type: ignore[arg-type]
                        reason=reason,
                    ),
                    MetricResult(
                        metric="mean_score_shift",
                        slice=value,
                        n=n,
                        value=sh.mean_shift,
                        ci_low=sh.ci_low,
                        ci_high=sh.ci_high,
                        ci_method="paired-t",
                        status=st,  # type: ignore[arg-type]
                        reason=reason,
                    ),
                    MetricResult(
                        metric="median_score_shift",
                        slice=value,
                        n=n,
                        value=sh.median_shift,
                        ci_low=sh.median_ci_low,
                        ci_high=sh.median_ci_high,
                        ci_method="binomial-order-statistic (exact; its test is the sign test)",
                        status=st,  # type: ignore[arg-type]
                        reason=reason
                        if sh.median_ci_low is not None or sh.median_shift is None
                        else "too few pairs for an order-statistic interval",
                    ),
                    MetricResult(
                        metric="mean_absolute_score_shift",
                        slice=value,
                        n=n,
                        value=inv.mean_abs_shift,
                        ci_low=inv.abs_ci_low,
                        ci_high=inv.abs_ci_high,
                        ci_method="t (lower limit clipped at 0)",
                        status=st,  # type: ignore[arg-type]
                        reason=reason,
                    ),
                    MetricResult(
                        metric="score_shift_effect_size_dz",
                        slice=value,
                        n=n,
                        value=sh.dz,
                        ci_low=sh.dz_ci_low,
                        ci_high=sh.dz_ci_high,
                        ci_method="paired-bootstrap-percentile",
                        status=st if sh.dz is not None else "undefined",  # type: ignore[arg-type]
                        reason=reason
                        if sh.dz is not None
                        else "the score shifts have no spread (d_z = mean / sd is undefined)",
                        undefined_draws=sh.undefined_draws,
                    ),
                ]
            )
            # Bootstrap of the paired rates and means for differences and ratios.
            if n:
                idx = rng.integers(0, n, size=(bootstrap, n))
                ra, rb = (a >= threshold)[idx].mean(axis=1), (b >= threshold)[idx].mean(axis=1)
                ma, mb = a[idx].mean(axis=1), b[idx].mean(axis=1)
                with np.errstate(divide="ignore", invalid="ignore"):
                    rate_ratio = np.where(ra > 0, rb / np.where(ra > 0, ra, 1.0), np.nan)
                    mean_ratio = np.where(ma != 0, mb / np.where(ma != 0, ma, 1.0), np.nan)
                d_lo, d_hi = tango_interval(fl.up, fl.down, n, alpha)
                rr_lo, rr_hi, _ = percentile_interval(rate_ratio, alpha)
                mr_lo, mr_hi, _ = percentile_interval(mean_ratio, alpha)
            else:
                d_lo = d_hi = rr_lo = rr_hi = mr_lo = mr_hi = np.full((), np.nan)
            base = {
                "features": fam.features,
                "slice": value,
                "reference": fam.reference,
                "n": n,
                "n_reference": n,
                "_status": st,
                "_reason": reason,
            }
            p_ref, p_oth = fl.positive_rate_reference, fl.positive_rate_other
            raw.append(
                {
                    **base,
                    "metric": "mean_score",
                    "value": sh.mean_other,
                    "reference_value": sh.mean_reference,
                    "difference": sh.mean_shift,
                    "difference_ci_low": sh.ci_low,
                    "difference_ci_high": sh.ci_high,
                    "ratio": _f(sh.mean_other / sh.mean_reference)
                    if sh.mean_other is not None and sh.mean_reference
                    else None,
                    "ratio_ci_low": _f(float(mr_lo)),
                    "ratio_ci_high": _f(float(mr_hi)),
                    "ci_method": "paired-t (ratio: paired-bootstrap-percentile)",
                    "test": _mean_test_name(sh),
                    "statistic": sh.t_statistic,
                    "p_value": sh.t_p,
                    "effect_size_name": "d_z",
                    "effect_size": sh.dz,
                }
            )
            raw.append(
                {
                    **base,
                    "metric": "positive_rate",
                    "value": p_oth,
                    "reference_value": p_ref,
                    "difference": None if p_oth is None or p_ref is None else p_oth - p_ref,
                    "difference_ci_low": _f(float(d_lo)),
                    "difference_ci_high": _f(float(d_hi)),
                    "ratio": _f(p_oth / p_ref) if p_oth is not None and p_ref else None,
                    "ratio_ci_low": _f(float(rr_lo)),
                    "ratio_ci_high": _f(float(rr_hi)),
                    "ci_method": "tango-score (paired; ratio: paired-bootstrap-percentile)",
                    "minimum_detectable_difference": mcnemar_mdd(fl.flips, n, alpha),
                    "test": fl.test,
                    "statistic": fl.statistic,
                    "p_value": fl.p_value,
                    "cohens_h": None
                    if p_oth is None or p_ref is None
                    else _f(float(cohens_h(p_oth, p_ref))),
                }
            )
            raw[-1]["effect_size_name"] = "cohens_h" if raw[-1]["cohens_h"] is not None else None
            raw[-1]["effect_size"] = raw[-1]["cohens_h"]
            first_row = len(raw) - 2
            inc = sh.increase_rate
            raw.append(
                {
                    **base,
                    "metric": "score_increase_rate",
                    "n": sh.n_nonzero,
                    "n_reference": sh.n_nonzero,
                    "value": inc,
                    "reference_value": 0.5 if inc is not None else None,
                    "difference": None if inc is None else inc - 0.5,
                    "difference_ci_low": None
                    if sh.increase_ci_low is None
                    else sh.increase_ci_low - 0.5,
                    "difference_ci_high": None
                    if sh.increase_ci_high is None
                    else sh.increase_ci_high - 0.5,
                    "ratio": None,
                    "ratio_ci_low": None,
                    "ratio_ci_high": None,
                    "ci_method": "clopper-pearson",
                    "test": SIGN_TEST if inc is not None else "none",
                    "statistic": None if inc is None else float(sh.n_increase),
                    "p_value": sh.sign_p if inc is not None else None,
                    "_status": "undefined" if inc is None else st,
                    "_reason": "no pair changed score; the share of increases is undefined"
                    if inc is None
                    else reason,
                }
            )
            raw.extend(_invariance_rows(base, inv, alpha))
            groups.append(
                _GroupStats(
                    features=list(fam.features),
                    value=dict(value),
                    reference=dict(fam.reference),
                    n=n,
                    status=st,
                    reason=reason,
                    flip=fl,
                    shift=sh,
                    invariance=inv,
                    raw_rows=tuple(range(first_row, len(raw))),
                )
            )
            # Pairs for reading: one per unit with both scores.
            v_col = fam.variant_of[v_idx]
            r_col = fam.variant_of[r_idx]
            for u in np.flatnonzero(both):
                ref_text = design.first_text[u][r_col] if r_col is not None else ""
                text = design.first_text[u][v_col] if v_col is not None else ""
                swaps = (
                    design.swaps[u][v_col] if design.swaps is not None and v_col is not None else []
                )
                pairs.append(
                    PairRecord(
                        unit=int(u),
                        slice=value,
                        reference=fam.reference,
                        reference_text=ref_text,
                        text=text,
                        reference_score=float(ref_col[u]),
                        score=float(col[u]),
                        shift=float(col[u] - ref_col[u]),
                        flipped=bool((col[u] >= threshold) != (ref_col[u] >= threshold)),
                        swaps=list(swaps),
                    )
                )
    return results, raw, families, pairs, groups


def _finish_comparisons(
    raw: list[dict[str, Any]], alpha: float, gap: float
) -> tuple[list[Comparison], dict[str, Any]]:
    """Adjust the run's p-values as one family and conclude each row.

    Rows whose status is not ``ok`` (fewer pairs than ``min_pairs``, undefined) keep their
    raw p-value but stay out of the family and never read ``difference_detected``.
    ``no_difference_detected`` needs the difference interval inside ``[-gap, gap]`` and, where
    the row has one, a minimum detectable difference no larger than the gap.
    """
    pvals = np.array(
        [np.nan if r["p_value"] is None or r["_status"] != "ok" else r["p_value"] for r in raw]
    )
    p_holm = holm(pvals) if raw else pvals
    p_bh = benjamini_hochberg(pvals) if raw else pvals
    out: list[Comparison] = []
    for row, ph, pb in zip(raw, p_holm, p_bh):
        status = row.pop("_status")
        reason = row.pop("_reason")
        row["p_holm"], row["p_bh"] = _f(float(ph)), _f(float(pb))
        lo, hi = row["difference_ci_low"], row["difference_ci_high"]
        mdd = row.get("minimum_detectable_difference")
        conclusion: Conclusion
        if status == "undefined":
            conclusion = "undefined"
        elif status == "insufficient_evidence":
            conclusion = "insufficient_evidence"
        elif row["p_holm"] is not None and row["p_holm"] < alpha:
            conclusion = "difference_detected"
        elif mdd is not None and mdd > gap:
            conclusion = "insufficient_evidence"
            reason = reason or (
                f"no difference detected, but the test could only detect a difference of "
                f"{mdd:.3f} (80% power), above the gap of {gap:g}"
            )
        elif lo is not None and hi is not None and -gap <= lo and hi <= gap:
            conclusion = "no_difference_detected"
        else:
            conclusion = "insufficient_evidence"
            reason = reason or (
                f"no difference detected, but the interval [{lo}, {hi}] does not rule out a "
                f"gap of {gap:g}"
            )
        out.append(Comparison(**row, status=status, reason=reason, conclusion=conclusion))
    family = {
        "size": int(np.isfinite(pvals).sum()),
        "description": "every value-vs-reference test of this probe run with enough pairs "
        "(all attributes, intersections and tests: paired t for the mean shift, McNemar, sign "
        "test, and the one-sided tests of the flip rate and the mean absolute shift against "
        "the gap)",
        "gap": gap,
        "methods": ["holm", "benjamini-hochberg"],
        "alpha": alpha,
        "conclusions_use": "p_holm",
    }
    return out, family


def _build_log(
    *,
    design: _Design,
    spec_given: dict[str, Any],
    spec_resolved: dict[str, Any],
    texts: Sequence[str],
    labels: Sequence[int] | None,
    threshold: float,
    bootstrap: int,
    seed: int,
    confidence_level: float,
    min_pairs: int,
    gap: float,
    warnings: list[str],
    timings: dict[str, float],
    extra_packages: Sequence[str],
    extra_results: Sequence[MetricResult] = (),
    probe: dict[str, Any],
    model: dict[str, Any],
    failures: int,
    top_k: int,
) -> tuple[AuditLog, list[PairRecord]]:
    alpha = 1.0 - confidence_level
    t0 = time.perf_counter()
    results, raw, families, pairs, group_stats = _paired_rows(
        design,
        threshold=threshold,
        bootstrap=bootstrap,
        seed=seed,
        alpha=alpha,
        min_pairs=min_pairs,
        gap=gap,
    )
    comparisons, family = _finish_comparisons(raw, alpha, gap)
    all_results = [*results, *extra_results]
    record = ProbeRecord(
        **probe,
        model=model,
        threshold=threshold,
        units=int(design.scores.shape[0]),
        pairs=len(pairs),
        failures=failures,
        groups=_probe_groups(families, group_stats, comparisons, all_results),
        most_changed=[_probe_pair(p) for p in most_changed(pairs, top_k)],
        top_k=top_k,
    )
    timings["statistics"] = time.perf_counter() - t0
    log = AuditLog(
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        run_id=uuid.uuid4().hex,
        spec_given=spec_given,
        spec_resolved={
            **spec_resolved,
            "threshold": threshold,
            "min_pairs": min_pairs,
            "underpowered_gap": gap,
            "min_group_size": min_pairs,
        },
        data=_fingerprint(texts, labels),
        seed=seed,
        confidence_level=confidence_level,
        bootstrap_draws=bootstrap,
        families=families,
        results=all_results,
        disparities=[],
        comparisons=comparisons,
        multiple_comparisons=family,
        warnings=warnings,
        timings=timings,
        packages=package_versions(*extra_packages),
        model=model,
        probes=[record],
    )
    return log, pairs


_AUC_METRICS = ("subgroup_auc", "bpsn_auc", "bnsp_auc")


def _probe_groups(
    families: Sequence[FamilyRecord],
    stats: Sequence[_GroupStats],
    comparisons: Sequence[Comparison],
    results: Sequence[MetricResult],
) -> list[ProbeGroup]:
    """One group per attribute value: the reference first, then each value with its paired
    statistics and adjusted p-values (comparisons are in the order of the raw rows)."""
    by_value = {(tuple(g.features), tuple(sorted(g.value.items()))): g for g in stats}
    rows = {(r.metric, tuple(sorted(r.slice.items()))): r for r in results}
    out: list[ProbeGroup] = []
    for fam in families:
        for value in fam.groups:
            key = tuple(sorted(value.items()))
            aucs = {}
            for m in _AUC_METRICS:
                est = estimate(rows.get((m, key)))
                if est is not None:
                    aucs[m] = est
            mean = estimate(rows.get(("mean_score", key)))
            g = by_value.get((tuple(fam.features), key))
            if g is None:
                out.append(
                    ProbeGroup(
                        slice=dict(value),
                        reference=dict(fam.reference),
                        features=list(fam.features),
                        is_reference=True,
                        n_pairs=(mean.n or 0) if mean is not None else 0,
                        status="ok",
                        mean_score=mean,
                        aucs=aucs,
                    )
                )
                continue
            rows_of = dict(zip(_GROUP_ROWS, (comparisons[i] for i in g.raw_rows), strict=True))
            c_mean, c_pos, c_inc = (rows_of[m] for m in _GROUP_ROWS[:3])
            c_flip, c_abs = rows_of["flip_rate"], rows_of["mean_absolute_score_shift"]
            fl, sh, inv = g.flip, g.shift, g.invariance
            out.append(
                ProbeGroup(
                    slice=dict(value),
                    reference=dict(fam.reference),
                    features=list(fam.features),
                    n_pairs=g.n,
                    status=g.status,  # type: ignore[arg-type]
                    reason=g.reason,
                    conclusion=group_conclusion(list(rows_of.values())),  # type: ignore[arg-type]
                    mean_score=mean,
                    flip=ProbeFlip(
                        rate=fl.rate,
                        ci_low=fl.ci_low,
                        ci_high=fl.ci_high,
                        ci_method="clopper-pearson",
                        flips=fl.flips,
                        up=fl.up,
                        down=fl.down,
                        test=probe_test(c_pos),
                        gap_test=probe_test(c_flip),
                    ),
                    shift=ProbeShift(
                        mean_reference=sh.mean_reference,
                        mean_other=sh.mean_other,
                        mean_shift=sh.mean_shift,
                        ci_low=sh.ci_low,
                        ci_high=sh.ci_high,
                        ci_method="paired-t",
                        wilcoxon=_wilcoxon(sh),
                        sign=probe_test(c_inc),
                        mean_test=probe_test(c_mean),
                        median_shift=ProbeEstimate(
                            value=sh.median_shift,
                            ci_low=sh.median_ci_low,
                            ci_high=sh.median_ci_high,
                            ci_method="binomial-order-statistic",
                        ),
                        mean_absolute_shift=ProbeEstimate(
                            value=inv.mean_abs_shift,
                            ci_low=inv.abs_ci_low,
                            ci_high=inv.abs_ci_high,
                            ci_method="t (lower limit clipped at 0)",
                        ),
                        mean_absolute_test=probe_test(c_abs),
                        n_changed=sh.n_nonzero,
                        n_increase=sh.n_increase,
                        dz=sh.dz,
                        dz_ci_low=sh.dz_ci_low,
                        dz_ci_high=sh.dz_ci_high,
                    ),
                    aucs=aucs,
                )
            )
    return out


def _wilcoxon(sh: ShiftStats) -> ProbeTest:
    """The Wilcoxon signed-rank test, descriptive: raw p only, outside the adjusted family
    (it tests symmetry about 0, not the mean shift the family's t test is about)."""
    if sh.wilcoxon_p is None:
        return ProbeTest(test="none")
    return ProbeTest(test=WILCOXON, statistic=sh.wilcoxon_statistic, p_value=sh.wilcoxon_p)


# ---------------------------------------------------------------------------------------------
# public entry points


def _suite_design(
    model: Any, suite: Suite, batch_size: int
) -> tuple[_Design, list[Failure], list[str], list[int | None], dict[str, float], list[Any]]:
    t0 = time.perf_counter()
    units = suite.units()
    unique: dict[str, int] = {}
    for unit in units:
        for texts in unit.texts:
            for t in texts:
                unique.setdefault(t, len(unique))
    text_list = list(unique)
    t1 = time.perf_counter()
    scores, failures = score_texts(model, text_list, batch_size=batch_size)
    check_some_scored(failures, len(text_list))
    t2 = time.perf_counter()
    mat = np.full((len(units), len(suite.variants)), np.nan)
    for u, unit in enumerate(units):
        for v, texts in enumerate(unit.texts):
            mat[u, v] = float(np.mean([scores[unique[t]] for t in texts]))
    design = _Design(
        groups=[dict(v.group) for v in suite.variants],
        reference=dict(suite.reference),
        attributes=list(suite.attributes),
        scores=mat,
        first_text=[[texts[0] for texts in unit.texts] for unit in units],
    )
    timings = {"generate": t1 - t0, "score": t2 - t1}
    return design, failures, text_list, [u.label for u in units], timings, units


def run_counterfactual(
    model: Any,
    suite: Suite | str | Path,
    *,
    model_name: str | None = None,
    threshold: float = 0.5,
    bootstrap: int = 1000,
    seed: int = 0,
    confidence_level: float = 0.95,
    min_pairs: int = 10,
    underpowered_gap: float = 0.05,
    batch_size: int = 64,
    packages: Sequence[str] = (),
    top_k: int = DEFAULT_TOP_K,
) -> ProbeRun:
    """Probe ``model`` with a template suite: does its output change with the attribute?

    Parameters
    ----------
    model : callable or object with ``predict_proba``
        ``model(texts) -> scores``: one finite score per text (e.g. the probability of the
        positive class). An equilens adapter's ``predict_proba`` works as it is.
    suite : Suite, str or Path
        A suite, the name of a shipped suite or a YAML file (:func:`load_suite`).
    model_name : str, optional
        How the model is named in the log.
    threshold : float, default 0.5
        A score ``>= threshold`` is a positive decision (for flips and positive rates).
    bootstrap : int, default 1000
        Bootstrap draws (pairs resampled) for the intervals.
    seed : int, default 0
        Seed of the bootstrap.
    confidence_level : float, default 0.95
        Level of every interval; ``1 - confidence_level`` is the alpha of the conclusions.
    min_pairs : int, default 10
        Slices with fewer pairs are ``insufficient_evidence``.
    underpowered_gap : float, default 0.05
        A comparison without a detected difference concludes ``no_difference_detected`` only
        when its difference interval lies within ``[-gap, gap]``; otherwise the evidence is
        ``insufficient_evidence``.
    batch_size : int, default 64
        Texts per model call.
    packages : sequence of str
        Distributions whose versions are recorded in the log (the model's libraries).
    top_k : int, default 20
        Most-changed pairs kept verbatim in the log's probe record (``log.probes``).

    Returns
    -------
    ProbeRun
        The audit log, the pairs (for reading the most-changed ones) and the failed inputs.
    """
    _check_options("run_counterfactual", threshold, bootstrap, confidence_level, min_pairs)
    _check_top_k("run_counterfactual", top_k)
    s = suite if isinstance(suite, Suite) else load_suite(suite)
    design, failures, texts, _, timings, units = _suite_design(model, s, batch_size)
    log, pairs = _build_log(
        design=design,
        spec_given=_given("counterfactual", s, model, model_name, threshold, bootstrap, seed),
        spec_resolved=_resolved("counterfactual", s, units),
        texts=texts,
        labels=None,
        threshold=threshold,
        bootstrap=bootstrap,
        seed=seed,
        confidence_level=confidence_level,
        min_pairs=min_pairs,
        gap=underpowered_gap,
        warnings=[*s.problems, *_failure_warnings(failures, len(texts))],
        timings=timings,
        extra_packages=packages,
        probe=_suite_probe("counterfactual", s),
        model=model_record(model, _describe_model(model, model_name), packages),
        failures=len(failures),
        top_k=top_k,
    )
    return ProbeRun(log, pairs, failures)


def _suite_probe(kind: str, suite: Suite) -> dict[str, Any]:
    from equilens.probes._suite import SUITES_DIR

    source = suite.source
    if Path(source).parent == SUITES_DIR:
        source = f"shipped suite {Path(source).name}"
    return {
        "kind": kind,
        "suite": suite.name,
        "source": source,
        "attributes": list(suite.attributes),
        "score": "model score per text (mean over a variant's texts)",
    }


def _given(
    probe: str,
    suite: Suite,
    model: Any,
    model_name: str | None,
    threshold: float,
    bootstrap: int,
    seed: int,
) -> dict[str, Any]:
    return {
        "probe": probe,
        "suite": suite.source,
        "model": _describe_model(model, model_name),
        "threshold": threshold,
        "bootstrap": bootstrap,
        "seed": seed,
    }


def _resolved(probe: str, suite: Suite, units: Sequence[Any]) -> dict[str, Any]:
    return {
        "kind": "probe",
        "probe": probe,
        "suite": suite.name,
        "attributes": list(suite.attributes),
        "reference": dict(suite.reference),
        "variants": [v.key for v in suite.variants],
        "templates": len(suite.templates),
        "units": len(units),
        "suite_problems": len(suite.problems),
    }


def run_identity(
    model: Any,
    suite: Suite | str | Path = "identity_toxicity",
    *,
    model_name: str | None = None,
    threshold: float = 0.5,
    bootstrap: int = 1000,
    seed: int = 0,
    confidence_level: float = 0.95,
    min_pairs: int = 10,
    underpowered_gap: float = 0.05,
    batch_size: int = 64,
    packages: Sequence[str] = (),
    top_k: int = DEFAULT_TOP_K,
) -> ProbeRun:
    """Identity-term audit: paired comparisons per identity term plus unintended-bias AUCs.

    Runs :func:`run_counterfactual` on the suite (each identity term against its category's
    reference term on the same templates) and, when the suite's units carry labels (toxic or
    not), adds Borkan et al. (2019)'s subgroup, BPSN and BNSP AUCs per identity term
    (``MetricResult`` rows ``subgroup_auc``, ``bpsn_auc``, ``bnsp_auc`` with DeLong intervals),
    the overall ``roc_auc_score``, and the generalized means ``generalized_mean_<metric>``
    (p = -5, bias-corrected stratified-bootstrap interval; a descriptive summary) on the overall
    slice. The parameters are those of
    :func:`run_counterfactual`.
    """
    _check_options("run_identity", threshold, bootstrap, confidence_level, min_pairs)
    _check_top_k("run_identity", top_k)
    s = suite if isinstance(suite, Suite) else load_suite(suite)
    design, failures, texts, labels, timings, units = _suite_design(model, s, batch_size)
    extra: list[MetricResult] = []
    warnings = [*s.problems, *_failure_warnings(failures, len(texts))]
    if any(lab is not None for lab in labels):
        t0 = time.perf_counter()
        extra = _bias_auc_rows(design, labels, s, bootstrap, seed, 1.0 - confidence_level)
        timings["bias_aucs"] = time.perf_counter() - t0
    else:
        warnings.append("the suite's templates carry no labels: bias AUCs were not computed")
    log, pairs = _build_log(
        design=design,
        spec_given=_given("identity", s, model, model_name, threshold, bootstrap, seed),
        spec_resolved=_resolved("identity", s, units),
        texts=texts,
        labels=[-1 if lab is None else lab for lab in labels],
        threshold=threshold,
        bootstrap=bootstrap,
        seed=seed,
        confidence_level=confidence_level,
        min_pairs=min_pairs,
        gap=underpowered_gap,
        warnings=warnings,
        timings=timings,
        extra_packages=packages,
        extra_results=extra,
        probe=_suite_probe("identity", s),
        model=model_record(model, _describe_model(model, model_name), packages),
        failures=len(failures),
        top_k=top_k,
    )
    return ProbeRun(log, pairs, failures)


def _bias_auc_rows(
    design: _Design,
    labels: Sequence[int | None],
    suite: Suite,
    draws: int,
    seed: int,
    alpha: float,
) -> list[MetricResult]:
    from equilens.metrics import auc_interval, delong_variance_from_hist, roc_auc_from_hist

    u_count, v_count = design.scores.shape
    lab = np.array([-1 if x is None else x for x in labels])
    y = np.repeat(lab, v_count)
    s = design.scores.reshape(-1)
    variant = np.tile(np.arange(v_count), u_count)
    keep = (y >= 0) & np.isfinite(s)
    y, s, variant = y[keep], s[keep], variant[keep]
    subgroups = {str(i): variant == i for i in range(v_count)}
    aucs, means = unintended_bias_aucs(y, s, subgroups, alpha=alpha, draws=draws, seed=seed)
    rows: list[MetricResult] = []
    values, bins = np.unique(s, return_inverse=True)
    neg = np.bincount(bins[y == 0], minlength=values.size).astype(float)
    pos = np.bincount(bins[y == 1], minlength=values.size).astype(float)
    auc = float(roc_auc_from_hist(neg, pos))
    lo, hi = auc_interval(auc, delong_variance_from_hist(neg, pos), alpha)
    rows.append(
        MetricResult(
            metric="roc_auc_score",
            slice={},
            n=int(y.size),
            value=_f(auc),
            ci_low=_f(float(lo)),
            ci_high=_f(float(hi)),
            ci_method="delong-logit",
            status="ok" if np.isfinite(auc) else "undefined",
            reason=None if np.isfinite(auc) else "no positives or no negatives",
        )
    )
    for r in aucs:
        group = suite.variants[int(r.subgroup)].group
        rows.append(
            MetricResult(
                metric=r.metric,
                slice=dict(group),
                n=r.n,
                value=r.value,
                ci_low=r.ci_low,
                ci_high=r.ci_high,
                ci_method="delong-logit" if r.ci_low is not None else "none",
                status="ok" if r.value is not None else "undefined",
                reason=r.reason,
            )
        )
    for m in means:
        rows.append(
            MetricResult(
                metric=f"generalized_mean_{m.metric}",
                slice={},
                n=int(y.size),
                value=m.value,
                ci_low=m.ci_low,
                ci_high=m.ci_high,
                ci_method="stratified-bootstrap-bias-corrected-percentile",
                status="ok" if m.value is not None else "undefined",
                reason=f"descriptive summary: power mean (p = -5) over {m.subgroups} identity "
                "subgroups, biased downward when the AUCs are noisy (the interval corrects the "
                "bootstrap-estimated bias); the per-subgroup AUCs are the evidence",
                undefined_draws=m.undefined_draws,
            )
        )
    return rows


def probe_texts(
    model: Any,
    texts: Sequence[str],
    swapper: TermSwapper,
    *,
    attribute: str = "counterfactual",
    model_name: str | None = None,
    threshold: float = 0.5,
    bootstrap: int = 1000,
    seed: int = 0,
    confidence_level: float = 0.95,
    min_pairs: int = 10,
    underpowered_gap: float = 0.05,
    batch_size: int = 64,
    packages: Sequence[str] = (),
    top_k: int = DEFAULT_TOP_K,
) -> ProbeRun:
    """Counterfactual probe on free texts: each text against its swapped version.

    Texts in which ``swapper`` changes nothing are left out (counted in the log). The family
    is ``attribute`` with the values ``original`` (reference) and ``swapped``; each pair keeps
    its list of swaps so it can be read. Other parameters are those of
    :func:`run_counterfactual`.
    """
    _check_options("probe_texts", threshold, bootstrap, confidence_level, min_pairs)
    _check_top_k("probe_texts", top_k)
    t0 = time.perf_counter()
    swapped: list[SwapResult] = [r for r in swapper.swap_many(list(texts)) if r.changed]
    if not swapped:
        raise InvalidInputError(
            f"None of the {len(texts)} texts contains a term the swapper changes"
        )
    flat = [t for r in swapped for t in (r.original, r.text)]
    t1 = time.perf_counter()
    scores, failures = score_texts(model, flat, batch_size=batch_size)
    check_some_scored(failures, len(flat))
    t2 = time.perf_counter()
    mat = scores.reshape(len(swapped), 2)
    design = _Design(
        groups=[{attribute: "original"}, {attribute: "swapped"}],
        reference={attribute: "original"},
        attributes=[attribute],
        scores=mat,
        first_text=[[r.original, r.text] for r in swapped],
        swaps=[[[], r.describe()] for r in swapped],
    )
    given = {
        "probe": "counterfactual_texts",
        "model": _describe_model(model, model_name),
        "texts": len(texts),
        "threshold": threshold,
        "bootstrap": bootstrap,
        "seed": seed,
    }
    resolved = {
        "kind": "probe",
        "probe": "counterfactual_texts",
        "attributes": [attribute],
        "reference": {attribute: "original"},
        "texts_changed": len(swapped),
        "texts_unchanged": len(texts) - len(swapped),
        "swap_rules": len(swapper.rules),
    }
    log, pairs = _build_log(
        design=design,
        spec_given=given,
        spec_resolved=resolved,
        texts=flat,
        labels=None,
        threshold=threshold,
        bootstrap=bootstrap,
        seed=seed,
        confidence_level=confidence_level,
        min_pairs=min_pairs,
        gap=underpowered_gap,
        warnings=_failure_warnings(failures, len(flat)),
        timings={"generate": t1 - t0, "score": t2 - t1},
        extra_packages=packages,
        probe={
            "kind": "counterfactual_texts",
            "suite": None,
            "source": f"{len(texts)} free texts, {len(swapped)} changed by the swapper",
            "attributes": [attribute],
            "score": "model score per text",
        },
        model=model_record(model, _describe_model(model, model_name), packages),
        failures=len(failures),
        top_k=top_k,
    )
    return ProbeRun(log, pairs, failures)


def evaluate_text_classifier(
    model: Any,
    texts: Sequence[str],
    labels: Sequence[int] | NDArray[np.int64],
    *,
    threshold: float = 0.5,
    confidence_level: float = 0.95,
    batch_size: int = 64,
) -> tuple[list[MetricResult], list[Failure]]:
    """Accuracy (Clopper-Pearson interval) and ROC-AUC (DeLong) of a text classifier.

    Returns the two ``MetricResult`` rows on the overall slice and the failed inputs (left
    out of both metrics).
    """
    from equilens.metrics import auc_interval, delong_variance_from_hist, roc_auc_from_hist

    y = np.asarray(labels)
    if y.shape != (len(texts),):
        raise InvalidInputError(
            f"Found input variables with inconsistent numbers of samples: [{len(texts)}, {y.size}]"
        )
    alpha = 1.0 - confidence_level
    scores, failures = score_texts(model, list(texts), batch_size=batch_size)
    ok = np.isfinite(scores)
    s, yy = scores[ok], y[ok].astype(bool)
    n = int(ok.sum())
    correct = int(np.sum((s >= threshold) == yy))
    lo, hi = clopper_pearson_interval(correct, n, alpha) if n else (np.nan, np.nan)
    rows = [
        MetricResult(
            metric="accuracy_score",
            slice={},
            n=n,
            value=correct / n if n else None,
            ci_low=_f(float(lo)),
            ci_high=_f(float(hi)),
            ci_method="clopper-pearson",
            status="ok" if n else "undefined",
            reason=None if n else "every input failed",
        )
    ]
    values, bins = np.unique(s, return_inverse=True)
    neg = np.bincount(bins[~yy], minlength=values.size).astype(float)
    pos = np.bincount(bins[yy], minlength=values.size).astype(float)
    auc = float(roc_auc_from_hist(neg, pos)) if n else float("nan")
    a_lo, a_hi = (
        auc_interval(auc, delong_variance_from_hist(neg, pos), alpha) if n else (np.nan, np.nan)
    )
    rows.append(
        MetricResult(
            metric="roc_auc_score",
            slice={},
            n=n,
            value=_f(auc),
            ci_low=_f(float(a_lo)),
            ci_high=_f(float(a_hi)),
            ci_method="delong-logit",
            status="ok" if np.isfinite(auc) else "undefined",
            reason=None if np.isfinite(auc) else "no positives or no negatives",
        )
    )
    return rows, failures
