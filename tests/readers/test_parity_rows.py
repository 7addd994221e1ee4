"""Comparisons against a fixed value (a ranking's item group against exposure parity)."""

from __future__ import annotations

import pathlib

import pandas as pd

from equilens import audit
from equilens.report import write_report
from equilens.report._content import ReportContent, against_parity, plain, reference_values

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "ranking_seeded"


def test_exposure_rows_read_as_against_parity(tmp_path: pathlib.Path) -> None:
    df = pd.read_csv(EXAMPLE / "rankings.csv")
    log = audit(
        df,
        task="ranking",
        query="query",
        item="item",
        y_score="score",
        relevance="relevance",
        item_group="provider",
        sensitive_features=["tenure"],
        k=[5],
    )
    rows = [c for c in log.comparisons if c.metric.startswith("disparate_exposure")]
    assert rows and all(against_parity(c) for c in rows)
    assert not any(against_parity(c) for c in log.comparisons if c not in rows)
    c = next(r for r in rows if r.slice == {"item_group": "independent"})
    assert reference_values(c) == "parity (1)"
    content = ReportContent.from_log(log)
    text = plain(content.sentence(c))
    assert "against parity 1.00" in text and "reference group" not in text, text
    assert content.comparison_reference_result(c) is None
    paths = write_report(log, tmp_path, formats=("html", "markdown"))
    assert "parity (1)" in paths["markdown"].read_text(encoding="utf-8")
    assert "parity (1)" in paths["html"].read_text(encoding="utf-8")


def test_heading_lists_columns_and_a_ranking_counts_queries() -> None:
    from equilens.report import render_html

    df = pd.read_csv(EXAMPLE / "rankings.csv")
    log = audit(
        df,
        task="ranking",
        query="query",
        item="item",
        y_score="score",
        relevance="relevance",
        sensitive_features=["tenure"],
        k=[5],
    )
    html = render_html(log)
    queries = df["query"].nunique()
    assert f"over {queries:,} queries ({len(df):,} ranked items)" in html
    assert "[&#x27;" not in html and "['" not in html  # no Python list in the heading
    mc = pd.DataFrame(
        {"y": [0, 1, 2] * 20, "p": [0, 1, 1] * 20, "s0": 0.2, "s1": 0.5, "s2": 0.3, "g": "a"}
    )
    mc_log = audit(
        mc,
        task="multiclass",
        y_true="y",
        y_pred="p",
        y_score=["s0", "s1", "s2"],
        sensitive_features="g",
    )
    assert "<code>s0, s1, s2</code> (y score)" in render_html(mc_log)
