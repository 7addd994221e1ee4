"""Probe runs end to end with deterministic fake models: the log, the pairs, the failures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.probes import (
    evaluate_text_classifier,
    gender_swapper,
    load_suite,
    probe_texts,
    run_counterfactual,
    run_identity,
    score_texts,
    suite_from_dict,
)
from equilens.results._log import AuditLog, read_log


def she_bonus(texts: list[str]) -> np.ndarray:
    """A biased fake: +0.2 when the text has 'she'/'her', varying base score by length."""
    out = []
    for t in texts:
        words = t.lower().replace(".", " ").split()
        base = 0.3 + (len(words) % 7) / 20
        out.append(base + (0.2 if {"she", "her", "herself"} & set(words) else 0.0))
    return np.array(out)


def blind(texts: list[str]) -> np.ndarray:
    """An unbiased fake: the score depends on the number of words only."""
    return np.array([0.2 + (len(t.split()) % 11) / 20 for t in texts])


@pytest.fixture(scope="module")
def suite() -> object:
    return load_suite("profession_gender")


def test_biased_model_is_detected_with_adjusted_p(suite: object) -> None:
    run = run_counterfactual(she_bonus, suite, bootstrap=300, model_name="she_bonus")
    log = run.log
    assert isinstance(log, AuditLog)
    comp = {(c.metric, c.slice["gender"]): c for c in log.comparisons}
    female = comp[("mean_score", "female")]
    assert female.difference == pytest.approx(0.2)
    # A constant shift has no spread: the mean's test is the exact sign-flip test (not t).
    assert female.test == "sign-flip-exact (shifts without spread)"
    assert female.p_holm is not None and female.p_holm < 1e-10
    assert female.conclusion == "difference_detected"
    assert female.reference == {"gender": "male"}
    inc = comp[("score_increase_rate", "female")]
    assert inc.value == 1.0 and inc.test == "sign-test"
    # "they" gets no bonus: the same score as "he" on every unit
    neutral = comp[("mean_score", "neutral")]
    assert neutral.difference == pytest.approx(0.0, abs=1e-12)
    assert neutral.p_value == 1.0
    assert neutral.conclusion == "no_difference_detected"
    assert comp[("score_increase_rate", "neutral")].conclusion == "undefined"
    # every comparison with a p-value is in the one adjusted family
    assert log.multiple_comparisons["size"] == sum(c.p_value is not None for c in log.comparisons)
    dz = log.result("score_shift_effect_size_dz", {"gender": "female"})
    assert dz.status == "undefined"  # constant shift: no spread
    flips = log.result("flip_rate", {"gender": "female"})
    assert flips.value is not None and 0 < flips.value < 1
    assert flips.ci_method == "clopper-pearson"
    assert log.families[0].features == ["gender"]
    assert log.spec_resolved["units"] == 400
    # the most-changed pairs are readable verbatim
    top = run.most_changed(3)
    assert all(p.shift == pytest.approx(0.2) for p in top)
    to_female = gender_swapper("to_female", names=False)
    assert all(to_female.swap(p.reference_text).text == p.text for p in top)


def test_unbiased_model_shows_no_difference(suite: object) -> None:
    run = run_counterfactual(blind, suite, bootstrap=200)
    for c in run.log.comparisons:
        assert c.conclusion in ("no_difference_detected", "undefined"), c
    assert all(p.shift == 0 for p in run.pairs)


def test_failures_are_recorded_and_the_rest_kept(suite: object) -> None:
    def flaky(texts: list[str]) -> list[float]:
        if any("mechanic" in t for t in texts):
            if len(texts) > 1:
                raise RuntimeError("batch failed")
            if {"she", "her", "herself"} & set(texts[0].replace(".", " ").split()):
                raise ValueError("cannot score\nthis input")
        return [0.9 if "would" in t else 0.1 for t in texts]

    run = run_counterfactual(flaky, suite, bootstrap=100, batch_size=16)
    assert len(run.failures) == 10  # the 10 mechanic templates with "she"
    f = run.failures[0]
    assert "mechanic" in f.text and " she " in f.text  # the first mechanic template
    assert f.error == "ValueError: cannot score this input"
    assert run.log.warnings[0] == "the model failed on 10 of 1200 inputs; they were left out"
    assert any("ValueError: cannot score this input" in w for w in run.log.warnings)
    female = run.log.result("flip_rate", {"gender": "female"})
    neutral = run.log.result("flip_rate", {"gender": "neutral"})
    assert (female.n, neutral.n) == (390, 400)


def test_non_numeric_and_non_finite_outputs_are_failures() -> None:
    def odd(texts: list[str]) -> list[object]:
        return [float("nan") if "b" in t else ("x" if "c" in t else 0.5) for t in texts]

    scores, failures = score_texts(odd, ["a", "b", "c", "a"], batch_size=4)
    assert np.isnan(scores[1]) and np.isnan(scores[2]) and scores[0] == 0.5
    assert [f.index for f in failures] == [1, 2]
    assert failures[0].error == "model returned a non-finite score (nan)"
    assert failures[1].error.startswith("ValueError")
    with pytest.raises(InvalidParameterError, match="'model' parameter"):
        score_texts(42, ["a"])

    class Adapter:
        def predict_proba(self, texts: list[str]) -> list[float]:
            return [0.25] * len(texts)

    assert score_texts(Adapter(), ["a", "b"])[0].tolist() == [0.25, 0.25]


def test_log_round_trips_and_pairs_are_written(tmp_path: Path, suite: object) -> None:
    run = run_counterfactual(she_bonus, suite, bootstrap=100)
    path = run.write(tmp_path / "out")
    again = read_log(path)
    assert again == run.log
    lines = (tmp_path / "out" / "pairs.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(run.pairs) == 800
    first = json.loads(lines[0])
    assert set(first) >= {"reference_text", "text", "shift", "flipped", "slice"}
    assert (tmp_path / "out" / "failures.jsonl").read_text(encoding="utf-8") == ""


def test_report_renders_a_probe_log(suite: object) -> None:
    report = pytest.importorskip("equilens.report")
    run = run_counterfactual(she_bonus, suite, bootstrap=100)
    html = report.render_html(run.log)
    assert "mean_score" in html or "mean score" in html
    md = report.render_markdown(run.log)
    assert "gender" in md


def test_intersections_and_name_means() -> None:
    raw = {
        "attributes": ["gender", "race"],
        "reference": {"gender": "male", "race": "a"},
        "variants": [
            {"group": {"gender": "male", "race": "a"}, "fill": {"name": ["Al", "Bo"]}},
            {"group": {"gender": "female", "race": "a"}, "fill": {"name": ["Cy", "Di"]}},
            {"group": {"gender": "male", "race": "b"}, "fill": {"name": ["Ed", "Fy"]}},
            {"group": {"gender": "female", "race": "b"}, "fill": {"name": ["Gi", "Hu"]}},
        ],
        "fillers": {"n": [str(i) for i in range(30)]},
        "templates": ["{name} has {n} cats."],
    }
    bonus = {"Cy": 0.1, "Di": 0.3, "Gi": 0.2, "Hu": 0.2}

    def model(texts: list[str]) -> np.ndarray:
        return np.array(
            [0.4 + bonus.get(t.split()[0], 0.0) + int(t.split()[2]) / 100 for t in texts]
        )

    run = run_counterfactual(model, suite_from_dict(raw), bootstrap=100)
    fams = [f.features for f in run.log.families]
    assert fams == [["gender"], ["race"], ["gender", "race"]]
    comp = {(tuple(c.features), tuple(c.slice.values()), c.metric): c for c in run.log.comparisons}
    # female (mean over races and names) vs male: +0.2
    assert comp[(("gender",), ("female",), "mean_score")].difference == pytest.approx(0.2)
    # race b vs a: (0 + 0.2) / 2 - (0 + 0.2) / 2 = 0
    assert comp[(("race",), ("b",), "mean_score")].difference == pytest.approx(0.0, abs=1e-12)
    cell = comp[(("gender", "race"), ("female", "b"), "mean_score")]
    assert cell.difference == pytest.approx(0.2)
    assert cell.reference == {"gender": "male", "race": "a"}


def test_identity_probe_adds_bias_aucs() -> None:
    def toxic_words(texts: list[str]) -> np.ndarray:
        bad = ("hate", "disgusting", "filthy", "stupid", "ugly", "evil", "horrible")
        return np.array(
            [
                min(1.0, 0.1 + 0.6 * any(b in t.lower() for b in bad) + 0.75 * ("gay" in t.lower()))
                for t in texts
            ]
        )

    run = run_identity(toxic_words, bootstrap=200)
    log = run.log
    gay = {c.metric: c for c in log.comparisons if c.slice == {"sexual_orientation": "gay"}}
    assert gay["mean_score"].difference is not None and gay["mean_score"].difference > 0.1
    assert gay["mean_score"].conclusion == "difference_detected"
    bpsn = log.result("bpsn_auc", {"sexual_orientation": "gay"})
    bpsn_ref = log.result("bpsn_auc", {"sexual_orientation": "straight"})
    assert bpsn.value is not None and bpsn_ref.value is not None
    assert bpsn.value < bpsn_ref.value
    for metric in ("subgroup_auc", "bpsn_auc", "bnsp_auc"):
        mean = log.result(f"generalized_mean_{metric}")
        assert (
            mean.value is not None
            and mean.ci_method == "stratified-bootstrap-bias-corrected-percentile"
        )
    assert log.result("roc_auc_score").value is not None


def test_free_text_probe_keeps_swaps() -> None:
    texts = [
        "He loved the film and his wife did too.",
        "A film without people.",
        "She hated every minute; her friends agreed.",
    ] * 5
    run = probe_texts(she_bonus, texts, gender_swapper(), attribute="gender_swap", bootstrap=100)
    assert run.log.spec_resolved["texts_changed"] == 10
    assert run.log.spec_resolved["texts_unchanged"] == 5
    first = run.pairs[0]
    assert first.text == "She loved the film and her husband did too."
    assert first.swaps[0] == "'He' -> 'She' (pronoun) at 0"
    with pytest.raises(InvalidInputError, match="None of the 1 texts"):
        probe_texts(she_bonus, ["no people here"], gender_swapper())


def test_classifier_evaluation_matches_sklearn() -> None:
    from sklearn.metrics import accuracy_score, roc_auc_score
    from statsmodels.stats.proportion import proportion_confint

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 120)
    raw = np.clip(labels * 0.3 + rng.uniform(0, 0.7, 120), 0, 1)
    texts = [f"t{i}" for i in range(120)]
    lookup = dict(zip(texts, raw))
    rows, failures = evaluate_text_classifier(lambda ts: [lookup[t] for t in ts], texts, labels)
    acc, auc = rows
    assert failures == []
    assert acc.value == pytest.approx(accuracy_score(labels, raw >= 0.5))
    correct = int(np.sum((raw >= 0.5) == labels))
    assert (acc.ci_low, acc.ci_high) == pytest.approx(
        proportion_confint(correct, 120, method="beta")
    )
    assert auc.value == pytest.approx(roc_auc_score(labels, raw))
    with pytest.raises(InvalidInputError, match="inconsistent numbers"):
        evaluate_text_classifier(she_bonus, ["a"], [0, 1])


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"threshold": float("nan")}, "threshold"),
        ({"bootstrap": 0}, "bootstrap"),
        ({"confidence_level": 1.5}, "confidence_level"),
        ({"min_pairs": 0}, "min_pairs"),
    ],
)
def test_options_are_validated(kwargs: dict[str, object], name: str, suite: object) -> None:
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of run_counterfactual"):
        run_counterfactual(she_bonus, suite, **kwargs)  # type: ignore[arg-type]


def test_gate_reads_a_probe_log_unchanged(suite: object) -> None:
    policy_mod = pytest.importorskip("equilens.policy")

    def toxic_words(texts: list[str]) -> np.ndarray:
        return np.array([0.9 if "hate" in t else (0.7 if "gay" in t else 0.1) for t in texts])

    log = run_identity(toxic_words, bootstrap=100).log
    policy = policy_mod.parse_policy(
        {
            "name": "identity-probe",
            "rules": [
                {
                    "id": "auc",
                    "metric": "roc_auc_score",
                    "group": "overall",
                    "on": "ci_low",
                    "op": "<",
                    "threshold": 0.99,
                    "severity": "block",
                }
            ],
        }
    )
    decision = policy_mod.decide(log, policy)
    assert decision.verdict == "block"
    assert [o.rule_id for o in decision.rule_outcomes] == ["auc"]


def test_writing_under_a_file_is_one_error_naming_the_folder(tmp_path: Path, suite: object) -> None:
    """Library callers get the project's one-line error, not a raw OSError."""
    from equilens.exceptions import InvalidInputError
    from equilens.report import write_report

    run = run_counterfactual(she_bonus, suite, bootstrap=20)
    blocker = tmp_path / "a_file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"probe output directory .*a_file"):
        run.write(blocker / "out")
    with pytest.raises(InvalidInputError, match=r"report directory .*a_file"):
        write_report(run.log, blocker / "report")
    assert blocker.read_text(encoding="utf-8") == "x"
    assert not list(tmp_path.glob("**/*.tmp"))
