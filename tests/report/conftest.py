"""Audit logs shared by the report tests (built once per session)."""

from __future__ import annotations

import pytest

from _data import make_frame
from equilens.audit._run import audit
from equilens.results import AuditLog


@pytest.fixture(scope="session")
def log() -> AuditLog:
    """Three features with intersections, scores and small groups."""
    return audit(
        make_frame(n=2000, seed=0),
        y_true="y",
        y_pred="pred",
        y_score="score",
        sensitive_features=["race", "sex", "age"],
        intersections=True,
        bootstrap=100,
        seed=0,
    )
