"""An OpenAI-compatible chat-completions endpoint (hosted chatbots, vLLM, llama.cpp server).

Requests go through the standard library (``urllib``), in a thread pool of at most
``max_concurrency`` requests. A request that times out, fails to connect, gets HTTP 408, 409,
425, 429 or 5xx, or gets a response that is not a chat completion (malformed JSON, no
``choices[0].message.content``) is retried up to ``max_retries`` times with exponential backoff
and jitter; a ``Retry-After`` header (seconds or an HTTP date) sets the wait instead, up to
``max_retry_after`` seconds. HTTP 401, 403 and 404 stop the run (every request would fail), and
so does a redirect, which is never followed (urllib would send the key to the new location).

The API key is read from the environment variable named by ``api_key_env`` when the adapter
is built, sent only in the ``Authorization`` header, and never written anywhere: not in
``describe()``, the cache key, log records or error messages (any text that reaches an error
is scrubbed of it, and errors are raised without their low-level cause).
"""

from __future__ import annotations

import email.utils
import http.client
import json
import logging
import math
import os
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from equilens._redact import is_secret_name, redact_text, remember_secret, remember_secrets_in
from equilens.adapters._base import (
    AdapterCallError,
    BaseAdapter,
    GenerationSettings,
    PartialBatchError,
    check_keys,
    library_versions,
)
from equilens.adapters._inputs import as_texts
from equilens.exceptions import InvalidInputError, InvalidParameterError

__all__ = ["OpenAIChatAdapter"]

logger = logging.getLogger("equilens.adapters")

_SPEC_KEYS = {
    "endpoint",
    "model",
    "api_key_env",
    "max_concurrency",
    "timeout",
    "max_retries",
    "backoff_base",
    "backoff_max",
    "max_retry_after",
    "text_column",
    "headers",
    "generation",
    "max_response_bytes",
}
#: Default cap on a response body: far above any chat completion, far below a runaway server.
MAX_RESPONSE_BYTES = 1024 * 1024
_RETRY_STATUS = {408, 409, 425, 429}
_FATAL_STATUS = {401, 403, 404}


class _Retryable(Exception):
    """A failure worth retrying, with the server's requested wait (if any)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _completions_url(endpoint: str) -> str:
    """``endpoint`` with ``/chat/completions`` appended to its path (the query string kept,
    the fragment dropped), unless its path already ends so."""
    parts = urllib.parse.urlsplit(endpoint)
    path = parts.path.rstrip("/")
    if not path.endswith("/chat/completions"):
        path += "/chat/completions"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: urllib would resend the Authorization header to the new location."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class OpenAIChatAdapter(BaseAdapter):
    """A chat model behind an OpenAI-compatible ``/chat/completions`` endpoint.

    Parameters
    ----------
    endpoint:
        The API base URL (``https://api.example.com/v1``) or the full
        ``.../chat/completions`` URL. It must not contain credentials.
    model:
        The ``model`` field of each request.
    api_key_env:
        Name of the environment variable holding the API key (sent as a Bearer token); None
        for endpoints without authentication.
    max_concurrency:
        Most requests in flight at once.
    timeout:
        Seconds to wait for the connection and for each read of the response.
    max_retries:
        Retries of one request after the first attempt.
    backoff_base, backoff_max:
        The wait before retry ``k`` (from 0) is drawn uniformly from
        ``[d/2, d]`` with ``d = min(backoff_max, backoff_base * 2**k)``.
    max_retry_after:
        Longest wait honoured from a ``Retry-After`` header (longer ones are cut to it).
    text_column:
        The column of a table that holds the prompts.
    max_response_bytes:
        Longest response body read (default 1 MiB). A longer one is an error for that prompt
        (never truncated, never cached); it is not retried.
    headers:
        Extra request headers (not secrets: they are recorded in ``describe()``; header names
        that look secret are refused).
    settings:
        Generation settings sent with each request (``temperature``, ``top_p``, ``seed``,
        ``max_tokens`` from ``max_new_tokens``, ``stop``, and ``system_prompt`` as a system
        message).
    """

    kind = "openai"
    spec_keys = frozenset(_SPEC_KEYS)
    input_kind = "text"
    default_batch_size = 32

    def __init__(
        self,
        endpoint: str,
        *,
        model: str,
        api_key_env: str | None = None,
        max_concurrency: int = 4,
        timeout: float = 60.0,
        max_retries: int = 5,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        max_retry_after: float = 120.0,
        text_column: str = "text",
        headers: Mapping[str, str] | None = None,
        settings: GenerationSettings | Mapping[str, Any] | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        if not isinstance(endpoint, str):
            raise InvalidParameterError(
                "The 'endpoint' parameter of the openai model adapter must be a URL (str). "
                f"Got a {type(endpoint).__name__} instead."
            )
        parts = urllib.parse.urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidParameterError(
                "The 'endpoint' parameter of the openai model adapter must be an http(s) URL. "
                f"Got {redact_text(endpoint)!r} instead."
            )
        if parts.username is not None or parts.password is not None:
            raise InvalidParameterError(
                "The 'endpoint' parameter of the openai model adapter must not contain "
                "credentials; put the key in an environment variable named by 'api_key_env'."
            )
        if not isinstance(model, str) or not model:
            raise InvalidParameterError(
                "The 'model' parameter of the openai model adapter must be a non-empty str. "
                f"Got {model!r} instead."
            )
        remember_secrets_in(endpoint)
        self.url = _completions_url(endpoint)
        self.public_url = redact_text(self.url)
        self.model = model
        self.api_key_env = api_key_env
        self.__key: str | None = None
        if api_key_env is not None:
            if not isinstance(api_key_env, str) or not api_key_env:
                raise InvalidParameterError(
                    "The 'api_key_env' parameter of the openai model adapter must be the name "
                    "of an environment variable (str)."
                )
            key = os.environ.get(api_key_env)
            if not key:
                raise InvalidInputError(
                    f"The environment variable {api_key_env} (named by api_key_env) is not set "
                    "or empty; set it to the endpoint's API key."
                )
            self.__key = key
            remember_secret(key)
        self.max_concurrency = _int("max_concurrency", max_concurrency, 1)
        self.max_retries = _int("max_retries", max_retries, 0)
        self.max_response_bytes = _int("max_response_bytes", max_response_bytes, 1)
        self.timeout = _positive("timeout", timeout)
        self.backoff_base = _positive("backoff_base", backoff_base, allow_zero=True)
        self.backoff_max = _positive("backoff_max", backoff_max, allow_zero=True)
        self.max_retry_after = _positive("max_retry_after", max_retry_after, allow_zero=True)
        self.text_column = text_column
        extra = dict(headers or {})
        for name, value in extra.items():
            if not isinstance(name, str) or not isinstance(value, str):
                raise InvalidParameterError(
                    "The 'headers' parameter of the openai model adapter must map str to str."
                )
            if is_secret_name(name) or name.lower() == "cookie":
                raise InvalidParameterError(
                    f"The header '{name}' looks like a secret; secrets are read only from the "
                    "environment variable named by 'api_key_env'."
                )
        self.headers = extra
        self.settings = GenerationSettings.from_mapping(settings)
        self.capabilities = frozenset({"generate"})
        self._rng = random.Random()
        self._rng_lock = threading.Lock()
        self.requests_sent = 0
        self._count_lock = threading.Lock()

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], *, base_dir: Path | None) -> OpenAIChatAdapter:
        """Build from ``{"endpoint": ..., "model": ..., "api_key_env": ..., ...}``."""
        check_keys("openai model spec", spec, _SPEC_KEYS)
        for required in ("endpoint", "model"):
            if required not in spec:
                raise InvalidParameterError(f"The openai model spec needs '{required}'.")
        options = dict(spec)
        endpoint = options.pop("endpoint")
        settings = options.pop("generation", None)
        return cls(endpoint, **options, settings=settings)

    def __repr__(self) -> str:
        return f"<OpenAIChatAdapter {self.public_url} model={self.model!r}>"

    def __getstate__(self) -> dict[str, Any]:
        raise TypeError("OpenAIChatAdapter holds a credential and cannot be pickled")

    # --- secrets ------------------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        """``text`` with the API key (in any encoding) and every secret-looking value masked."""
        return redact_text(text)

    # --- one request --------------------------------------------------------------------------

    def _payload(self, prompt: str, settings: GenerationSettings) -> bytes:
        messages = []
        if settings.system_prompt:
            messages.append({"role": "system", "content": settings.system_prompt})
        messages.append({"role": "user", "content": prompt})
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": float(settings.temperature),
            "top_p": float(settings.top_p),
            "max_tokens": settings.max_new_tokens,
            "seed": settings.seed,
        }
        if settings.stop:
            body["stop"] = list(settings.stop)
        return json.dumps(body).encode()

    def _post(self, payload: bytes) -> tuple[int, Mapping[str, str], bytes]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        headers.update(self.headers)
        if self.__key:
            headers["Authorization"] = f"Bearer {self.__key}"
        request = urllib.request.Request(self.url, data=payload, headers=headers, method="POST")
        with self._count_lock:
            self.requests_sent += 1
        try:
            with _OPENER.open(request, timeout=self.timeout) as response:
                headers = dict(response.headers.items())
                return int(response.status), headers, self._read_capped(response, headers)
        except urllib.error.HTTPError as err:
            try:
                body = err.read(self.max_response_bytes)
            except (OSError, http.client.HTTPException):
                body = b""
            finally:
                err.close()
            return int(err.code), dict(err.headers.items()) if err.headers else {}, body

    def _read_capped(self, response: Any, headers: Mapping[str, str]) -> bytes:
        """The body, read up to ``max_response_bytes`` (an error past it, never a truncation)."""
        limit = self.max_response_bytes
        length = {k.lower(): v for k, v in headers.items()}.get("content-length", "")
        declared = int(length) if length.strip().isdigit() else None
        body = b"" if declared is not None and declared > limit else response.read(limit + 1)
        if (declared is not None and declared > limit) or len(body) > limit:
            raise AdapterCallError(
                f"The endpoint {self.public_url} sent a response larger than "
                f"max_response_bytes ({limit:,} bytes); it was not read further, nor cached. "
                "Raise max_response_bytes or lower generation.max_new_tokens."
            )
        return bytes(body)

    def _parse(self, body: bytes) -> str:
        excerpt = self._scrub(body[:120].decode("utf-8", "replace")).replace("\n", " ")
        try:
            data = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise _Retryable(f"malformed JSON (starts {excerpt!r})") from None
        try:
            content = data["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise _Retryable(
                f"no choices[0].message.content in the response (starts {excerpt!r})"
            ) from None
        if not isinstance(content, str):
            raise _Retryable(f"choices[0].message.content is a {type(content).__name__}")
        return content

    def _attempt(self, payload: bytes) -> str:
        try:
            status, headers, body = self._post(payload)
        except TimeoutError:
            raise _Retryable(f"timed out after {self.timeout:g} s") from None
        except urllib.error.URLError as err:
            if isinstance(err.reason, TimeoutError):
                raise _Retryable(f"timed out after {self.timeout:g} s") from None
            raise _Retryable(f"connection failed: {self._scrub(str(err.reason))}") from None
        except (OSError, http.client.HTTPException) as err:
            raise _Retryable(f"connection failed: {self._scrub(type(err).__name__)}") from None
        if status == 200:
            return self._parse(body)
        excerpt = self._scrub(body[:200].decode("utf-8", "replace")).replace("\n", " ")
        lower = {k.lower(): v for k, v in headers.items()}
        if status in _RETRY_STATUS or status >= 500:
            raise _Retryable(f"HTTP {status}", _retry_after(lower.get("retry-after")))
        if status in _FATAL_STATUS:
            raise AdapterCallError(
                f"The endpoint {self.public_url} answered HTTP {status} (model {self.model!r}): "
                f"{excerpt}",
                fatal=True,
            )
        if 300 <= status < 400:
            raise AdapterCallError(
                f"The endpoint {self.public_url} redirected (HTTP {status}); redirects are not "
                "followed (they would resend the API key): give the final URL as 'endpoint'.",
                fatal=True,
            )
        raise AdapterCallError(f"The endpoint {self.public_url} answered HTTP {status}: {excerpt}")

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        cap = min(self.backoff_max, self.backoff_base * (2.0**attempt))
        with self._rng_lock:
            jitter: float = self._rng.uniform(0, cap / 2)
        return cap / 2 + jitter

    def _complete(self, prompt: str, settings: GenerationSettings) -> str:
        payload = self._payload(prompt, settings)
        last = ""
        for attempt in range(self.max_retries + 1):
            try:
                return self._attempt(payload)
            except _Retryable as exc:
                last = str(exc)
                if attempt == self.max_retries:
                    break
                wait = self._delay(attempt, exc.retry_after)
                logger.info(
                    "%s: %s; retry %d of %d in %.2f s",
                    self.public_url,
                    last,
                    attempt + 1,
                    self.max_retries,
                    wait,
                )
                time.sleep(wait)
        raise AdapterCallError(
            f"The endpoint {self.public_url} (model {self.model!r}) failed after "
            f"{self.max_retries + 1} attempts: {last}"
        )

    # --- tasks --------------------------------------------------------------------------------

    def prepare_inputs(self, data: Any) -> list[str]:
        """The prompts."""
        return as_texts(data, column=self.text_column, adapter=self.kind)

    def generate(
        self, prompts: Sequence[str], settings: GenerationSettings | None = None
    ) -> Sequence[str]:
        """One chat completion per prompt, ``max_concurrency`` at a time.

        Raises
        ------
        PartialBatchError
            If some prompts failed after their retries (the others' texts are kept).
        AdapterCallError
            ``fatal`` when the endpoint refuses the credentials or does not know the model.
        """
        use = settings or self.settings
        prompts = list(prompts)
        outputs: list[Any] = [None] * len(prompts)
        errors: dict[int, BaseException] = {}
        workers = max(1, min(self.max_concurrency, len(prompts)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="equilens-http") as pool:
            futures = [pool.submit(self._complete, p, use) for p in prompts]
            for j, future in enumerate(futures):
                try:
                    outputs[j] = future.result()
                except AdapterCallError as exc:
                    if exc.fatal:
                        for f in futures:
                            f.cancel()
                        raise AdapterCallError(self._scrub(str(exc)), fatal=True) from None
                    errors[j] = AdapterCallError(self._scrub(str(exc)))
                except Exception as exc:  # an unexpected failure of one request
                    errors[j] = AdapterCallError(self._scrub(f"{type(exc).__name__}: {exc}"))
        if errors:
            raise PartialBatchError(outputs, errors)
        return outputs

    # --- description --------------------------------------------------------------------------

    def _source(self) -> dict[str, Any]:
        return {"endpoint": self.public_url, "model": self.model}

    def _libraries(self) -> dict[str, str]:
        return library_versions()

    def _settings(self) -> dict[str, Any]:
        return {
            "api_key_env": self.api_key_env,
            "max_concurrency": self.max_concurrency,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "backoff_base": self.backoff_base,
            "backoff_max": self.backoff_max,
            "max_retry_after": self.max_retry_after,
            "max_response_bytes": self.max_response_bytes,
            "headers": dict(self.headers),
            "text_column": self.text_column,
        }

    def fingerprint(self) -> dict[str, Any]:
        """Endpoint, model name and generation settings (retries and limits do not matter)."""
        return {
            "kind": self.kind,
            "endpoint": self.public_url,
            "model": self.model,
            "headers": dict(self.headers),
        }


def _int(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InvalidParameterError(
            f"The '{name}' parameter of the openai model adapter must be an int in the range "
            f"[{low}, inf). Got {value!r} instead."
        )
    return value


def _positive(name: str, value: object, *, allow_zero: bool = False) -> float:
    number = (
        float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    )
    if (
        number is None
        or not math.isfinite(number)
        or number < 0
        or (number == 0 and not allow_zero)
    ):
        bound = "[0, inf)" if allow_zero else "(0, inf)"
        raise InvalidParameterError(
            f"The '{name}' parameter of the openai model adapter must be a float in the range "
            f"{bound}. Got {value!r} instead."
        )
    return number
