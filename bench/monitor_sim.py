"""Monitoring simulation: false alarms with no drift, detection of a shift in one group.

Prints the figures quoted in docs/monitoring.md. Run: ``python bench/monitor_sim.py [REPS]``.
Setting: two groups (A 60%, B 40%), base rate 0.4, TPR 0.8, FPR 0.1; a reference of 5,000 rows,
batches of 2,000 rows, 100 looks; 12 streams (selection rate, TPR, FPR, accuracy for overall,
A and B); alpha = 0.05 family-wise over the 100 looks.
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np

from equilens.monitor._sequential import wilson_interval
from equilens.monitor._simulate import simulate


def _rate(k: int, n: int) -> str:
    lo, hi = wilson_interval(k, n)
    se = math.sqrt(k / n * (1 - k / n) / n)
    return f"{k / n:.4f} (95% Wilson {lo:.4f}-{hi:.4f}; binomial s.e. {se:.4f}; {k}/{n})"


def main(reps: int = 1000) -> None:
    t0 = time.perf_counter()
    null = simulate(replications=reps, looks=100, alpha=0.05, seed=2025)
    print(f"no drift, 100 looks, {reps} replications:")
    print(f"  family-wise false alarm rate  {_rate(null.alarm_any, reps)}  (documented <= 0.05)")
    for shifted in (0.2, 0.15):
        res = simulate(
            replications=reps,
            looks=100,
            shifted_fpr=shifted,
            shift_after=30,
            alpha=0.05,
            seed=2026,
        )
        delays = np.asarray(res.delays)
        q = np.percentile(delays, [25, 50, 75, 90]) if delays.size else [math.nan] * 4
        print(f"FPR of group B 0.10 -> {shifted:.2f} after look 30, {reps} replications:")
        print(f"  detection rate (by look 100)  {_rate(res.detected, reps)}")
        print(
            f"  delay in looks: median {q[1]:.0f} (quartiles {q[0]:.0f}-{q[2]:.0f}, 90% {q[3]:.0f})"
        )
        print(f"  any false alarm before look 31 {_rate(res.false_before_shift, reps)}")
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
