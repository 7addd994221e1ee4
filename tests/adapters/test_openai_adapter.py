"""The OpenAI-compatible chat adapter against a local server that misbehaves on purpose."""

from __future__ import annotations

import json
import logging
import secrets
import time
import traceback
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest

from equilens._redact import redact_text
from equilens.adapters import (
    GenerationSettings,
    ModelOutputError,
    OutputCache,
    load_adapter,
    predict_frame,
    run_adapter,
)
from equilens.adapters._openai import OpenAIChatAdapter, _completions_url, _retry_after
from equilens.exceptions import InvalidInputError, InvalidParameterError

KEY_ENV = "EQUILENS_TEST_CHAT_KEY"
# ``chat_server`` (conftest.py) is a local OpenAI-compatible server scripted by the prompts.


@pytest.fixture
def api_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = "sk-sentinel-" + secrets.token_hex(16)
    monkeypatch.setenv(KEY_ENV, key)
    return key


def _adapter(server: Any, **options: object) -> OpenAIChatAdapter:
    spec: dict[str, object] = {
        "kind": "openai",
        "endpoint": server.url,
        "model": "test-model",
        "api_key_env": KEY_ENV,
        "timeout": 0.2,
        "max_retries": 3,
        "backoff_base": 0.01,
        "backoff_max": 0.05,
        **options,
    }
    adapter = load_adapter(spec)
    assert isinstance(adapter, OpenAIChatAdapter)
    return adapter


def test_generates_and_sends_the_wire_format(chat_server: Any, api_key: str) -> None:
    adapter = _adapter(chat_server, generation={"temperature": 0, "seed": 7, "max_new_tokens": 5})
    result = run_adapter(adapter, "generate", ["hello", "world"])
    assert result.ok
    assert result.outputs == [
        "reply to hello (temperature=0.0)",
        "reply to world (temperature=0.0)",
    ]
    body = chat_server.state.bodies[0]
    assert body["model"] == "test-model"
    assert body["messages"][-1] == {"role": "user", "content": body["messages"][-1]["content"]}
    assert (body["temperature"], body["seed"], body["max_tokens"]) == (0.0, 7, 5)
    assert chat_server.state.authorization == [f"Bearer {api_key}"] * 2


def test_system_prompt_and_stop_are_sent(chat_server: Any, api_key: str) -> None:
    adapter = _adapter(chat_server)
    settings = GenerationSettings(system_prompt="Be brief.", stop=("\n",))
    run_adapter(adapter, "generate", ["hi"], settings=settings)
    body = chat_server.state.bodies[0]
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert body["stop"] == ["\n"]


def test_concurrency_is_limited(chat_server: Any, api_key: str) -> None:
    adapter = _adapter(chat_server, max_concurrency=3, timeout=5.0)
    prompts = [f"sleep:0.15:{i}" for i in range(9)]
    t0 = time.perf_counter()
    result = run_adapter(adapter, "generate", prompts)
    elapsed = time.perf_counter() - t0
    assert result.ok
    assert chat_server.state.max_inflight == 3
    assert elapsed >= 3 * 0.15  # 9 requests, 3 at a time


def test_retries_429_and_honours_retry_after(chat_server: Any, api_key: str) -> None:
    adapter = _adapter(chat_server, backoff_base=0.001, backoff_max=0.001)
    t0 = time.perf_counter()
    result = run_adapter(adapter, "generate", ["429:1:1:hello"])
    elapsed = time.perf_counter() - t0
    assert result.ok
    assert chat_server.state.attempts["429:1:1:hello"] == 2
    assert elapsed >= 0.95  # waited the server's 1 s, not the 1 ms backoff


def test_retry_after_is_capped(chat_server: Any, api_key: str) -> None:
    adapter = _adapter(chat_server, max_retry_after=0.05)
    t0 = time.perf_counter()
    assert run_adapter(adapter, "generate", ["429:2:30:x"]).ok
    assert time.perf_counter() - t0 < 5


def test_retry_after_parsing() -> None:
    assert _retry_after("2") == 2.0
    assert _retry_after("0.5") == 0.5
    assert _retry_after(None) is None
    assert _retry_after("soon") is None
    later = _retry_after(formatdate(time.time() + 30, usegmt=True))
    assert later is not None and 25 < later <= 30


def test_retries_500_then_succeeds(chat_server: Any, api_key: str) -> None:
    result = run_adapter(_adapter(chat_server), "generate", ["500:2:x"])
    assert result.ok
    assert chat_server.state.attempts["500:2:x"] == 3


def test_retries_timeouts(chat_server: Any, api_key: str) -> None:
    adapter = _adapter(chat_server, timeout=0.2)
    t0 = time.perf_counter()
    result = run_adapter(adapter, "generate", ["slow:1:x"])
    assert result.ok, result.errors
    assert chat_server.state.attempts["slow:1:x"] == 2
    assert time.perf_counter() - t0 < chat_server.state.slow_seconds + 1.0


def test_backoff_grows_exponentially_with_jitter(chat_server: Any, api_key: str) -> None:
    adapter = _adapter(chat_server, backoff_base=1.0, backoff_max=8.0)
    delays = [[adapter._delay(k, None) for _ in range(50)] for k in range(5)]
    for k, ds in enumerate(delays):
        cap = min(8.0, 2.0**k)
        assert all(cap / 2 <= d <= cap for d in ds)
        assert len(set(ds)) > 1  # jittered
    assert adapter._delay(0, 3.0) == 3.0


@pytest.mark.parametrize(
    ("prompt", "reason"),
    [("garbage:1", "malformed JSON"), ("nofields:1", "no choices[0].message.content")],
)
def test_garbage_is_a_clear_error_after_retries(
    chat_server: Any, api_key: str, prompt: str, reason: str, tmp_path: Path
) -> None:
    adapter = _adapter(chat_server, max_retries=2)
    df = {"text": ["fine:a", prompt, "fine:b"]}
    with pytest.raises(ModelOutputError) as info:
        predict_frame(adapter, df, cache=tmp_path / "c.sqlite")
    message = str(info.value)
    assert isinstance(info.value, InvalidInputError)  # the CLI's exit code 2
    assert chat_server.state.attempts[prompt] == 3
    assert f"The endpoint {chat_server.url}/chat/completions" in message
    assert reason in message and "row 1" in message and "after 3 attempts" in message
    assert "\n" not in message
    run = info.value.run
    assert run.frame["output"].tolist()[0] == "reply to fine:a (temperature=0.0)"
    # nothing computed is lost: a re-run asks only for the failed prompt
    again = run_adapter(adapter, "generate", df, cache=tmp_path / "c.sqlite")
    assert (again.n_cached, len(again.errors)) == (2, 1)
    assert chat_server.state.attempts["fine:a"] == 1


def test_auth_failure_stops_the_run(chat_server: Any, api_key: str) -> None:
    adapter = _adapter(chat_server)
    result = run_adapter(adapter, "generate", ["deny:x", "a", "b"], batch_size=1)
    assert result.stopped is not None and "HTTP 401" in result.stopped
    assert [e.index for e in result.errors] == [0, 1, 2]
    assert result.errors[1].error.startswith("not run:")
    assert adapter.requests_sent == 1
    with pytest.raises(ModelOutputError, match="The run stopped"):
        result.raise_for_errors("openai")


def test_redirects_are_not_followed(chat_server: Any, api_key: str) -> None:
    adapter = _adapter(chat_server)
    result = run_adapter(adapter, "generate", ["redirect:x", "a"], batch_size=1)
    assert result.stopped is not None and "redirects are not followed" in result.stopped
    assert adapter.requests_sent == 1 and chat_server.state.attempts["redirect:x"] == 1


def test_key_never_leaks(
    chat_server: Any,
    api_key: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    cache = OutputCache(tmp_path / "cache" / "outputs.sqlite")
    adapter = _adapter(chat_server, max_retries=1)
    texts: list[str] = [json.dumps(adapter.describe()), repr(adapter), str(adapter.fingerprint())]
    prompts = ["ok", "500:1:x", "echo-auth:x", "garbage:x", "deny:x"]
    with pytest.raises(ModelOutputError) as info:
        predict_frame(adapter, {"text": prompts}, cache=cache, batch_size=2)
    error = info.value
    texts += [str(error), repr(error)]
    texts += traceback.format_exception(error)
    texts.append(json.dumps(error.run.record()))
    for result in error.run.results.values():
        texts += [e.error for e in result.errors]
    cache.close()
    captured = capsys.readouterr()
    texts += [captured.out, captured.err, caplog.text]
    texts += [str(r.msg) % r.args if r.args else str(r.msg) for r in caplog.records]
    blobs = [p.read_bytes() for p in (tmp_path / "cache").iterdir()]
    # the server did receive the key, and the echoed key reached the error path
    assert f"Bearer {api_key}" in chat_server.state.authorization
    assert any(
        "HTTP 400" in e.error and "Bearer ***" in e.error
        for e in error.run.results["generate"].errors
    )
    assert "HTTP 401" in str(error.run.results["generate"].stopped)
    for text in texts:
        assert api_key not in text
    for blob in blobs:
        assert api_key.encode() not in blob
    assert KEY_ENV in json.dumps(adapter.describe())  # the variable's name is recorded


def test_key_from_missing_env_var_is_an_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(InvalidInputError, match=f"environment variable {KEY_ENV}"):
        load_adapter(
            {
                "kind": "openai",
                "endpoint": "http://127.0.0.1:9/v1",
                "model": "m",
                "api_key_env": KEY_ENV,
            }
        )


def test_endpoint_validation() -> None:
    spec = {"kind": "openai", "model": "m"}
    with pytest.raises(InvalidParameterError, match="must not contain credentials") as info:
        load_adapter({**spec, "endpoint": "https://user:hunter2@api.example.com/v1"})
    assert "hunter2" not in str(info.value)
    with pytest.raises(InvalidParameterError, match="http"):
        load_adapter({**spec, "endpoint": "ftp://example.com"})
    with pytest.raises(InvalidParameterError, match="looks like a secret"):
        load_adapter({**spec, "endpoint": "http://h/v1", "headers": {"X-Api-Key": "k"}})
    with pytest.raises(InvalidParameterError, match="Did you mean: timeout"):
        load_adapter({**spec, "endpoint": "http://h/v1", "timout": 3})
    with pytest.raises(InvalidParameterError, match="'max_concurrency'"):
        load_adapter({**spec, "endpoint": "http://h/v1", "max_concurrency": 0})


def test_public_url_hides_secret_query_values() -> None:
    url = "https://api.example.com/v1/chat/completions?api-version=2024&api_key=abc&sig=zz"
    public = redact_text(url)
    assert "abc" not in public and "zz" not in public
    assert "api-version=2024" in public
    adapter = OpenAIChatAdapter(url, model="m")
    assert "abc" not in json.dumps(adapter.describe())


def test_completions_path_is_joined_before_the_query() -> None:
    # The path was appended after the query string ("...?api-version=1/chat/completions").
    assert (
        _completions_url("https://h.example/v1?api-version=2024-02&key=s3cret")
        == "https://h.example/v1/chat/completions?api-version=2024-02&key=s3cret"
    )
    assert _completions_url("https://h.example/v1/") == "https://h.example/v1/chat/completions"
    assert (
        _completions_url("https://h.example/v1/chat/completions?x=1#frag")
        == "https://h.example/v1/chat/completions?x=1"
    )


def test_cache_key_ignores_retry_settings_but_not_generation(
    chat_server: Any, api_key: str, tmp_path: Path
) -> None:
    cache = tmp_path / "c.sqlite"
    first = run_adapter(_adapter(chat_server), "generate", ["a", "b"], cache=cache)
    assert first.n_computed == 2
    again = run_adapter(_adapter(chat_server, max_retries=9), "generate", ["a", "b"], cache=cache)
    assert (again.n_cached, again.model_calls) == (2, 0)
    hot = run_adapter(
        _adapter(chat_server), "generate", ["a", "b"], cache=cache, settings={"temperature": 0.5}
    )
    assert hot.n_cached == 0 and hot.outputs[0] == "reply to a (temperature=0.5)"
