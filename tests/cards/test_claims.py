"""Claim verdicts: semantics, edge cases, properties, and reading claims from files."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilens.cards import Claim, check_claim, check_claims, load_claims, render_card_markdown
from equilens.cards._claims import claim_from_mapping, parse_slice
from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.results import AuditLog, MetricResult


def _row(
    metric: str,
    value: float | None,
    lo: float | None,
    hi: float | None,
    *,
    slice: dict[str, str] | None = None,
    status: str = "ok",
    n: int = 500,
    reason: str | None = None,
) -> MetricResult:
    return MetricResult(
        metric=metric,
        slice=slice or {},
        n=n,
        value=value,
        ci_low=lo,
        ci_high=hi,
        ci_method="wilson" if lo is not None else "none",
        status=status,  # type: ignore[arg-type]
        reason=reason,
    )


def _log_with(log: AuditLog, *rows: MetricResult) -> AuditLog:
    return log.model_copy(update={"results": list(rows)})


def _verdict(log: AuditLog, claim: Claim, **kw: float) -> str:
    return check_claim(log, claim, **kw).verdict


# --------------------------------------------------------------------------------------------
# Semantics


def test_directional_metric_claims(log: AuditLog) -> None:
    lg = _log_with(log, _row("accuracy_score", 0.80, 0.77, 0.83))
    # ">=": supported when the interval lies above, contradicted when wholly below
    assert _verdict(lg, Claim("accuracy", 0.70, ">=")) == "supported"
    assert _verdict(lg, Claim("accuracy", 0.85, ">=")) == "contradicted"
    # overlapping and narrow (width 0.06 <= 0.10): consistent, not supported
    assert _verdict(lg, Claim("accuracy", 0.82, ">=")) == "consistent"
    # the same overlap with a narrower allowance is too wide to judge
    assert _verdict(lg, Claim("accuracy", 0.82, ">="), max_ci_width=0.05) == (
        "insufficient_evidence"
    )
    # "=" on a metric where higher is better reads as "at least as good as"
    better = check_claim(lg, Claim("accuracy", 0.70))
    assert better.verdict == "supported"
    assert "better than the value claimed" in better.reason
    worse = check_claim(lg, Claim("accuracy", 0.9))
    assert worse.verdict == "contradicted"
    assert "worse than claimed" in worse.reason
    # a "<=" claim on accuracy that the model beats clearly is contradicted (not worse, above)
    assert _verdict(lg, Claim("accuracy", 0.70, "<=")) == "contradicted"


def test_lower_is_better_metric(log: AuditLog) -> None:
    lg = _log_with(log, _row("false_positive_rate", 0.40, 0.37, 0.43))
    assert _verdict(lg, Claim("fpr", 0.30, "<=")) == "contradicted"
    assert _verdict(lg, Claim("fpr", 0.50, "<=")) == "supported"
    assert _verdict(lg, Claim("false_positive_rate", 0.30)) == "contradicted"
    assert _verdict(lg, Claim("false_positive_rate", 0.50)) == "supported"


def test_two_sided_metric_without_direction(log: AuditLog) -> None:
    lg = _log_with(log, _row("selection_rate", 0.40, 0.37, 0.43))
    # "= 0.4" means 0.38 to 0.42 (half a unit in the last digit, capped at 0.02): the
    # interval 0.37-0.43 overlaps it without lying inside
    assert _verdict(lg, Claim("selection_rate", 0.40)) == "consistent"
    assert _verdict(lg, Claim("selection_rate", 0.40, tolerance=0.05)) == "supported"
    assert _verdict(lg, Claim("selection_rate", 0.30)) == "contradicted"
    assert _verdict(lg, Claim("selection_rate", 0.50)) == "contradicted"
    # a tolerance that reaches the interval makes it consistent
    assert _verdict(lg, Claim("selection_rate", 0.30, tolerance=0.08)) == "consistent"


def test_boundaries_are_inclusive(log: AuditLog) -> None:
    lg = _log_with(log, _row("accuracy_score", 0.80, 0.75, 0.85))
    # ci_high equals the claimed lower edge exactly: overlap, not contradiction
    assert _verdict(lg, Claim("accuracy", 0.85, ">=", tolerance=0.0)) != "contradicted"
    assert _verdict(lg, Claim("accuracy", 0.850001, ">=", tolerance=0.0)) == "contradicted"
    assert _verdict(lg, Claim("accuracy", 0.75, ">=", tolerance=0.0)) == "supported"


def test_status_and_lookup_edge_cases(log: AuditLog) -> None:
    lg = _log_with(
        log,
        _row(
            "accuracy_score",
            0.5,
            0.1,
            0.9,
            slice={"race": "e"},
            status="insufficient_evidence",
            n=4,
            reason="4 rows, below the minimum group size",
        ),
        _row(
            "true_positive_rate",
            None,
            None,
            None,
            slice={"race": "f"},
            status="undefined",
            reason="no positive cases",
        ),
        _row("roc_auc_score", 1.0, None, None, slice={"race": "g"}),
        _row("count", 500.0, None, None),
    )
    small = check_claim(lg, Claim("accuracy", 0.99, ">=", slice={"race": "e"}))
    assert small.verdict == "insufficient_evidence"
    assert "below the minimum group size" in small.reason
    assert small.value == 0.5 and small.n == 4
    assert _verdict(lg, Claim("recall", 0.5, slice={"race": "f"})) == "insufficient_evidence"
    assert _verdict(lg, Claim("roc_auc", 0.9, slice={"race": "g"})) == "insufficient_evidence"
    assert _verdict(lg, Claim("accuracy", 0.5, slice={"race": "zz"})) == "not_measured"
    assert _verdict(lg, Claim("brier_score", 0.2)) == "not_measured"
    assert _verdict(lg, Claim("bleu", 30.0)) == "not_measured"
    # counts are exact: "=" within half a unit
    assert _verdict(lg, Claim("count", 500)) == "supported"
    assert _verdict(lg, Claim("count", 501)) == "contradicted"


def test_percentages_and_default_tolerance(log: AuditLog) -> None:
    lg = _log_with(log, _row("accuracy_score", 0.80, 0.79, 0.81))
    pct = check_claim(lg, Claim("accuracy", 78.0))
    assert pct.verdict == "supported"
    assert "percentage" in pct.reason
    assert _verdict(lg, Claim("accuracy", 85.0, ">=")) == "contradicted"
    # the tolerance of "=" is half a unit in the last digit written, capped at 0.02
    tol = {
        text: check_claim(lg, claim_from_mapping({"metric": "accuracy", "value": text}, "x"))
        for text in ("0.85", "0.8", "1", "0", "0.6617", "1e-05", "85%", "85.5%")
    }
    assert tol["0.85"].tolerance == pytest.approx(0.005)
    assert tol["0.8"].tolerance == pytest.approx(0.02)
    assert tol["1"].tolerance == pytest.approx(0.02)
    assert tol["0"].tolerance == pytest.approx(0.02)
    assert tol["0.6617"].tolerance == pytest.approx(0.00005)
    assert tol["1e-05"].tolerance == pytest.approx(5e-06)
    assert tol["85%"].tolerance == pytest.approx(0.005)
    assert tol["85.5%"].tolerance == pytest.approx(0.0005)
    # a one-sided claim has no tolerance unless written
    assert check_claim(lg, Claim("accuracy", 0.70, ">=")).tolerance == 0.0
    written = claim_from_mapping({"metric": "accuracy", "value": ">= 0.70 ± 0.02"}, "x")
    assert (written.comparator, written.tolerance) == (">=", 0.02)
    assert check_claim(lg, written).claimed_low == pytest.approx(0.68)


@pytest.mark.parametrize(
    ("value", "metric", "scale", "comparator"),
    [
        ("1%", "fpr", 0.01, "<="),
        ("0.5%", "fpr", 0.005, "<="),
        ("0.5 %", "fpr", 0.005, "<="),
        ("30 percent", "fpr", 0.30, "<="),
        ("80%", "disparate_impact_ratio", 0.80, ">="),
        ("5 pp", "demographic_parity_difference", 0.05, "<="),
        ("5 percentage points", "demographic_parity_difference", 0.05, "<="),
        ("0.05", "demographic_parity_difference", 0.05, "<="),
    ],
)
def test_units(log: AuditLog, value: str, metric: str, scale: float, comparator: str) -> None:
    """'FPR <= 1%' is 0.01 (it was read as 1.0, so 42.3% "supported" it)."""
    raw = {"metric": metric, "value": value, "comparator": comparator, "features": "race"}
    claim = claim_from_mapping(raw, "x")
    lg = _log_with(log, _row("false_positive_rate", 0.423, 0.399, 0.448))
    check = check_claim(lg, claim)
    bound = check.claimed_high if comparator == "<=" else check.claimed_low
    assert bound == pytest.approx(scale)
    if metric == "fpr":
        assert check.verdict == "contradicted"  # 42.3% (39.9-44.8%) against every bound
        assert "percentage" not in check.reason


@pytest.mark.parametrize(
    ("value", "metric", "match"),
    [
        ("5%", "demographic_parity_difference", "ambiguous"),
        ("5 pp", "fpr", "percentage points"),
        ("5 pp", "disparate_impact_ratio", "percentage points"),
        ("0.7 points", "accuracy", "unknown unit 'points'"),
        ("70‰", "accuracy", "unknown unit"),
        ("0.7 ± 2%", "accuracy", "same unit"),
        ("3%", "count", "no unit"),
        ("high", "accuracy", "must be a number"),
        (">= 0.7", "accuracy", "comparator"),
    ],
)
def test_bad_units(tmp_path: Path, value: str, metric: str, match: str) -> None:
    path = tmp_path / "claims.csv"
    comparator = "<=" if value.startswith(">=") else ""
    path.write_text(
        f"metric,features,value,comparator\n{metric},race,{value},{comparator}\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInputError, match=match) as info:
        load_claims(path)
    assert str(info.value).startswith(f"{path}:2: ")
    assert "\n" not in str(info.value)


def test_yaml_keeps_digits_as_written(tmp_path: Path) -> None:
    """YAML reads 0.70 as 0.7; the claim keeps the two decimals the claimant wrote."""
    path = tmp_path / "claims.yaml"
    path.write_text(
        "claims:\n- {metric: accuracy, value: 0.70}\n- metric: fpr\n  value: 1%\n"
        "  comparator: '<='\n- {metric: selection_rate, value: '0.40', tolerance: 0.01}\n",
        encoding="utf-8",
    )
    a, b, c = load_claims(path)
    assert (a.value, a.decimals, a.value_text) == (0.7, 2, "0.70")
    assert (b.value, b.unit, b.value_text) == (1.0, "%", "1%")
    assert (c.decimals, c.tolerance) == (2, 0.01)


def test_criterion_claims(log: AuditLog) -> None:
    d = next(
        x
        for x in log.disparities
        if x.criterion == "equalized_odds_difference"
        and x.features == ["race"]
        and x.method == "between_groups"
    )
    assert d.ci_low is not None and d.ci_high is not None
    below = Claim("equalized_odds_difference", d.ci_low - 0.05, "<=", features=["race"])
    above = Claim("equalized_odds_difference", d.ci_high + 0.05, "<=", features=["race"])
    assert _verdict(log, below) == "contradicted"
    assert _verdict(log, above) == "supported"
    missing = Claim("equalized_odds_difference", 0.1, "<=", features=["nope"])
    assert _verdict(log, missing) == "not_measured"


def test_bad_max_ci_width(log: AuditLog) -> None:
    with pytest.raises(InvalidParameterError, match="max_ci_width"):
        check_claim(log, Claim("accuracy", 0.5), max_ci_width=0.0)


@settings(max_examples=150, deadline=None)
@given(
    centre=st.floats(0.05, 0.95),
    half=st.floats(0.001, 0.2),
    claim=st.floats(0.0, 1.0),
    tol=st.floats(0.0, 0.05),
    comparator=st.sampled_from(["=", ">=", "<="]),
    metric=st.sampled_from(["accuracy_score", "false_positive_rate", "selection_rate"]),
)
def test_verdict_geometry(
    log: AuditLog,
    centre: float,
    half: float,
    claim: float,
    tol: float,
    comparator: str,
    metric: str,
) -> None:
    lo, hi = max(0.0, centre - half), min(1.0, centre + half)
    lg = _log_with(log, _row(metric, centre, lo, hi))
    c = Claim(metric, claim, comparator, tolerance=tol)  # type: ignore[arg-type]
    v = check_claim(lg, c).verdict
    gib = {"accuracy_score": True, "false_positive_rate": False, "selection_rate": None}[metric]
    reads_ge = comparator == ">=" or (comparator == "=" and gib is True)
    reads_le = comparator == "<=" or (comparator == "=" and gib is False)
    region_lo = claim - tol if not reads_le else float("-inf")
    region_hi = claim + tol if not reads_ge else float("inf")
    disjoint = hi < region_lo or lo > region_hi
    inside = region_lo <= lo and hi <= region_hi
    assert (v == "contradicted") == disjoint
    if inside:
        assert v == "supported"
    if not disjoint and not inside:
        assert v == ("consistent" if hi - lo <= 0.10 else "insufficient_evidence")
    # a claimed value inside the interval is never contradicted
    if lo <= claim <= hi:
        assert v != "contradicted"


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.floats(0.0, 1.0), min_size=2, max_size=8))
def test_ge_claims_are_monotone(log: AuditLog, values: list[float]) -> None:
    lg = _log_with(log, _row("accuracy_score", 0.6, 0.5, 0.7))
    rank = {"supported": 0, "consistent": 1, "insufficient_evidence": 1, "contradicted": 2}
    verdicts = [
        rank[_verdict(lg, Claim("accuracy", v, ">=", tolerance=0.0))] for v in sorted(values)
    ]
    assert verdicts == sorted(verdicts)


# --------------------------------------------------------------------------------------------
# Reading claims


def test_parse_slice() -> None:
    assert parse_slice("overall") == {}
    assert parse_slice("race=A; sex=F") == {"race": "A", "sex": "F"}
    assert parse_slice("race=A, sex=F") == {"race": "A", "sex": "F"}
    with pytest.raises(ValueError, match="FEATURE=VALUE"):
        parse_slice("race")


def test_load_readme_yaml_and_csv(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        "---\nlicense: mit\nmodel-index:\n- name: m\n  results:\n  - task: {type: x}\n"
        "    metrics:\n    - type: accuracy\n      value: 0.8\n"
        "    - type: recall\n      value: 0.7\n      args: {slice: {race: a}, comparator: '>='}\n"
        "---\n# text\n",
        encoding="utf-8",
    )
    claims = load_claims(readme)
    assert [c.metric for c in claims] == ["accuracy", "recall"]
    assert claims[1].slice == {"race": "a"} and claims[1].comparator == ">="
    assert claims[1].source == f"{readme}:10"
    y = tmp_path / "claims.yaml"
    y.write_text(
        "claims:\n- {metric: accuracy, value: 0.8}\n"
        "- {metric: demographic_parity_difference, features: race, value: 0.1, comparator: '<'}\n",
        encoding="utf-8",
    )
    loaded = load_claims(y)
    assert loaded[1].features == ["race"] and loaded[1].comparator == "<="
    c = tmp_path / "claims.csv"
    c.write_text(
        "metric,slice,value,comparator\naccuracy,race=a,0.8,>=\nfpr,overall,30%,<=\n",
        encoding="utf-8",
    )
    rows = load_claims(c)
    assert rows[0].slice == {"race": "a"} and rows[1].value == 30.0 and rows[1].unit == "%"
    assert rows[1].source.endswith(":3")


@pytest.mark.parametrize(
    ("name", "text", "match"),
    [
        ("bad.yaml", "claims:\n- {metric: accuracy, value: 0.8\n", r"bad\.yaml:\d+: invalid YAML"),
        (
            "nov.yaml",
            "- {metric: accuracy, value: 1}\n- metric: f1\n  value: high\n",
            r"nov\.yaml:2: value",
        ),
        ("cmp.yaml", "- {metric: f1, value: 0.5, comparator: '~'}\n", r"cmp\.yaml:1: comparator"),
        (
            "crit.yaml",
            "- {metric: equalized_odds_difference, value: 0.1}\n",
            r"crit\.yaml:1: .*features",
        ),
        ("open.md", "---\nmodel-index: []\n", r"open\.md:1: .*not closed"),
        ("none.md", "# no front matter\n", r"none\.md:1: no YAML front matter"),
        ("bad.md", "---\nmodel-index:\n  - name: [\n---\n", r"bad\.md:\d+: invalid YAML"),
        ("cols.csv", "metric,val\naccuracy,1\n", r"cols\.csv:1: .*metric and value"),
        ("row.csv", "metric,value\naccuracy,0.5\nf1,\n", r"row\.csv:3: missing 'value'"),
        ("x.txt", "metric,value\n", r"unknown claims format"),
    ],
)
def test_malformed_claim_files(tmp_path: Path, name: str, text: str, match: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInputError, match=match) as info:
        load_claims(path)
    assert "\n" not in str(info.value)


def test_missing_claims_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="not found"):
        load_claims(tmp_path / "README.md")


def test_generated_card_round_trips(log: AuditLog, tmp_path: Path) -> None:
    card = tmp_path / "model_card.md"
    card.write_text(render_card_markdown(log, front_matter_groups="all"), encoding="utf-8")
    claims = load_claims(card)
    ok_rows = [
        r
        for r in log.results
        if r.status == "ok"
        and r.value is not None
        and r.metric != "count"
        and (
            not r.slice
            or r.metric
            in {
                "accuracy_score",
                "selection_rate",
                "true_positive_rate",
                "false_positive_rate",
                "precision_score",
                "roc_auc_score",
            }
        )
    ]
    assert len(claims) == len(ok_rows)
    checks = check_claims(log, claims)
    # a card's own values (to four decimals) lie inside their intervals: never contradicted
    assert {c.raw_verdict for c in checks} <= {"supported", "consistent", "insufficient_evidence"}
    assert {c.verdict for c in checks} <= {"supported", "consistent", "insufficient_evidence"}
    overall = [c for c in checks if not c.claim.slice]
    assert overall and all(c.verdict in ("supported", "consistent") for c in overall)
