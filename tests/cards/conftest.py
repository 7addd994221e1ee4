"""Audit logs shared by the card tests (built once per session)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from _data import make_frame
from equilens.audit._run import audit
from equilens.results import AuditLog

XSS = "<script>alert(1)</script>"


def hostile_frame(n: int = 1500, seed: int = 0) -> pd.DataFrame:
    """make_frame data whose group labels and a column name carry a script tag."""
    df = make_frame(n=n, seed=seed)
    df["race"] = df["race"].replace({"d": XSS})
    rng = np.random.default_rng(seed + 7)
    df[XSS] = rng.choice(["x", "y"], size=len(df))
    return df


@pytest.fixture(scope="session")
def log() -> AuditLog:
    """Two features plus a hostile column, with intersections, scores and a small group."""
    return audit(
        hostile_frame(),
        y_true="y",
        y_pred="pred",
        y_score="score",
        sensitive_features=["race", "sex", XSS],
        intersections=True,
        bootstrap=100,
        seed=0,
    )


@pytest.fixture(scope="session")
def other_log() -> AuditLog:
    """A second model on other data (for the comparison section)."""
    return audit(
        make_frame(n=1200, seed=3),
        y_true="y",
        y_pred="pred",
        y_score="score",
        sensitive_features=["race", "sex"],
        bootstrap=100,
        seed=0,
    )


@pytest.fixture(scope="session")
def compas_demo_log() -> AuditLog:
    """The COMPAS audit exactly as ``equilens demo`` (and ``make demo``) runs it."""
    from equilens.data import load_compas

    return audit(
        load_compas(),
        y_true="two_year_recid",
        y_pred="high_risk",
        y_score="risk_score",
        sensitive_features=["race", "sex", "age_cat"],
        intersections=True,
        reference={"race": "Caucasian", "sex": "Male", "age_cat": "25 - 45"},
        bootstrap=1000,
        seed=0,
    )
