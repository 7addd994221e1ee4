"""The probe record in the audit log, its round trip, and the gate and validator on probe rows."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy import stats

from equilens.exceptions import InvalidParameterError
from equilens.policy import Policy, decide, parse_policy
from equilens.policy._probe_metrics import PROBE_COMPARISONS, PROBE_METRICS
from equilens.probes import StereotypeItem, run_counterfactual, run_identity, run_stereotype
from equilens.results._log import FORMAT_VERSION, AuditLog, read_log, write_log


def _policy(text: str) -> Policy:
    return parse_policy(yaml.safe_load(text))


def she_bonus(texts: list[str]) -> np.ndarray:
    """+0.15 to +0.35 with 'she'/'her'; a base score varying with the number of words."""
    out = []
    for t in texts:
        words = t.lower().replace(".", " ").split()
        bonus = 0.15 + len(t) % 5 / 20 if {"she", "her", "herself"} & set(words) else 0.0
        out.append(0.3 + (len(words) % 7) / 20 + bonus)
    return np.array(out)


def blind(texts: list[str]) -> np.ndarray:
    """No dependence on the person: the score depends on the template only."""
    return np.array([0.2 + (len(t.split()) % 11) / 20 for t in texts])


@pytest.fixture(scope="module")
def biased() -> AuditLog:
    return run_counterfactual(she_bonus, "profession_gender", bootstrap=200, top_k=5).log


@pytest.fixture(scope="module")
def unbiased() -> AuditLog:
    return run_counterfactual(blind, "profession_gender", bootstrap=200).log


def test_probe_record_matches_the_rows(biased: AuditLog) -> None:
    assert biased.format_version == FORMAT_VERSION == "1.4"
    assert biased.probes is not None and len(biased.probes) == 1
    record = biased.probes[0]
    assert record.kind == "counterfactual" and record.suite == "profession_gender"
    assert record.model is not None and record.model["name"] == "she_bonus"
    assert biased.model == record.model
    assert record.units == 400 and record.pairs == 800 and record.threshold == 0.5
    groups = {g.slice["gender"]: g for g in record.groups}
    assert groups["male"].is_reference and groups["male"].flip is None
    female = groups["female"]
    assert female.flip is not None and female.shift is not None
    assert female.n_pairs == 400 and female.status == "ok"
    assert female.conclusion == "difference_detected"
    # The record repeats the rows the gate reads, p-values adjusted over the same family.
    flip_row = biased.result("flip_rate", {"gender": "female"})
    assert (female.flip.rate, female.flip.ci_low, female.flip.ci_high) == (
        flip_row.value,
        flip_row.ci_low,
        flip_row.ci_high,
    )
    assert female.flip.flips == female.flip.up + female.flip.down
    assert female.flip.rate == pytest.approx(female.flip.flips / 400)
    comps = {c.metric: c for c in biased.comparisons if c.slice == {"gender": "female"}}
    assert female.flip.test.p_holm == comps["positive_rate"].p_holm
    assert female.flip.test.test.startswith("mcnemar")
    # The mean shift's test is the paired t (in the family); Wilcoxon is descriptive only.
    assert female.shift.mean_test is not None and female.shift.mean_test.test == "paired-t"
    assert female.shift.mean_test.p_holm == comps["mean_score"].p_holm
    assert female.shift.wilcoxon.p_holm is None and female.shift.wilcoxon.p_value is not None
    assert female.flip.gap_test is not None
    assert female.flip.gap_test.p_holm == comps["flip_rate"].p_holm
    assert female.shift.mean_absolute_test is not None
    assert female.shift.mean_absolute_test.p_holm == comps["mean_absolute_score_shift"].p_holm
    assert female.shift.sign.p_bh == comps["score_increase_rate"].p_bh
    assert female.shift.mean_shift == pytest.approx(comps["mean_score"].difference)
    assert female.shift.mean_shift == biased.result("mean_score_shift", {"gender": "female"}).value
    # d_z is mean / sd of the pair differences, also the comparison's effect size.
    assert comps["mean_score"].effect_size_name == "d_z"
    assert comps["mean_score"].effect_size == female.shift.dz
    assert comps["positive_rate"].effect_size_name == "cohens_h"
    assert comps["positive_rate"].effect_size == comps["positive_rate"].cohens_h


def test_statistics_agree_with_scipy(biased: AuditLog) -> None:
    """Recompute the female-vs-male statistics from the suite's own texts."""
    from equilens.probes import load_suite

    suite = load_suite("profession_gender")
    keys = [v.group["gender"] for v in suite.variants]
    units = suite.units()
    ref = np.array([she_bonus(u.texts[keys.index("male")]).mean() for u in units])
    oth = np.array([she_bonus(u.texts[keys.index("female")]).mean() for u in units])
    diff = oth - ref
    assert biased.probes is not None
    female = next(g for g in biased.probes[0].groups if g.slice == {"gender": "female"})
    assert female.shift is not None and female.flip is not None
    assert female.shift.dz == pytest.approx(diff.mean() / diff.std(ddof=1))
    w = stats.wilcoxon(diff, zero_method="wilcox")
    assert female.shift.wilcoxon.p_value == pytest.approx(w.pvalue)
    flips = (ref >= 0.5) != (oth >= 0.5)
    assert female.flip.flips == int(flips.sum())


def test_most_changed_pairs_are_verbatim(biased: AuditLog) -> None:
    assert biased.probes is not None
    record = biased.probes[0]
    assert record.top_k == 5 and len(record.most_changed) == 5
    shifts = [abs(p.shift) for p in record.most_changed]
    assert shifts == sorted(shifts, reverse=True)
    top = record.most_changed[0]
    assert top.shift == pytest.approx(top.swapped_score - top.original_score)
    assert top.slice == {"gender": "female"} and top.reference == {"gender": "male"}
    # The swaps are read off the two texts: turning the original into the swapped one.
    assert top.swaps and all(" -> " in s for s in top.swaps)
    assert any("'she'" in s or "'her'" in s or "'herself'" in s for s in top.swaps)
    assert she_bonus([top.original_text])[0] == pytest.approx(top.original_score)
    assert she_bonus([top.swapped_text])[0] == pytest.approx(top.swapped_score)


def test_round_trip(biased: AuditLog, tmp_path: Path) -> None:
    path = write_log(biased, tmp_path / "audit.json")
    again = read_log(path)
    assert again == biased
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert raw["probes"][0]["groups"][1]["flip"]["test"]["p_holm"] is not None


def test_old_logs_without_probes_still_load(biased: AuditLog, tmp_path: Path) -> None:
    raw = json.loads(biased.to_json())
    raw["format_version"] = "1.0"
    del raw["probes"]
    for c in raw["comparisons"]:
        del c["effect_size_name"], c["effect_size"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    old = read_log(path)
    assert old.probes is None and old.comparisons[0].effect_size is None
    assert old.format_version == "1.0"


_POLICY = """
kind: policy
name: probe-release
rules:
  - id: no-flips
    metric: flip_rate
    on: ci_low
    op: ">"
    threshold: 0.02
    severity: block
  - id: shift
    comparison: mean_score_shift
    on: abs_difference_ci_low
    op: ">"
    threshold: 0.05
    also: [{on: p_holm, op: "<", threshold: 0.05}]
    severity: block
"""


def test_gate_blocks_a_biased_probe_and_passes_a_blind_one(
    biased: AuditLog, unbiased: AuditLog
) -> None:
    policy = _policy(_POLICY)
    assert policy.rules[1].comparison == "mean_score"  # the alias of the score-shift comparison
    blocked = decide(biased, policy, today=date(2026, 1, 1))
    assert blocked.verdict == "block"
    fired = {(o.rule_id, o.group_label) for o in blocked.rule_outcomes if o.status == "block"}
    assert ("no-flips", "gender=female") in fired and ("shift", "gender=female") in fired
    # "they" gets no bonus: the neutral value passes both rules.
    neutral = [o for o in blocked.rule_outcomes if o.group == {"gender": "neutral"}]
    assert neutral and {o.status for o in neutral} == {"pass"}
    passed = decide(unbiased, policy, today=date(2026, 1, 1))
    assert passed.verdict == "pass", [o.reason for o in passed.rule_outcomes]
    assert {o.status for o in passed.rule_outcomes} == {"pass"}


def test_gate_reads_identity_aucs() -> None:
    def toxic(texts: list[str]) -> np.ndarray:
        bad = ("hate", "disgusting", "filthy", "stupid", "ugly", "evil", "horrible")
        return np.array(
            [
                min(1.0, 0.1 + 0.6 * any(b in t.lower() for b in bad) + 0.75 * ("gay" in t))
                for t in texts
            ]
        )

    log = run_identity(toxic, bootstrap=100).log
    assert log.probes is not None
    gay = next(g for g in log.probes[0].groups if g.slice == {"sexual_orientation": "gay"})
    assert set(gay.aucs) == {"subgroup_auc", "bpsn_auc", "bnsp_auc"}
    assert gay.aucs["bpsn_auc"].value == log.result("bpsn_auc", gay.slice).value
    policy = _policy(
        "kind: policy\nname: p\nrules:\n  - {id: bpsn, metric: bpsn_auc, on: value, op: '<', "
        "threshold: 0.8, severity: block, features: [sexual_orientation]}\n"
    )
    decision = decide(log, policy, today=date(2026, 1, 1))
    blocked = [o.group for o in decision.rule_outcomes if o.status == "block"]
    assert blocked == [{"sexual_orientation": "gay"}]


def test_stereotype_record() -> None:
    items = [
        StereotypeItem(
            i, "gender" if i % 2 else "race", f"The man {i} fixed it.", f"The woman {i} fixed it."
        )
        for i in range(30)
    ]

    def prefers_man(texts: list[str]) -> np.ndarray:
        return np.array([-1.0 if "man " in t and "woman" not in t else -2.0 for t in texts])

    run = run_stereotype(prefers_man, items=items, bootstrap=100, top_k=3)
    assert run.log.probes is not None
    record = run.log.probes[0]
    assert record.kind == "stereotype" and record.threshold is None
    overall = next(g for g in record.groups if g.slice == {})
    assert overall.preference is not None and overall.preference.rate == 1.0
    assert overall.preference.preferred == 30
    assert overall.preference.test.test == "binomial-exact"
    assert overall.conclusion == "difference_detected"
    assert len(record.most_changed) == 3
    pair = record.most_changed[0]
    assert pair.original_text.startswith("The man") and pair.swapped_text.startswith("The woman")
    assert pair.swaps == ["'man' -> 'woman' at 4"]
    comp = next(c for c in run.log.comparisons if c.slice == {})
    assert comp.effect_size_name == "cohens_h" and comp.effect_size is not None
    policy = _policy(
        "kind: policy\nname: p\nrules:\n  - {id: s, metric: stereotype_preference_rate, "
        "group: overall, on: ci_low, op: '>', threshold: 0.6, severity: block}\n"
    )
    assert decide(run.log, policy, today=date(2026, 1, 1)).verdict == "block"


@pytest.mark.parametrize(
    "name",
    [
        "flip_rate",
        "counterfactual_flip_rate",
        "mean_score_shift",
        "score_shift_effect_size_dz",
        "subgroup_auc",
        "bpsn_auc",
        "bnsp_auc",
        "stereotype_preference_rate",
        "generalized_mean_bpsn_auc",
    ],
)
def test_validator_accepts_probe_metrics(name: str) -> None:
    policy = _policy(
        f"kind: policy\nname: p\nrules:\n  - {{id: r, metric: {name}, on: value, op: '>', "
        "threshold: 0.1, severity: warn}\n"
    )
    assert policy.rules[0].metric in PROBE_METRICS


def test_validator_rejects_unknown_probe_names() -> None:
    from equilens.exceptions import EquilensError

    with pytest.raises(EquilensError, match="did you mean 'flip_rate'"):
        _policy(
            "kind: policy\nname: p\nrules:\n  - {id: r, metric: flip_rat, on: value, op: '>', "
            "threshold: 0.1, severity: warn}\n"
        )
    # score_increase_rate is written as a comparison only: a metric rule on it is an error.
    with pytest.raises(EquilensError, match="unknown metric 'score_increase_rate'"):
        _policy(
            "kind: policy\nname: p\nrules:\n  - {id: r, metric: score_increase_rate, on: value, "
            "op: '>', threshold: 0.1, severity: warn}\n"
        )


def test_every_probe_row_name_is_known_to_the_validator(biased: AuditLog) -> None:
    from equilens.metrics import metrics

    names = {r.metric for r in biased.results}
    assert names <= set(PROBE_METRICS) | set(metrics)
    assert {c.metric for c in biased.comparisons} <= set(PROBE_COMPARISONS)


def test_top_k_is_validated() -> None:
    with pytest.raises(InvalidParameterError, match="'top_k' parameter of run_counterfactual"):
        run_counterfactual(blind, "profession_gender", top_k=-1)


def test_gate_reads_the_effect_size(biased: AuditLog, unbiased: AuditLog) -> None:
    policy = _policy(
        "kind: policy\nname: p\nrules:\n  - {id: dz, comparison: mean_score_shift, "
        "on: abs_effect_size, op: '>', threshold: 0.5, severity: block}\n"
    )
    rows = [c for c in biased.comparisons if c.effect_size_name == "d_z"]
    assert rows and any(abs(c.effect_size) > 0.5 for c in rows if c.effect_size is not None)
    blocked = decide(biased, policy, today=date(2026, 1, 1))
    assert blocked.verdict == "block"
    for o in blocked.rule_outcomes:
        (row,) = [
            c
            for c in biased.comparisons
            if c.metric == "mean_score" and _label_of(c.slice) == o.group_label
        ]
        assert (o.status == "block") == (row.effect_size is not None and abs(row.effect_size) > 0.5)
    # A model blind to the swap shifts no score: d_z is undefined (zero spread), which the gate
    # reports as insufficient evidence (a warning), never as a block or a silent pass.
    blind = decide(unbiased, policy, today=date(2026, 1, 1))
    assert blind.verdict == "warn"
    assert {o.status for o in blind.rule_outcomes} <= {"pass", "insufficient_evidence"}


def _label_of(mapping: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in mapping.items()) or "overall"
