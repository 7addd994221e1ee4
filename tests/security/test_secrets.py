"""No secret reaches a written file, the run store or a message (issue 11, "Secrets")."""

from __future__ import annotations

import base64
import json
import pathlib
import secrets
import textwrap
import urllib.parse
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _chat import ChatServer, serve
from _data import make_frame
from equilens import _redact
from equilens._cli.main import main
from equilens._redact import (
    MASK,
    is_secret_name,
    redact,
    redact_text,
    remember_secret,
    remember_secrets_in,
)

KEY_ENV = "EQUILENS_TEST_SECRET_KEY"


def _forms(secret: str) -> list[bytes]:
    """Every way the secret could be written: raw, JSON-escaped, URL-encoded, base64."""
    texts = {
        secret,
        json.dumps(secret)[1:-1],
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
        base64.b64encode(secret.encode()).decode(),
        base64.b64encode(f":{secret}".encode()).decode(),
    }
    return [t.encode() for t in texts]


def _leaks(root: pathlib.Path, secret: str) -> list[str]:
    """Files under ``root`` (any kind: JSON, HTML, SQLite) holding the secret in any form."""
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        blob = path.read_bytes()
        found += [f"{path.name}: {f.decode()}" for f in _forms(secret) if f in blob]
    return found


@pytest.fixture
def chat_server() -> Iterator[ChatServer]:
    with serve() as server:
        yield server


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """An API key in the environment and another in the endpoint's query string."""
    env_key = "sk-envkey" + secrets.token_hex(12)
    url_key = "urlkey/" + secrets.token_hex(12) + "+="
    monkeypatch.setenv(KEY_ENV, env_key)
    return env_key, url_key


def _spec(
    tmp_path: pathlib.Path, server: ChatServer, url_key: str, **model: object
) -> pathlib.Path:
    frame = make_frame(n=300)
    frame["text"] = [f"prompt {i}" for i in range(len(frame))]
    frame.to_csv(tmp_path / "rows.csv", index=False)
    endpoint = f"{server.url}?api-version=2024-02&api_key={urllib.parse.quote(url_key)}"
    model_lines = "".join(f"  {k}: {json.dumps(v)}\n" for k, v in model.items())
    text = textwrap.dedent(
        f"""\
        version: 1
        data:
          path: rows.csv
        columns:
          y_true: y
          y_pred: pred
          y_score: score
        sensitive_features: [race, sex]
        bootstrap: {{draws: 20, seed: 1}}
        outputs:
          dir: {tmp_path / "out"}
          formats: [json, html, markdown]
        model:
          kind: openai
          endpoint: {json.dumps(endpoint)}
          model: test-model
          api_key_env: {KEY_ENV}
          cache: {json.dumps(str(tmp_path / "cache" / "outputs.sqlite"))}
          max_retries: 0
          timeout: 5
        """
    )
    path = tmp_path / "audit.yaml"
    path.write_text(text + model_lines)
    return path


def test_no_key_in_log_reports_store_card_or_cache(
    tmp_path: pathlib.Path,
    chat_server: ChatServer,
    keys: tuple[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    env_key, url_key = keys
    spec = _spec(tmp_path, chat_server, url_key)
    store = f"sqlite:///{tmp_path / 'store' / 'history.db'}"
    out = tmp_path / "out"
    assert main(["audit", str(spec), "--store", store]) == 0
    # the server got both keys: the path was joined before the query, which was kept
    assert chat_server.state.queries and all(
        q.startswith("api-version=2024-02&api_key=") for q in chat_server.state.queries
    )
    assert f"Bearer {env_key}" in chat_server.state.authorization
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "kind: policy\nname: p\nrules:\n  - id: r1\n    metric: accuracy_score\n"
        "    on: value\n    op: '<'\n    threshold: 0.01\n    severity: warn\n"
    )
    audit_json = str(out / "audit.json")
    assert (
        main(
            [
                "gate",
                audit_json,
                "--policy",
                str(policy),
                "--store",
                store,
                "--json",
                str(out / "decision.json"),
                "--markdown",
                str(out / "gate.md"),
                "--junit",
                str(out / "gate.xml"),
            ]
        )
        == 0
    )
    assert main(["report", audit_json, "--out", str(out / "report")]) == 0
    assert main(["card", audit_json, "--out", str(out / "card")]) == 0
    printed = capsys.readouterr()
    log = json.loads((out / "audit.json").read_text())
    endpoint = log["spec_given"]["spec"]["model"]["endpoint"]
    assert f"api_key={MASK}" in urllib.parse.unquote(endpoint) and "api-version=2024-02" in endpoint
    assert log["model"]["model"]["settings"]["api_key_env"] == KEY_ENV  # the name is kept
    for secret in keys:
        assert _leaks(tmp_path / "out", secret) == []
        assert _leaks(tmp_path / "store", secret) == []
        assert _leaks(tmp_path / "cache", secret) == []
        assert secret not in printed.out + printed.err


def test_error_lines_are_scrubbed_of_the_key(
    tmp_path: pathlib.Path,
    chat_server: ChatServer,
    keys: tuple[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The server echoes the Authorization header in a 401; the run stops with exit 2.
    spec = _spec(tmp_path, chat_server, keys[1], text_column="text")
    rows = tmp_path / "rows.csv"
    text = rows.read_text().replace("prompt 0", "deny:x", 1)
    rows.write_text(text)
    assert main(["audit", str(spec), "--no-store"]) == 2
    err = capsys.readouterr().err
    assert "HTTP 401" in err and len(err.strip().splitlines()) == 1
    for secret in keys:
        for form in _forms(secret):
            assert form.decode() not in err


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("https://h/v1?api_key=AbC123xyz&model=m", "AbC123xyz"),
        ("https://h/v1?sig=s1gn4ture&se=2025", "s1gn4ture"),
        ("https://h/v1?code=fUnCkey77", "fUnCkey77"),
        ("postgresql://admin:hunter2pw@db:5432/x", "hunter2pw"),
        ("https://x-access-token:tok3n_value@github.example/r.git", "tok3n_value"),
        ("Authorization: Bearer abcdef0123456789", "abcdef0123456789"),
        ("header api-key: 0123456789abcdef", "0123456789abcdef"),
        ('{"X-Api-Key": "k3y-v4lue-long"}', "k3y-v4lue-long"),
        ("token=tok_live_123456", "tok_live_123456"),
        ("use sk-proj-abcdefghijklmnop1234 here", "sk-proj-abcdefghijklmnop1234"),
        ("ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
        ("password: 'pa ss word'", "pa ss word"),
    ],
)
def test_secret_shapes_are_masked(text: str, secret: str) -> None:
    assert secret not in redact_text(text)
    assert MASK in redact_text(text)


@pytest.mark.parametrize(
    "text",
    [
        "max_tokens=256 tokenizer=bert author=Jane status_code=404",
        "api_key_env: OPENAI_API_KEY",
        "exit code 2: key error in column 'token_count'",
        "https://h/v1/chat/completions?api-version=2024-02",
    ],
)
def test_ordinary_text_is_kept(text: str) -> None:
    assert redact_text(text) == text


def test_mapping_keys_named_like_secrets() -> None:
    given = {
        "endpoint": "http://h/v1?token=abc12345",
        "headers": {"Authorization": "Basic dXNlcjpw", "Accept": "json", "X-Auth-Token": "z"},
        "api_key_env": "KEY_VAR",
        "apiKey": "v",
        "auth": False,
        "max_new_tokens": 5,
        "nested": [{"client_secret": "s"}],
    }
    out = redact(given)
    assert out["endpoint"] == f"http://h/v1?token={MASK}"
    assert out["headers"] == {"Authorization": MASK, "Accept": "json", "X-Auth-Token": MASK}
    assert out["api_key_env"] == "KEY_VAR" and out["apiKey"] == MASK
    assert out["auth"] is False and out["max_new_tokens"] == 5
    assert out["nested"] == [{"client_secret": MASK}]
    assert not is_secret_name("max_tokens") and is_secret_name("X-Amz-Signature")
    # a feature named like a secret keeps its structure; only text and numbers are masked
    assert redact({"key": {"edges": [1, 2]}, "token": 7}) == {
        "key": {"edges": [1, 2]},
        "token": MASK,
    }
    assert redact_text("postgresql://alice:pw@db/x") == f"postgresql://alice:{MASK}@db/x"


@settings(max_examples=200, deadline=None)
@given(
    secret=st.text(
        alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FF, exclude_characters="\\"),
        min_size=8,
        max_size=40,
    ),
    before=st.text(max_size=20),
    after=st.text(max_size=20),
)
def test_a_remembered_secret_never_survives_in_any_encoding(
    secret: str, before: str, after: str
) -> None:
    known = set(_redact._known)
    try:
        remember_secret(secret)
        for form in _forms(secret):
            scrubbed = redact_text(before + form.decode() + after)
            assert secret not in scrubbed
            assert form.decode() not in scrubbed
        assert redact_text(redact_text(before)) == redact_text(before)  # idempotent
    finally:  # forget it: other tests must not see random text masked
        _redact._known.clear()
        _redact._known.update(known)


def test_secrets_written_in_a_spec_are_scrubbed_from_any_text() -> None:
    header, password, token = (secrets.token_hex(8) for _ in range(3))
    remember_secrets_in(
        {
            "headers": {"X-Api-Key": header},
            "endpoint": f"https://u:{password}@h.example/v1?token={token}&x=1",
            "cache": True,
        }
    )
    echoed = f"server said: key {header} / {password} / {base64.b64encode(token.encode())!r}"
    scrubbed = redact_text(echoed)
    assert header not in scrubbed and password not in scrubbed
    assert base64.b64encode(token.encode()).decode() not in scrubbed


def test_a_log_is_redacted_when_built_and_when_read(tmp_path: pathlib.Path) -> None:
    from equilens import audit
    from equilens.results import read_log

    log = audit(
        make_frame(n=300), y_true="y", y_pred="pred", sensitive_features=["race"], bootstrap=0
    )
    secret = secrets.token_hex(10)
    raw = json.loads(log.to_json())
    raw["spec_given"]["data"] = f"https://bucket.example/x.parquet?X-Amz-Signature={secret}"
    raw["spec_resolved"]["headers"] = {"Authorization": f"Bearer {secret}"}
    raw["model"] = {"kind": "openai", "source": {"endpoint": f"http://h/v1?key={secret}"}}
    raw["warnings"] = [f"could not reach postgresql://u:{secret}@db/x"]
    path = tmp_path / "old-audit.json"
    path.write_text(json.dumps(raw))  # as an older equilens (or a hand edit) wrote it
    for loaded in (read_log(path), type(log).model_validate(raw)):
        text = loaded.to_json()
        assert secret not in text
        assert "X-Amz-Signature=***" in text and "postgresql://u:***@db/x" in text
