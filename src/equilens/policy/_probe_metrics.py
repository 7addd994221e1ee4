"""Names of the metric and comparison rows that probe runs write into an audit log.

Probes (``equilens probe``) write rows whose metrics are not in the metric registry (they are
computed from paired scores, not from per-slice statistics). A policy may name them like any
metric, so the validator accepts these names too.
"""

from __future__ import annotations

#: Metric rows of probe runs, each with its aliases.
PROBE_METRICS: dict[str, tuple[str, ...]] = {
    "mean_score": (),
    "positive_rate": (),
    "flip_rate": ("counterfactual_flip_rate",),
    "mean_score_shift": ("score_shift",),
    "median_score_shift": (),
    "mean_absolute_score_shift": (),
    "score_shift_effect_size_dz": ("d_z", "dz"),
    "subgroup_auc": (),
    "bpsn_auc": (),
    "bnsp_auc": (),
    "generalized_mean_subgroup_auc": (),
    "generalized_mean_bpsn_auc": (),
    "generalized_mean_bnsp_auc": (),
    "stereotype_preference_rate": (),
    "log_likelihood_difference": (),
    "language_model_score": (),
    "icat_score": (),
}

#: Comparison rows of probe runs (a value against its reference, or a rate against 1/2).
PROBE_COMPARISONS: tuple[str, ...] = (
    "mean_score",
    "positive_rate",
    "score_increase_rate",
    "stereotype_preference_rate",
    "flip_rate",
    "mean_absolute_score_shift",
)

_METRICS: dict[str, str] = {
    **{name: name for name in PROBE_METRICS},
    **{alias: name for name, aliases in PROBE_METRICS.items() for alias in aliases},
}


#: Comparison aliases: the mean-score comparison's difference is the mean score shift.
_COMPARISONS: dict[str, str] = {
    **{name: name for name in PROBE_COMPARISONS},
    "mean_score_shift": "mean_score",
}


def probe_metric_names(kind: str = "metric") -> list[str]:
    """Probe metric names and aliases (``kind="metric"``) or comparison names."""
    return list(_METRICS) if kind == "metric" else list(PROBE_COMPARISONS)


def canonical_probe_metric(name: str, kind: str = "metric") -> str | None:
    """The name a probe writes for ``name`` in metric (or comparison) rows; None when no probe
    writes such rows."""
    return (_COMPARISONS if kind == "comparison" else _METRICS).get(name)
