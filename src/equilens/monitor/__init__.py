"""Monitoring over time: drift scores and always-valid alarms on per-group rates.

:func:`create_monitor` reduces a reference batch to sufficient statistics and fixes, for every
group and monitored rate (a *stream*), a null interval and an alarm threshold;
:func:`ingest_batch` adds one batch, scores its drift against the reference (PSI, KS,
chi-square; descriptive) and runs a Shiryaev-Roberts e-detector per stream, whose family-wise
false alarm probability over the horizon is at most ``alpha``. Alarms map to the policy's
rules, escalation routes and retraining triggers. See ``docs/monitoring.md``.
"""

from equilens.monitor._drift import (
    PSI_EPSILON,
    DriftScore,
    chi_square_counts,
    ks_binned,
    psi,
    psi_interval,
)
from equilens.monitor._monitor import (
    DEFAULT_METRICS,
    IngestResult,
    build_streams,
    create_monitor,
    detect,
    ingest_batch,
    stream_counts,
)
from equilens.monitor._persist import STATE_FILE, load_state, locked, save_state
from equilens.monitor._sequential import RateNull, clopper_pearson, log_sr_path, wilson_interval
from equilens.monitor._state import (
    Alarm,
    DriftRow,
    Look,
    MonitorConfig,
    MonitorState,
    Stream,
    Unmonitored,
)
from equilens.monitor._stats import OVERALL, SCORE_BINS, BatchStats, GroupRef
from equilens.monitor._store import read_alarms, store_alarms

__all__ = [
    "DEFAULT_METRICS",
    "OVERALL",
    "PSI_EPSILON",
    "SCORE_BINS",
    "STATE_FILE",
    "Alarm",
    "BatchStats",
    "DriftRow",
    "DriftScore",
    "GroupRef",
    "IngestResult",
    "Look",
    "MonitorConfig",
    "MonitorState",
    "RateNull",
    "Stream",
    "Unmonitored",
    "build_streams",
    "chi_square_counts",
    "clopper_pearson",
    "create_monitor",
    "detect",
    "ingest_batch",
    "ks_binned",
    "load_state",
    "locked",
    "log_sr_path",
    "psi",
    "psi_interval",
    "read_alarms",
    "save_state",
    "store_alarms",
    "stream_counts",
    "wilson_interval",
]
