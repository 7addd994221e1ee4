"""Paired comparison: both models' predictions on the same rows.

Per slice, the rows fall into 8 categories (true label x base prediction x candidate
prediction) inside each finest cell. Every confusion metric of both models, every fairness
criterion and their changes are functions of these counts, so the paired row bootstrap is a
count-level bootstrap over the 8 categories (``Multinomial(n_cell, shares)`` per finest cell,
strata fixed, as in the audit). Rates whose denominator does not depend on the predictions
(selection rate, accuracy, TPR, FPR, FNR, TNR) are tested with McNemar's test on the
discordant rows; ROC-AUC with the paired DeLong test (on slices with at least
``min_class_count`` positives and negatives, and a positive variance); other metrics with the
bootstrap standard error. A change of a fairness criterion is the MOVER difference of the two
models' simultaneous criterion intervals (the audit's, valid at parity), see
``docs/design/0008-paired-and-change-verdicts.md``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilens.audit import (
    correct_for_reference_choice,
    criterion_bounds,
    criterion_statistic,
    worst_positions,
)
from equilens.compare._finish import ADJUST, f
from equilens.compare._stats import (
    bootstrap_se,
    bootstrap_z_test,
    delong_paired,
    mover_difference,
)
from equilens.compare._unpaired import SKIPPED_CRITERIA
from equilens.data import AuditInputs
from equilens.engines import cell_codes
from equilens.metrics import (
    ALL,
    NEGATIVES,
    POSITIVES,
    Evaluated,
    MetricSpec,
    auc_interval,
    criteria,
    evaluate_confusion_metric,
    proportion_parts,
)
from equilens.metrics import metrics as metric_registry
from equilens.slicing import SlicePlan
from equilens.stats import (
    aggregate_draws,
    draw_counts,
    mcnemar_test,
    percentile_interval,
    proportion_interval,
    tango_interval,
    z_test,
    z_two_sided,
)

FloatArray = NDArray[np.float64]

#: Metrics of the paired design that need only predictions.
PAIRED_CONFUSION_METRICS: tuple[str, ...] = (
    "selection_rate",
    "accuracy_score",
    "balanced_accuracy_score",
    "precision_score",
    "true_positive_rate",
    "false_positive_rate",
    "negative_predictive_value",
    "f1_score",
)
#: Score metrics of the paired design.
PAIRED_SCORE_METRICS: tuple[str, ...] = ("roc_auc_score",)

_FIXED_DENOMINATORS = (frozenset(ALL), frozenset(POSITIVES), frozenset(NEGATIVES))


def _mcnemar_eligible(spec: MetricSpec) -> bool:
    """A rate whose denominator rows are the same for both models (depends on y only)."""
    return spec.kind == "proportion" and frozenset(spec.denominator) in _FIXED_DENOMINATORS


def _discordant(spec: MetricSpec, joint: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Rows counted a success under base only (b) and under candidate only (c), per slice.

    ``joint`` is ``(..., y_true, base_pred, candidate_pred)``.
    """
    num, den = set(spec.numerator), set(spec.denominator)
    b = np.zeros(joint.shape[:-3])
    c = np.zeros(joint.shape[:-3])
    for y in (0, 1):
        for pb in (0, 1):
            for pc in (0, 1):
                if (y, pb) not in den:
                    continue
                sb, sc = (y, pb) in num, (y, pc) in num
                if sb and not sc:
                    b = b + joint[..., y, pb, pc]
                elif sc and not sb:
                    c = c + joint[..., y, pb, pc]
    return b, c


def _denominator(spec: MetricSpec, joint: FloatArray) -> FloatArray:
    """Rows in the denominator of a McNemar-eligible rate (it depends on y only), per slice."""
    ys = {y for y, _ in spec.denominator}
    return np.asarray(sum(joint[..., y, :, :].sum(axis=(-1, -2)) for y in sorted(ys)))


def _normal_at(change: float, se: float) -> Any:
    """``alpha -> change -/+ z_{1-alpha/2} se``: the interval a z test on ``se`` implies."""
    return lambda a: (change - z_two_sided(a) * se, change + z_two_sided(a) * se)


def _tango_at(more: float, less: float, n: float) -> Any:
    """``alpha -> Tango's interval`` for one slice's discordant counts."""
    return lambda a: tango_interval(more, less, n, a)


def _status(
    n: int, value_b: float, value_c: float, min_group_size: int, why: str
) -> tuple[str, str | None]:
    if not (np.isfinite(value_b) and np.isfinite(value_c)):
        return "undefined", why
    if n < min_group_size:
        return "insufficient_evidence", f"{n} rows, below the minimum group size"
    return "ok", None


class PairedTables:
    """Joint counts of both models per slice, and their paired bootstrap draws."""

    def __init__(
        self,
        base: AuditInputs,
        candidate: AuditInputs,
        plan: SlicePlan,
        bootstrap: int,
        rng: np.random.Generator,
    ) -> None:
        n = base.n_rows
        codes = [ft.codes for ft in base.features]
        sizes = [ft.n_groups for ft in base.features]
        self.cell, _ = cell_codes(codes, sizes, n)
        n_cells = plan.membership.shape[1]
        code = (
            self.cell * 8
            + base.y_true.astype(np.int64) * 4
            + base.y_pred.astype(np.int64) * 2
            + candidate.y_pred.astype(np.int64)
        )
        rows = np.bincount(code, minlength=n_cells * 8).reshape(n_cells, 2, 2, 2)
        self.rows = rows.astype(np.int64)
        self.membership = plan.membership
        self.joint = np.tensordot(plan.membership, rows.astype(np.float64), axes=(1, 0))
        self.n = np.rint(self.joint.sum(axis=(1, 2, 3))).astype(np.int64)
        self.draws: FloatArray | None = None
        if bootstrap > 0:
            counts = draw_counts(self.rows, bootstrap, rng)
            self.draws = aggregate_draws(
                counts, self.rows, self.rows.astype(np.float64), plan.membership
            )

    @staticmethod
    def base_conf(joint: FloatArray) -> FloatArray:
        """Base model's confusion ``(..., y_true, y_pred)``."""
        return np.asarray(joint.sum(axis=-1), dtype=np.float64)

    @staticmethod
    def candidate_conf(joint: FloatArray) -> FloatArray:
        """Candidate model's confusion ``(..., y_true, y_pred)``."""
        return np.asarray(joint.sum(axis=-2), dtype=np.float64)


class _Evaluated:
    """One confusion metric under both models, with draws."""

    def __init__(self, spec: MetricSpec, t: PairedTables) -> None:
        self.spec = spec
        self.vb = evaluate_confusion_metric(spec, t.base_conf(t.joint))
        self.vc = evaluate_confusion_metric(spec, t.candidate_conf(t.joint))
        self.db: FloatArray | None = None
        self.dc: FloatArray | None = None
        if t.draws is not None:
            self.db = evaluate_confusion_metric(spec, t.base_conf(t.draws))
            self.dc = evaluate_confusion_metric(spec, t.candidate_conf(t.draws))
        self.audit_b = _audit_view(spec, t.base_conf(t.joint), self.vb, self.db)
        self.audit_c = _audit_view(spec, t.candidate_conf(t.joint), self.vc, self.dc)


def _audit_view(
    spec: MetricSpec, conf: FloatArray, value: FloatArray, draws: FloatArray | None
) -> Evaluated:
    """One model's metric in the audit's form, for the audit's criterion intervals."""
    s = value.shape[0]
    nan = np.full(s, np.nan)
    ev = Evaluated(spec, value, nan, nan, np.full(s, "none", dtype=np.str_), draws=draws)
    if spec.kind == "proportion":
        ev.successes, ev.trials = proportion_parts(spec, conf)
    return ev


def _value_ci(
    spec: MetricSpec, conf: FloatArray, draws: FloatArray | None, alpha: float
) -> tuple[FloatArray, FloatArray]:
    s = conf.shape[0]
    if spec.kind == "proportion":
        x, n = proportion_parts(spec, conf)
        lo, hi, _ = proportion_interval(x, n, alpha)
        return lo, hi
    if draws is not None:
        lo, hi, _ = percentile_interval(draws, alpha)
        return lo, hi
    return np.full(s, np.nan), np.full(s, np.nan)


def confusion_metric_rows(
    t: PairedTables,
    plan: SlicePlan,
    names: list[str],
    min_group_size: int,
    alpha: float,
) -> tuple[list[dict[str, Any]], dict[str, _Evaluated]]:
    """Metric change rows of the confusion metrics, and their evaluations (for criteria)."""
    rows: list[dict[str, Any]] = []
    evaluated: dict[str, _Evaluated] = {}
    for name in names:
        spec = metric_registry.get(name)
        ev = _Evaluated(spec, t)
        evaluated[name] = ev
        blo, bhi = _value_ci(spec, t.base_conf(t.joint), ev.db, alpha)
        clo, chi = _value_ci(spec, t.candidate_conf(t.joint), ev.dc, alpha)
        change = ev.vc - ev.vb
        if ev.db is not None and ev.dc is not None:
            dchange = ev.dc - ev.db
            lo, hi, _ = percentile_interval(dchange, alpha)
            zstat, zp = bootstrap_z_test(change, dchange)
            se = bootstrap_se(dchange)
        else:
            dchange = None
            lo = hi = zstat = zp = se = np.full(change.shape, np.nan)
        b: FloatArray | None = None
        c: FloatArray | None = None
        method = "paired-bootstrap-percentile"
        if _mcnemar_eligible(spec):
            b, c = _discordant(spec, t.joint)
            den = _denominator(spec, t.joint)
            stat, p, test = mcnemar_test(b, c)
            lo, hi = tango_interval(c, b, den, alpha)
            method = "tango-score (paired)"
            at = [_tango_at(c[s], b[s], den[s]) for s in range(change.shape[0])]
        else:
            stat, p = zstat, zp
            test = np.full(change.shape, "paired-bootstrap-z" if dchange is not None else "none")
            at = [_normal_at(float(change[s]), float(se[s])) for s in range(change.shape[0])]
        for s, sl in enumerate(plan.slices):
            n = int(t.n[s])
            status, reason = _status(n, ev.vb[s], ev.vc[s], min_group_size, spec.undefined_when)
            defined = status != "undefined"
            has_ci = defined and np.isfinite(lo[s]) and np.isfinite(hi[s])
            if defined and not has_ci and reason is None:
                reason = "bootstrap disabled (bootstrap=0)" if dchange is None else None
            rows.append(
                {
                    "metric": name,
                    "slice": sl.mapping,
                    "n_base": n,
                    "n_candidate": n,
                    "base": f(ev.vb[s]),
                    "base_ci_low": f(blo[s]),
                    "base_ci_high": f(bhi[s]),
                    "candidate": f(ev.vc[s]),
                    "candidate_ci_low": f(clo[s]),
                    "candidate_ci_high": f(chi[s]),
                    "change": f(change[s]) if defined else None,
                    "change_ci_low": f(lo[s]) if has_ci else None,
                    "change_ci_high": f(hi[s]) if has_ci else None,
                    "ci_method": method if has_ci else "none",
                    "test": str(test[s]) if defined else "none",
                    "statistic": f(stat[s]) if defined else None,
                    "p_value": f(p[s]) if defined else None,
                    "discordant": {
                        "base_only": round(float(b[s])),
                        "candidate_only": round(float(c[s])),
                    }
                    if b is not None and c is not None
                    else None,
                    "greater_is_better": spec.greater_is_better,
                    "status": status,
                    "reason": reason,
                    ADJUST: at[s] if has_ci else None,
                }
            )
    return rows, evaluated


def auc_rows(
    base: AuditInputs,
    candidate: AuditInputs,
    t: PairedTables,
    plan: SlicePlan,
    min_group_size: int,
    min_class_count: int,
    alpha: float,
) -> list[dict[str, Any]]:
    """ROC-AUC change rows: paired DeLong per slice, with the audit's minimum evidence.

    A slice below ``min_group_size`` rows or ``min_class_count`` positives or negatives gets
    no test and no change interval (``insufficient_evidence``, out of the family); a DeLong
    variance of the change that is zero or negative is ``undefined``: a zero variance is not
    precision (e.g. both scores separate the slice perfectly).
    """
    assert base.y_score is not None and candidate.y_score is not None
    z = z_two_sided(alpha)
    rows = []
    for s, sl in enumerate(plan.slices):
        mask = plan.membership[s][t.cell] > 0
        res = delong_paired(base.y_true[mask], base.y_score[mask], candidate.y_score[mask])
        n = int(t.n[s])
        n_pos = int(np.count_nonzero(base.y_true[mask]))
        n_neg = int(mask.sum()) - n_pos
        row: dict[str, Any] = {
            "metric": "roc_auc_score",
            "slice": sl.mapping,
            "n_base": n,
            "n_candidate": n,
            "greater_is_better": True,
        }
        if res is None:
            row.update(
                base=None,
                base_ci_low=None,
                base_ci_high=None,
                candidate=None,
                candidate_ci_low=None,
                candidate_ci_high=None,
                change=None,
                change_ci_low=None,
                change_ci_high=None,
                ci_method="none",
                test="none",
                statistic=None,
                p_value=None,
                status="undefined" if min(n_pos, n_neg) == 0 else "insufficient_evidence",
                reason=f"{n_pos} positives and {n_neg} negatives: "
                + (
                    "ROC-AUC is undefined"
                    if min(n_pos, n_neg) == 0
                    else f"below the minimum of {min_class_count} of each class"
                ),
            )
            rows.append(row)
            continue
        blo, bhi = auc_interval(res.auc_base, res.var_base, alpha)
        clo, chi = auc_interval(res.auc_candidate, res.var_candidate, alpha)
        se = res.se_difference
        status, reason = _status(n, res.auc_base, res.auc_candidate, min_group_size, "")
        if status == "ok" and min(res.n_pos, res.n_neg) < min_class_count:
            status = "insufficient_evidence"
            reason = (
                f"{res.n_pos} positives and {res.n_neg} negatives, below the minimum of "
                f"{min_class_count} of each class for an AUC comparison"
            )
        elif status == "ok" and not se > 0:
            status = "undefined"
            reason = (
                "the DeLong variance of the change is zero or undefined (e.g. both scores "
                "separate the slice perfectly, or rank it identically)"
            )
        row.update(
            base=res.auc_base,
            base_ci_low=f(blo),
            base_ci_high=f(bhi),
            candidate=res.auc_candidate,
            candidate_ci_low=f(clo),
            candidate_ci_high=f(chi),
            change=res.difference,
            status=status,
            reason=None if status == "ok" else f"{reason or 'ROC-AUC undefined'}: no test",
        )
        if status != "ok":
            row.update(
                change_ci_low=None,
                change_ci_high=None,
                ci_method="none",
                test="none",
                statistic=None,
                p_value=None,
            )
        else:
            stat, p = z_test(res.difference, se)
            row.update(
                change_ci_low=f(res.difference - z * se),
                change_ci_high=f(res.difference + z * se),
                ci_method="delong-paired (normal)",
                **{ADJUST: _normal_at(res.difference, se)},
                test="delong-paired-z",
                statistic=f(stat),
                p_value=f(p),
            )
        rows.append(row)
    return rows


def disparity_rows(
    t: PairedTables,
    plan: SlicePlan,
    evaluated: dict[str, _Evaluated],
    methods: tuple[str, ...],
    min_group_size: int,
    alpha: float,
) -> list[dict[str, Any]]:
    """Change rows of every criterion computable from the confusion metrics."""
    insufficient = t.n < min_group_size
    rows: list[dict[str, Any]] = []
    for cname in criteria.names():
        spec = criteria.get(cname)
        if cname in SKIPPED_CRITERIA or not all(b in evaluated for b in spec.base_metrics):
            continue
        bases = [evaluated[b] for b in spec.base_metrics]
        for fam in plan.families:
            members = np.asarray(fam.members)
            eligible = ~insufficient[members]
            for ev in bases:
                eligible &= np.isfinite(ev.vb[members]) & np.isfinite(ev.vc[members])
            included = members[eligible]
            excluded = [plan.slices[i].mapping for i in members[~eligible]]
            ref_ok = bool(fam.reference in set(included.tolist()))
            for method in methods:
                rows.append(
                    _disparity(
                        spec.name, spec.statistic, plan, fam, bases, included, method, ref_ok
                    )
                    | {"excluded_groups": excluded}
                )
    return [_finish_disparity(row, alpha) for row in rows]


def _disparity(
    name: str,
    statistic: str,
    plan: SlicePlan,
    fam: Any,
    bases: list[_Evaluated],
    included: NDArray[np.int64],
    method: str,
    ref_ok: bool,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "criterion": name,
        "features": list(fam.features),
        "method": method,
        "statistic": statistic,
    }
    need = 2 if method == "between_groups" else 1
    if len(included) < need or (method == "to_reference" and not ref_ok):
        row["_undefined"] = (
            "the reference group is too small or its metric is undefined"
            if method == "to_reference" and len(included) >= need
            else "fewer than two groups with enough evidence and a defined value under both models"
        )
        return row
    ref = fam.reference
    out: dict[str, Any] = {"_family": fam}
    for side, attr, aattr in (("base", "vb", "audit_b"), ("candidate", "vc", "audit_c")):
        points, groups = [], []
        views = [getattr(ev, aattr) for ev in bases]
        out[f"_{side}_bounds"] = lambda a, views=views: criterion_bounds(
            views, included, ref, statistic, method, a
        )
        for ev in bases:
            v: FloatArray = getattr(ev, attr)
            vals = v[included]
            point = float(
                criterion_statistic(vals[None, :], v[0:1], v[ref : ref + 1], statistic, method)[0]
            )
            i, j = worst_positions(vals, float(v[0]), float(v[ref]), statistic, method)
            g = [plan.slices[int(included[i])].mapping]
            if j is not None:
                g.append(plan.slices[int(included[j])].mapping)
            else:
                g.append({} if method == "to_overall" else plan.slices[ref].mapping)
            points.append(point)
            groups.append(g)
        pick = int(np.argmax(points)) if statistic == "difference" else int(np.argmin(points))
        out[side] = points[pick]
        out[f"{side}_groups"] = groups[pick]
    row.update(out)
    return row


def _mover_change(
    vb: float, vc: float, bounds_b: Any, bounds_c: Any, alpha: float
) -> tuple[float, float, float, float, float, float, float, float] | str:
    """Both models' simultaneous criterion intervals at ``alpha`` and the MOVER change.

    Returns ``(lb, hb, lc, hc, lo, hi, z, p)`` or the reason there is no interval.
    """
    got_b, got_c = bounds_b(alpha), bounds_c(alpha)
    for got in (got_b, got_c):
        if isinstance(got, str):
            return got
    lb, hb = min(got_b[0], vb), max(got_b[1], vb)
    lc, hc = min(got_c[0], vc), max(got_c[1], vc)
    _, lo, hi, z, p = mover_difference(vc, lc, hc, vb, lb, hb, alpha)
    return lb, hb, lc, hc, float(lo), float(hi), float(z), float(p)


def _finish_disparity(row: dict[str, Any], alpha: float) -> dict[str, Any]:
    """Intervals and test of one criterion change (MOVER of simultaneous intervals).

    Each model's criterion interval is the audit's simultaneous interval (Bonferroni over the
    pairwise or per-group intervals it rests on), valid at parity. The change interval is the
    MOVER difference of the two (Zou & Donner 2008), and the test the normal test it implies.
    MOVER assumes independent estimates; the two models' criteria on the same rows are
    usually positively correlated, which makes it conservative. For a ``to_reference``
    criterion whose reference was chosen from the data (``most_favoured``), the p-value is
    multiplied by the number of candidate references (Bonferroni, as in the audit) and the
    intervals are at level ``1 - alpha / c`` to agree with it.
    """
    empty = {
        "base": None,
        "base_ci_low": None,
        "base_ci_high": None,
        "candidate": None,
        "candidate_ci_low": None,
        "candidate_ci_high": None,
        "change": None,
        "change_ci_low": None,
        "change_ci_high": None,
        "ci_method": "none",
        "test": "none",
        "statistic_value": None,
        "p_value": None,
        "status": "ok",
        "reason": None,
        "reference_correction": None,
    }
    why = row.pop("_undefined", None)
    bounds_b = row.pop("_base_bounds", None)
    bounds_c = row.pop("_candidate_bounds", None)
    fam = row.pop("_family", None)
    if why is not None:
        return {**empty, **row, "status": "undefined", "reason": why}
    vb, vc = f(row["base"]), f(row["candidate"])
    result = {**empty, **row, "base": vb, "candidate": vc}
    if vb is None or vc is None:
        result.update(status="undefined", reason="the criterion is undefined (zero denominator)")
        return result
    result["change"] = vc - vb
    raw = _mover_change(vb, vc, bounds_b, bounds_c, alpha)
    if isinstance(raw, str):
        result["reason"] = f"no interval for a model's criterion: {raw}"
        return result
    rows: list[dict[str, Any]] = [{"p_value": f(raw[7])}]
    if row["method"] == "to_reference" and fam is not None:
        correct_for_reference_choice(rows, fam, one_group=False)
    scale = 1
    if rows[0].get("reference_correction") is not None:
        assert fam is not None
        scale = fam.reference_candidates
        result["reference_correction"] = rows[0]["reference_correction"]
    got = raw if scale == 1 else _mover_change(vb, vc, bounds_b, bounds_c, alpha / scale)
    assert not isinstance(got, str)  # the same intervals at another level
    lb, hb, lc, hc, _, _, z, _ = raw
    lo, hi = got[4], got[5]

    def at(a: float) -> tuple[float, float]:
        again = _mover_change(vb, vc, bounds_b, bounds_c, a / scale)
        return (np.nan, np.nan) if isinstance(again, str) else (again[4], again[5])

    result[ADJUST] = at
    result.update(
        base_ci_low=f(lb),
        base_ci_high=f(hb),
        candidate_ci_low=f(lc),
        candidate_ci_high=f(hc),
        change_ci_low=f(lo),
        change_ci_high=f(hi),
        ci_method="mover (simultaneous criterion intervals of both models)"
        + (f", level 1 - alpha/{scale}" if scale > 1 else ""),
        test="mover-simultaneous-z",
        statistic_value=f(z),
        p_value=rows[0]["p_value"],
    )
    if result["p_value"] is None:
        result["reason"] = "the change's interval has no width on the side facing 0: no test"
    return result
