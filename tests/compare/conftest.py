"""Shared synthetic runs: one frame, a base model and a candidate that widens a gap."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import equilens
from equilens.results import AuditLog, write_log


def make_frame(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """Rows with a label, two features, a base model and a candidate that favours men."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], size=n, p=[0.4, 0.6])
    race = rng.choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2])
    y = rng.binomial(1, 0.4, size=n)
    base_score = np.clip(0.4 + 0.25 * (y - 0.4) + rng.normal(0, 0.2, n), 0, 1)
    cand_score = np.clip(
        base_score + 0.08 * (y - 0.4) + 0.12 * (sex == "male") - 0.05 + rng.normal(0, 0.03, n),
        0,
        1,
    )
    return pd.DataFrame(
        {
            "row_id": np.arange(n),
            "y": y,
            "sex": sex,
            "race": race,
            "base_score": base_score,
            "base_pred": (base_score >= 0.5).astype(int),
            "cand_score": cand_score,
            "cand_pred": (cand_score >= 0.5).astype(int),
        }
    )


def run_audit(df: pd.DataFrame, which: str, **kw: Any) -> AuditLog:
    opts: dict[str, Any] = {"bootstrap": 200, "seed": 0, "sensitive_features": ["sex", "race"]}
    opts.update(kw)
    return equilens.audit(df, y_true="y", y_pred=f"{which}_pred", y_score=f"{which}_score", **opts)


@pytest.fixture(scope="session")
def frame() -> pd.DataFrame:
    return make_frame()


@pytest.fixture(scope="session")
def logs(frame: pd.DataFrame) -> tuple[AuditLog, AuditLog]:
    return run_audit(frame, "base"), run_audit(frame, "cand")


@pytest.fixture(scope="session")
def files(
    tmp_path_factory: pytest.TempPathFactory, frame: pd.DataFrame, logs: tuple[AuditLog, AuditLog]
) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("compare")
    out = {
        "base": write_log(logs[0], d / "base.json"),
        "cand": write_log(logs[1], d / "cand.json"),
        "data": d / "preds.csv",
    }
    frame.to_csv(out["data"], index=False)
    return out
