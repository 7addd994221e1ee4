"""Reading and checking ``agreement.json`` (written by ``equilens agreement``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from equilens.exceptions import InvalidInputError


def check_agreement(document: Any, source: str = "agreement document") -> dict[str, Any]:
    """``document`` as a dict when it is an agreement document; else one-line error."""
    if not isinstance(document, Mapping) or document.get("kind") != "agreement":
        raise InvalidInputError(
            f"{source}: not an agreement document of equilens agreement (kind: agreement)"
        )
    rows = document.get("rows")
    if not isinstance(rows, list) or not all(isinstance(r, Mapping) for r in rows):
        raise InvalidInputError(f"{source}: 'rows' must be a list of agreement rows")
    return dict(document)


def read_agreement(path: str | Path) -> dict[str, Any]:
    """Read ``agreement.json``; a missing, unreadable or foreign file is a one-line error."""
    p = Path(path)
    if not p.is_file():
        raise InvalidInputError(f"Agreement file not found: {p}")
    try:
        document = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        raise InvalidInputError(f"Agreement file {p} is not readable JSON") from None
    return check_agreement(document, str(p))
