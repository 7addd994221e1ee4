"""``equilens.audit.evaluate``: the audit after its engine pass, as one public step.

An audit log assembled from ``compute_statistics`` + ``build_plan`` + ``evaluate`` equals the
one ``audit()`` writes (results, criteria, comparisons and their family), bit for bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from _data import make_frame
from equilens import audit
from equilens.audit import Evaluation, evaluate
from equilens.engines import compute_statistics
from equilens.metrics import DEFAULT_METRICS, MetricSpec, metrics
from equilens.slicing import build_plan, resolve_intersections


def _via_evaluate(df: Any, *, y_score: str | None, weights: str | None, **kw: Any) -> Evaluation:
    stats, inputs = compute_statistics(
        df,
        y_true="y",
        y_pred="pred",
        y_score=y_score,
        sample_weight=weights,
        sensitive=["race", "sex"],
        positive_label=None,
        bins=None,
        max_groups_per_feature=100,
        score_mode="auto",
        engine="numpy",
    )
    chosen = [m for m in DEFAULT_METRICS if stats.has_scores or not metrics.get(m).needs_scores]
    plan = build_plan(
        stats,
        resolve_intersections(list(inputs.features), True),
        reference=None,
        reference_rule="largest",
        min_group_size=30,
    )
    return evaluate(
        stats,
        plan,
        chosen,
        weighted=inputs.weighted,
        alpha=1.0 - 0.95,  # as audit() derives it from confidence_level
        interval_method=kw.get("interval_method", "auto"),
        bootstrap=kw.get("bootstrap", 200),
        rng=np.random.default_rng(3),
    )


@pytest.mark.parametrize(
    ("scores", "weighted", "interval_method"),
    [(True, False, "auto"), (False, True, "auto"), (True, True, "bootstrap")],
)
def test_audit_log_equals_the_evaluate_step(
    scores: bool, weighted: bool, interval_method: str
) -> None:
    df = make_frame(n=1500, seed=4, weights=weighted)
    y_score = "score" if scores else None
    weights = "w" if weighted else None
    log = audit(
        df,
        y_true="y",
        y_pred="pred",
        y_score=y_score,
        sample_weight=weights,
        sensitive_features=["race", "sex"],
        intersections=True,
        bootstrap=200,
        seed=3,
        interval_method=interval_method,  # type: ignore[arg-type]
        engine="numpy",
    )
    ev = _via_evaluate(
        df, y_score=y_score, weights=weights, interval_method=interval_method, bootstrap=200
    )

    def dump(rows: list[Any]) -> list[dict[str, Any]]:
        return [r.model_dump(mode="json") for r in rows]

    assert dump(ev.results) == dump(log.results)
    assert dump(ev.disparities) == dump(log.disparities)
    assert dump(ev.comparisons) == dump(log.comparisons)
    assert ev.family == log.multiple_comparisons
    assert ev.comparison_metrics == log.spec_resolved["comparison_metrics"]
    assert set(ev.timings) == {"bootstrap", "metrics", "criteria", "comparisons"}
    if scores:
        assert ev.evaluated["roc_auc_score"].draws_kind == "parametric"


def test_every_binary_entry_carries_its_computation() -> None:
    for name in metrics.names():
        spec: MetricSpec = metrics.get(name)
        assert callable(spec.evaluate), name
        assert spec.task == "binary"
