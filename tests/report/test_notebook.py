"""Notebook rendering: report sections scoped so their CSS cannot leak, data frames for pandas
and polars, SVG figures; probe, compare and gate results render too."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from _data import make_frame
from equilens import audit
from equilens.compare import compare_logs
from equilens.policy import decide, parse_policy
from equilens.report import SCOPE, scope_css
from equilens.results import AuditLog


@pytest.fixture(scope="module")
def log() -> AuditLog:
    frame = make_frame(n=900, seed=3)
    frame["race"] = frame["race"].map({"a": "<script>alert(1)</script>", "b": "b", "c": "c"})
    return audit(
        frame,
        y_true="y",
        y_pred="pred",
        y_score="score",
        sensitive_features=["race", "sex"],
        intersections=True,
        bootstrap=100,
    )


def _selectors(css: str) -> list[str]:
    """Every selector of a stylesheet, found independently of the scoper (a regex over the
    text before each ``{``; at-rule preludes skipped)."""
    out = []
    for prelude in re.findall(r"([^{}]+)\{", re.sub(r"/\*.*?\*/", "", css, flags=re.S)):
        prelude = prelude.strip()
        if prelude.startswith("@"):
            continue
        out += [s.strip() for s in prelude.split(",")]
    return out


def _assert_scoped(fragment: str) -> None:
    assert fragment.startswith(f'<div class="{SCOPE}">')
    styles = re.findall(r"<style>(.*?)</style>", fragment, flags=re.S)
    assert styles
    selectors = [s for css in styles for s in _selectors(css)]
    assert selectors
    unscoped = [s for s in selectors if not s.startswith(f".{SCOPE}")]
    assert not unscoped, unscoped[:10]
    assert "<script" not in fragment.lower().replace("&lt;script", "")
    assert "@page" not in fragment


def test_audit_log_renders_scoped_sections(log: AuditLog) -> None:
    fragment = log._repr_html_()
    _assert_scoped(fragment)
    assert 'id="summary"' in fragment and "Key findings" in fragment
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in fragment


def test_scoper_rewrites_roots_and_media() -> None:
    css = (
        ":root{--a:1}html,body{margin:0}h2 a:hover{x:y}*{b:c}@media print{nav{display:none}"
        "@page{margin:1mm}}@font-face{font-family:x}"
    )
    out = scope_css(css, ".s")
    assert ".s{--a:1}" in out and ".s,.s{margin:0}" in out and ".s h2 a:hover{x:y}" in out
    assert ".s *{b:c}" in out and "@media print{.s nav{display:none}}" in out
    assert "@page" not in out and "font-face" not in out
    # a selector that merely starts with a root's name is not a root
    assert scope_css("bodyish{a:b}", ".s") == ".s bodyish{a:b}"


def test_compare_and_gate_render_scoped(log: AuditLog) -> None:
    comparison = compare_logs(log, log)
    _assert_scoped(comparison._repr_html_())
    policy = parse_policy(
        {
            "kind": "policy",
            "name": "demo <b>",
            "rules": [
                {
                    "id": "sel",
                    "metric": "selection_rate",
                    "on": "value",
                    "op": ">",
                    "threshold": 0.99,
                    "severity": "block",
                }
            ],
        }
    )
    decision = decide(log, policy)
    html = decision._repr_html_()
    _assert_scoped(html)
    assert "demo &lt;b&gt;" in html and decision.verdict in html


@pytest.mark.parametrize("table", ["results", "comparisons", "criteria"])
def test_frames_pandas_and_polars_agree(log: AuditLog, table: str) -> None:
    pl = pytest.importorskip("polars")
    pdf = log.to_frame(table)
    plf = log.to_frame(table, backend="polars")
    assert isinstance(pdf, pd.DataFrame) and isinstance(plf, pl.DataFrame)
    n = {"results": len(log.results), "comparisons": len(log.comparisons)}.get(
        table, len(log.disparities)
    )
    assert len(pdf) == len(plf) == n
    assert list(pdf.columns) == plf.columns
    col = "value" if table != "comparisons" else "difference"
    left = pdf[col].astype(float).to_numpy()
    right = plf[col].cast(pl.Float64).to_numpy()
    assert ((left == right) | (pd.isna(left) & pd.isna(right))).all()


def test_frame_rejects_unknown_table(log: AuditLog) -> None:
    from equilens.exceptions import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="table must be one of"):
        log.to_frame("nope")  # type: ignore[arg-type]


def test_plot_returns_one_svg_per_family(log: AuditLog) -> None:
    figures = log.plot()
    assert len(figures) == len(log.families)
    for fig in figures:
        svg = fig._repr_svg_()
        assert svg.startswith("<svg") and svg.endswith("</svg>") and str(fig) == svg
        assert "<script" not in svg
    (race,) = log.plot(["race"])
    assert "&lt;script&gt;" in race.svg


def test_probe_run_renders_scoped() -> None:
    from equilens.probes import ProbeRun

    frame = make_frame(n=300, seed=1)
    probe_log = audit(frame, y_true="y", y_pred="pred", sensitive_features=["sex"], bootstrap=50)
    _assert_scoped(ProbeRun(log=probe_log, pairs=[], failures=[])._repr_html_())
