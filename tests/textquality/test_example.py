"""The shipped example runs end to end on its committed generations and illustrative ratings."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from equilens._cli.main import main
from equilens.textquality import log_likelihoods, text_metrics

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "text_quality"


def test_example_agreement_and_textmetrics(tmp_path: Path) -> None:
    ratings = str(EXAMPLE / "ratings_illustrative.csv")
    argv = [
        "agreement",
        "--ratings",
        ratings,
        "--item",
        "item",
        "--rater",
        "rater",
        "--score",
        "score",
        "--criterion",
        "criterion",
        "--sensitive",
        "group",
        "--level",
        "ordinal",
        "--bootstrap",
        "300",
        "--out",
        str(tmp_path / "ag"),
    ]
    assert main(argv) == 0
    doc = json.loads((tmp_path / "ag" / "agreement.json").read_text())
    assert {r["criterion"] for r in doc["rows"]} == {"faithfulness", "fluency"}
    argv = [
        "textmetrics",
        "--data",
        str(EXAMPLE / "generations.csv"),
        "--hypothesis",
        "smollm2,lead1",
        "--reference",
        "reference",
        "--sensitive",
        "group",
        "--cluster",
        "article",
        "--metrics",
        "bleu,chrf,ter,rouge,bertscore",
        "--id",
        "id",
        "--ratings",
        ratings,
        "--rubric",
        str(EXAMPLE / "rubric.yaml"),
        "--min-group-size",
        "10",
        "--bootstrap",
        "300",
        "--trials",
        "300",
        "--out",
        str(tmp_path / "tm"),
    ]
    assert main(argv) == 0
    doc = json.loads((tmp_path / "tm" / "textmetrics.json").read_text())
    assert {v["criterion"] for v in doc["verdicts"]} == {"faithfulness", "fluency"}
    assert "smollm2.bertscore_f1" in doc["logs"]
    assert doc["models"]["bertscore"]["caveat"].startswith("not comparable")
    page = (tmp_path / "tm" / "text_quality.html").read_text()
    assert "Verdict per slice" in page


@pytest.mark.slow
def test_example_perplexity_per_group(smollm2_adapter: Any) -> None:
    frame = pd.read_csv(EXAMPLE / "generations.csv")
    run = text_metrics(
        frame,
        hypotheses=["smollm2"],
        reference=None,
        sensitive=["group"],
        metrics=["perplexity"],
        cluster="article",
        bootstrap=200,
        lm=smollm2_adapter,
        min_group_size=10,
    )
    log = run.logs[("smollm2", "nll_per_token")]
    overall = log.result("ratio_of_sums")
    assert overall.value is not None and 0.5 < overall.value < 8  # nats per token
    assert overall.ci_low is not None and overall.ci_low < overall.value < overall.ci_high


@pytest.mark.slow
def test_log_likelihood_equals_a_direct_forward_pass(smollm2_adapter: Any) -> None:
    import torch

    texts = ["The cat sat on the mat.", "Stocks fell sharply on Monday."]
    ll = log_likelihoods(texts, smollm2_adapter)
    tok, model = smollm2_adapter.tokenizer, smollm2_adapter.model
    for i, text in enumerate(texts):
        ids = tok(text, add_special_tokens=False)["input_ids"]
        start = tok.bos_token_id if tok.bos_token_id is not None else tok.eos_token_id
        x = torch.tensor([[start, *ids]])
        with torch.inference_mode():
            logp = torch.log_softmax(model(input_ids=x).logits[0, :-1].float(), dim=-1)
        nll = -float(logp.gather(-1, x[0, 1:, None]).sum())
        assert ll.tokens[i] == len(ids)
        assert math.isclose(ll.nll[i], nll, rel_tol=1e-4)
