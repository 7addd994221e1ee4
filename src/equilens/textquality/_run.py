"""``text_metrics``: per-segment metrics as per-unit measures, corpus metrics per slice.

Every sentence-level metric becomes a column of per-segment values that goes through the
audit's ``measure`` task (intervals, Welch tests, Holm/BH per slice, warnings, clusters), one
audit log per system and metric. Perplexity is a ratio of sums (negative log-likelihood over
tokens, i.e. cross-entropy per token), whose interval maps to perplexity by ``exp``. Corpus
BLEU/chrF/TER per slice, with bootstrap intervals and comparisons, go into each log's
``text_quality`` section (see :mod:`equilens.textquality._corpus`); with ``cluster`` the
corpus bootstrap and tests resample and permute clusters, as the per-segment audits do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.textquality._clusters import ClusterIndex
from equilens.textquality._corpus import corpus_tables
from equilens.textquality._sacre import CORPUS_METRICS, segment_statistics, sentence_scores
from equilens.textquality._segment_metrics import (
    ROUGE_TYPES,
    bertscore,
    language_model,
    log_likelihoods,
    rouge_scores,
)

METRICS: tuple[str, ...] = ("bleu", "chrf", "ter", "rouge", "bertscore", "perplexity")
#: Constant slice when no sensitive column is given.
ALL = "all"


@dataclass
class TextMetricsRun:
    """Per-segment values, the audit log of each (system, metric) and the corpus tables."""

    segments: pd.DataFrame
    logs: dict[tuple[str, str], Any] = field(default_factory=dict)
    corpus: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    signatures: dict[str, str] = field(default_factory=dict)
    models: dict[str, Any] = field(default_factory=dict)
    clusters: dict[str, Any] | None = None
    """The corpus bootstrap's cluster column and number of clusters (None: segments)."""


def check_metrics(metrics: Sequence[str]) -> list[str]:
    unknown = [m for m in metrics if m not in METRICS]
    if unknown or not metrics:
        raise InvalidParameterError(
            f"--metrics must list some of {', '.join(METRICS)}; got {', '.join(unknown) or 'none'}"
        )
    return list(dict.fromkeys(metrics))


def check_texts(values: Sequence[Any], column: str, *, allow_empty: bool = False) -> list[str]:
    """Strings of ``column``; a missing or (unless allowed) empty text is bad input."""
    out = []
    for i, v in enumerate(values):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            raise InvalidInputError(f"Column '{column}' has an empty or missing text at row {i}")
        text = str(v)
        if not allow_empty and not text.strip():
            raise InvalidInputError(f"Column '{column}' has an empty or missing text at row {i}")
        out.append(text)
    return out


def text_metrics(
    frame: pd.DataFrame,
    *,
    hypotheses: Sequence[str],
    reference: str | None,
    sensitive: Sequence[str] = (),
    metrics: Sequence[str] = ("bleu", "chrf", "ter", "rouge"),
    cluster: str | None = None,
    bootstrap: int = 1000,
    trials: int = 1000,
    seed: int = 0,
    bertscore_model: str | None = None,
    lm: Any = None,
    min_group_size: int = 30,
) -> TextMetricsRun:
    """Generation metrics per segment and slice for each hypothesis column (a system).

    ``lm`` is a loaded Hugging Face adapter (default: SmolLM2 through the adapter).
    """
    from equilens.audit import audit

    metrics = check_metrics(metrics)
    needs_ref = [m for m in metrics if m != "perplexity"]
    if needs_ref and reference is None:
        raise InvalidParameterError(f"--reference is needed for {', '.join(needs_ref)}")
    if not hypotheses:
        raise InvalidParameterError("--hypothesis needs at least one column")
    refs = check_texts(frame[reference].tolist(), reference) if reference else []
    segments = pd.DataFrame(index=frame.index)
    features = list(sensitive) or [ALL]
    for col in sensitive:
        segments[col] = frame[col].astype(str).to_numpy()
    if not sensitive:
        segments[ALL] = ALL
    index = None
    if cluster:
        segments[cluster] = frame[cluster].to_numpy()
        index = ClusterIndex.of(frame[cluster].to_numpy(), cluster)
    run = TextMetricsRun(segments)
    if index is not None:
        run.clusters = {"column": cluster, "n_clusters": index.n_clusters}
    stats: dict[str, dict[str, Any]] = {}
    measures: list[tuple[str, str, dict[str, Any]]] = []  # system, metric, audit columns
    for system in hypotheses:
        hyps = check_texts(frame[system].tolist(), system)
        stats[system] = {}
        for metric in [m for m in CORPUS_METRICS if m in metrics]:
            stats[system][metric] = segment_statistics(metric, hyps, refs)
            run.signatures[f"{metric} (corpus)"] = stats[system][metric].signature
            values, signature = sentence_scores(metric, hyps, refs)
            run.signatures[f"{metric} (sentence)"] = signature
            segments[f"{system}.{metric}"] = values
            measures.append((system, metric, {"value": f"{system}.{metric}"}))
        if "rouge" in metrics:
            for rtype, values in rouge_scores(hyps, refs).items():
                segments[f"{system}.{rtype}"] = values
                measures.append((system, rtype, {"value": f"{system}.{rtype}"}))
            run.models["rouge"] = {
                "package": "rouge-score",
                "types": list(ROUGE_TYPES),
                "measure": "F1",
                "stemmer": True,
            }
        if "bertscore" in metrics:
            values, info = bertscore(hyps, refs, model=bertscore_model)
            segments[f"{system}.bertscore_f1"] = values
            measures.append((system, "bertscore_f1", {"value": f"{system}.bertscore_f1"}))
            run.models["bertscore"] = info
        if "perplexity" in metrics:
            lm = lm if lm is not None else language_model()
            ll = log_likelihoods(hyps, lm)
            segments[f"{system}.nll"] = ll.nll
            segments[f"{system}.tokens"] = ll.tokens
            ratio = {"numerator": f"{system}.nll", "denominator": f"{system}.tokens"}
            measures.append((system, "nll_per_token", ratio))
            run.models["perplexity"] = ll.model
    if stats and any(stats.values()):
        run.corpus = corpus_tables(
            stats,
            {f: segments[f].tolist() for f in features},
            draws=bootstrap,
            trials=trials,
            seed=seed,
            clusters=index,
        )
    for system, metric, columns in measures:
        log = audit(
            segments,
            task="measure",
            sensitive_features=features,
            cluster=cluster,
            bootstrap=bootstrap,
            seed=seed,
            min_group_size=min_group_size,
            **columns,
        )
        run.logs[(system, metric)] = log.model_copy(
            update={"text_quality": _section(run, system, metric)}
        )
    return run


def _section(run: TextMetricsRun, system: str, metric: str) -> dict[str, Any]:
    corpus_metric = metric if metric in CORPUS_METRICS else None
    section: dict[str, Any] = {"system": system, "metric": metric}
    if corpus_metric:
        section["signatures"] = {
            k: v for k, v in run.signatures.items() if k.startswith(corpus_metric)
        }
        if run.clusters is not None:
            section["clusters"] = run.clusters
        for table, rows in run.corpus.items():
            section[table] = [
                r for r in rows if r["metric"] == corpus_metric and system in (r["system"],)
            ]
    elif metric in ROUGE_TYPES:
        section["settings"] = run.models.get("rouge")
    elif metric == "bertscore_f1":
        section["settings"] = run.models.get("bertscore")
    elif metric == "nll_per_token":
        section["settings"] = run.models.get("perplexity")
        section["note"] = "perplexity = exp(nll_per_token), bounds exp(ci_low), exp(ci_high)"
    return section


def perplexity_rows(log: Any) -> list[dict[str, Any]]:
    """Perplexity per slice from a ``nll_per_token`` log (exp of the value and its bounds)."""
    out = []
    for r in log.results:
        if r.metric != "ratio_of_sums":
            continue

        def ex(x: float | None) -> float | None:
            return float(np.exp(x)) if x is not None else None

        out.append(
            {
                "slice": dict(r.slice),
                "perplexity": ex(r.value),
                "ci_low": ex(r.ci_low),
                "ci_high": ex(r.ci_high),
            }
        )
    return out
