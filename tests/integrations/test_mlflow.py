"""MLflow: the audit's key metrics with interval bounds, the gate verdict tag and the report
files land in a local file-based tracking store and read back with MLflow's client."""

from __future__ import annotations

import json
import pathlib
import re
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _data import make_frame
from equilens import audit
from equilens._cli.main import main
from equilens.integrations.mlflow import audit_metrics, log_audit, metric_name
from equilens.policy import decide, parse_policy
from equilens.results import AuditLog

pytestmark = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning", "ignore::FutureWarning", "ignore::UserWarning"
)


@pytest.fixture
def store(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> str:
    pytest.importorskip("mlflow")
    # MLflow 3 keeps the file store behind this switch; it is the local store the issue names.
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.chdir(tmp_path)
    return (tmp_path / "mlruns").as_uri()


@pytest.fixture(scope="module")
def log() -> AuditLog:
    frame = make_frame(n=800, seed=4)
    frame["race"] = frame["race"].map({"a": "a/b?c", "b": "b", "c": "c"})
    return audit(
        frame,
        y_true="y",
        y_pred="pred",
        y_score="score",
        sensitive_features=["race"],
        bootstrap=100,
    )


def _client(uri: str) -> object:
    import mlflow

    return mlflow.tracking.MlflowClient(uri)


def test_log_audit_metrics_tag_and_artifacts(store: str, log: AuditLog) -> None:
    policy = parse_policy(
        {
            "kind": "policy",
            "name": "p",
            "rules": [
                {"id": "acc", "metric": "accuracy_score", "on": "value", "op": "<",
                 "threshold": 0.01, "severity": "block"}
            ],
        }
    )  # fmt: skip
    decision = decide(log, policy)
    run_id = log_audit(log, run="first", tracking_uri=store, gate=decision)
    run = _client(store).get_run(run_id)  # type: ignore[attr-defined]
    metrics = run.data.metrics
    sel = log.result("selection_rate", {"race": "b"})
    assert metrics["equilens.selection_rate.race:b"] == pytest.approx(sel.value)
    assert metrics["equilens.selection_rate.race:b.ci_low"] == pytest.approx(sel.ci_low)
    assert metrics["equilens.selection_rate.race:b.ci_high"] == pytest.approx(sel.ci_high)
    assert metrics["equilens.n.race:b"] == sel.n
    # a label with characters MLflow rejects is sanitised, not dropped
    assert "equilens.selection_rate.race:a/b_c" in metrics
    assert any(k.startswith("equilens.criterion.demographic_parity_difference") for k in metrics)
    assert run.data.tags["equilens.gate.verdict"] == str(decision.verdict)
    assert run.data.tags["equilens.run_id"] == log.run_id
    assert run.info.run_name == "first"
    files = {a.path for a in _client(store).list_artifacts(run_id, "equilens")}  # type: ignore[attr-defined]
    assert files == {
        "equilens/audit.json",
        "equilens/report.html",
        "equilens/summary.md",
        "equilens/decision.json",
    }
    # resuming the run by id adds to it
    assert log_audit(log, run=run_id, tracking_uri=store) == run_id


def test_cli_mlflow(store: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "preds.csv"
    make_frame(n=600).to_csv(data, index=False)
    argv = [
        "audit", "--data", str(data), "--y-true", "y", "--y-pred", "pred", "--sensitive", "race",
        "--bootstrap", "50", "--out", str(tmp_path / "out"), "--mlflow-uri", store,
        "--mlflow-run", "cli-run",
    ]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    run_id = re.search(r"logged to MLflow run ([0-9a-f]{32})", out).group(1)  # type: ignore[union-attr]
    run = _client(store).get_run(run_id)  # type: ignore[attr-defined]
    log = json.loads((tmp_path / "out" / "audit.json").read_text())
    assert run.data.tags["equilens.run_id"] == log["run_id"]
    assert "equilens.accuracy_score.overall" in run.data.metrics


def test_mlflow_missing_is_one_line_exit_2(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "mlflow", None)  # import mlflow raises ImportError
    data = tmp_path / "preds.csv"
    make_frame(n=300).to_csv(data, index=False)
    argv = [
        "audit", "--data", str(data), "--y-true", "y", "--y-pred", "pred", "--sensitive", "race",
        "--out", str(tmp_path / "out"), "--mlflow",
    ]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "equilens[mlflow]" in err
    assert not (tmp_path / "out" / "audit.json").exists()  # failed before the audit ran


def test_bad_tracking_uri_is_one_redacted_line_before_the_audit(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("mlflow")
    data = tmp_path / "preds.csv"
    make_frame(n=300).to_csv(data, index=False)
    argv = [
        "audit", "--data", str(data), "--y-true", "y", "--y-pred", "pred", "--sensitive", "race",
        "--out", str(tmp_path / "out"), "--mlflow-uri", "nosuch://user:sekret@host/x",
    ]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--mlflow-uri" in err and "sekret" not in err
    assert not (tmp_path / "out").exists()


_NAME = re.compile(r"^[A-Za-z0-9_\-. /:~]{1,250}$")


@given(st.lists(st.text(min_size=0, max_size=300), min_size=1, max_size=4))
def test_metric_names_are_valid(parts: list[str]) -> None:
    assert _NAME.match(metric_name(*parts))


def test_colliding_labels_stay_apart(log: AuditLog) -> None:
    frame = make_frame(n=600, seed=5)
    frame["race"] = frame["race"].map({"a": "x?", "b": "x!", "c": "c"})
    clash = audit(frame, y_true="y", y_pred="pred", sensitive_features=["race"], bootstrap=20)
    names = [k for k in audit_metrics(clash) if k.startswith("equilens.selection_rate.race:x_")]
    assert len(names) == 2 * 3  # two groups, value and two bounds each
