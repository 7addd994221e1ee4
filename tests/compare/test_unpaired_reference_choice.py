"""Unpaired compare (logs only) of ``to_reference`` criteria whose reference a log chose from
its data (``most_favoured``): the audit's Bonferroni over the candidate references."""

from __future__ import annotations

import re

import numpy as np

from equilens import audit
from equilens.compare import compare_logs
from equilens.results import AuditLog

CRITERIA = ("demographic_parity_difference", "disparate_impact_ratio")


def _data(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = 5 * 200
    return {
        "g": np.repeat([f"g{i}" for i in range(5)], 200),
        "y": (rng.random(n) < 0.4).astype(int),
        "pred": (rng.random(n) < 0.5).astype(int),
    }


def _audit(data: dict[str, np.ndarray], **kw: object) -> AuditLog:
    return audit(  # type: ignore[arg-type]
        data, y_true="y", y_pred="pred", sensitive_features=["g"], bootstrap=0,
        metrics=["selection_rate"], **kw,
    )  # fmt: skip


def _rows(base: AuditLog, cand: AuditLog) -> dict[str, object]:
    result = compare_logs(base, cand, disparity_methods=["to_reference"])
    return {d.criterion: d for d in result.disparities if d.criterion in CRITERIA}


def test_most_favoured_logs_get_the_reference_choice_correction() -> None:
    b_data, c_data = _data(1), _data(2)
    base, cand = (_audit(d, reference_rule="most_favoured") for d in (b_data, c_data))
    fixed = _rows(
        _audit(b_data, reference=base.families[0].reference),
        _audit(c_data, reference=cand.families[0].reference),
    )
    chosen = _rows(base, cand)
    for name in CRITERIA:
        a, f = chosen[name], fixed[name]
        assert a.change == f.change  # same references, same estimates
        assert a.reference_correction is not None and "bonferroni x5" in a.reference_correction
        assert "level 1 - alpha/5" in a.ci_method
        assert f.reference_correction is None
        assert a.change_ci_low < f.change_ci_low and a.change_ci_high > f.change_ci_high
        assert a.p_value is not None and f.p_value is not None and a.p_value > f.p_value


def test_an_uncorrected_most_favoured_log_is_rescaled_before_the_correction() -> None:
    """A log written before the audit corrected its to_reference intervals: the compare
    recounts the candidates from the log and widens its intervals to 1 - alpha/c itself."""
    b_data, c_data = _data(1), _data(2)
    base, cand = (_audit(d, reference_rule="most_favoured") for d in (b_data, c_data))

    def old_style(log: AuditLog) -> AuditLog:
        fixed = _audit(b_data if log is base else c_data, reference=log.families[0].reference)
        rows = [
            d.model_copy(update={"ci_method": re.sub(r", level 1 - alpha/.*", "", d.ci_method)})
            for d in fixed.disparities
        ]
        return log.model_copy(update={"disparities": rows})

    old = _rows(old_style(base), old_style(cand))
    new = _rows(base, cand)
    for name in CRITERIA:
        assert old[name].reference_correction is not None
        assert old[name].reference_correction == new[name].reference_correction
        assert old[name].p_value is not None and new[name].p_value is not None
        # the rescaled (z-reading) and the recomputed intervals agree closely, not exactly
        assert abs(old[name].p_value - new[name].p_value) < 0.15
