"""Rubric loading, scale checks, two-way intervals, triangulation, ratings in textmetrics."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from equilens._cli.main import main
from equilens.exceptions import InvalidInputError
from equilens.textquality import flags, load_rubric, rank_correlations, two_way_mean_interval

RUBRIC = """kind: rubric
name: test
criteria:
  - {name: adequacy, scale: ordinal, values: [1, 2, 3, 4, 5], metric: chrf,
     anchors: {1: bad, 5: good}}
  - {name: style, scale: nominal, values: [ok, bad]}
"""


def test_rubric_loads_and_refuses_bad_files(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(RUBRIC)
    rubric = load_rubric(tmp_path / "r.yaml")
    assert [c.name for c in rubric.criteria] == ["adequacy", "style"]
    (tmp_path / "bad.yaml").write_text("kind: rubric\ncriteria:\n  - {name: x, scale: ordinal}\n")
    with pytest.raises(InvalidInputError, match="needs values or min and max"):
        load_rubric(tmp_path / "bad.yaml")
    (tmp_path / "typo.yaml").write_text(RUBRIC.replace("anchors", "anchor"))
    with pytest.raises(InvalidInputError, match="unknown key"):
        load_rubric(tmp_path / "typo.yaml")


def test_scores_outside_the_scale_are_refused(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(RUBRIC)
    crit = load_rubric(tmp_path / "r.yaml").criterion("adequacy")
    crit.check(pd.Series(["1", "5", 3.0]), "ratings.csv")
    with pytest.raises(InvalidInputError, match="score '7' of criterion 'adequacy'"):
        crit.check(pd.Series(["1", "7"]), "ratings.csv")


def test_rank_correlations_equal_scipy() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=80)
    y = np.round(x + rng.normal(size=80))
    r = rank_correlations(x, y)
    assert r["spearman"] == pytest.approx(stats.spearmanr(x, y).statistic)
    assert r["kendall"] == pytest.approx(stats.kendalltau(x, y).statistic)
    assert r["spearman_ci"][0] < r["spearman"] < r["spearman_ci"][1]


@pytest.mark.slow
def test_fisher_z_intervals_cover_the_population_spearman() -> None:
    # Bivariate normal, rho = 0.5: Spearman's population value is (6 / pi) asin(rho / 2).
    rng = np.random.default_rng(1)
    truth = 6 / np.pi * np.arcsin(0.25)
    reps, n, hits = 1000, 40, 0
    for _ in range(reps):
        x = rng.normal(size=n)
        y = 0.5 * x + np.sqrt(0.75) * rng.normal(size=n)
        lo, hi = rank_correlations(x, y)["spearman_ci"]
        hits += lo <= truth <= hi
    coverage, mc = hits / reps, np.sqrt(0.95 * 0.05 / reps)
    print(f"spearman coverage {coverage:.3f} ({mc:.3f})")
    assert abs(coverage - 0.95) < 3.5 * mc


@pytest.mark.slow
def test_two_way_interval_covers_with_rater_effects_where_item_clustering_fails() -> None:
    # 60 items x 3 raters, item sd 1, rater sd 0.5, noise 0.7 (1,000 reps): the two-way
    # interval covers (conservatively, t on 2 df); item clustering alone misses the raters.
    rng = np.random.default_rng(2)
    reps, n_items, n_raters = 1000, 60, 3
    items = np.repeat(np.arange(n_items), n_raters)
    raters = np.tile(np.arange(n_raters), n_items)
    two_way = item_only = 0
    for _ in range(reps):
        x = (
            rng.normal(size=(n_items, 1))
            + 0.5 * rng.normal(size=(1, n_raters))
            + 0.7 * rng.normal(size=(n_items, n_raters))
        )
        r = two_way_mean_interval(x.ravel(), items, raters)
        two_way += r["ci_low"] <= 0 <= r["ci_high"]
        m = x.mean(axis=1)
        item_only += abs(m.mean()) <= stats.t.ppf(0.975, n_items - 1) * m.std(ddof=1) / 60**0.5
    print(f"two-way {two_way / reps:.3f}, item-only {item_only / reps:.3f}")
    assert two_way / reps >= 0.95 - 3 * np.sqrt(0.95 * 0.05 / reps)
    assert item_only / reps < 0.85


def test_flags() -> None:
    weak = {"spearman_ci": [-0.1, 0.2]}
    strong = {"spearman_ci": [0.5, 0.8]}
    sig = {"difference": -0.5, "significant": True}
    assert flags(weak, None, None) == ["weak"]
    assert flags(strong, {"difference": -1.0, "significant": False}, sig) == ["missed"]
    assert flags(strong, {"difference": 2.0, "significant": True}, sig) == ["direction"]
    assert flags(strong, {"difference": -2.0, "significant": True}, sig) == []


def _texts_and_ratings(tmp_path: Path) -> tuple[Path, Path, Path]:
    rng = np.random.default_rng(0)
    words = "the a cat dog sat on mat quickly ran home big small red blue".split()  # noqa: SIM905
    n = 100
    refs = [" ".join(rng.choice(words, rng.integers(4, 14))) for _ in range(n)]
    keep = rng.random(n)
    hyp = [
        " ".join(r.split()[: max(1, int(len(r.split()) * k))])
        for r, k in zip(refs, keep, strict=True)
    ]
    group = np.where(np.arange(n) % 2 == 0, "x", "y")
    pd.DataFrame({"id": [f"s{i}" for i in range(n)], "ref": refs, "hyp": hyp, "g": group}).to_csv(
        tmp_path / "d.csv", index=False
    )
    rows = []
    for i in range(n):
        for r in range(3):
            q = np.clip(np.round(1 + 4 * keep[i] + 0.6 * rng.normal()), 1, 5)
            rows.append((f"s{i}", f"r{r}", "adequacy", int(q)))
            rows.append((f"s{i}", f"r{r}", "style", "ok" if rng.random() < 0.8 else "bad"))
    pd.DataFrame(rows, columns=["item", "rater", "criterion", "score"]).to_csv(
        tmp_path / "r.csv", index=False
    )
    (tmp_path / "rubric.yaml").write_text(RUBRIC)
    return tmp_path / "d.csv", tmp_path / "r.csv", tmp_path / "rubric.yaml"


def _argv(data: Path, ratings: Path, rubric: Path, out: Path) -> list[str]:
    return [
        "textmetrics",
        "--data",
        str(data),
        "--hypothesis",
        "hyp",
        "--reference",
        "ref",
        "--sensitive",
        "g",
        "--metrics",
        "chrf",
        "--id",
        "id",
        "--ratings",
        str(ratings),
        "--rubric",
        str(rubric),
        "--bootstrap",
        "100",
        "--trials",
        "100",
        "--out",
        str(out),
    ]


def test_textmetrics_with_ratings_writes_verdicts_and_report(tmp_path: Path) -> None:
    data, ratings, rubric = _texts_and_ratings(tmp_path)
    assert main(_argv(data, ratings, rubric, tmp_path / "out")) == 0
    doc = json.loads((tmp_path / "out" / "textmetrics.json").read_text())
    assert "human.adequacy" in doc["logs"]
    assert {(v["feature"], v["group"]) for v in doc["verdicts"]} == {
        (None, None),
        ("g", "x"),
        ("g", "y"),
    }
    overall = next(t for t in doc["triangulation"] if t["feature"] is None)
    assert overall["spearman"] > 0.7 and overall["flags"] == []
    assert {r["criterion"] for r in doc["agreement"]} == {"adequacy", "style"}
    assert any(h.get("category") == "ok" for h in doc["human"])
    page = (tmp_path / "out" / "text_quality.html").read_text()
    assert "Verdict per slice" in page and "http" not in page


def test_ratings_outside_the_rubric_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, ratings, rubric = _texts_and_ratings(tmp_path)
    frame = pd.read_csv(ratings)
    frame.loc[0, "score"] = "9"
    frame.to_csv(ratings, index=False)
    assert main(_argv(data, ratings, rubric, tmp_path / "out")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "outside the rubric's scale" in err[0]
