"""Simulations: coverage of the prompt-level intervals, the naive generation-level interval's
under-coverage, the whole toxicity audit's false findings with identical slices, and the
coverage of the Rogan-Gladen corrected prevalence.

Continuations of one prompt share the prompt's propensity: a prompt has ``a ~ N(-1.5, 1.5)``
on the logit scale and each continuation scores ``sigmoid(a + N(0, 1))`` (intraclass
correlation of the logits 0.69). Truths come from 400,000 simulated prompts. Monte Carlo error
of a rate ``c`` over ``R`` replicates: ``sqrt(c (1 - c) / R)``. Figures measured are in
``docs/design/0015-toxicity.md``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from equilens.metrics._continuous import UnitContext, measure_metrics
from equilens.safety import corrected_prevalence, toxicity_audit
from equilens.stats._units import unit_sums

pytestmark = pytest.mark.slow

MU, SIGMA = -1.5, 1.5


def _scores(rng: np.random.Generator, shape: tuple[int, ...], k: int) -> np.ndarray:
    a = rng.normal(MU, SIGMA, (*shape, 1))
    return 1.0 / (1.0 + np.exp(-(a + rng.normal(size=(*shape, k)))))


def _evaluate(metric: str, x: np.ndarray, cluster: np.ndarray | None = None) -> Any:
    """The registry entry on replicates in rows of ``x`` (R, n): one cell each."""
    r, n = x.shape
    cell = np.repeat(np.arange(r, dtype=np.int64), n)
    values = np.column_stack([np.ones(r * n), x.reshape(-1)])
    sums = unit_sums(cell, r, values, ["weight", "value"], cluster=cluster)
    ctx = UnitContext(sums, np.eye(r), 0.05, "auto", 0, np.random.default_rng(0))
    spec = measure_metrics.get(metric)
    assert spec.evaluate is not None
    return spec.evaluate(spec, ctx)


def _covers(ev: Any, truth: float) -> float:
    return float(np.mean((ev.lo <= truth) & (truth <= ev.hi)))


def test_prompt_level_intervals_cover_and_generation_level_under_covers() -> None:
    k, prompts, reps = 25, 200, 2000
    truth_s = _scores(np.random.default_rng(1), (400_000,), k)
    truth = {
        "expected_maximum_toxicity": float(truth_s.max(axis=1).mean()),
        "toxicity_probability": float((truth_s.max(axis=1) >= 0.5).mean()),
        "mean_toxicity": float(truth_s.mean()),
    }
    s = _scores(np.random.default_rng(2), (reps, prompts), k)
    per_prompt = {
        "expected_maximum_toxicity": s.max(axis=2),
        "toxicity_probability": (s.max(axis=2) >= 0.5).astype(np.float64),
        "mean_toxicity": s.mean(axis=2),
    }
    mc = np.sqrt(0.95 * 0.05 / reps)
    coverage = {m: _covers(_evaluate(m, x), truth[m]) for m, x in per_prompt.items()}
    # The naive interval: every continuation an independent row (the generation level).
    naive = _covers(_evaluate("mean", s.reshape(reps, prompts * k)), truth["mean_toxicity"])
    # The same rows clustered by prompt recover the prompt-level coverage.
    cluster = np.tile(np.repeat(np.arange(prompts), k), reps).astype(np.int64)
    clustered = _covers(
        _evaluate("mean", s.reshape(reps, prompts * k), cluster), truth["mean_toxicity"]
    )
    print(f"truth {truth}; coverage {coverage}; naive {naive:.4f}; clustered {clustered:.4f}")
    for metric, cov in coverage.items():
        assert 0.93 <= cov <= 0.97, (metric, cov, mc)
    assert 0.93 <= clustered <= 0.97
    assert naive < 0.60, naive


def test_whole_toxicity_audit_false_findings_with_identical_slices() -> None:
    """Identical slices: family-wise false findings of the joint Holm family <= 0.05."""

    class Zero:
        name = "zero"

        def score(self, texts: Any) -> np.ndarray:
            return np.zeros(len(texts))

        def describe(self) -> dict[str, Any]:
            return {"name": self.name}

    rng = np.random.default_rng(3)
    reps, prompts, k = 300, 150, 10
    texts = np.repeat([f"p{i}" for i in range(prompts)], k)
    any_finding = 0
    family_sizes = set()
    for _ in range(reps):
        s = _scores(rng, (prompts,), k).reshape(-1)
        gen = pd.DataFrame(
            {
                "text": texts,
                "group": np.repeat(rng.choice(["a", "b", "c"], prompts), k),
                "topic": np.repeat(rng.choice(["x", "y"], prompts), k),
                "continuation": "",
                "tox": s,
            }
        )
        log = toxicity_audit(
            generations=gen, score_column="tox", scorer=Zero(), slices=["group", "topic"]
        ).log
        family_sizes.add(log.multiple_comparisons["size"])
        any_finding += any(c.conclusion == "difference_detected" for c in log.comparisons)
    rate = any_finding / reps
    mc = np.sqrt(0.05 * 0.95 / reps)
    print(f"family-wise false findings {rate:.4f} (MC {mc:.4f}); family sizes {family_sizes}")
    assert family_sizes == {9}
    assert rate <= 0.05 + 2.5 * mc


def test_corrected_prevalence_interval_covers_the_true_share() -> None:
    """Rogan-Gladen with Se, Sp estimated from 150 toxic and 150 non-toxic labelled texts.

    A text is truly toxic with probability ``sigmoid(a + N(0, 1))``, ``a ~ N(-1, 1)`` per
    prompt; the scorer flags it with Se = 0.80 / 1 - Sp = 0.10. Target: the population share of
    truly toxic texts.
    """
    rng = np.random.default_rng(4)
    a = rng.normal(-1.0, 1.0, (400_000, 1))
    truth = float((1.0 / (1.0 + np.exp(-(a + rng.normal(size=(400_000, 4)))))).mean())
    reps, prompts, k = 400, 150, 5
    se_true, sp_true = 0.80, 0.90
    hits = 0
    for _ in range(reps):
        a = rng.normal(-1.0, 1.0, (prompts, 1))
        p_toxic = 1.0 / (1.0 + np.exp(-(a + rng.normal(size=(prompts, k)))))
        truly = rng.random((prompts, k)) < p_toxic
        u = rng.random(truly.shape)
        flags = np.where(truly, u < se_true, u > sp_true)
        error = {
            "sensitivity": {"x": int(rng.binomial(150, se_true)), "n": 150},
            "specificity": {"x": int(rng.binomial(150, sp_true)), "n": 150},
        }
        out = corrected_prevalence(
            flags.reshape(-1).astype(float),
            np.repeat(np.arange(prompts), k),
            error,
            draws=1000,
            rng=rng,
        )
        hits += out["ci_low"] <= truth <= out["ci_high"]
    cov = hits / reps
    mc = np.sqrt(0.95 * 0.05 / reps)
    print(f"corrected prevalence coverage {cov:.4f} (MC {mc:.4f}); truth {truth:.4f}")
    assert 0.95 - 3 * mc <= cov <= 0.95 + 3 * mc
