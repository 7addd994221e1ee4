"""``equilens agreement`` end to end: the contract of agreement.json and its bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from equilens._cli.main import main


def _ratings(path: Path, *, raters: int = 3, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    rows = []
    for item in range(40):
        group = "A" if item < 20 else "B"
        latent = rng.normal()
        noise = 0.4 if group == "A" else 1.5
        for criterion in ("fluency", "accuracy"):
            for r in range(raters):
                score = np.clip(np.round(3 + latent + noise * rng.normal()), 1, 5)
                rows.append((f"i{item}", f"r{r}", criterion, int(score), group, item // 5))
    cols = ["item", "rater", "criterion", "score", "dialect", "week"]
    pd.DataFrame(rows, columns=cols).to_csv(path, index=False)
    return path


def _run(tmp_path: Path, data: Path, *extra: str) -> dict:
    out = tmp_path / "out"
    argv = ["agreement", "--ratings", str(data), "--item", "item", "--rater", "rater"]
    argv += ["--score", "score", "--criterion", "criterion", "--bootstrap", "200"]
    assert main([*argv, *extra, "--out", str(out)]) == 0
    return json.loads((out / "agreement.json").read_text())


def test_rows_per_criterion_slice_and_metric(tmp_path: Path) -> None:
    data = _ratings(tmp_path / "r.csv")
    doc = _run(tmp_path, data, "--level", "ordinal", "--sensitive", "dialect", "--time", "week")
    rows = doc["rows"]
    keys = {(r["criterion"], r["slice"], r["metric"], r.get("form")) for r in rows}
    for criterion in ("fluency", "accuracy"):
        for sl in ("overall", "dialect=A", "dialect=B"):
            assert (criterion, sl, "krippendorff_alpha", None) in keys
            assert (criterion, sl, "fleiss_kappa", None) in keys
            assert (criterion, sl, "icc", "ICC(2,1)") in keys
    for row in rows:
        assert {"metric", "value", "ci_low", "ci_high", "n_items", "n_raters", "level"} <= set(row)
        assert row["level"] == "ordinal" and row["n_raters"] == 3
        if row["value"] is not None and row["ci_low"] is not None:
            assert row["ci_low"] <= row["value"] + 1e-9 <= row["ci_high"] + 2e-9
    # Group B's raters are far noisier: the slice test sees it for both criteria.
    assert all(t["p_holm"] < 0.05 for t in doc["slice_tests"])
    assert {r["rater"] for r in doc["rater_bias"]} == {"r0", "r1", "r2"}
    assert len(doc["rater_drift"]) == 6


def test_two_raters_get_cohen_kappa_with_the_levels_weights(tmp_path: Path) -> None:
    data = _ratings(tmp_path / "r.csv", raters=2)
    doc = _run(tmp_path, data, "--level", "interval")
    kappas = [r for r in doc["rows"] if r["metric"] == "cohen_kappa"]
    assert len(kappas) == 2 and all(r["weights"] == "quadratic" for r in kappas)


def test_nominal_text_labels(tmp_path: Path) -> None:
    frame = pd.read_csv(_ratings(tmp_path / "r.csv"))
    frame["score"] = np.where(frame["score"] >= 3, "ok", "bad")
    frame.to_csv(tmp_path / "n.csv", index=False)
    doc = _run(tmp_path, tmp_path / "n.csv", "--level", "nominal")
    assert {r["metric"] for r in doc["rows"]} == {"krippendorff_alpha", "fleiss_kappa"}
    assert doc["rater_bias"] == []


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda f: f[f["rater"] == "r0"], "Only one rater"),
        (lambda f: f.drop(index=[0, 2, 4]), "has one rating"),
        (lambda f: pd.concat([f, f.iloc[:1]]), "twice"),
        (lambda f: f.assign(dialect=np.where(f.index % 2 == 0, "A", "B")), "describe the item"),
    ],
)
def test_bad_ratings_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: object, message: str
) -> None:
    frame = pd.read_csv(_ratings(tmp_path / "r.csv"))
    edit(frame).to_csv(tmp_path / "bad.csv", index=False)  # type: ignore[operator]
    argv = ["agreement", "--ratings", str(tmp_path / "bad.csv"), "--item", "item"]
    argv += ["--rater", "rater", "--score", "score", "--criterion", "criterion"]
    argv += ["--level", "ordinal", "--sensitive", "dialect", "--out", str(tmp_path / "o")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
