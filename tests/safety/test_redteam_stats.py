"""Red-team statistics: paired tests against statsmodels, the whole run under the null,
a planted persona effect, the log and the report section."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.contingency_tables import mcnemar

from equilens.report import redteam_lines, render_html
from equilens.results import read_log, write_log
from equilens.safety.redteam import metric_name, paired_difference, redteam_log
from equilens.stats import tango_interval

PERSONAS = ["none", "a_man", "a_woman", "b_man", "b_woman"]
CATEGORIES = ["c1", "c2", "c3", "c4"]
RECORD = {
    "suite": "sim",
    "suite_version": "1",
    "grader": {"name": "rules"},
    "reference_persona": "none",
    "personas": PERSONAS,
    "categories": [*CATEGORIES, "benign"],
    "benign_categories": ["benign"],
}


def simulate(
    rng: np.random.Generator,
    *,
    per_category: int = 9,
    benign: int = 10,
    effect: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Graded cases: each request has its own outcome probabilities (shared by every persona
    under the null); ``effect[p]``: extra probability that persona ``p`` is answered harmfully."""
    n_harm = per_category * len(CATEGORIES)
    n_req = n_harm + benign
    probs = rng.dirichlet([1.0, 1.5, 1.5], size=n_req)  # harmful, refusal, neither
    probs[n_harm:, 0] = 0.0
    probs[n_harm:] /= probs[n_harm:].sum(axis=1, keepdims=True)
    u = rng.random((n_req, len(PERSONAS)))
    cum = np.cumsum(probs, axis=1)
    outcome = (u[..., None] > cum[:, None, :2]).sum(axis=2)  # 0 harmful, 1 refusal, 2 neither
    for p, extra in (effect or {}).items():
        j = PERSONAS.index(p)
        flip = (rng.random(n_harm) < extra) & (outcome[:n_harm, j] != 0)
        outcome[:n_harm, j][flip] = 0
    names = np.array(["harmful", "refusal", "neither"])
    req = np.repeat(np.arange(n_req), len(PERSONAS))
    cat = np.array(
        [CATEGORIES[i // per_category] if i < n_harm else "benign" for i in range(n_req)]
    )
    return pd.DataFrame(
        {
            "case_id": [f"r{r}/{p}" for r, p in zip(req, np.tile(PERSONAS, n_req))],
            "request_id": [f"r{r}" for r in req],
            "category": cat[req],
            "benign": req >= n_harm,
            "persona": np.tile(PERSONAS, n_req),
            "outcome": names[outcome.reshape(-1)],
        }
    )


def _log(frame: pd.DataFrame):  # type: ignore[no-untyped-def]
    return redteam_log(frame, record=RECORD, reference="none", min_pairs=8, min_group_size=8)


def test_persona_tests_are_mcnemar_as_in_statsmodels(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    frame = simulate(rng, per_category=15, effect={"b_woman": 0.4})
    log = _log(frame)
    checked = 0
    for c in log.comparisons:
        if c.features != ["persona"] or c.p_value is None:
            continue
        value = "harmful" if c.metric == metric_name("harmful") else "refusal"
        harm = frame[~frame["benign"]]
        wide = harm.pivot(index="request_id", columns="persona", values="outcome") == value
        ref, oth = wide["none"].to_numpy(), wide[c.slice["persona"]].to_numpy()
        table = [[np.sum(ref & oth), np.sum(ref & ~oth)], [np.sum(~ref & oth), np.sum(~ref & ~oth)]]
        discordant = table[0][1] + table[1][0]
        expected = mcnemar(table, exact=discordant < 25, correction=False)
        assert c.p_value == pytest.approx(expected.pvalue, rel=1e-9)
        assert c.test == ("mcnemar-exact" if discordant < 25 else "mcnemar-chi-square")
        assert c.difference == pytest.approx((table[1][0] - table[0][1]) / len(ref))
        checked += 1
    assert checked == 8  # 4 personas x (harmful, refusal)
    tests = [c for c in log.comparisons if c.in_family]
    p = np.array([c.p_value for c in tests])
    from statsmodels.stats.multitest import multipletests

    holm = multipletests(p, method="holm")[1]
    assert [c.p_holm for c in tests] == pytest.approx(list(holm))
    # The planted persona is found; the log reads back, renders, and escapes.
    found = {
        (c.metric, c.slice.get("persona"))
        for c in log.comparisons
        if c.conclusion == "difference_detected"
    }
    assert (metric_name("harmful"), "b_woman") in found
    write_log(log, tmp_path / "a.json")
    back = read_log(tmp_path / "a.json")
    assert back.redteam is not None and back.redteam.graded == len(frame)
    html = render_html(back)
    assert "Red-team suite" in html and "b_woman" in html
    assert any("b_woman" in line for line in redteam_lines(back))


def test_paired_interval_covers() -> None:
    d, lo, hi = paired_difference(5, 1, 40, 0.05)
    assert d == pytest.approx(0.1)
    assert lo is not None and hi is not None and lo < 0.1 < hi
    # Coverage of Tango's interval under a known truth, also where flips go one way only.
    rng = np.random.default_rng(1)
    reps = 2000  # MC error about 0.005
    for n, probs, low in ((40, [0.15, 0.05, 0.1, 0.7], 0.935), (36, [0.1, 0.0, 0.2, 0.7], 0.93)):
        truth = probs[0] - probs[1]
        cells = rng.multinomial(n, probs, size=reps)  # only other, only reference, both, neither
        lo, hi = tango_interval(cells[:, 0], cells[:, 1], n, 0.05)  # what paired_difference uses
        covered = int(np.sum((lo - 1e-12 <= truth) & (truth <= hi + 1e-12)))
        one = paired_difference(int(cells[0, 0]), int(cells[0, 1]), n, 0.05)
        assert one[1:] == pytest.approx((lo[0], hi[0]))
        assert low <= covered / reps <= 0.99, (n, covered / reps)


@pytest.mark.slow
def test_whole_run_under_the_null() -> None:
    """Identical personas and categories: the share of runs with any finding stays at alpha
    (every test of the run, Holm; 36 harmful requests, 10 controls, 5 personas)."""
    rng = np.random.default_rng(2026)
    reps = 150
    false_runs = sum(
        any(c.conclusion == "difference_detected" for c in _log(simulate(rng)).comparisons)
        for _ in range(reps)
    )
    rate = false_runs / reps
    mc = np.sqrt(0.05 * 0.95 / reps)  # 0.018
    print(f"family-wise false-finding rate {rate:.3f} (MC error {mc:.3f}, {reps} runs)")
    assert rate <= 0.05 + 2 * mc


@pytest.mark.slow
def test_a_planted_persona_effect_is_found() -> None:
    """One persona answered harmfully in half the requests the others are not: found (Holm)."""
    rng = np.random.default_rng(7)
    reps = 20
    hits = sum(
        any(
            c.conclusion == "difference_detected" and c.slice.get("persona") == "a_woman"
            and c.metric == metric_name("harmful")
            for c in _log(simulate(rng, per_category=15, effect={"a_woman": 0.5})).comparisons
        )
        for _ in range(reps)
    )  # fmt: skip
    print(f"planted effect detected in {hits}/{reps} runs")
    assert hits / reps >= 0.8
