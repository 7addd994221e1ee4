"""Monitoring simulation: false alarms with no drift, and detection of a shift in one group.

Counts are drawn directly: with independent rows, a batch's (group, y_true, y_pred) counts are
Multinomial(batch size, cell probabilities), the same distribution as drawing rows, so a
replication of 100 looks costs a few milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from equilens.monitor._monitor import DEFAULT_METRICS, build_streams, detect
from equilens.monitor._state import MonitorConfig
from equilens.monitor._stats import OVERALL, BatchStats, GroupRef

__all__ = ["SimulationResult", "simulate"]


@dataclass(frozen=True)
class SimulationResult:
    """Outcome of :func:`simulate`."""

    replications: int
    alarm_any: int
    """Replications with any alarm (before the shift, or at all when there is no shift)."""
    detected: int
    """Replications whose shifted stream alarmed after the shift (and by the horizon)."""
    delays: list[int]
    """Looks from the shift to the detection, for each detection."""
    false_before_shift: int
    """Replications with an alarm on any stream before the shift."""

    @property
    def false_alarm_rate(self) -> float:
        """Share of replications with any alarm (no-drift runs)."""
        return self.alarm_any / self.replications

    @property
    def detection_rate(self) -> float:
        """Share of replications whose shift was detected."""
        return self.detected / self.replications


def _cell_probs(
    share_b: float, base_rate: float, tpr: float, fprs: tuple[float, float]
) -> np.ndarray:
    out = []
    for g, share in ((0, 1 - share_b), (1, share_b)):
        fpr = fprs[g]
        out += [
            share * (1 - base_rate) * (1 - fpr),  # tn
            share * (1 - base_rate) * fpr,  # fp
            share * base_rate * (1 - tpr),  # fn
            share * base_rate * tpr,  # tp
        ]
    return np.asarray(out, dtype=np.float64)


_GROUPS = (OVERALL, GroupRef("g", "A"), GroupRef("g", "B"))


def _stats(counts: np.ndarray) -> BatchStats:
    per = counts.reshape(2, 2, 2).astype(np.int64)  # group, y_true, y_pred
    conf = np.stack([per.sum(axis=0), per[0], per[1]])
    return BatchStats(int(counts.sum()), _GROUPS, conf)


def simulate(
    *,
    replications: int = 1000,
    looks: int = 100,
    reference_size: int = 5000,
    batch_size: int = 2000,
    share_b: float = 0.4,
    base_rate: float = 0.4,
    tpr: float = 0.8,
    fpr: float = 0.1,
    shifted_fpr: float | None = None,
    shift_after: int = 30,
    alpha: float = 0.05,
    min_shift: float = 0.05,
    seed: int = 0,
) -> SimulationResult:
    """Run the monitor's detectors on simulated batches.

    Two groups ``g=A`` and ``g=B`` (share ``share_b``), the same base rate, TPR and FPR, and
    the default monitored rates (12 streams with ``overall``). With ``shifted_fpr``, group B's
    FPR becomes that value after look ``shift_after``.
    """
    rng = np.random.default_rng(seed)
    config = MonitorConfig(
        y_true="y",
        y_pred="p",
        sensitive=["g"],
        metrics=list(DEFAULT_METRICS),
        alpha=alpha,
        horizon=looks,
        min_shift=min_shift,
    )
    p0 = _cell_probs(share_b, base_rate, tpr, (fpr, fpr))
    p1 = _cell_probs(share_b, base_rate, tpr, (fpr, shifted_fpr if shifted_fpr else fpr))
    target = "false_positive_rate | g=B"
    alarm_any = detected = false_before = 0
    delays: list[int] = []
    for _ in range(replications):
        reference = _stats(rng.multinomial(reference_size, p0))
        streams, _ = build_streams(reference, config)
        n_pre = looks if shifted_fpr is None else min(shift_after, looks)
        draws = np.vstack(
            [
                rng.multinomial(batch_size, p0, size=n_pre),
                rng.multinomial(batch_size, p1, size=looks - n_pre),
            ]
        )
        dets = detect(streams, [_stats(c) for c in draws])
        firsts = [d.first_crossing for d in dets]
        if any(f is not None for f in firsts):
            alarm_any += 1
        if any(f is not None and f < n_pre for f in firsts):
            false_before += 1
        if shifted_fpr is not None:
            hit = next(d.first_crossing for d in dets if d.stream.id == target)
            if hit is not None and hit >= n_pre:
                detected += 1
                delays.append(hit + 1 - n_pre)
    return SimulationResult(replications, alarm_any, detected, delays, false_before)
