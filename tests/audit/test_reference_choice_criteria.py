"""``to_reference`` criterion intervals with a reference chosen from the data (most_favoured).

The most favoured group is the one whose rate came out highest, so its gap to the others is
biased upward and fixed-reference intervals under-cover parity (0.92 with 6 identical groups
of 100 rows). The audit widens them as its p-values: Bonferroni over the ``c`` candidate
references, level ``1 - alpha / c`` (docs/design/0004-criteria-intervals.md, section 1).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from equilens import audit
from equilens.results import AuditLog


def _data(rng: np.random.Generator, groups: int, m: int) -> dict[str, np.ndarray]:
    n = groups * m
    return {
        "g": np.repeat([f"g{i}" for i in range(groups)], m),
        "y": (rng.random(n) < 0.4).astype(int),
        "pred": (rng.random(n) < 0.5).astype(int),
    }


def _audit(data: dict[str, np.ndarray], **kw: object) -> AuditLog:
    return audit(  # type: ignore[arg-type]
        data, y_true="y", y_pred="pred", sensitive_features=["g"], bootstrap=0,
        metrics=["selection_rate"], **kw,
    )  # fmt: skip


def _to_reference(log: AuditLog, criterion: str):  # type: ignore[no-untyped-def]
    return next(
        d for d in log.disparities if d.criterion == criterion and d.method == "to_reference"
    )


def test_most_favoured_widens_to_reference_intervals_over_a_fixed_reference() -> None:
    data = _data(np.random.default_rng(7), 5, 200)
    chosen = _audit(data, reference_rule="most_favoured")
    ref = chosen.families[0].reference
    fixed = _audit(data, reference=ref)  # the same group, fixed in advance
    for criterion in ("demographic_parity_difference", "disparate_impact_ratio"):
        a, b = _to_reference(chosen, criterion), _to_reference(fixed, criterion)
        assert a.value == b.value
        assert a.ci_low < b.ci_low and a.ci_high >= b.ci_high  # a ratio's bound stops at 1
        assert a.ci_high - a.ci_low > b.ci_high - b.ci_low
        assert "level 1 - alpha/5" in a.ci_method and "bonferroni x5" in a.ci_method
        assert "alpha/" not in b.ci_method
    between = [(d.ci_low, d.ci_high) for d in chosen.disparities if d.method == "between_groups"]
    assert between == [
        (d.ci_low, d.ci_high) for d in fixed.disparities if d.method == "between_groups"
    ]  # only the rows that depend on the reference change


@pytest.mark.slow
def test_most_favoured_to_reference_intervals_cover_parity_under_the_null() -> None:
    """6 identical groups of 100 rows, 400 audits (about 10 s): coverage of parity (DP
    difference 0, DI ratio 1) at least nominal; the fixed-reference intervals around the
    same chosen group fall short."""
    rng = np.random.default_rng(20261204)
    reps, level = 400, 0.95
    covered = {"chosen": [0, 0], "fixed": [0, 0]}
    for _ in range(reps):
        data = _data(rng, 6, 100)
        chosen = _audit(data, reference_rule="most_favoured")
        fixed = _audit(data, reference=chosen.families[0].reference)
        for key, log in (("chosen", chosen), ("fixed", fixed)):
            dp = _to_reference(log, "demographic_parity_difference")
            di = _to_reference(log, "disparate_impact_ratio")
            covered[key][0] += dp.ci_low <= 1e-12
            covered[key][1] += di.ci_high >= 1 - 1e-12
    mc = math.sqrt(level * (1 - level) / reps)  # about 0.011
    dp_cov, di_cov = (c / reps for c in covered["chosen"])
    print(f"most_favoured coverage of parity: DP {dp_cov:.3f}, DI {di_cov:.3f} (MC se {mc:.3f})")
    print(
        "fixed-reference coverage: DP {:.3f}, DI {:.3f}".format(
            *(c / reps for c in covered["fixed"])
        )
    )
    assert dp_cov >= level and di_cov >= level
    assert min(covered["fixed"]) < min(covered["chosen"])
