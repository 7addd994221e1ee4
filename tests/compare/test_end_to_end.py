"""End to end: audit COMPAS, gate it with the shipped policy, store it, compare with a second
model, write the model card; and the shipped champion / challenger credit example."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import equilens
from equilens._cli.main import main
from equilens.compare import read_comparison
from equilens.data import load_compas
from equilens.results import read_log, write_log

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "examples" / "policies" / "prelaunch-standard.yaml"


def test_compas_audit_gate_store_compare_card(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    df = load_compas()
    x = np.column_stack(
        [df["priors_count"], df["age"], (df["c_charge_degree"] == "F").astype(float)]
    )
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    score = cross_val_predict(
        LogisticRegression(max_iter=1000), x, df["two_year_recid"], cv=cv, method="predict_proba"
    )[:, 1]
    df["lr_score"] = score
    df["lr_high"] = (score >= 0.5).astype(int)
    opts = {
        "y_true": "two_year_recid",
        "sensitive_features": ["race", "sex"],
        "reference": {"race": "Caucasian", "sex": "Male"},
        "bootstrap": 200,
        "seed": 0,
    }
    champion = equilens.audit(df, y_pred="high_risk", y_score="risk_score", **opts)
    challenger = equilens.audit(df, y_pred="lr_high", y_score="lr_score", **opts)
    base = write_log(champion, tmp_path / "compas.json")
    cand = write_log(challenger, tmp_path / "lr.json")
    store = f"sqlite:///{tmp_path / 'history.db'}"
    gate = main(["gate", str(base), "--policy", str(POLICY), "--store", store, "--quiet"])
    assert gate in (0, 1)  # pass / warn or block: both are verdicts, not errors
    data = tmp_path / "rows.parquet"
    df.to_parquet(data)
    args = ["compare", str(base), str(cand), "--data", str(data), "--id", "id"]
    args += ["--base-pred", "high_risk", "--candidate-pred", "lr_high"]
    args += ["--base-score", "risk_score", "--candidate-score", "lr_score"]
    args += ["--names", "COMPAS,logistic", "--json", str(tmp_path / "cmp.json"), "--quiet"]
    assert main(args) == 0
    result = read_comparison(tmp_path / "cmp.json")
    assert result.design == "paired" and result.data_check.status == "match"
    auc = result.metric("roc_auc_score")
    assert auc.base == pytest.approx(read_log(base).result("roc_auc_score").value)
    assert auc.change_ci_low is not None and auc.test == "delong-paired-z"
    cards = pytest.importorskip("equilens.cards")
    written = cards.write_model_card(
        challenger, tmp_path / "card", compare=champion, compare_name="COMPAS"
    )
    assert written["markdown"].exists() and written["html"].exists()


def test_credit_champion_challenger_example(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    path = ROOT / "examples" / "champion_challenger" / "champion_challenger.py"
    spec = importlib.util.spec_from_file_location("champion_challenger", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.run(tmp_path, bootstrap=300, seed=0)
    assert result.design == "paired" and result.data_check.status == "match"
    auc = result.metric("roc_auc_score")
    gap = result.disparity("demographic_parity_difference", ["sex"])
    # The scenario: the challenger ranks better but approves the sexes less evenly.
    assert auc.change is not None and auc.change > 0
    assert gap.change is not None and gap.change > 0
    # ... and the evidence behind it: women's approval rate drops, detected by McNemar.
    female = result.metric("selection_rate", {"sex": "female"})
    assert female.conclusion == "change_detected" and female.direction == "lower"
    assert female.test.startswith("mcnemar")
    for name in ("comparison.json", "comparison.md", "comparison.html", "champion.json"):
        assert (tmp_path / name).exists()
