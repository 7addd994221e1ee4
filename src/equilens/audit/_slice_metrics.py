"""Per-slice metric values, intervals and bootstrap draws, from the slice tables.

Each registry entry carries its own computation (:mod:`equilens.metrics._binary`); this
module only calls it.
"""

from __future__ import annotations

from equilens.metrics import BinaryContext, Evaluated, MetricSpec, SliceTables

__all__ = ["SliceTables", "evaluate_metric"]


def evaluate_metric(
    spec: MetricSpec, t: SliceTables, alpha: float, interval_method: str
) -> Evaluated:
    """Values, intervals (and draws where bootstrapped) of one metric on every slice."""
    if spec.evaluate is None:
        raise ValueError(f"metric '{spec.name}' has no computation for binary slice tables")
    ev: Evaluated = spec.evaluate(t, BinaryContext(alpha, interval_method))
    return ev
