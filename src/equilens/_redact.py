"""Secrets never reach a file, a report, the run store or a message: one redaction for all.

Two things are removed:

* **Secret-looking values**, found by their shape or their name: the query parameters of a URL
  named like a secret (``?api_key=...``, ``token``, ``sig``, ``X-Amz-Signature``, ...), the
  user information of a URL (``https://user:pass@host``), ``Bearer``/``Basic`` credentials,
  well-known key formats (``sk-...``, ``ghp_...``, ``xoxb-...``, ``AKIA...``, JSON web tokens),
  ``name=value`` / ``name: value`` pairs whose name looks secret, and the values of mapping keys
  named like secrets (``api_key``, ``Authorization``, ``password``, ...).
* **Known secret values**, registered with :func:`remember_secret` by whoever reads a secret
  (an adapter reading its API key from the environment), in every form they may take in text:
  raw, JSON-escaped, URL-encoded and base64-encoded (also as ``user:key`` in Basic auth).

Everything is replaced by :data:`MASK`. Names of environment variables (``api_key_env``) and
counts such as ``max_tokens`` are not secrets and are kept.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import urllib.parse
from collections.abc import Mapping
from typing import Any

__all__ = [
    "MASK",
    "is_secret_name",
    "redact",
    "redact_text",
    "remember_secret",
    "remember_secrets_in",
]

MASK = "***"

# Words that make a name secret, matched against the name's words (split at _ - . and case
# changes), so that "max_tokens", "tokenizer" or "author" are not secret but "api_key",
# "X-Auth-Token" and "apiKey" are.
_SECRET_WORDS = frozenset(
    {
        "key",
        "apikey",
        "token",
        "secret",
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "signature",
        "sig",
        "auth",
        "authorization",
        "credential",
        "credentials",
        "cookie",
        "bearer",
        "privatekey",
        "accesskey",
    }
)
# Whole names that are secret only on their own (Azure Functions' ``?code=``).
_SECRET_NAMES = frozenset({"code"})
# Names that end like this name something else that is not secret.
_PUBLIC_SUFFIXES = ("_env", "_column", "_file", "_path", "_name", "_header")
_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")

_TOKEN_CHARS = r"[A-Za-z0-9\-._~+/]"
# Shapes of secrets, replaced wherever they appear.
_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    # the password of user:password@ in a URL (the user name is kept, as SQLAlchemy does)
    (
        re.compile(r"(?P<pre>\b[A-Za-z][A-Za-z0-9+.\-]*://[^/\s@:'\"<>]*:)[^/\s@'\"<>]*@"),
        r"\g<pre>" + MASK + "@",
    ),
    # Authorization schemes ("Bearer abc...", "Basic dXNl...")
    (re.compile(rf"(?i)\b(?P<pre>(?:bearer|basic)\s+){_TOKEN_CHARS}{{8,}}=*"), r"\g<pre>" + MASK),
    # well-known key formats
    (re.compile(r"\bsk-[A-Za-z0-9_\-]{16,}"), MASK),
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"), MASK),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}"), MASK),
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), MASK),
    (re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"), MASK),
)
# name=value (query strings, form bodies), "name": "value" (JSON, YAML) and name: value
# (headers); the value is masked when the name is secret (see is_secret_name).
_PAIRS = (
    re.compile(
        r"(?P<pre>(?<![A-Za-z0-9_.\-])(?P<name>[A-Za-z][A-Za-z0-9_.\-]*)\s*=\s*(?P<q>[\"']?))"
        r"(?P<val>[^\s&\"'<>,;#]+)"
    ),
    re.compile(
        r"(?P<pre>(?P<nq>[\"']?)(?<![A-Za-z0-9_.\-])(?P<name>[A-Za-z][A-Za-z0-9_.\-]*)(?P=nq)"
        r"\s*:\s*(?P<q>[\"']))(?P<val>[^\"'\n]*)(?=(?P=q))"
    ),
    re.compile(
        r"(?P<pre>(?<![A-Za-z0-9_.\-])(?P<name>[A-Za-z][A-Za-z0-9_.\-]*):[ \t]*)"
        rf"(?P<val>{_TOKEN_CHARS}{{8,}}=*)"
    ),
)

_known: set[str] = set()
_lock = threading.Lock()


def is_secret_name(name: object) -> bool:
    """Whether a mapping key, header or query parameter named ``name`` holds a secret."""
    if not isinstance(name, str):
        return False
    lower = name.lower()
    if lower.endswith(_PUBLIC_SUFFIXES):
        return False
    if lower in _SECRET_NAMES:
        return True
    words = [w.lower() for w in _WORD_SPLIT.split(name) if w]
    return any(w in _SECRET_WORDS for w in words) or "".join(words) in _SECRET_WORDS


def _forms(secret: str) -> set[str]:
    """The ways ``secret`` can appear in text."""
    forms = {
        secret,
        json.dumps(secret)[1:-1],
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
    }
    for raw in (secret, f":{secret}"):
        encoded = base64.b64encode(raw.encode()).decode()
        forms.add(encoded)
        forms.add(encoded.rstrip("="))
        forms.add(base64.urlsafe_b64encode(raw.encode()).decode().rstrip("="))
    return {f for f in forms if len(f) >= 4}


def remember_secret(secret: str | None) -> None:
    """Register a secret value (e.g. an API key read from the environment) to scrub from text.

    Values shorter than 4 characters are ignored (they would mask ordinary text).
    """
    if not secret or len(secret) < 4:
        return
    with _lock:
        _known.update(_forms(secret))


def remember_secrets_in(value: Any) -> None:
    """Register every secret a user wrote in ``value`` (a spec section, a URL): the values of
    secret-named keys, and the password and secret-named query values of URLs in its text."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            if is_secret_name(k) and isinstance(v, str):
                remember_secret(v)
            else:
                remember_secrets_in(v)
    elif isinstance(value, list | tuple):
        for item in value:
            remember_secrets_in(item)
    elif isinstance(value, str) and "://" in value:
        for word in value.split():
            if "://" not in word:
                continue
            try:
                parts = urllib.parse.urlsplit(word)
                password = parts.password
            except ValueError:
                continue
            remember_secret(password)
            for name, item in urllib.parse.parse_qsl(parts.query, keep_blank_values=True):
                if is_secret_name(name):
                    remember_secret(item)


def _known_forms() -> list[str]:
    with _lock:
        return sorted(_known, key=len, reverse=True)


def redact_text(text: str) -> str:
    """``text`` with secret-looking values and every registered secret masked.

    URLs are covered: user information, and the values of secret-named query parameters.
    """
    for form in _known_forms():
        if form in text:
            text = text.replace(form, MASK)
    for pattern, replacement in _SHAPES:
        text = pattern.sub(replacement, text)
    for pair in _PAIRS:
        text = pair.sub(_mask_pair, text)
    return text


def _mask_pair(match: re.Match[str]) -> str:
    if not is_secret_name(match["name"]) or match["val"] == MASK:
        return match[0]
    return match["pre"] + MASK


def redact(value: Any) -> Any:
    """A copy of ``value`` (nested mappings, lists, strings) with every secret masked.

    Values under keys named like secrets become :data:`MASK`; strings are passed through
    :func:`redact_text`; other values are returned unchanged.
    """
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {
            k: (MASK if is_secret_name(k) and _maskable(v) else redact(v)) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(redact(v) for v in value)
    return value


def _maskable(value: Any) -> bool:
    # Text and numbers under a secret name are masked; None, booleans and empty text say
    # nothing secret ("auth: false"); a mapping or list is searched instead, so that a feature
    # that happens to be named "key" keeps its bins or reference group.
    if isinstance(value, str):
        return value != ""
    return isinstance(value, int | float | bytes) and not isinstance(value, bool)
