"""Running an audit spec: resolve the data source, check columns, call ``audit()``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from equilens._redact import remember_secrets_in
from equilens._yaml import Located
from equilens.audit import audit
from equilens.data import BinSpec, load_adult, load_compas, load_german_credit
from equilens.exceptions import EquilensError, InvalidInputError
from equilens.results import AuditLog
from equilens.spec._load import load_spec
from equilens.spec._media import SideFiles, check_media, media_kind, run_media
from equilens.spec._model import AuditSpec

if TYPE_CHECKING:
    from equilens.policy import Policy

_DATASETS: dict[str, Callable[[], Any]] = {
    "compas": load_compas,
    "german_credit": load_german_credit,
    "adult": load_adult,
}


def resolve_data(spec: AuditSpec, base: Path) -> tuple[Any, str]:
    """The data object to audit and a name for messages."""
    if spec.data.dataset is not None:
        return _DATASETS[spec.data.dataset](), f"shipped dataset '{spec.data.dataset}'"
    assert spec.data.path is not None
    path = Path(spec.data.path)
    if not path.is_absolute():
        path = base / path
    if not path.exists():
        raise InvalidInputError(f"data file not found: {path}")
    return path, path.name


def available_columns(data: Any) -> list[str]:
    """Column names of a data source without reading its rows.

    A folder (a partitioned data set, read by the duckdb engine) gives the columns of its
    first CSV or Parquet file.
    """
    if isinstance(data, Path):
        if data.is_dir():
            from equilens.engines import data_files

            files = data_files(data)
            if not files:
                raise InvalidInputError(
                    f"data.path {data} is a directory without .parquet, .pq, .csv or .csv.gz files"
                )
            return available_columns(files[0])
        name = data.name.lower()
        if name.endswith((".parquet", ".pq")):
            import pyarrow.parquet as pq

            try:
                return list(pq.read_schema(data).names)
            except Exception as exc:
                raise InvalidInputError(f"Cannot read Parquet file {data}: {exc}") from None
        import csv
        import gzip

        try:
            if name.endswith(".gz"):
                with gzip.open(data, "rt", newline="", encoding="utf-8", errors="replace") as gz:
                    return next(csv.reader(gz), [])
            with data.open(newline="", encoding="utf-8", errors="replace") as fh:
                return next(csv.reader(fh), [])
        except (OSError, csv.Error) as exc:
            raise InvalidInputError(f"Cannot read CSV file {data}: {exc}") from None
    return [str(c) for c in data.columns]


def check_columns(spec: AuditSpec, located: Located, spec_path: Path, data: Any, name: str) -> None:
    """Every column the spec names exists in the data (messages give the spec's line)."""
    have = set(available_columns(data))
    # Prediction columns a model computes need not exist in the data.
    computed = {"y_pred", "y_score"} if _uses_model(spec) else set()
    wanted: list[tuple[tuple[str | int, ...], str]] = [
        (("columns", role), col)
        for role, col in spec.columns.model_dump().items()
        if col is not None and role not in computed
    ]
    wanted += [(("sensitive_features", i), col) for i, col in enumerate(spec.sensitive_features)]
    wanted += text_metrics_columns(spec)
    wanted = [
        ((*loc[:-1], loc[-1], i), c) if isinstance(col, list) else (loc, col)
        for loc, col in wanted
        for i, c in (enumerate(col) if isinstance(col, list) else [(0, col)])
    ]
    for loc, col in wanted:
        if col not in have:
            line = located.line(loc)
            where = f"{spec_path}:{line}" if line else str(spec_path)
            shown = ", ".join(sorted(have)[:15])
            raise InvalidInputError(
                f"{where}: {'.'.join(map(str, loc))}: column '{col}' not found in {name}; "
                f"available columns: {shown}"
            )


def text_metrics_columns(spec: AuditSpec) -> list[tuple[tuple[str | int, ...], str]]:
    """The data columns the ``text_metrics:`` section names, with their keys."""
    tm = spec.text_metrics
    if tm is None:
        return []
    out: list[tuple[tuple[str | int, ...], str]] = []
    if isinstance(tm.hypothesis, str):
        out.append((("text_metrics", "hypothesis"), tm.hypothesis))
    else:
        out += [(("text_metrics", "hypothesis", i), c) for i, c in enumerate(tm.hypothesis)]
    out += [(("text_metrics", "sensitive", i), c) for i, c in enumerate(tm.sensitive or [])]
    out += [
        (("text_metrics", key), col)
        for key in ("reference", "cluster", "id")
        if (col := getattr(tm, key)) is not None
    ]
    return out


def text_metrics_path(spec_path: Path, value: str) -> Path:
    """A path of the ``text_metrics:`` section, relative to the spec's folder."""
    path = Path(value)
    return path if path.is_absolute() else spec_path.parent / path


def _check_text_metrics(spec: AuditSpec, located: Located, spec_path: Path, data: Any) -> None:
    tm = spec.text_metrics
    if tm is None:
        return

    def where(*loc: str) -> str:
        line = located.line(("text_metrics", *loc))
        return f"{spec_path}:{line}" if line else str(spec_path)

    if spec.text_only:
        for key in ("policy", "slices", "model"):
            if getattr(spec, key) is not None:
                line = located.line((key,))
                raise InvalidInputError(
                    f"{spec_path}:{line}: {key}: needs the spec's own audit (columns:); a spec "
                    "with text_metrics: and no columns: runs only the text metrics"
                )
    if not isinstance(data, Path) or data.is_dir():
        raise InvalidInputError(
            f"{where()}: text_metrics: needs data.path (one CSV or Parquet file with the texts)"
        )
    for key in ("ratings", "rubric", "bertscore_model", "lm"):
        value = getattr(tm, key)
        if value is not None and not text_metrics_path(spec_path, value).exists():
            raise InvalidInputError(
                f"{where(key)}: text_metrics.{key}: {text_metrics_path(spec_path, value)} not found"
            )
    for col in [*tm.systems, *(tm.sensitive or [])]:
        if "," in col:  # the section runs equilens textmetrics, whose lists are comma-separated
            raise InvalidInputError(f"{where()}: text_metrics: column '{col}' contains a comma")


#: Tasks whose audit needs predictions (a y_pred column or a model).
_PREDICTED = ("binary", "multiclass", "regression")


def _uses_model(spec: AuditSpec) -> bool:
    return spec.model is not None and spec.model.get("kind", "precomputed") != "precomputed"


def resolve_policy(spec: AuditSpec, spec_path: Path) -> Policy | None:
    """The spec's ``policy:`` (a path relative to the spec, or an inline mapping), validated."""
    from equilens.policy import load_policy, parse_policy

    if spec.policy is None:
        return None
    if isinstance(spec.policy, str):
        path = Path(spec.policy)
        return load_policy(path if path.is_absolute() else spec_path.parent / path)
    return parse_policy(spec.policy, source=f"{spec_path} (policy:)")


def validate_spec(path: str | Path) -> AuditSpec:
    """Load a spec, validate it (policy included) and check its columns against the data."""
    return _validated(Path(path))[0]


def _validated(spec_path: Path) -> tuple[AuditSpec, Any]:
    """The validated spec and its data source (a shipped dataset is loaded once)."""
    spec, located = load_spec(spec_path)
    remember_secrets_in(spec.model)  # so no error line can quote them
    resolve_policy(spec, spec_path)
    if media_kind(spec) is not None:
        return spec, check_media(spec, located, spec_path)
    if spec.model is not None:
        from equilens.adapters import check_model_spec

        try:
            check_model_spec(spec.model, base_dir=spec_path.parent)
        except EquilensError as exc:
            line = located.line(("model",))
            where = f"{spec_path}:{line}" if line else str(spec_path)
            raise InvalidInputError(f"{where}: model: {exc}") from None
    data, name = resolve_data(spec, spec_path.parent)
    _check_text_metrics(spec, located, spec_path, data)
    check_columns(spec, located, spec_path, data, name)
    if spec.text_only:
        return spec, data
    if spec.task in _PREDICTED and spec.columns.y_true is None:
        line = located.line(("columns",))
        raise InvalidInputError(
            f"{spec_path}:{line}: missing required key 'columns.y_true' (task: {spec.task})"
        )
    if spec.columns.y_pred is None and spec.model is None and spec.task in _PREDICTED:
        line = located.line(("columns",))
        raise InvalidInputError(
            f"{spec_path}:{line}: columns.y_pred is missing; give a y_pred column or a 'model'"
        )
    return spec, data


@dataclass
class SpecRun:
    """A spec's run: the spec, its audit log, and the files a media section adds beside
    audit.json (``cer.json``, ``utterances.csv``, ``images.csv``: name -> writer)."""

    spec: AuditSpec
    log: AuditLog
    files: SideFiles = field(default_factory=dict)


def run_spec(
    path: str | Path, *, progress: Callable[[str], None] | None = None
) -> tuple[AuditSpec, AuditLog]:
    """Validate and run a spec file; returns the spec and the audit log."""
    run = execute_spec(path, progress=progress)
    return run.spec, run.log


def execute_spec(path: str | Path, *, progress: Callable[[str], None] | None = None) -> SpecRun:
    """Validate and run a spec file, its ``speech:`` or ``images:`` section included."""
    spec_path = Path(path)
    spec, located = load_spec(spec_path)
    if media_kind(spec) is not None:
        resolve_policy(spec, spec_path)
        log, files = run_media(spec, located, spec_path)
        return SpecRun(spec, _with_spec(log, spec, spec_path, None), files)
    spec, data = _validated(spec_path)
    y_pred, y_score = spec.columns.y_pred, spec.columns.y_score
    model_record: dict[str, Any] | None = None
    if _uses_model(spec):
        from equilens.adapters import run_model_spec

        assert spec.model is not None
        run = run_model_spec(spec.model, data, base_dir=spec_path.parent)
        data = run.frame
        if run.ok_mask.sum() < len(data):
            data = data[run.ok_mask]
        y_pred = y_pred or run.columns.get("predict")
        # An adapter's score is the positive label's probability: binary audits only.
        if spec.task == "binary":
            y_score = y_score or run.columns.get("predict_proba")
        if y_pred is None:
            raise InvalidInputError(
                f"{spec_path}: the model computed no predicted labels (tasks: "
                f"{', '.join(run.columns)}); give columns.y_pred or a classifier"
            )
        model_record = run.record()
    cols = spec.columns
    log = audit(
        data,
        task=spec.task,
        y_true=cols.y_true,
        y_pred=y_pred,
        y_score=y_score,
        sample_weight=cols.sample_weight,
        value=cols.value,
        numerator=cols.numerator,
        denominator=cols.denominator,
        cluster=cols.cluster,
        query=cols.query,
        item=cols.item,
        rank=cols.rank,
        relevance=cols.relevance,
        item_group=cols.item_group,
        k=spec.k,
        top_k=spec.top_k,
        sensitive_features=list(spec.sensitive_features),
        positive_label=spec.positive_label,
        intersections=spec.intersections,
        bins={
            k: BinSpec(tuple(v.edges), tuple(v.labels) if v.labels else None)
            for k, v in spec.bins.items()
        }
        or None,
        reference=dict(spec.reference) or None,
        reference_rule=spec.reference_rule,
        metrics=spec.metrics,
        min_group_size=spec.min_group_size,
        min_class_count=spec.min_class_count,
        bootstrap=spec.bootstrap.draws,
        seed=spec.bootstrap.seed,
        confidence_level=spec.confidence_level,
        interval_method=spec.interval_method,
        score_mode=spec.score_mode,
        max_groups_per_feature=spec.max_groups_per_feature,
        underpowered_gap=spec.underpowered_gap,
        engine=spec.engine,
        progress=progress,
    )
    return SpecRun(spec, _with_spec(log, spec, spec_path, model_record))


def _with_spec(
    log: AuditLog, spec: AuditSpec, spec_path: Path, model_record: dict[str, Any] | None
) -> AuditLog:
    # Validated again (not model_copy), so the added sections are redacted like the rest.
    return AuditLog.model_validate(
        {
            **dict(log),
            "model": model_record,
            "spec_given": {
                **log.spec_given,
                "spec_file": str(spec_path),
                "spec": spec.model_dump(mode="json"),
            },
        }
    )
