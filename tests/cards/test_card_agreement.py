"""``equilens card --agreement``: the Rater agreement section (escaped); agreement rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from equilens._cli.main import main
from equilens.cards import render_card_html, render_card_markdown
from equilens.results import AuditLog, write_log

HOSTILE = "<img src=x onerror=alert(9)>|x"
DOC = {
    "kind": "agreement",
    "rows": [
        {
            "criterion": HOSTILE,
            "feature": None,
            "group": None,
            "slice": "overall",
            "metric": "krippendorff_alpha",
            "value": 0.8123,
            "ci_low": 0.7456,
            "ci_high": 0.8789,
            "n_items": 40,
            "n_raters": 3,
            "level": "ordinal",
        },
        {
            "criterion": "fluency",
            "feature": "dialect",
            "group": "B",
            "slice": "dialect=B",
            "metric": "icc",
            "form": "ICC(2,1)",
            "value": None,
            "ci_low": None,
            "ci_high": None,
            "n_items": 1,
            "n_raters": 3,
            "level": "interval",
            "note": "undefined: fewer than two items rated by every rater",
        },
    ],
    "slice_tests": [
        {
            "criterion": "fluency",
            "feature": "dialect",
            "metric": "krippendorff_alpha",
            "p_value": 0.001,
            "p_holm": 0.002,
            "groups": ["A", "B"],
        }
    ],
}


def test_section_shows_each_coefficient_with_its_interval_escaped(log: AuditLog) -> None:
    md = render_card_markdown(log, agreement=DOC)
    assert "## Rater agreement" in md and r"\[0.746, 0.879\]" in md and "0.812" in md
    assert "<img" not in md and r"&lt;img src=x onerror=alert(9)&gt;\|x" in md
    assert "ICC(2,1)" in md and "undefined: fewer than two" in md
    assert "p = 0.002" in md
    page = render_card_html(log, agreement=DOC)
    assert 'id="agreement"' in page and 'href="#agreement"' in page
    assert "<img" not in page and "&lt;img src=x onerror=alert(9)&gt;|x" in page
    # Without a document the card is unchanged.
    assert "Rater agreement" not in render_card_markdown(log)
    assert "Rater agreement" not in render_card_html(log)


POLICY = """\
kind: policy
name: card-agree
rules:
  - {id: acc, metric: accuracy_score, on: value, op: "<", threshold: 0.0, severity: info}
agreement:
  - {id: alpha, metric: krippendorff_alpha, slice: overall, on: ci_low, op: "<",
     threshold: 0.9, severity: block}
"""


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("equilens: error: ") and "\n" not in err and "Traceback" not in err
    return err


def test_card_cli_agreement_and_policy(
    log: AuditLog, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    audit = write_log(log, tmp_path / "audit.json")
    doc = tmp_path / "agreement.json"
    doc.write_text(json.dumps(DOC), encoding="utf-8")
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    out = tmp_path / "card"
    base = ["card", str(audit), "--out", str(out), "--quiet"]
    assert main([*base, "--agreement", str(doc), "--policy", str(policy)]) == 0
    md = (out / "model_card.md").read_text(encoding="utf-8")
    assert "## Rater agreement" in md and "gate: **block**" in md
    assert main([*base, "--policy", str(policy)]) == 2
    assert "--agreement" in _one_line_error(capsys)
    assert main([*base, "--agreement", str(tmp_path / "missing.json")]) == 2
    assert "not found" in _one_line_error(capsys)
    assert main([*base, "--agreement", str(audit)]) == 2
    assert "not an agreement document" in _one_line_error(capsys)
