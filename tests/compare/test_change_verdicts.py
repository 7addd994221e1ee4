"""Verdicts of a comparison: "no change" needs the adjusted interval within the gap; weights.

Issue 20 item 5: a row with +0.121 [+0.035, +0.206], raw p 0.006 and Holm p 0.13 was called
``no_change_detected``. Issue 11 item 6: compare ignored sample weights.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import equilens
from compare.conftest import run_audit
from equilens._cli.main import main
from equilens.compare import compare, compare_logs, compare_predictions
from equilens.compare._finish import ADJUST, finish
from equilens.compare._stats import widened
from equilens.exceptions import InvalidInputError
from equilens.stats._intervals import newcombe_difference_interval
from equilens.stats._paired import tango_interval
from equilens.stats._significance import two_proportion_test


def _row(change: float, lo: float, hi: float, p: float, at: Any = None) -> dict[str, Any]:
    return {
        "metric": "selection_rate",
        "slice": {"g": "d"},
        "n_base": 250,
        "n_candidate": 250,
        "base": 0.4,
        "base_ci_low": 0.34,
        "base_ci_high": 0.46,
        "candidate": 0.4 + change,
        "candidate_ci_low": None,
        "candidate_ci_high": None,
        "change": change,
        "change_ci_low": lo,
        "change_ci_high": hi,
        "ci_method": "mover",
        "test": "z",
        "statistic": None,
        "p_value": p,
        "greater_is_better": None,
        "status": "ok",
        "reason": None,
        ADJUST: at or (lambda a: widened(change, lo, hi, 0.05, a)),
    }


def test_issue_row_is_not_no_change() -> None:
    """The issue's row, in a family of 20 tests where Holm does not reject it."""
    rows = [_row(0.121, 0.035, 0.206, 0.006)] + [_row(0.0, -0.05, 0.05, 1.0) for _ in range(19)]
    metrics, _, family = finish(rows, [], 0.05, 0.10)
    first = metrics[0]
    assert first.p_holm is not None and first.p_holm >= 0.05
    assert first.conclusion == "insufficient_evidence"
    assert first.adjusted_ci_level == pytest.approx(1 - 0.05 / 20)
    assert first.adjusted_ci_low is not None and first.adjusted_ci_high is not None
    assert first.adjusted_ci_low < first.change_ci_low  # type: ignore[operator]
    assert first.adjusted_ci_high > 0.10 and first.reason
    # The flat rows are inside the gap even after the adjustment: no change.
    assert {m.conclusion for m in metrics[1:]} == {"no_change_detected"}
    assert "adjusted_ci" in str(family["intervals"])


def test_narrow_interval_off_zero_but_holm_not_rejecting_is_insufficient() -> None:
    """Interval and test from different methods can disagree: never "no change" then."""
    row = _row(0.03, 0.01, 0.05, 0.2, at=lambda a: (0.01, 0.05))
    (m,), _, _ = finish([row], [], 0.05, 0.10)
    assert m.conclusion == "insufficient_evidence" and "excludes 0" in str(m.reason)


def test_small_groups_leave_the_family_and_are_never_detected() -> None:
    row = _row(0.5, 0.3, 0.7, 1e-9) | {"status": "insufficient_evidence", "reason": "12 rows"}
    (m,), _, family = finish([row, _row(0.0, -0.01, 0.01, 1.0)][:1], [], 0.05, 0.10)
    assert m.conclusion == "insufficient_evidence" and m.p_holm is None
    assert m.adjusted_ci_low is None and family["sizes"] == {"metrics": 0, "disparities": 0}


def _frame(rng: np.random.Generator, n_per: int, shift: float) -> dict[str, Any]:
    g = np.repeat(np.array(["a", "b", "c", "d"]), n_per)
    return {
        "y": rng.binomial(1, 0.4, g.size),
        "pred": rng.binomial(1, 0.4 + shift * (g == "d")),
        "g": g,
    }


def _audit(d: dict[str, Any], seed: int) -> equilens.AuditLog:
    return equilens.audit(
        d, y_true="y", y_pred="pred", sensitive_features=["g"], bootstrap=50, seed=seed
    )


def test_unpaired_adjusted_interval_is_newcombe_at_the_bonferroni_level() -> None:
    rng = np.random.default_rng(0)
    b, c = _audit(_frame(rng, 250, 0.0), 0), _audit(_frame(rng, 250, 0.12), 0)
    result = compare_logs(b, c)
    row = result.metric("selection_rate", {"g": "d"})
    m = result.multiple_comparisons["sizes"]["metrics"]  # type: ignore[index]
    bb = b.result("selection_rate", {"g": "d"})
    cc = c.result("selection_rate", {"g": "d"})
    assert bb.value is not None and cc.value is not None
    lo, hi = newcombe_difference_interval(cc.value * 250, 250, bb.value * 250, 250, 0.05 / m)
    assert (row.adjusted_ci_low, row.adjusted_ci_high) == pytest.approx((float(lo), float(hi)))
    _, p, _ = two_proportion_test(cc.value * 250, 250, bb.value * 250, 250)
    assert row.p_value == pytest.approx(float(p))


@pytest.mark.slow
def test_simulation_unpaired_real_change_is_never_no_change() -> None:
    """+0.12 in one group's selection rate (250 rows per group and log, 4 groups): the rate of
    "no change" (was 121/200 = 0.61) and the coverage of the change intervals."""
    rng = np.random.default_rng(20)
    reps = 300
    verdicts, cover, cover_adj = [], [], []
    for r in range(reps):
        result = compare_logs(_audit(_frame(rng, 250, 0.0), r), _audit(_frame(rng, 250, 0.12), r))
        row = result.metric("selection_rate", {"g": "d"})
        verdicts.append(row.conclusion)
        assert row.change_ci_low is not None and row.change_ci_high is not None
        assert row.adjusted_ci_low is not None and row.adjusted_ci_high is not None
        cover.append(row.change_ci_low <= 0.12 <= row.change_ci_high)
        cover_adj.append(row.adjusted_ci_low <= 0.12 <= row.adjusted_ci_high)
    no_change = np.mean([v == "no_change_detected" for v in verdicts])
    mc = np.sqrt(0.95 * 0.05 / reps)
    detected = np.mean([v == "change_detected" for v in verdicts])
    print(
        f"no change {no_change:.3f}; coverage {np.mean(cover):.3f} (+/- {mc:.3f}), adjusted "
        f"{np.mean(cover_adj):.3f}; detected {detected:.3f}"
    )
    assert no_change == 0.0
    assert np.mean(cover) >= 0.95 - 3 * mc
    assert np.mean(cover_adj) >= np.mean(cover)


@pytest.mark.slow
def test_simulation_unpaired_null_family_wise_false_changes() -> None:
    """Identical models (independent samples): any change_detected per comparison."""
    rng = np.random.default_rng(21)
    reps = 300
    any_change = []
    for r in range(reps):
        result = compare_logs(_audit(_frame(rng, 250, 0.0), r), _audit(_frame(rng, 250, 0.0), r))
        any_change.append(any(m.conclusion == "change_detected" for m in result.metrics))
    rate = float(np.mean(any_change))
    print(f"family-wise false change rate {rate:.3f} +/- {np.sqrt(0.05 * 0.95 / reps):.3f}")
    assert rate <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / reps)


def _paired_frame(rng: np.random.Generator, n_per: int, shift: float) -> pd.DataFrame:
    g = np.repeat(np.array(["a", "b", "c", "d"]), n_per)
    base = rng.binomial(1, 0.4, g.size)
    # The candidate turns some of group d's negatives positive: +shift in its selection rate.
    up = (g == "d") & (base == 0) & (rng.random(g.size) < shift / 0.6)
    noise = rng.random(g.size) < 0.05  # both-way disagreements everywhere
    cand = np.where(up, 1, np.where(noise, 1 - base, base))
    return pd.DataFrame({"y": rng.binomial(1, 0.4, g.size), "b": base, "c": cand, "g": g})


@pytest.mark.slow
def test_simulation_paired_real_change_and_tango_coverage() -> None:
    """Paired path: +0.12 in group d (true paired change 0.12 + noise 0.05 (0.6 - 0.4) = 0.13
    in expectation); the Tango interval's coverage and the rate of "no change"."""
    rng = np.random.default_rng(22)
    reps = 300
    truth = 0.12 + 0.05 * (0.6 - 0.4) * (1 - 0.12 / 0.6) - 0.0  # noise flips on non-up rows
    verdicts, cover = [], []
    for r in range(reps):
        df = _paired_frame(rng, 250, 0.12)
        result = compare_predictions(
            df, y_true="y", base_pred="b", candidate_pred="c", sensitive_features=["g"],
            bootstrap=0, seed=r, metrics=["selection_rate"],
        )  # fmt: skip
        row = result.metric("selection_rate", {"g": "d"})
        verdicts.append(row.conclusion)
        assert row.ci_method == "tango-score (paired)"
        assert row.change_ci_low is not None and row.change_ci_high is not None
        cover.append(row.change_ci_low <= truth <= row.change_ci_high)
    no_change = np.mean([v == "no_change_detected" for v in verdicts])
    mc = np.sqrt(0.95 * 0.05 / reps)
    print(f"paired: no change {no_change:.3f}; Tango coverage {np.mean(cover):.3f} +/- {mc:.3f}")
    assert no_change == 0.0
    assert np.mean(cover) >= 0.95 - 3 * mc


def test_paired_zero_discordant_rows_still_have_an_interval() -> None:
    """Identical predictions: a Tango interval of width about z^2 / n, not [0, 0]."""
    rng = np.random.default_rng(1)
    df = _paired_frame(rng, 40, 0.0)
    df["c"] = df["b"]
    result = compare_predictions(
        df, y_true="y", base_pred="b", candidate_pred="c", sensitive_features=["g"], bootstrap=0
    )
    row = result.metric("selection_rate", {"g": "d"})
    lo, hi = tango_interval(0, 0, 40)
    assert (row.change_ci_low, row.change_ci_high) == pytest.approx((float(lo), float(hi)))
    # 40 rows cannot bound the change below 0.10: not "no change".
    assert row.conclusion == "insufficient_evidence"


# ---- weights (issue 11 item 6)


@pytest.fixture(scope="module")
def weighted(frame: pd.DataFrame) -> tuple[equilens.AuditLog, equilens.AuditLog, pd.DataFrame]:
    df = frame.copy()
    # Heavy weight on the rows the base model selects: the weighted rate differs a lot.
    df["w"] = np.where(df["base_pred"] == 1, 8.0, 1.0)
    return run_audit(df, "base", sample_weight="w"), run_audit(df, "cand", sample_weight="w"), df


def test_unpaired_uses_the_weighted_estimates(
    weighted: tuple[equilens.AuditLog, equilens.AuditLog, pd.DataFrame],
) -> None:
    b, c, df = weighted
    row = compare_logs(b, c).metric("selection_rate")
    w = df["w"].to_numpy()
    assert row.base == pytest.approx(float(np.sum(w * df["base_pred"]) / w.sum()))
    assert row.candidate == pytest.approx(float(np.sum(w * df["cand_pred"]) / w.sum()))
    # Newcombe on Kish effective counts, not on the row count.
    kish = w.sum() ** 2 / np.sum(w**2)
    assert b.result("selection_rate").effective_n == pytest.approx(kish)


def test_paired_refuses_weighted_logs(
    weighted: tuple[equilens.AuditLog, equilens.AuditLog, pd.DataFrame],
) -> None:
    b, c, df = weighted
    with pytest.raises(InvalidInputError, match="sample weight column 'w'"):
        compare(b, c, data=df, base_pred="base_pred", candidate_pred="cand_pred")


def test_cli_paired_weighted_exits_2_one_line(
    weighted: tuple[equilens.AuditLog, equilens.AuditLog, pd.DataFrame],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    b, c, df = weighted
    equilens.write_log(b, tmp_path / "b.json")
    equilens.write_log(c, tmp_path / "c.json")
    df.to_csv(tmp_path / "d.csv", index=False)
    args = ["compare", str(tmp_path / "b.json"), str(tmp_path / "c.json")]
    code = main([*args, "--data", str(tmp_path / "d.csv"), "--base-pred", "base_pred",
                 "--candidate-pred", "cand_pred"])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "'w'" in err[0] and "Traceback" not in err[0]
    assert main(args) == 0


def test_one_weighted_log_warns(
    weighted: tuple[equilens.AuditLog, equilens.AuditLog, pd.DataFrame],
    logs: tuple[equilens.AuditLog, equilens.AuditLog],
) -> None:
    result = compare_logs(weighted[0], logs[1])
    assert any("Only the base audit is weighted" in w for w in result.warnings)
