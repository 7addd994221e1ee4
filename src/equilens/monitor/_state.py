"""The monitor's persistent state (one JSON document) and its parts.

The state is self-describing: the configuration, the reference statistics, every stream's
null interval and threshold (fixed at ``init``), the policy the alarms follow, and one record
per look with that batch's statistics, drift scores and alarms. Everything the monitor shows is
recomputable from it. NaN is never written as a number (it is ``null``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from equilens.policy import Severity

__all__ = [
    "Alarm",
    "DriftRow",
    "Look",
    "MonitorConfig",
    "MonitorState",
    "Stream",
    "Unmonitored",
]

#: Version of the state document.
STATE_FORMAT_VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MonitorConfig(_Strict):
    """How batches are read and how alarms are decided (fixed at ``init``)."""

    y_true: str
    y_pred: str
    y_score: str | None = None
    sensitive: list[str]
    positive_label: str | int | float | bool | None = None
    bins: dict[str, list[float]] = Field(default_factory=dict)
    features: list[str] = Field(default_factory=list)
    """Columns whose distribution is tracked for drift (besides the scores)."""
    metrics: list[str]
    """Rates monitored per group (proportion metrics of the registry)."""
    alpha: float = 0.05
    """Family-wise false alarm probability over the horizon, all streams together."""
    horizon: int = 100
    """Looks covered by the guarantee."""
    min_shift: float = 0.05
    """Shift of a rate the detector is tuned for (its beta prior's standard deviation)."""
    tolerance: float = 0.0
    """Shifts within the reference interval widened by this much are not alarms."""
    min_group_size: int = 30
    """Streams whose reference denominator is smaller are not monitored."""
    default_severity: Severity = "warn"
    """Severity of an alarm that no policy rule maps."""


class Stream(_Strict):
    """One monitored rate of one group, with its null and threshold."""

    id: str
    feature: str | None
    group: str
    metric: str
    reference_x: int
    reference_n: int
    reference_rate: float
    null_low: float
    null_high: float
    prior_a: float
    prior_b: float
    alpha: float
    """This stream's share of ``alpha`` (Bonferroni)."""
    log_threshold: float

    @property
    def group_name(self) -> str:
        """``overall`` or ``feature=group``."""
        return "overall" if self.feature is None else f"{self.feature}={self.group}"


class Unmonitored(_Strict):
    """A group and rate the monitor cannot watch, and why."""

    feature: str | None
    group: str
    metric: str
    reason: str


class DriftRow(_Strict):
    """One descriptive drift statistic of one batch against the reference."""

    subject: str
    """``score`` (overall), ``score | sex=F``, or ``feature age``."""
    statistic: Literal["psi", "ks", "chi_square"]
    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    dof: int | None = None
    n_reference: int
    n_batch: int
    note: str = ""


class Alarm(_Strict):
    """A stream's detector crossed its threshold: what moved, how sure, who is told."""

    monitor_id: str
    look: int
    batch: str
    created: str
    stream_id: str
    feature: str | None
    group: str
    metric: str
    direction: Literal["up", "down"]
    severity: Severity
    rule_ids: list[str] = Field(default_factory=list)
    retrain: bool = False
    owners: list[str] = Field(default_factory=list)
    contacts: list[str] = Field(default_factory=list)
    messages: list[str] = Field(default_factory=list)
    reference_rate: float
    null_low: float
    null_high: float
    window_first_look: int
    """First look of the window with the most evidence (the estimated change point)."""
    window_rate: float
    window_ci_low: float
    window_ci_high: float
    window_n: int
    log_statistic: float
    log_threshold: float
    reason: str


class Look(_Strict):
    """One ingested batch."""

    look: int
    batch: str
    ingested_at: str
    fingerprint: str
    n_rows: int
    stats: dict[str, Any]
    drift: list[DriftRow] = Field(default_factory=list)
    log_statistics: dict[str, float] = Field(default_factory=dict)
    """Stream id -> ``log R`` after this look."""
    alarms: list[Alarm] = Field(default_factory=list)
    new_groups: list[str] = Field(default_factory=list)
    """Groups in this batch that the reference lacks (not monitored)."""


class MonitorState(_Strict):
    """Everything a monitor knows; written to ``STATE_DIR/monitor.json``."""

    kind: Literal["equilens-monitor"] = "equilens-monitor"
    format_version: Literal[1] = 1
    monitor_id: str
    created: str
    config: MonitorConfig
    reference: dict[str, Any]
    reference_fingerprint: str
    numeric_edges: dict[str, list[float]] = Field(default_factory=dict)
    streams: list[Stream]
    unmonitored: list[Unmonitored] = Field(default_factory=list)
    policy: dict[str, Any] | None = None
    policy_hash: str | None = None
    looks: list[Look] = Field(default_factory=list)

    def stream(self, stream_id: str) -> Stream:
        """The stream with this id."""
        for s in self.streams:
            if s.id == stream_id:
                return s
        raise KeyError(stream_id)
