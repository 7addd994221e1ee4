"""``equilens card``, ``datasheet`` and ``check-claims``: exit codes and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from equilens._cli.main import main
from equilens.policy import decide, load_policy
from equilens.results import AuditLog, write_log

ROOT = Path(__file__).parents[2]
POLICY = ROOT / "examples" / "policies" / "prelaunch-standard.yaml"


@pytest.fixture
def audit_path(log: AuditLog, tmp_path: Path) -> Path:
    return write_log(log, tmp_path / "audit.json")


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("equilens: error: ")
    assert "\n" not in err and "Traceback" not in err
    return err


def test_card_with_policy_and_meta(audit_path: Path, tmp_path: Path) -> None:
    meta = tmp_path / "card.yaml"
    meta.write_text("name: model A\nlicence: mit\nintended_uses: scoring\n", encoding="utf-8")
    out = tmp_path / "card"
    rc = main(
        [
            "card",
            str(audit_path),
            "--policy",
            str(POLICY),
            "--meta",
            str(meta),
            "--compare",
            str(audit_path),
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert rc == 0
    md = (out / "model_card.md").read_text(encoding="utf-8")
    assert "# Model card: model A" in md and "license: mit" in md and "- scoring" in md
    assert (out / "model_card.html").exists()


def test_card_with_decision(
    log: AuditLog, audit_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    decision = decide(log, load_policy(POLICY))
    good = tmp_path / "decision.json"
    good.write_text(decision.to_json(), encoding="utf-8")
    assert (
        main(
            [
                "card",
                str(audit_path),
                "--decision",
                str(good),
                "--out",
                str(tmp_path / "c"),
                "--quiet",
            ]
        )
        == 0
    )
    other = tmp_path / "other.json"
    other.write_text(decision.model_copy(update={"run_id": "x" * 32}).to_json(), encoding="utf-8")
    assert (
        main(["card", str(audit_path), "--decision", str(other), "--out", str(tmp_path / "c")]) == 2
    )
    assert "not run" in _one_line_error(capsys)
    junk = tmp_path / "junk.json"
    junk.write_text('{"verdict": "pass"}', encoding="utf-8")
    assert (
        main(["card", str(audit_path), "--decision", str(junk), "--out", str(tmp_path / "c")]) == 2
    )
    assert "is not a gate decision" in _one_line_error(capsys)


def test_card_bad_inputs(
    audit_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["card", str(tmp_path / "none.json"), "--out", str(tmp_path)]) == 2
    assert "not found" in _one_line_error(capsys)
    meta = tmp_path / "card.yaml"
    meta.write_text("name: a\nownerz: [b]\n", encoding="utf-8")
    assert main(["card", str(audit_path), "--meta", str(meta), "--out", str(tmp_path)]) == 2
    err = _one_line_error(capsys)
    assert f"{meta}:2" in err and "ownerz" in err and "owners" in err
    with pytest.raises(SystemExit) as info:
        main(["card", str(audit_path), "--policy", "p", "--decision", "d", "--out", "o"])
    assert info.value.code == 2


def test_check_claims_exit_codes(
    audit_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok = tmp_path / "ok.csv"
    ok.write_text("metric,value,comparator\naccuracy,0.5,>=\n", encoding="utf-8")
    assert main(["check-claims", str(ok), str(audit_path)]) == 0
    assert "1 supported" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("metric,value,comparator\naccuracy,0.99,>=\nbleu,1,=\n", encoding="utf-8")
    out = tmp_path / "claims"
    assert main(["check-claims", str(bad), str(audit_path), "--out", str(out)]) == 1
    assert {p.name for p in out.iterdir()} == {"claims.md", "claims.html", "claims.json"}
    malformed = tmp_path / "claims.yaml"
    malformed.write_text("claims:\n  - metric: accuracy\n    value: [\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["check-claims", str(malformed), str(audit_path)]) == 2
    assert f"{malformed}:" in _one_line_error(capsys)
    assert main(["check-claims", str(ok), str(audit_path), "--max-ci-width", "0"]) == 2
    _one_line_error(capsys)


def test_example_card_verdicts(log: AuditLog, tmp_path: Path) -> None:
    """The shipped example card gives one verdict of each kind on the COMPAS audit."""
    from equilens.audit._run import audit
    from equilens.cards import check_claims, load_claims
    from equilens.data import load_compas

    compas = audit(
        load_compas(),
        y_true="two_year_recid",
        y_pred="high_risk",
        sensitive_features=["race", "age_cat"],
        reference={"race": "Caucasian"},
        bootstrap=50,
        seed=0,
    )
    checks = check_claims(compas, load_claims(ROOT / "examples" / "cards" / "compas" / "README.md"))
    assert [c.verdict for c in checks] == [
        "consistent",
        "contradicted",
        "insufficient_evidence",
        "not_measured",
        "supported",
    ]
    assert [c.raw_verdict for c in checks] == [c.verdict for c in checks]
    path = write_log(compas, tmp_path / "compas.json")
    assert (
        main(["check-claims", str(ROOT / "examples/cards/compas/README.md"), str(path), "--quiet"])
        == 1
    )


def test_datasheet_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "d.csv"
    pd.DataFrame({"g": ["a", "b", "a"], "y": [1, 0, 1]}).to_csv(data, index=False)
    assert (
        main(
            [
                "datasheet",
                str(data),
                "--sensitive",
                "g",
                "--y-true",
                "y",
                "--out",
                str(tmp_path / "ds"),
                "--quiet",
            ]
        )
        == 0
    )
    assert (tmp_path / "ds" / "datasheet.html").exists()
    assert main(["datasheet", str(data), "--sensitive", "nope", "--out", str(tmp_path)]) == 2
    assert "column 'nope' not found" in _one_line_error(capsys)
    assert main(["datasheet", str(data), "--sensitive", ",", "--out", str(tmp_path)]) == 2
    _one_line_error(capsys)
