"""Re-audit a card of true (or false) claims on fresh samples: the claim check's error rates.

The population: six cells (race a/b/c x sex F/M) of fixed size with their own base rate, TPR
and FPR. Each replicate draws every cell's confusion counts afresh (multinomial), computes
the audit's own proportion intervals (Wilson, Clopper-Pearson below 10) for 12 slices
(overall, 3 races, 2 sexes, 6 intersections) and checks a card of 45 claims against them.
The truth of each slice is the ratio of expected counts, so claims can sit exactly on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from equilens.cards import Claim, check_claims
from equilens.results import AuditLog, MetricResult
from equilens.stats._intervals import proportion_interval

RACES = ("a", "b", "c")
SEXES = ("F", "M")
CELL_N = np.array([400, 300, 250, 200, 150, 120])  # (a,F), (a,M), (b,F), (b,M), (c,F), (c,M)
BASE = np.array([0.45, 0.50, 0.40, 0.55, 0.35, 0.60])
TPR = np.array([0.70, 0.65, 0.75, 0.60, 0.72, 0.68])
FPR = np.array([0.25, 0.30, 0.20, 0.35, 0.22, 0.28])

# (metric, comparator, direction a false claim moves in): 4 metrics x 12 slices, 45 kept
METRICS = (
    ("accuracy_score", ">=", +1.0),
    ("true_positive_rate", ">=", +1.0),
    ("false_positive_rate", "<=", -1.0),
    ("selection_rate", "=", +1.0),
)


def _slices() -> list[tuple[dict[str, str], np.ndarray]]:
    cells = [(r, s) for r in RACES for s in SEXES]
    out: list[tuple[dict[str, str], np.ndarray]] = [({}, np.ones(6, bool))]
    out += [({"race": r}, np.array([c[0] == r for c in cells])) for r in RACES]
    out += [({"sex": s}, np.array([c[1] == s for c in cells])) for s in SEXES]
    out += [({"race": r, "sex": s}, np.array([c == (r, s) for c in cells])) for r, s in cells]
    return out


def _parts(counts: np.ndarray, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """Numerator and denominator from [..., TP, FN, FP, TN] counts."""
    tp, fn, fp, tn = (counts[..., i] for i in range(4))
    if metric == "accuracy_score":
        return tp + tn, tp + fn + fp + tn
    if metric == "true_positive_rate":
        return tp, tp + fn
    if metric == "false_positive_rate":
        return fp, fp + tn
    return tp + fp, tp + fn + fp + tn


def _probs() -> np.ndarray:
    """Each cell's [TP, FN, FP, TN] probabilities, shape (6, 4)."""
    return np.stack([BASE * TPR, BASE * (1 - TPR), (1 - BASE) * FPR, (1 - BASE) * (1 - FPR)], 1)


def _specs() -> list[tuple[str, str, float, dict[str, str], np.ndarray]]:
    return [(m, c, d, sl, mask) for m, c, d in METRICS for sl, mask in _slices()][:45]


def card(delta: float = 0.0) -> list[Claim]:
    """45 claims on the population's true values, each overstating the model by ``delta``
    (``delta = 0``: every claim true and on its boundary, the worst case)."""
    expected = CELL_N[:, None] * _probs()
    out = []
    for metric, comp, direction, sl, mask in _specs():
        num, den = _parts(expected[mask].sum(0), metric)
        value = float(num / den) + direction * delta
        out.append(Claim(metric, value, comp, slice=sl, tolerance=0.0))  # type: ignore[arg-type]
    return out


@dataclass(frozen=True)
class SimResult:
    reps: int
    any_raw: float
    any_adjusted: float
    claim_raw: float
    claim_adjusted: float

    @staticmethod
    def mcse(rate: float, reps: int) -> float:
        return float(np.sqrt(max(rate * (1 - rate), 1e-12) / reps))


def simulate(template: AuditLog, delta: float, reps: int, seed: int) -> SimResult:
    """Rates of contradiction over ``reps`` fresh samples for a card of 45 claims.

    ``delta = 0``: every claim is true and sits on its boundary (the worst case for false
    contradictions). ``delta > 0``: every claim overstates the model by ``delta``.
    Returns the share of replicates with any contradiction (raw and Holm-adjusted) and the
    share of claims contradicted (raw and adjusted).
    """
    rng = np.random.default_rng(seed)
    probs = _probs()
    counts = np.stack([rng.multinomial(n, p, size=reps) for n, p in zip(CELL_N, probs)], 1)
    claims = card(delta)
    estimates = []
    for metric, _, _, sl, mask in _specs():
        num, den = _parts(counts[:, mask].sum(1), metric)
        lo, hi, meth = proportion_interval(num, den, 0.05)
        estimates.append((metric, sl, num / den, lo, hi, meth, den))
    raw = np.zeros((reps, len(claims)), bool)
    adj = np.zeros((reps, len(claims)), bool)
    for i in range(reps):
        rows = [
            MetricResult(
                metric=metric,
                slice=sl,
                n=int(den[i]),
                value=float(v[i]),
                ci_low=float(lo[i]),
                ci_high=float(hi[i]),
                ci_method=str(meth[i]),
                status="ok",
                effective_n=float(den[i]),
            )
            for metric, sl, v, lo, hi, meth, den in estimates
        ]
        log = template.model_copy(update={"results": rows, "confidence_level": 0.95})
        checks = check_claims(log, claims)
        raw[i] = [c.raw_verdict == "contradicted" for c in checks]
        adj[i] = [c.verdict == "contradicted" for c in checks]
    return SimResult(
        reps=reps,
        any_raw=float(raw.any(1).mean()),
        any_adjusted=float(adj.any(1).mean()),
        claim_raw=float(raw.mean()),
        claim_adjusted=float(adj.mean()),
    )


def simulate_audits(reps: int, seed: int) -> tuple[float, float]:
    """The true card against ``reps`` full audits of fresh samples: any raw / adjusted
    contradiction rate (end to end through ``equilens.audit``)."""
    import pandas as pd

    from equilens.audit._run import audit

    rng = np.random.default_rng(seed)
    claims = card(0.0)
    race = np.repeat([r for r in RACES for _ in SEXES], CELL_N)
    sex = np.repeat([s for _ in RACES for s in SEXES], CELL_N)
    base, tpr, fpr = (np.repeat(x, CELL_N) for x in (BASE, TPR, FPR))
    any_raw = any_adj = 0
    for _ in range(reps):
        y = rng.random(race.size) < base
        pred = rng.random(race.size) < np.where(y, tpr, fpr)
        frame = pd.DataFrame({"race": race, "sex": sex, "y": y.astype(int), "p": pred.astype(int)})
        log = audit(
            frame,
            y_true="y",
            y_pred="p",
            sensitive_features=["race", "sex"],
            intersections=True,
            metrics=[
                "accuracy_score",
                "true_positive_rate",
                "false_positive_rate",
                "selection_rate",
            ],
            bootstrap=0,
            seed=0,
        )
        checks = check_claims(log, claims)
        any_raw += any(c.raw_verdict == "contradicted" for c in checks)
        any_adj += any(c.verdict == "contradicted" for c in checks)
    return any_raw / reps, any_adj / reps
