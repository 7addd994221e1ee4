"""The monitor end to end: statistics, merging, alarms, policy routing, state, store, CLI."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from equilens._cli.main import main
from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.monitor import (
    BatchStats,
    create_monitor,
    ingest_batch,
    load_state,
    read_alarms,
    save_state,
)
from equilens.monitor._stats import ColumnSpec, reduce_batch
from equilens.policy import parse_policy
from equilens.store import MIGRATIONS, RunStore


def make_batch(n: int, seed: int, fpr_b: float = 0.1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.choice(["A", "B"], n, p=[0.6, 0.4])
    y = rng.binomial(1, 0.4, n)
    fpr = np.where(g == "B", fpr_b, 0.1)
    p = np.where(y == 1, rng.binomial(1, 0.8, n), rng.binomial(1, fpr))
    s = np.where(p == 1, rng.beta(5, 2, n), rng.beta(2, 5, n))
    return pd.DataFrame(
        {
            "y": y,
            "p": p,
            "s": s,
            "g": g,
            "age": rng.normal(40, 10, n),
            "region": rng.choice(["n", "s", "e"], n),
        }
    )


SPEC = ColumnSpec("y", "p", ("g",), y_score="s", features=("age", "region"))

POLICY = """
name: mon-policy
escalation:
  block:
    owners: [ml-team]
    contacts: ["#alerts"]
    message: "{rule_id}: {metric} for {group} is {value} (bound {threshold})"
rules:
  - id: fpr-gap
    comparison: false_positive_rate
    features: [g]
    on: abs_difference
    op: ">"
    threshold: 0.05
    severity: block
    retrain: true
    owners: [risk]
"""


def test_group_tables_equal_pandas_crosstab() -> None:
    df = make_batch(500, 1)
    stats, _, edges = reduce_batch(df, SPEC, numeric_bin_edges=None)
    for gi, group in enumerate(stats.groups):
        sub = df if group.feature is None else df[df["g"] == group.label]
        tab = pd.crosstab(sub["y"], sub["p"]).reindex(index=[0, 1], columns=[0, 1], fill_value=0)
        assert np.array_equal(stats.conf[gi], tab.to_numpy())
        assert stats.score_hist is not None
        expected = np.bincount(np.minimum((sub["s"] * 100).astype(int), 99), minlength=100)
        assert np.array_equal(stats.score_hist[gi], expected)
    assert stats.categorical["region"] == df["region"].value_counts().sort_index().to_dict()
    assert len(edges["age"]) == 19 and stats.numeric["age"].sum() == 500


@given(st.integers(1, 60), st.integers(1, 60), st.integers(0, 10_000))
@settings(max_examples=15, deadline=None)
def test_merge_equals_the_statistics_of_the_concatenation(n1: int, n2: int, seed: int) -> None:
    a, b = make_batch(n1, seed), make_batch(n2, seed + 1)
    _, _, edges = reduce_batch(make_batch(200, 7), SPEC, numeric_bin_edges=None)
    sa = reduce_batch(a, SPEC, numeric_bin_edges=edges)[0]
    sb = reduce_batch(b, SPEC, numeric_bin_edges=edges)[0]
    both = reduce_batch(pd.concat([a, b], ignore_index=True), SPEC, numeric_bin_edges=edges)[0]
    merged = sa.merge(sb)
    assert merged.to_dict() == both.to_dict()
    assert (
        BatchStats.from_dict(json.loads(json.dumps(merged.to_dict()))).to_dict() == both.to_dict()
    )


def test_no_drift_gives_no_alarm_and_a_shift_in_one_group_does() -> None:
    state = create_monitor(
        make_batch(5000, 0), y_true="y", y_pred="p", y_score="s", sensitive=["g"]
    )
    assert len(state.streams) == 12
    for i in range(8):
        state, res = ingest_batch(state, make_batch(2000, 100 + i), today=date(2025, 1, 1))
        assert res.new_alarms == []
    for i in range(3):
        state, res = ingest_batch(state, make_batch(2000, 200 + i, fpr_b=0.3))
        if res.new_alarms:
            break
    ids = {a.stream_id for a in res.new_alarms}
    assert "false_positive_rate | g=B" in ids
    assert not any(i.endswith("g=A") for i in ids)
    alarm = next(a for a in res.new_alarms if a.stream_id == "false_positive_rate | g=B")
    assert alarm.direction == "up" and alarm.window_first_look == 9
    assert alarm.window_ci_low > alarm.null_high and alarm.severity == "warn"
    assert not res.blocking
    # an alarm fires once per stream
    state, res = ingest_batch(state, make_batch(2000, 300, fpr_b=0.3))
    assert "false_positive_rate | g=B" not in {a.stream_id for a in res.new_alarms}


def test_policy_maps_alarms_to_rules_escalation_and_retraining() -> None:
    policy = parse_policy(yaml.safe_load(POLICY))
    state = create_monitor(
        make_batch(5000, 0), y_true="y", y_pred="p", sensitive=["g"], policy=policy
    )
    state, res = ingest_batch(state, make_batch(3000, 5, fpr_b=0.35))
    by_id = {a.stream_id: a for a in res.new_alarms}
    fpr = by_id["false_positive_rate | g=B"]
    assert fpr.severity == "block" and fpr.retrain and fpr.rule_ids == ["fpr-gap"]
    assert fpr.owners == ["ml-team", "risk"] and fpr.contacts == ["#alerts"]
    assert fpr.messages[0].startswith("fpr-gap: false_positive_rate for g=B is 0.3")
    assert res.blocking
    other = by_id.get("false_positive_rate | overall")  # no rule reads the overall population
    assert other is None or (other.severity == "warn" and not other.rule_ids)


def test_exemption_unmaps_the_rule() -> None:
    text = POLICY + (
        "exemptions:\n  - rule: fpr-gap\n    group: {g: B}\n    justification: known\n"
        "    approver: lead\n    expires: 2030-01-01\n"
    )
    state = create_monitor(
        make_batch(5000, 0),
        y_true="y",
        y_pred="p",
        sensitive=["g"],
        policy=parse_policy(yaml.safe_load(text)),
    )
    _, res = ingest_batch(state, make_batch(3000, 5, fpr_b=0.35), today=date(2029, 1, 1))
    fpr = next(a for a in res.new_alarms if a.stream_id == "false_positive_rate | g=B")
    assert fpr.severity == "warn" and fpr.rule_ids == [] and not res.blocking


def test_bad_input_duplicates_and_horizon() -> None:
    ref = make_batch(1000, 0)
    with pytest.raises(InvalidParameterError, match="roc_auc_score"):
        create_monitor(ref, y_true="y", y_pred="p", sensitive=["g"], metrics=["roc_auc_score"])
    with pytest.raises(InvalidParameterError, match="--alpha"):
        create_monitor(ref, y_true="y", y_pred="p", sensitive=["g"], alpha=1.5)
    with pytest.raises(InvalidInputError, match="large enough"):
        create_monitor(ref, y_true="y", y_pred="p", sensitive=["g"], min_group_size=10**6)
    state = create_monitor(ref, y_true="y", y_pred="p", sensitive=["g"], horizon=1)
    with pytest.raises(InvalidInputError, match="same data"):
        ingest_batch(state, ref)
    state, _ = ingest_batch(state, make_batch(100, 1))
    with pytest.raises(InvalidInputError, match="horizon of 1 looks"):
        ingest_batch(state, make_batch(100, 2))


def test_state_round_trips_and_bad_state_is_bad_input(tmp_path: Path) -> None:
    state = create_monitor(make_batch(500, 0), y_true="y", y_pred="p", sensitive=["g"])
    state, _ = ingest_batch(state, make_batch(300, 1))
    save_state(state, tmp_path / "st")
    assert load_state(tmp_path / "st") == state
    (tmp_path / "st" / "monitor.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="not valid"):
        load_state(tmp_path / "st")
    with pytest.raises(InvalidInputError, match="No monitor state"):
        load_state(tmp_path / "none")


def test_cli_init_ingest_status_exit_codes_and_stored_alarms(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_batch(5000, 0).to_parquet(tmp_path / "ref.parquet")
    make_batch(2000, 1).to_csv(tmp_path / "ok.csv", index=False)
    make_batch(3000, 2, fpr_b=0.35).to_csv(tmp_path / "shift.csv", index=False)
    (tmp_path / "p.yaml").write_text(POLICY, encoding="utf-8")
    state, store = str(tmp_path / "st"), f"sqlite:///{tmp_path / 'h.db'}"
    init = ["monitor", "init", "--reference", str(tmp_path / "ref.parquet"), "--y-true", "y"]
    init += ["--y-pred", "p", "--y-score", "s", "--sensitive", "g", "--features", "age,region"]
    assert main([*init, "--state", state, "--policy", str(tmp_path / "p.yaml")]) == 0
    assert main([*init, "--state", state]) == 2  # exists
    ingest = ["monitor", "ingest", "--state", state, "--store", store]
    assert main([*ingest[:2], str(tmp_path / "ok.csv"), *ingest[2:]]) == 0
    assert "no new alarm" in capsys.readouterr().out
    assert main([*ingest[:2], str(tmp_path / "shift.csv"), *ingest[2:]]) == 1
    out = capsys.readouterr().out
    assert "ALARM (block)" in out and "retraining triggered" in out
    assert main([*ingest[:2], str(tmp_path / "shift.csv"), *ingest[2:]]) == 2  # duplicate
    assert main([*ingest[:2], str(tmp_path / "missing.csv"), *ingest[2:]]) == 2
    assert main(["monitor", "status", "--state", state, "--json", str(tmp_path / "s.json")]) == 0
    assert "ALARM" in capsys.readouterr().out
    assert json.loads((tmp_path / "s.json").read_text())["kind"] == "equilens-monitor"
    assert main(["monitor", "status", "--state", str(tmp_path / "none")]) == 2
    assert main(["monitor"]) == 2
    with RunStore(store) as rs:
        assert rs.schema_version == MIGRATIONS[-1].version == 3
        alarms = read_alarms(rs)
    assert {a.look for a in alarms} == {2}
    assert "false_positive_rate | g=B" in {a.stream_id for a in alarms}
    assert load_state(state).looks[1].alarms == alarms
