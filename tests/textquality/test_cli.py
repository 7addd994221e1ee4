"""``equilens textmetrics`` end to end: audit logs per metric, corpus tables, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from _text_words import WORDS
from equilens._cli.main import main
from equilens.results import read_log


def _texts(path: Path, n: int = 120) -> Path:
    rng = np.random.default_rng(0)
    refs = [" ".join(rng.choice(WORDS, rng.integers(4, 14))) for _ in range(n)]
    group = np.where(np.arange(n) % 2 == 0, "x", "y")
    # System B drops more words for group y: a gap the audit should see.
    a = [" ".join(r.split()[: max(1, len(r.split()) - 1)]) for r in refs]
    b = [
        " ".join(r.split()[: max(1, len(r.split()) // (3 if g == "y" else 1) - 1)])
        for r, g in zip(refs, group, strict=True)
    ]
    pd.DataFrame({"ref": refs, "sys_a": a, "sys_b": b, "dialect": group}).to_csv(path, index=False)
    return path


def test_logs_corpus_tables_and_comparisons(tmp_path: Path) -> None:
    data = _texts(tmp_path / "t.csv")
    out = tmp_path / "out"
    argv = ["textmetrics", "--data", str(data), "--hypothesis", "sys_a,sys_b"]
    argv += ["--reference", "ref", "--sensitive", "dialect", "--bootstrap", "200"]
    argv += ["--trials", "1000", "--out", str(out)]
    assert main(argv) == 0
    doc = json.loads((out / "textmetrics.json").read_text())
    assert set(doc["logs"]) == {
        f"{s}.{m}"
        for s in ("sys_a", "sys_b")
        for m in ("bleu", "chrf", "ter", "rouge1", "rouge2", "rougeL")
    }
    assert doc["signatures"]["bleu (corpus)"].startswith("nrefs:1|case:mixed|eff:no|tok:13a")
    log = read_log(out / doc["logs"]["sys_b.chrf"])
    assert log.task == "measure"
    assert log.text_quality is not None and log.text_quality["metric"] == "chrf"
    assert {r["group"] for r in log.text_quality["corpus"]} == {None, "x", "y"}
    gap = [c for c in log.comparisons if c.metric == "mean"]
    assert gap and gap[0].p_value is not None and gap[0].p_value < 0.01
    corpus = [r for r in doc["corpus"] if r["system"] == "sys_b" and r["metric"] == "bleu"]
    for r in corpus:
        assert r["ci_low"] <= r["value"] <= r["ci_high"]
    groups = [r for r in doc["group_comparisons"] if r["system"] == "sys_b"]
    assert len(groups) == 3  # one test per metric for a two-group feature
    assert all(r["p_holm"] < 0.05 for r in groups if r["metric"] == "bleu")
    systems = [r for r in doc["system_comparisons"] if r["feature"] is None]
    assert {r["metric"] for r in systems} == {"bleu", "chrf", "ter"}
    segs = pd.read_csv(out / "segments.csv")
    assert len(segs) == 120 and "sys_a.bleu" in segs


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda f: f.assign(sys_a=["", *list(f["sys_a"][1:])]),
            "'sys_a' has an empty or missing text at row 0",
        ),
        (
            lambda f: f.assign(ref=[None, *list(f["ref"][1:])]),
            "'ref' has an empty or missing text at row 0",
        ),
    ],
)
def test_bad_texts_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: object, message: str
) -> None:
    frame = pd.read_csv(_texts(tmp_path / "t.csv", 20))
    edit(frame).to_csv(tmp_path / "bad.csv", index=False)  # type: ignore[operator]
    argv = ["textmetrics", "--data", str(tmp_path / "bad.csv"), "--hypothesis", "sys_a"]
    assert main([*argv, "--reference", "ref", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err


def test_mismatched_lengths_in_the_api() -> None:
    from equilens.exceptions import InvalidInputError
    from equilens.textquality import segment_statistics

    with pytest.raises(InvalidInputError, match="2 hypotheses and 3 references"):
        segment_statistics("bleu", ["a", "b"], ["a", "b", "c"])


def test_report_of_a_textmetrics_log_shows_the_corpus_scores(tmp_path: Path) -> None:
    data = _texts(tmp_path / "t.csv", 60)
    out = tmp_path / "out"
    argv = ["textmetrics", "--data", str(data), "--hypothesis", "sys_a", "--reference", "ref"]
    argv += ["--sensitive", "dialect", "--metrics", "chrf", "--bootstrap", "50"]
    assert main([*argv, "--trials", "50", "--out", str(out)]) == 0
    assert main(["report", str(out / "sys_a.chrf.json"), "--out", str(tmp_path / "rep")]) == 0
    page = next((tmp_path / "rep").glob("*.html")).read_text()
    assert 'id="text-quality"' in page and "nrefs:1|case:mixed" in page
    summary = (tmp_path / "rep" / "summary.md").read_text()
    assert "## Corpus chrf per slice" in summary
    assert "dialect=x | 30 |" in summary


def test_cluster_makes_the_corpus_tables_count_clusters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = pd.read_csv(_texts(tmp_path / "t.csv", 60))
    frame["doc"] = [f"d{i // 4}" for i in range(60)]  # 15 documents of 4 segments
    frame["dialect"] = np.where(np.arange(60) // 4 % 2 == 0, "x", "y")  # nested in documents
    frame.to_csv(tmp_path / "c.csv", index=False)
    out = tmp_path / "out"
    argv = ["textmetrics", "--data", str(tmp_path / "c.csv"), "--hypothesis", "sys_a,sys_b"]
    argv += ["--reference", "ref", "--sensitive", "dialect", "--metrics", "chrf", "--cluster"]
    assert main([*argv, "doc", "--bootstrap", "50", "--trials", "50", "--out", str(out)]) == 0
    shown = capsys.readouterr().out
    assert "corpus intervals: cluster bootstrap (BCa, 50 draws, clusters of 'doc')" in shown
    assert "over 15 clusters" in shown
    doc = json.loads((out / "textmetrics.json").read_text())
    assert doc["settings"]["n_clusters"] == 15
    assert [r["n_clusters"] for r in doc["corpus"] if r["system"] == "sys_a"] == [15, 8, 7]
    (group,) = [r for r in doc["group_comparisons"] if r["system"] == "sys_a"]
    assert group["test"].startswith("cluster-level approximate randomisation")
    assert all("clusters of 'doc'" in r["test"] for r in doc["system_comparisons"])
    log = read_log(out / doc["logs"]["sys_b.chrf"])
    assert log.text_quality is not None
    assert log.text_quality["clusters"] == {"column": "doc", "n_clusters": 15}
    page = (out / "text_quality.html").read_text()
    assert "Intervals: cluster bootstrap (BCa, 50 draws, clusters of &#x27;doc&#x27;)" in page
    assert main(["report", str(out / "sys_a.chrf.json"), "--out", str(tmp_path / "rep")]) == 0
    summary = (tmp_path / "rep" / "summary.md").read_text()
    assert "| overall | 60 | 15 |" in summary and "cluster bootstrap" in summary
    frame.loc[3, "doc"] = None
    frame.to_csv(tmp_path / "c.csv", index=False)
    assert main([*argv, "doc", "--out", str(tmp_path / "o2")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'doc'" in err[0] and "missing" in err[0], err
