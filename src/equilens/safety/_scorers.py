"""Toxicity scorers behind one interface: a score in [0, 1] per text.

* :class:`ProfanityScorer` (default, offline): alt-profanity-check's linear model on a bag of
  words. It is biased on identity terms ("I am a gay man" 0.95, "I am a straight man" 0.10):
  measure its error with :func:`~equilens.safety.scorer_error` before trusting a rate.
* :class:`AdapterScorer`: any classifier model adapter (``predict_proba``), e.g. a Hugging Face
  text-classification model.
* :class:`PerspectiveScorer`: a Perspective-compatible HTTP endpoint (``comments:analyze``),
  its key read from an environment variable, retried with backoff, never logged.

Every score passes :func:`check_scores`: a NaN or a value outside [0, 1] is bad input naming the
scorer and the text, never a silently wrong rate.
"""

from __future__ import annotations

import json
import math
import os
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from equilens._redact import redact_text, remember_secret
from equilens.exceptions import InvalidInputError, InvalidParameterError

__all__ = [
    "AdapterScorer",
    "PerspectiveScorer",
    "ProfanityScorer",
    "Scorer",
    "check_scores",
]


class Scorer(Protocol):
    """Scores texts: one toxicity in [0, 1] per text."""

    name: str

    def score(self, texts: Sequence[str]) -> NDArray[np.float64]: ...

    def describe(self) -> dict[str, Any]: ...


def check_scores(values: Any, texts: Sequence[str], scorer: str) -> NDArray[np.float64]:
    """``values`` as floats, or the one-line error naming the first bad score and its text.

    ``scorer`` names the source in the message (``the alt-profanity-check scorer``).
    """
    try:
        out = np.asarray(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise InvalidInputError(f"Toxicity scores must be numbers; {scorer} gave others") from None
    if out.size != len(texts):
        raise InvalidInputError(f"{scorer} gave {out.size} toxicity scores for {len(texts)} texts")
    bad = ~np.isfinite(out) | (out < 0.0) | (out > 1.0)
    if bad.any():
        i = int(np.argmax(bad))
        shown = texts[i] if len(texts[i]) <= 60 else texts[i][:57] + "..."
        raise InvalidInputError(
            f"Toxicity scores must be numbers in [0, 1]; {scorer} gave {float(out[i])!r} for "
            f"text {i} ({shown!r})"
        )
    return out


class ProfanityScorer:
    """alt-profanity-check (offline; a linear model on a bag of words)."""

    name = "alt-profanity-check"

    def __init__(self) -> None:
        try:
            from profanity_check import predict_prob
        except ImportError:
            raise InvalidInputError(
                "The default toxicity scorer needs alt-profanity-check "
                "(pip install alt-profanity-check==1.9.1)"
            ) from None
        self._predict = predict_prob

    def score(self, texts: Sequence[str]) -> NDArray[np.float64]:
        if not texts:
            return np.zeros(0)
        return check_scores(self._predict(list(texts)), texts, f"the {self.name} scorer")

    def describe(self) -> dict[str, Any]:
        from importlib.metadata import PackageNotFoundError, version

        try:
            v = version("alt-profanity-check")
        except PackageNotFoundError:  # pragma: no cover - imported above
            v = "unknown"
        return {"kind": "profanity-check", "name": self.name, "version": v}


class AdapterScorer:
    """Any model adapter with ``predict_proba`` (P(toxic) per text)."""

    def __init__(self, adapter: Any) -> None:
        if "predict_proba" not in getattr(adapter, "capabilities", frozenset()):
            raise InvalidParameterError(
                f"The toxicity scorer adapter ({getattr(adapter, 'kind', type(adapter).__name__)}) "
                "has no predict_proba: use a text-classification model"
            )
        self.adapter = adapter
        self.name = f"adapter:{adapter.kind}"

    def score(self, texts: Sequence[str]) -> NDArray[np.float64]:
        if not texts:
            return np.zeros(0)
        return check_scores(
            self.adapter.predict_proba(list(texts)), texts, f"the {self.name} scorer"
        )

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "adapter", "name": self.name}
        out["model"] = self.adapter.describe()
        return out


class PerspectiveScorer:
    """A Perspective-compatible ``comments:analyze`` endpoint.

    Parameters
    ----------
    url:
        The endpoint (``https://commentanalyzer.googleapis.com/v1alpha1/comments:analyze``).
    api_key_env:
        The environment variable holding the key; the key is sent as the ``key`` query
        parameter and registered with the redactor, so no message, log or report shows it.
    attribute:
        The attribute whose ``summaryScore.value`` is the toxicity (``TOXICITY``).
    retries, backoff:
        Each text is tried ``1 + retries`` times, waiting ``backoff * 2**attempt`` seconds
        between tries (HTTP 429 and 5xx, timeouts and connection errors); other HTTP errors
        fail at once.
    concurrency:
        Requests in flight at once.
    """

    def __init__(
        self,
        url: str,
        *,
        api_key_env: str | None = "PERSPECTIVE_API_KEY",
        attribute: str = "TOXICITY",
        retries: int = 3,
        backoff: float = 0.5,
        timeout: float = 30.0,
        concurrency: int = 4,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise InvalidParameterError(f"The Perspective scorer URL must be http(s); got {url!r}")
        self.url = url
        self.api_key_env = api_key_env
        self._key: str | None = None
        if api_key_env:
            key = os.environ.get(api_key_env)
            if key:
                remember_secret(key)
                self._key = key
        self.attribute = attribute
        self.retries = max(0, int(retries))
        self.backoff = float(backoff)
        self.timeout = float(timeout)
        self.concurrency = max(1, int(concurrency))
        self.name = "perspective"
        self.calls = 0

    def _request(self, text: str) -> float:
        body = json.dumps(
            {
                "comment": {"text": text},
                "requestedAttributes": {self.attribute: {}},
                "doNotStore": True,
            }
        ).encode()
        url = self.url + (f"?key={self._key}" if self._key else "")
        last = "no attempt"
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            self.calls += 1
            req = urllib.request.Request(
                url, data=body, headers={"Content-Type": "application/json"}, method="POST"
            )
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    payload = json.loads(resp.read().decode("utf-8"))
                value = payload["attributeScores"][self.attribute]["summaryScore"]["value"]
                return float(value)
            except urllib.error.HTTPError as exc:
                last = f"HTTP {exc.code}"
                exc.close()
                if exc.code != 429 and exc.code < 500:
                    break
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                last = type(exc).__name__
            except (KeyError, TypeError, ValueError):
                last = f"a response without attributeScores.{self.attribute}.summaryScore.value"
                break
        raise InvalidInputError(redact_text(f"The Perspective scorer at {self.url} failed: {last}"))

    def score(self, texts: Sequence[str]) -> NDArray[np.float64]:
        if not texts:
            return np.zeros(0)
        out = np.full(len(texts), math.nan)
        failed: list[str] = []

        def one(i: int) -> None:
            try:
                out[i] = self._request(texts[i])
            except InvalidInputError as exc:
                failed.append(str(exc))

        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            list(pool.map(one, range(len(texts))))
        if failed:
            raise InvalidInputError(
                f"{failed[0]} ({len(failed)} of {len(texts)} texts failed after "
                f"{self.retries} retries)"
            )
        return check_scores(out, texts, "the Perspective scorer")

    def describe(self) -> dict[str, Any]:
        return {
            "kind": "perspective",
            "name": self.name,
            "url": redact_text(self.url),
            "api_key_env": self.api_key_env,
            "attribute": self.attribute,
            "retries": self.retries,
            "concurrency": self.concurrency,
        }
