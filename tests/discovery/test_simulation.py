"""Simulations: the share of null searches with any discovery, and power for a planted slice.

Under the global null (every slice has the same error rate), any significant slice is a false
one, so the share of searches with at least one is the family-wise error rate, which FDR
control bounds by the FDR level (only under the global null). Monte Carlo standard errors are
printed; the assertions allow two of them.
"""

from __future__ import annotations

import numpy as np
import pytest

from _slices_data import FEATURES, planted_frame
from equilens.discovery import discover_slices

pytestmark = pytest.mark.slow

FDR = 0.05
PLANTED = {"f0": "a", "f1": "b", "f2": "c"}


def _mc(share: float, runs: int) -> float:
    return float(np.sqrt(max(share * (1 - share), 1e-4) / runs))


@pytest.mark.parametrize(("task", "runs"), [("binary", 200), ("regression", 80), ("measure", 80)])
def test_null_searches_rarely_find_anything(task: str, runs: int) -> None:
    rng = np.random.default_rng({"binary": 10, "regression": 11, "measure": 12}[task])
    hits = 0
    for _ in range(runs):
        df = planted_frame(3000, rng)
        if task == "binary":
            kw = {"y_true": "y", "y_pred": "pred"}
        elif task == "regression":
            df["target"] = rng.normal(size=len(df))
            df["guess"] = df["target"] + rng.standard_t(3, size=len(df))
            kw = {"y_true": "target", "y_pred": "guess"}
        else:  # word errors over reference words, a ratio of sums
            df["words"] = rng.integers(1, 30, len(df))
            df["errors"] = rng.binomial(df["words"], rng.beta(2, 18, len(df)))
            kw = {"numerator": "errors", "denominator": "words"}
        doc = discover_slices(df, features=FEATURES, task=task, fdr=FDR, **kw)
        hits += doc["n_significant"] > 0
    share = hits / runs
    print(
        f"{task}: share of null searches with any discovery {share:.3f} +- {_mc(share, runs):.3f}"
    )
    assert share <= FDR + 2 * _mc(FDR, runs)


def test_a_planted_three_way_slice_is_recovered() -> None:
    rng = np.random.default_rng(20)
    runs, found, others = 60, 0, 0
    for _ in range(runs):
        df = planted_frame(6000, rng, base=0.1, raised=0.25)
        doc = discover_slices(df, features=FEATURES, y_true="y", y_pred="pred", fdr=FDR)
        discovered = [r["slice"] for r in doc["slices"] if r["status"] == "discovered"]
        found += PLANTED in discovered
        others += sum(1 for s in discovered if s != PLANTED)
    power = found / runs
    print(f"power {power:.3f} +- {_mc(power, runs):.3f}; other discovered slices per run "
          f"{others / runs:.3f}")  # fmt: skip
    assert power >= 0.8
    assert others / runs <= 0.3


def test_confirmation_split_confirms_the_planted_slice() -> None:
    rng = np.random.default_rng(21)
    df = planted_frame(12000, rng, base=0.1, raised=0.3)
    doc = discover_slices(df, features=FEATURES, y_true="y", y_pred="pred", confirm_split=0.5)
    rows = [r for r in doc["slices"] if r["status"] == "discovered"]
    planted = [r for r in rows if r["slice"] == PLANTED]
    assert planted and planted[0]["confirmed"] is True
    assert doc["confirm"]["n_tested"] == len(rows)
    assert doc["confirm"]["held_out_units"] == pytest.approx(6000, rel=0.05)
