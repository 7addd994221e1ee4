"""Shared fixtures of the adapter tests: German credit, its fitted model, a local chat server."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
import pytest

from _chat import ChatServer, serve
from equilens.data import load_german_credit

#: The shipped example's training script: the tests fit the same model.
TRAIN_SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "german_credit" / "train.py"


@pytest.fixture(scope="session")
def german_example() -> ModuleType:
    """``examples/german_credit/train.py`` as a module (needs the sklearn extra)."""
    pytest.importorskip("sklearn", reason="the sklearn extra is not installed")
    pytest.importorskip("skops", reason="skops (sklearn extra) is not installed")
    spec = importlib.util.spec_from_file_location("german_credit_train", TRAIN_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def german() -> pd.DataFrame:
    return load_german_credit()


@pytest.fixture(scope="session")
def german_features(german_example: ModuleType) -> list[str]:
    return list(german_example.FEATURES)


@pytest.fixture(scope="session")
def german_pipeline(german_example: ModuleType, german: pd.DataFrame) -> Any:
    return german_example.fit_pipeline(german)


@pytest.fixture(scope="session")
def german_skops(german_pipeline: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    sio = pytest.importorskip("skops.io", reason="skops (sklearn extra) is not installed")
    path = tmp_path_factory.mktemp("models") / "german.skops"
    sio.dump(german_pipeline, path)
    return path


@pytest.fixture
def chat_server() -> Iterator[ChatServer]:
    """A local OpenAI-compatible server scripted by the prompts (see ``_chat.ChatState``)."""
    with serve() as server:
        yield server
