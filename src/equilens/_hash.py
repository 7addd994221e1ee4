"""Canonical JSON and content hashes of audit logs, policies and decisions.

A content hash must not depend on formatting, key order or comments, so every document is
hashed as its *canonical JSON*: the pydantic JSON dump, keys sorted, no whitespace, UTF-8, NaN
rejected. The run store keeps documents in exactly this form, so a stored document's hash can be
recomputed from its stored text.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel


def canonical_json(obj: Any) -> str:
    """Serialise JSON-compatible data canonically (sorted keys, no spaces, no NaN).

    Parameters
    ----------
    obj : Any
        Data made of dicts, lists, strings, numbers, booleans and None.

    Returns
    -------
    str
        The canonical JSON text.
    """
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def model_json(model: BaseModel) -> str:
    """The canonical JSON of a pydantic model (its JSON-mode dump)."""
    return canonical_json(model.model_dump(mode="json"))


def sha256_hex(text: str) -> str:
    """SHA-256 of ``text`` encoded as UTF-8, as 64 hex digits."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_hash(model: BaseModel) -> str:
    """SHA-256 of a model's canonical JSON: the hash of an audit log, policy or decision."""
    return sha256_hex(model_json(model))
