"""Log an audit to MLflow: key metrics per group with their interval bounds, the gate verdict
as a tag, and ``audit.json``, ``report.html`` and ``summary.md`` as artifacts.

>>> from equilens.integrations.mlflow import log_audit
>>> run_id = log_audit(log, run="credit-model-v3")  # doctest: +SKIP

Metric names are ``equilens.<metric>.<group>`` (the group as ``race:Black/sex:Female``),
with ``.ci_low`` / ``.ci_high`` for the interval bounds and ``equilens.n.<group>`` for the
group's size; ``equilens.criterion.<criterion>.<features>`` for the key fairness criteria
between groups; ``equilens.comparisons.<conclusion>`` for the counts of conclusions. Group
labels come from data, so every character MLflow does not accept in a name becomes ``_``;
two labels that collide after that keep apart by a short hash suffix.
Needs ``pip install 'equilens[mlflow]'``.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import re
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from equilens._redact import redact_text
from equilens.adapters import MissingDependencyError
from equilens.exceptions import InvalidInputError
from equilens.report import ReportContent, key_criteria, render_html, render_markdown
from equilens.results import AuditLog, write_log

__all__ = ["EXTRA", "audit_metrics", "connect", "log_audit", "metric_name", "require_mlflow"]

EXTRA = "mlflow"
_BAD = re.compile(r"[^A-Za-z0-9_\-. /:]")
_RUN_ID = re.compile(r"^[0-9a-f]{32}$")
_MAX_NAME = 250
_BATCH = 500


def require_mlflow() -> Any:
    """The ``mlflow`` module, or a one-line error naming the extra to install."""
    try:
        return importlib.import_module("mlflow")
    except ImportError:
        raise MissingDependencyError(
            "--mlflow needs MLflow, which is not installed; install it with "
            f"`pip install 'equilens[{EXTRA}]'`"
        ) from None


@contextlib.contextmanager
def _mlflow_errors(what: str) -> Iterator[None]:
    """MLflow's own errors (a bad tracking URI, an unreachable server, a rejected value) as one
    redacted line: they are about the user's setup, not a bug here."""
    try:
        yield
    except Exception as exc:
        if not type(exc).__module__.startswith("mlflow"):
            raise
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InvalidInputError(redact_text(f"{what}: {first}")[:500]) from None


def connect(tracking_uri: str | None = None) -> Any:
    """MLflow, pointed at ``tracking_uri`` (checked now, so a bad URI fails before an audit
    runs): a one-line error for a missing extra or an unusable URI."""
    mlflow = require_mlflow()
    if tracking_uri:
        with _mlflow_errors(f"--mlflow-uri {tracking_uri}"):
            mlflow.set_tracking_uri(tracking_uri)
            mlflow.tracking.MlflowClient(tracking_uri)
    return mlflow


def metric_name(*parts: str) -> str:
    """``equilens.<part>.<part>`` with characters MLflow rejects replaced by ``_``."""
    name = ".".join(_BAD.sub("_", p).strip() or "_" for p in ("equilens", *parts))
    if len(name) > _MAX_NAME:
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        name = f"{name[: _MAX_NAME - 9]}~{digest}"
    return name


def _group(mapping: Mapping[str, str]) -> str:
    return "/".join(f"{k}:{v}" for k, v in mapping.items()) or "overall"


def audit_metrics(log: AuditLog) -> dict[str, float]:
    """The metrics :func:`log_audit` logs: key metrics per group with interval bounds and the
    group's size, the key criteria between groups with bounds, and the conclusion counts."""
    content = ReportContent.from_log(log)
    keys = set(content.key_metrics)
    out: dict[str, float] = {}
    raw_names: dict[str, str] = {}

    def put(value: float | None, *parts: str) -> None:
        if value is None:
            return
        name = metric_name(*parts)
        raw = "\x1f".join(parts)
        if raw_names.setdefault(name, raw) != raw:  # two labels sanitised to one name
            name = metric_name(
                *parts[:-1], f"{parts[-1]}~{hashlib.sha256(raw.encode()).hexdigest()[:6]}"
            )
        out[name] = float(value)

    for r in log.results:
        if r.metric not in keys:
            continue
        group = _group(r.slice)
        put(r.value, r.metric, group)
        put(r.ci_low, r.metric, group, "ci_low")
        put(r.ci_high, r.metric, group, "ci_high")
        put(float(r.n), "n", group)
    for d in key_criteria(log):
        feats = "x".join(d.features)
        put(d.value, "criterion", d.criterion, feats)
        put(d.ci_low, "criterion", d.criterion, feats, "ci_low")
        put(d.ci_high, "criterion", d.criterion, feats, "ci_high")
    for conclusion, count in content.conclusion_counts().items():
        put(float(count), "comparisons", conclusion)
    return out


def _artifacts(log: AuditLog, folder: Path, gate: Any | None) -> list[Path]:
    paths = [write_log(log, folder / "audit.json")]
    (folder / "report.html").write_text(render_html(log), encoding="utf-8")
    (folder / "summary.md").write_text(render_markdown(log), encoding="utf-8")
    paths += [folder / "report.html", folder / "summary.md"]
    if gate is not None:
        (folder / "decision.json").write_text(gate.to_json(), encoding="utf-8")
        paths.append(folder / "decision.json")
    return paths


def log_audit(
    log: AuditLog,
    *,
    run: str | None = None,
    tracking_uri: str | None = None,
    experiment: str | None = None,
    gate: Any | None = None,
    artifact_path: str = "equilens",
) -> str:
    """Log ``log`` to an MLflow run; returns the run's id.

    Parameters
    ----------
    log:
        The audit log.
    run:
        ``None``: the active run (``mlflow.start_run()`` around the call), else a new run;
        a 32-hex-digit id of an existing run: that run, resumed; otherwise: a new run of that
        name.
    tracking_uri:
        Where MLflow tracks (``sqlite:///mlflow.db``, ``http://host:5000``, ...); default:
        MLflow's own (``$MLFLOW_TRACKING_URI``).
    experiment:
        The experiment of a new run (created when missing); default: MLflow's active one.
    gate:
        A :class:`equilens.policy.GateDecision`: its verdict becomes the tag
        ``equilens.gate.verdict`` and ``decision.json`` an artifact.
    artifact_path:
        The folder of the run's artifacts the files go to.
    """
    mlflow = connect(tracking_uri)
    with _mlflow_errors("MLflow could not log the audit"):
        return _log(mlflow, log, run, experiment, gate, artifact_path)


def _log(
    mlflow: Any,
    log: AuditLog,
    run: str | None,
    experiment: str | None,
    gate: Any | None,
    artifact_path: str,
) -> str:
    if experiment:
        mlflow.set_experiment(experiment)
    active = mlflow.active_run()
    if run is None and active is not None:
        context = None
        run_id = active.info.run_id
    elif run is not None and _RUN_ID.match(run) and _exists(mlflow, run):
        context = mlflow.start_run(run_id=run, nested=active is not None)
        run_id = run
    else:
        name = run or f"equilens audit {log.run_id[:12]}"
        context = mlflow.start_run(run_name=name, nested=active is not None)
        run_id = context.info.run_id
    client = mlflow.tracking.MlflowClient()
    try:
        metrics = audit_metrics(log)
        items = list(metrics.items())
        entities = mlflow.entities
        now = int(time.time() * 1000)
        for start in range(0, len(items), _BATCH):
            chunk = items[start : start + _BATCH]
            client.log_batch(run_id, metrics=[entities.Metric(k, v, now, 0) for k, v in chunk])
        tags = {
            "equilens.run_id": log.run_id,
            "equilens.task": log.task,
            "equilens.format_version": log.format_version,
            "equilens.version": log.equilens_version,
        }
        if gate is not None:
            tags["equilens.gate.verdict"] = str(gate.verdict)
            tags["equilens.gate.policy"] = str(gate.policy_name)
        client.log_batch(run_id, tags=[entities.RunTag(k, v) for k, v in tags.items()])
        with tempfile.TemporaryDirectory(prefix="equilens-mlflow-") as tmp:
            for path in _artifacts(log, Path(tmp), gate):
                client.log_artifact(run_id, str(path), artifact_path)
    finally:
        if context is not None:
            mlflow.end_run()
    return str(run_id)


def _exists(mlflow: Any, run_id: str) -> bool:
    try:
        mlflow.tracking.MlflowClient().get_run(run_id)
    except Exception:  # MlflowException (RESOURCE_DOES_NOT_EXIST) or a bad id
        return False
    return True
