"""compare reads task logs: same task row by row, different tasks or paired: one-line exit 2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from _task_logs import task_log
from equilens._cli.main import main
from equilens.compare import compare, compare_logs
from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.results import AuditLog, write_log


def _shifted(task: str, factor: float) -> AuditLog:
    raw: dict[str, Any] = task_log(task).model_dump()
    for r in raw["results"]:
        if r["metric"] != "count" and r["value"] is not None:
            for key in ("value", "ci_low", "ci_high"):
                r[key] *= factor
    raw["run_id"] = f"run-{task}-{factor}"
    return AuditLog.model_validate(raw)


def test_regression_logs_compare_row_by_row_by_mover() -> None:
    base, cand = task_log("regression"), _shifted("regression", 0.9)
    result = compare_logs(base, cand)
    row = next(m for m in result.metrics if m.metric == "mean_absolute_error" and not m.slice)
    assert row.change == pytest.approx(-100.0)
    # Symmetric t intervals: MOVER is the Wald difference with each SE read from its interval.
    z = stats.norm.ppf(0.975)
    se_b, se_c = 20.0 / z, 18.0 / z
    half = z * (se_b**2 + se_c**2) ** 0.5
    assert row.change_ci_low == pytest.approx(-100.0 - half)
    assert row.change_ci_high == pytest.approx(-100.0 + half)
    assert row.p_value == pytest.approx(2 * stats.norm.sf(100.0 / (se_b**2 + se_c**2) ** 0.5))
    assert row.ci_method.startswith("mover")


def test_multiclass_per_class_rows_and_metric_selection() -> None:
    base, cand = task_log("multiclass"), _shifted("multiclass", 0.95)
    result = compare_logs(base, cand, metrics=["recall_score"])
    names = {m.metric for m in result.metrics}
    assert names == {"recall_score[class=0]", "recall_score[class=7]"}
    one = compare_logs(base, cand, metrics=["recall_score[class=7]"])
    assert {m.metric for m in one.metrics} == {"recall_score[class=7]"}
    crit = {d.criterion for d in compare_logs(base, cand).disparities}
    assert crit == {"equal_opportunity_difference[class=7]"}


def test_unknown_task_metric_is_a_one_line_error() -> None:
    with pytest.raises(InvalidParameterError, match="Unknown multiclass metric 'recal_score'"):
        compare_logs(task_log("multiclass"), task_log("multiclass"), metrics=["recal_score"])


def test_different_tasks_are_refused() -> None:
    with pytest.raises(InvalidInputError, match=r"different tasks \(base multiclass, candidate"):
        compare_logs(task_log("multiclass"), task_log("ranking"))


def test_paired_compare_is_binary_only() -> None:
    with pytest.raises(InvalidInputError, match="supports binary audits only, not regression"):
        compare(
            task_log("regression"),
            task_log("regression"),
            data={"a": [1]},
            base_pred="a",
            candidate_pred="a",
        )


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write_log(task_log("measure"), tmp_path / "a.json")
    b = write_log(_shifted("measure", 1.1), tmp_path / "b.json")
    r = write_log(task_log("ranking"), tmp_path / "r.json")
    assert main(["compare", str(a), str(b), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["compare", str(a), str(r)]) == 2
    err = capsys.readouterr().err
    assert "different tasks (base measure, candidate ranking)" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_comparison_views_show_the_task_rows() -> None:
    from equilens.compare import render_html, render_markdown

    result = compare_logs(task_log("regression"), _shifted("regression", 0.9))
    md = render_markdown(result)
    assert "mean\\_absolute\\_error" in md and "r2\\_score" in md
    mc = compare_logs(task_log("multiclass"), _shifted("multiclass", 0.95))
    md = render_markdown(mc)
    assert "recall\\_score\\[class=7\\]" in md
    assert "equal\\_opportunity\\_difference\\[class=7\\]" in md
    assert "recall_score[class=7]" in render_html(mc)


def test_mover_from_t_intervals_covers_the_difference_of_means() -> None:
    """Two independent logs' t intervals of a mean, combined by MOVER (the unpaired compare of
    a regression or measure row): coverage of the true difference (0) and the implied test's
    size, 4,000 simulated pairs of logs per design (Monte Carlo se about 0.35 points)."""
    from equilens.compare._stats import mover_difference

    rng = np.random.default_rng(7)
    reps = 4000
    for n_b, n_c, sd_c in ((5, 5, 1.0), (10, 40, 3.0), (200, 200, 2.0)):
        lows, highs, ests = [], [], []
        for n, sd in ((n_c, sd_c), (n_b, 1.0)):
            x = rng.normal(0.0, sd, (reps, n))
            m = x.mean(axis=1)
            half = stats.t.ppf(0.975, n - 1) * x.std(axis=1, ddof=1) / np.sqrt(n)
            ests.append(m)
            lows.append(m - half)
            highs.append(m + half)
        _, lo, hi, _, p = mover_difference(
            ests[0], lows[0], highs[0], ests[1], lows[1], highs[1], 0.05
        )
        coverage = float(np.mean((lo <= 0) & (hi >= 0)))
        mc = (0.95 * 0.05 / reps) ** 0.5
        assert coverage >= 0.95 - 3 * mc, (n_b, n_c, coverage)
        assert coverage <= 0.985, (n_b, n_c, coverage)  # conservative, not useless
        assert float(np.mean(p < 0.05)) <= 0.05 + 3 * mc
