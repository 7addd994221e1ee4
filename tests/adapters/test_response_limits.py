"""Response size caps: a runaway server cannot fill memory or the output cache."""

from __future__ import annotations

import pathlib
import time
from typing import Any

import pytest

from equilens.adapters import OutputCache, load_adapter, predict_frame, run_adapter
from equilens.adapters._cache import MAX_ENTRY_BYTES
from equilens.adapters._openai import MAX_RESPONSE_BYTES, OpenAIChatAdapter
from equilens.exceptions import InvalidParameterError


def _adapter(server: Any, **options: object) -> OpenAIChatAdapter:
    adapter = load_adapter(
        {
            "kind": "openai",
            "endpoint": server.url,
            "model": "m",
            "timeout": 10,
            "max_retries": 2,
            "backoff_base": 0.01,
            **options,
        }
    )
    assert isinstance(adapter, OpenAIChatAdapter)
    return adapter


@pytest.mark.parametrize("prompt", ["huge:x", "huge-chunked:x"])
def test_a_50_mb_completion_is_an_error_not_a_cache_entry(
    prompt: str, chat_server: Any, tmp_path: pathlib.Path
) -> None:
    cache_path = tmp_path / "outputs.sqlite"
    adapter = _adapter(chat_server)
    start = time.perf_counter()
    with OutputCache(cache_path) as cache:
        result = run_adapter(adapter, "generate", ["fine", prompt], cache=cache)
        assert len(cache) == 1  # only the normal answer was stored
    assert time.perf_counter() - start < 20
    assert result.outputs[0] == "reply to fine (temperature=0.0)"
    [error] = result.errors
    assert error.index == 1 and "larger than max_response_bytes (1,048,576 bytes)" in error.error
    assert chat_server.state.attempts[prompt] == 1  # not retried: it would be as large again
    size = sum(p.stat().st_size for p in tmp_path.iterdir())
    assert size < 2 * 1024 * 1024


def test_the_cap_is_a_setting(chat_server: Any) -> None:
    chat_server.state.huge_bytes = 10_000
    small = _adapter(chat_server, max_response_bytes=5_000)
    assert run_adapter(small, "generate", ["huge:a"]).errors
    large = _adapter(chat_server, max_response_bytes=20_000)
    out = run_adapter(large, "generate", ["huge:b"])
    assert not out.errors and len(out.outputs[0]) == 10_000
    assert large.describe()["settings"]["max_response_bytes"] == 20_000
    assert MAX_RESPONSE_BYTES == 1024 * 1024
    with pytest.raises(InvalidParameterError, match="max_response_bytes"):
        _adapter(chat_server, max_response_bytes=0)


def test_the_cache_leaves_out_entries_past_its_cap(tmp_path: pathlib.Path) -> None:
    with OutputCache(tmp_path / "c.sqlite", max_entry_bytes=100) as cache:
        stored = cache.put_many("ns", [(b"a", "short"), (b"b", "x" * 200)])
        assert stored == 1 and cache.skipped == 1 and len(cache) == 1
        assert cache.get_many("ns", [b"a", b"b"]) == {b"a": "short"}
    assert MAX_ENTRY_BYTES == 1024 * 1024
    with pytest.raises(InvalidParameterError, match="max_entry_bytes"):
        OutputCache(tmp_path / "d.sqlite", max_entry_bytes=0)


def test_predict_frame_with_the_default_cache_cap(chat_server: Any, tmp_path: pathlib.Path) -> None:
    chat_server.state.huge_bytes = 2 * 1024 * 1024
    adapter = _adapter(chat_server, max_response_bytes=4 * 1024 * 1024)
    with OutputCache(tmp_path / "o.sqlite") as cache:
        run = predict_frame(adapter, {"text": ["huge:z"]}, cache=cache)
        assert run.frame["output"].str.len().iloc[0] == 2 * 1024 * 1024
        assert len(cache) == 0 and cache.skipped == 1  # used, not kept
