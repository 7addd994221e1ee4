"""Calling a text model on many inputs, keeping going when some inputs fail.

A probe's model is a plain callable ``model(texts: list[str]) -> scores`` returning one finite
number per text (a probability of the positive class, a toxicity score, a log-likelihood), or
an object with such a ``predict_proba`` method (equilens model adapters). The model is called
in batches; when a batch raises, its texts are retried one at a time so that only the inputs
that really fail are lost. Each failure is recorded with the input's index and a one-line
error; the rest of the run goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilens import _progress
from equilens.exceptions import InvalidParameterError

__all__ = ["Failure", "TextScorer", "as_text_scorer", "score_texts"]

FloatArray = NDArray[np.float64]
#: A model as probes use it: texts in, one score per text out.
TextScorer = Callable[[list[str]], Any]


@dataclass(frozen=True)
class Failure:
    """One input the model could not score.

    Attributes
    ----------
    index : int
        Position of the input in the list of texts given to the model.
    text : str
        The input.
    error : str
        One line: the exception type and message, or what was wrong with the output.
    """

    index: int
    text: str
    error: str

    def __str__(self) -> str:
        return f"input #{self.index} ({_clip(self.text)!r}): {self.error}"


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _one_line(exc: BaseException, limit: int = 300) -> str:
    message = " ".join(str(exc).split())
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def as_text_scorer(model: Any) -> TextScorer:
    """The scoring function of ``model``.

    An equilens model adapter (an object with ``predict_proba`` and ``prepare_inputs``) is
    called as ``predict_proba(prepare_inputs(texts))``; another object with ``predict_proba``
    as ``predict_proba(texts)``; a plain callable as ``model(texts)``.

    Raises
    ------
    InvalidParameterError
        If ``model`` is neither callable nor has a callable ``predict_proba``.
    """
    method = getattr(model, "predict_proba", None)
    prepare = getattr(model, "prepare_inputs", None)
    if callable(method) and callable(prepare):

        def adapter_scores(texts: list[str]) -> Any:
            return method(prepare(texts))

        return adapter_scores
    if callable(method):
        return method  # type: ignore[no-any-return]
    if callable(model):
        return model  # type: ignore[no-any-return]
    raise InvalidParameterError(
        "The 'model' parameter must be a callable taking a list of texts or an object with a "
        f"predict_proba method. Got {type(model).__name__} instead."
    )


def _call(scorer: TextScorer, texts: list[str]) -> FloatArray:
    out = scorer(texts)
    arr = np.asarray(out, dtype=np.float64)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.shape != (len(texts),):
        raise ValueError(f"model returned {arr.shape} outputs for {len(texts)} inputs")
    return arr


def score_texts(
    model: Any, texts: Sequence[str], *, batch_size: int = 64
) -> tuple[FloatArray, list[Failure]]:
    """Score ``texts`` with ``model`` in batches, isolating the inputs that fail.

    Parameters
    ----------
    model : callable or object with ``predict_proba``
        See :func:`as_text_scorer`.
    texts : sequence of str
        The inputs.
    batch_size : int, default 64
        Texts per call.

    Returns
    -------
    scores : ndarray of float64, shape (len(texts),)
        NaN where the input failed.
    failures : list of Failure
        One per failed input, in input order: the model raised on it alone, or returned a
        non-finite or non-numeric score for it.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise InvalidParameterError(
            "The 'batch_size' parameter of score_texts must be an int in the range [1, inf). "
            f"Got {batch_size!r} instead."
        )
    scorer = as_text_scorer(model)
    items = list(texts)
    scores = np.full(len(items), np.nan)
    errors: dict[int, str] = {}
    with _progress.bar("probe: scoring texts", total=len(items)) as advance:
        for start in range(0, len(items), batch_size):
            batch = items[start : start + batch_size]
            try:
                scores[start : start + len(batch)] = _call(scorer, batch)
            except Exception:
                for offset, text in enumerate(batch):
                    try:
                        scores[start + offset] = _call(scorer, [text])[0]
                    except Exception as exc:
                        errors[start + offset] = _one_line(exc)
            advance(len(batch))
    for i in np.flatnonzero(~np.isfinite(scores)):
        errors.setdefault(int(i), f"model returned a non-finite score ({scores[i]})")
        scores[i] = np.nan
    failures = [Failure(i, items[i], errors[i]) for i in sorted(errors)]
    return scores, failures
