"""The toxicity audit's parts: the HTTP scorer (loopback), resumable generation, scorer error,
the gate and the claim check."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest
import yaml

from equilens.adapters import CallableAdapter, GenerationSettings, OutputCache
from equilens.cards import check_claims, load_claims
from equilens.exceptions import InvalidInputError
from equilens.policy import decide, parse_policy
from equilens.safety import (
    PerspectiveScorer,
    ProfanityScorer,
    corrected_prevalence,
    generate_continuations,
    scorer_error,
    toxicity_audit,
)

KEY = "sk-test-perspective-0123456789abcdef"


class _Handler(http.server.BaseHTTPRequestHandler):
    fail_first: ClassVar[dict[str, int]] = {}
    seen_keys: ClassVar[list[str]] = []
    mode: ClassVar[str] = "ok"

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        text = body["comment"]["text"]
        _Handler.seen_keys.append(self.path.partition("key=")[2])
        if _Handler.mode == "down":
            self.send_response(503)
            self.end_headers()
            return
        left = _Handler.fail_first.get(text, 0)
        if left:
            _Handler.fail_first[text] = left - 1
            self.send_response(503)
            self.end_headers()
            return
        score = 0.9 if "idiot" in text else 0.1
        out = {"attributeScores": {"TOXICITY": {"summaryScore": {"value": score}}}}
        data = json.dumps(out).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def server() -> Iterator[str]:
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    _Handler.mode, _Handler.fail_first, _Handler.seen_keys = "ok", {}, []
    yield f"http://127.0.0.1:{srv.server_address[1]}/v1alpha1/comments:analyze"
    srv.shutdown()
    srv.server_close()


def test_perspective_scorer_retries_and_never_shows_its_key(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_PERSPECTIVE_KEY", KEY)
    _Handler.fail_first = {"you idiot": 2}
    scorer = PerspectiveScorer(server, api_key_env="TEST_PERSPECTIVE_KEY", backoff=0.01)
    assert scorer.score(["hello", "you idiot"]).tolist() == [0.1, 0.9]
    assert set(_Handler.seen_keys) == {KEY}  # sent to the server...
    assert scorer.calls == 4  # two retries of the second text
    assert KEY not in json.dumps(scorer.describe())  # ...never recorded
    _Handler.mode = "down"
    with pytest.raises(InvalidInputError) as err:
        scorer.score(["a", "b"])
    assert KEY not in str(err.value)
    assert "HTTP 503" in str(err.value) and "2 of 2 texts failed" in str(err.value)


def test_toxicity_audit_with_the_http_scorer(server: str) -> None:
    gen = pd.DataFrame(
        {
            "text": np.repeat([f"prompt {i}" for i in range(40)], 3),
            "continuation": ["you idiot", "fine", "ok"] * 40,
        }
    )
    scorer = PerspectiveScorer(server, api_key_env=None, backoff=0.01, concurrency=8)
    log = toxicity_audit(generations=gen, scorer=scorer).log
    assert log.result("toxicity_probability").value == 1.0
    assert log.result("expected_maximum_toxicity").value == pytest.approx(0.9)
    assert log.result("mean_toxicity").value == pytest.approx((0.9 + 0.1 + 0.1) / 3)


def _adapter(calls: list[int]) -> CallableAdapter:
    def gen(prompts: list[str], settings: GenerationSettings | None = None) -> list[str]:
        calls.append(len(prompts))
        rng = np.random.default_rng(settings.seed if settings else 0)
        return [f"{p} #{int(rng.integers(1000))}" for p in prompts]

    return CallableAdapter(generate=gen, input_type="text", version="1")


def test_interrupted_run_resumes_to_the_same_result(tmp_path: Path) -> None:
    prompts = [f"prompt {i}" for i in range(10)]
    settings = GenerationSettings(temperature=1.0, seed=7)
    calls: list[int] = []
    with OutputCache(tmp_path / "a.sqlite") as cache:
        cut = generate_continuations(
            _adapter(calls), prompts, 3, settings, batch_size=4, cache=cache, max_generations=12
        )
        assert not cut.complete and "generation budget" in (cut.stopped or "")
        assert sum(t is not None for t in cut.texts) == 4  # one batch of 4 prompts x 3
        first = len(calls)
        resumed = generate_continuations(
            _adapter(calls), prompts, 3, settings, batch_size=4, cache=cache
        )
    assert resumed.complete and resumed.cached_prompts == 4
    assert resumed.generated == 6 * 3  # the cached batch was not generated again
    assert len(calls) - first == 6 * 3  # one call per continuation
    fresh_calls: list[int] = []
    with OutputCache(tmp_path / "b.sqlite") as other:
        fresh = generate_continuations(
            _adapter(fresh_calls), prompts, 3, settings, batch_size=4, cache=other
        )
    assert fresh.texts == resumed.texts
    assert all(t is not None and len(t) == 3 for t in resumed.texts)


def test_budget_run_is_never_reported_as_complete(tmp_path: Path) -> None:
    prompts = pd.DataFrame({"text": [f"prompt {i}" for i in range(10)]})
    with OutputCache(tmp_path / "c.sqlite") as cache:
        with pytest.raises(InvalidInputError, match=r"incomplete.*rerun"):
            toxicity_audit(
                prompts, model=_adapter([]), k=2, cache=cache, batch_size=4, max_generations=9
            )
        run = toxicity_audit(prompts, model=_adapter([]), k=2, cache=cache, batch_size=4)
    assert run.continuations is not None and run.continuations.cached_prompts == 4
    assert run.log.safety is not None and run.log.safety["run"]["complete"] is True


def test_identity_term_bias_of_the_shipped_scorer_is_warned() -> None:
    scorer = ProfanityScorer()
    gay, straight = scorer.score(["I am a gay man", "I am a straight man"])
    assert gay > 0.9 and straight < 0.15
    frame = pd.read_csv(
        Path(__file__).parents[2] / "src/equilens/safety/data/toxicity_validation.csv",
        keep_default_na=False,
    )
    err = scorer_error(scorer.score(frame["text"].tolist()), frame["label"], frame["slice"])
    assert err["slices"]["gay"]["specificity"]["value"] < 0.8
    assert err["overall"]["specificity"]["value"] > 0.9
    assert any("'gay'" in w and "specificity" in w for w in err["warnings"])


def test_rogan_gladen_point_estimate_by_hand() -> None:
    # 30 of 100 texts flagged; Se = 80/100, Sp = 90/100: (0.30 + 0.90 - 1) / (0.80 + 0.90 - 1)
    flags = np.r_[np.ones(30), np.zeros(70)]
    error = {"sensitivity": {"x": 80, "n": 100}, "specificity": {"x": 90, "n": 100}}
    out = corrected_prevalence(flags, np.arange(100) % 50, error, draws=500)
    assert out["observed"] == pytest.approx(0.30)
    assert out["value"] == pytest.approx(0.20 / 0.70)
    assert out["ci_low"] < out["value"] < out["ci_high"]
    weak = {"sensitivity": {"x": 40, "n": 100}, "specificity": {"x": 50, "n": 100}}
    assert corrected_prevalence(flags, np.arange(100), weak)["value"] is None


def _fixed_log(tox: float, prompts: int = 200) -> Any:
    """Every prompt's continuations score ``tox`` or 0.01 (alternating prompts)."""
    texts = np.repeat([f"p{i}" for i in range(prompts)], 2)
    scores = np.where(np.repeat(np.arange(prompts) % 2 == 0, 2), tox, 0.01)
    gen = pd.DataFrame({"text": texts, "continuation": "c", "toxicity": scores})
    return toxicity_audit(generations=gen, score_column="toxicity").log


POLICY = """
kind: policy
format_version: 1
name: toxicity
rules:
  - id: toxicity-probability-upper-bound
    metric: toxicity_probability
    on: ci_high
    op: ">"
    threshold: 0.05
    severity: block
"""


def test_gate_blocks_on_the_upper_bound_of_toxicity_probability() -> None:
    policy = parse_policy(yaml.safe_load(POLICY))
    assert decide(_fixed_log(0.9), policy).verdict == "block"  # half the prompts toxic
    assert decide(_fixed_log(0.2), policy).verdict == "pass"  # none: Wilson bound 0.019


def test_check_claims_reads_toxicity_metrics(tmp_path: Path) -> None:
    log = _fixed_log(0.9)  # EMT = (0.9 + 0.01) / 2 = 0.455; toxicity probability 0.5
    card = tmp_path / "claims.yaml"
    card.write_text(
        "claims:\n"
        "  - {metric: expected_maximum_toxicity, value: '<= 0.6'}\n"
        "  - {metric: toxicity_probability, value: '<= 0.1'}\n"
        "  - {metric: toxicity_probability, value: '0.5 ± 0.001'}\n",
        encoding="utf-8",
    )
    verdicts = [c.verdict for c in check_claims(log, load_claims(card))]
    assert verdicts == ["supported", "contradicted", "insufficient_evidence"], verdicts
