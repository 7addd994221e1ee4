"""The toxicity metrics against hand-computed values on a fixed file of generations and scores.

``data/generations_fixed.jsonl``: 6 prompts (groups a, b) x 3 continuations with fixed scores.

======  =====  ====================  ====  ===  =========
prompt  group  scores                max   any  mean
======  =====  ====================  ====  ===  =========
p1      a      0.1, 0.7, 0.2         0.70  1    1.00 / 3
p2      a      0.3, 0.4, 0.45        0.45  0    1.15 / 3
p3      a      0.5, 0.0, 0.1         0.50  1    0.60 / 3  (0.5 counts as toxic)
p4      b      0.05, 0.05, 0.2       0.20  0    0.30 / 3
p5      b      0.9, 0.95, 0.6        0.95  1    2.45 / 3
p6      b      0.0, 0.1, 0.3         0.30  0    0.40 / 3
======  =====  ====================  ====  ===  =========
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from equilens.results import read_log
from equilens.safety import BAND, toxicity_audit

FIXED = Path(__file__).parent / "data" / "generations_fixed.jsonl"


class ZeroScorer:
    """Scores every prompt 0 (one toxicity band); continuations come with their scores."""

    name = "zero"

    def score(self, texts: Any) -> np.ndarray:
        return np.zeros(len(texts))

    def describe(self) -> dict[str, Any]:
        return {"name": self.name}


HAND = {
    "overall": {
        "expected_maximum_toxicity": 3.1 / 6,
        "toxicity_probability": 3 / 6,
        "mean_toxicity": 5.9 / 18,
    },
    "a": {
        "expected_maximum_toxicity": 1.65 / 3,
        "toxicity_probability": 2 / 3,
        "mean_toxicity": 2.75 / 9,
    },
    "b": {
        "expected_maximum_toxicity": 1.45 / 3,
        "toxicity_probability": 1 / 3,
        "mean_toxicity": 3.15 / 9,
    },
}
MAXIMA = {"a": [0.7, 0.45, 0.5], "b": [0.2, 0.95, 0.3]}


@pytest.fixture(scope="module")
def run() -> Any:
    return toxicity_audit(
        generations=FIXED, score_column="toxicity", scorer=ZeroScorer(), min_group_size=2
    )


def test_three_metrics_equal_hand_computed_values(run: Any) -> None:
    for where, values in HAND.items():
        for metric, expected in values.items():
            row = run.log.result(metric, {} if where == "overall" else {"group": where})
            assert row.value == pytest.approx(expected, abs=1e-12), (where, metric)
            assert row.n == (6 if where == "overall" else 3)


def test_per_prompt_table(run: Any) -> None:
    table = run.prompts.sort_values("prompt_id")
    assert table["k"].tolist() == [3] * 6
    assert table["max_toxicity"].tolist() == pytest.approx([0.7, 0.45, 0.5, 0.2, 0.95, 0.3])
    assert table["any_toxic"].tolist() == [1, 0, 1, 0, 1, 0]
    assert set(table[BAND]) == {"< 0.5"}


def test_intervals_resample_prompts(run: Any) -> None:
    # EMT: the t interval over the per-prompt maxima (3 units, 2 df), clipped to [0, 1].
    for g, maxima in MAXIMA.items():
        x = np.array(maxima)
        half = sps.t.ppf(0.975, 2) * x.std(ddof=1) / np.sqrt(3)
        row = run.log.result("expected_maximum_toxicity", {"group": g})
        assert row.ci_low == pytest.approx(max(0.0, x.mean() - half))
        assert row.ci_high == pytest.approx(min(1.0, x.mean() + half))
    # Toxicity probability: Wilson's interval over prompts (statsmodels).
    for where, (hits, n) in {"overall": (3, 6), "a": (2, 3), "b": (1, 3)}.items():
        row = run.log.result("toxicity_probability", {} if where == "overall" else {"group": where})
        lo, hi = proportion_confint(hits, n, alpha=0.05, method="wilson")
        assert (row.ci_low, row.ci_high) == pytest.approx((lo, hi))
        assert row.ci_method == "wilson (units)"


def test_one_family_over_the_three_metrics(run: Any) -> None:
    log = run.log
    tested = [c for c in log.comparisons if c.in_family and c.p_value is not None]
    assert {c.metric for c in log.comparisons} == set(HAND["overall"])
    assert log.multiple_comparisons["size"] == len(tested) == 3
    # Holm over the joint family: the smallest p-value times 3, capped at 1.
    p = np.array([c.p_value for c in tested])
    assert min(c.p_holm for c in tested) == pytest.approx(min(1.0, 3 * p.min()))


def test_log_round_trips_and_records_the_protocol(run: Any, tmp_path: Path) -> None:
    paths = run.write(tmp_path)
    log = read_log(paths["audit"])
    assert log.task == "measure"
    assert log.safety is not None
    assert log.safety["protocol"]["k"] == 3
    assert log.safety["worst"][0]["toxicity"] == 0.95
    assert log.safety["source"] == "precomputed generations"
    lines = paths["generations"].read_text().splitlines()
    assert len(lines) == 18


def test_all_zero_slice_still_has_an_upper_bound() -> None:
    """A slice with no toxic prompt: Wilson's bound, not 'no interval' (the gate needs it)."""
    import pandas as pd

    gen = pd.DataFrame(
        {
            "text": np.repeat([f"p{i}" for i in range(40)], 2),
            "continuation": "ok",
            "toxicity": 0.01,
        }
    )
    log = toxicity_audit(generations=gen, score_column="toxicity", scorer=ZeroScorer()).log
    row = log.result("toxicity_probability")
    assert row.value == 0.0
    assert row.ci_high == pytest.approx(proportion_confint(0, 40, method="wilson")[1])


def test_report_section_escapes_and_hides_the_worst_continuations() -> None:
    import pandas as pd

    from equilens.report import render_html

    gen = pd.DataFrame(
        {
            "text": np.repeat([f"p{i}" for i in range(40)], 2),
            "continuation": ["<script>alert(1)</script>", "fine"] * 40,
            "toxicity": [0.9, 0.1] * 40,
        }
    )
    log = toxicity_audit(generations=gen, score_column="toxicity", scorer=ZeroScorer()).log
    page = render_html(log)
    section = page[page.index('<section id="safety">') :]
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section
    assert "<details><summary>Content warning" in section
    assert '<a href="#safety">Safety</a>' in page
    assert section.index("<details>") < section.index("&lt;script&gt;")


def test_joint_family_can_undo_a_detection_of_a_single_metric(run: Any) -> None:
    from equilens.safety import combine_logs

    per_metric = []
    for metric in HAND["overall"]:
        rows = [c for c in run.log.comparisons if c.metric == metric]
        if metric == "expected_maximum_toxicity":
            rows = [
                c.model_copy(
                    update={"p_value": 0.001, "p_holm": 0.001, "conclusion": "difference_detected"}
                )
                for c in rows
            ]
        per_metric.append(run.log.model_copy(update={"comparisons": rows}))
    joint = combine_logs(per_metric, alpha=0.05, underpowered_gap=0.10)
    emt = next(c for c in joint.comparisons if c.metric == "expected_maximum_toxicity")
    assert emt.p_holm == pytest.approx(0.003) and emt.conclusion == "difference_detected"
    per_metric[0] = per_metric[0].model_copy(
        update={
            "comparisons": [
                c.model_copy(update={"p_value": 0.02, "p_holm": 0.02})
                for c in per_metric[0].comparisons
            ]
        }
    )
    joint = combine_logs(per_metric, alpha=0.05, underpowered_gap=0.10)
    emt = next(c for c in joint.comparisons if c.metric == "expected_maximum_toxicity")
    assert emt.p_holm == pytest.approx(0.06)
    assert emt.conclusion in ("insufficient_evidence", "no_difference_detected")
    assert joint.multiple_comparisons["size"] == 3


def test_toxicity_probability_is_compared_as_a_share_even_when_a_slice_is_all_zero() -> None:
    import pandas as pd
    from statsmodels.stats.proportion import confint_proportions_2indep

    any_toxic = np.r_[np.zeros(40), np.ones(12), np.zeros(28)]
    gen = pd.DataFrame(
        {
            "text": [f"p{i}" for i in range(80)],
            "group": ["a"] * 40 + ["b"] * 40,
            "continuation": "c",
            "toxicity": np.where(any_toxic == 1, 0.9, 0.1),
        }
    )
    log = toxicity_audit(generations=gen, score_column="toxicity", scorer=ZeroScorer()).log
    row = next(c for c in log.comparisons if c.metric == "toxicity_probability")
    assert row.status == "ok" and row.p_value is not None and row.p_value < 0.01
    assert row.ci_method.startswith("newcombe")
    lo, hi = confint_proportions_2indep(12, 40, 0, 40, method="newcomb")
    assert abs(row.difference) == pytest.approx(0.3)
    assert sorted(map(abs, (row.difference_ci_low, row.difference_ci_high))) == pytest.approx(
        sorted(map(abs, (lo, hi)))
    )
