"""The ranking audit end to end: rows, bad input (one line, exit 2 from the CLI)."""

from __future__ import annotations

import pathlib

import numpy as np
import pandas as pd
import pytest

from equilens import audit
from equilens._cli.main import main
from equilens.exceptions import InvalidInputError, InvalidParameterError


def _frame(seed: int = 0, n_queries: int = 120, items: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    q = np.repeat(np.arange(n_queries), items)
    return pd.DataFrame(
        {
            "q": q,
            "item": np.tile(np.arange(items), n_queries),
            "s": rng.normal(size=q.size),
            "pos": np.tile(np.arange(1, items + 1), n_queries),
            "rel": rng.integers(0, 3, q.size),
            "user": np.where(rng.random(n_queries) < 0.5, "a", "b")[q],
            "ig": rng.choice(["x", "y"], q.size),
        }
    )


ROLES = {"query": "q", "item": "item", "y_score": "s", "relevance": "rel", "item_group": "ig"}


def test_audit_rows_and_log_facts() -> None:
    log = audit(_frame(), task="ranking", sensitive_features=["user"], k=[3, 5], **ROLES)
    names = {r.metric for r in log.results}
    assert {"ndcg_score[k=3]", "recall_at_k[k=5]", "mean_reciprocal_rank"} <= names
    assert "disparate_exposure[item_group=x]" in names
    assert log.task == "ranking"
    for r in log.results:
        assert r.ci_low is not None and r.ci_low <= r.value <= r.ci_high, r
    compared = {c.metric for c in log.comparisons}
    assert "ndcg_score[k=3]" in compared and "exposure_share[item_group=x]" not in compared
    overall = [r for r in log.results if r.metric == "ndcg_score[k=3]" and not r.slice]
    assert overall and overall[0].n == 120  # n counts queries


def test_rank_column_equals_score_column() -> None:
    df = _frame(1)
    df["s"] = -df["pos"]
    by_score = audit(df, task="ranking", sensitive_features=["user"], **ROLES)
    roles = dict(ROLES, y_score=None, rank="pos")
    by_rank = audit(df, task="ranking", sensitive_features=["user"], **roles)
    assert [(r.metric, r.value, r.ci_low) for r in by_score.results] == [
        (r.metric, r.value, r.ci_low) for r in by_rank.results
    ]


def _bad(df: pd.DataFrame, **roles: object) -> str:
    with pytest.raises((InvalidInputError, InvalidParameterError)) as err:
        audit(df, task="ranking", sensitive_features=["user"], **{**ROLES, **roles})
    msg = str(err.value)
    assert "\n" not in msg
    return msg


def test_bad_input_one_line_naming_the_column() -> None:
    df = _frame(2)
    dup_item = df.copy()
    dup_item.loc[1, "item"] = 0
    assert "Column 'item' (--item) lists item '0' twice in query '0'" in _bad(dup_item)
    dup_rank = df.copy()
    dup_rank.loc[6, "pos"] = 1
    msg = _bad(dup_rank, y_score=None, rank="pos")
    assert "Column 'pos' (--rank) gives rank 1 to two items of query '1'" in msg
    assert "exactly one of y_score (--y-score) and rank (--rank); got both" in _bad(df, rank="pos")
    assert "got neither" in _bad(df, y_score=None)
    neg = df.copy()
    neg.loc[3, "rel"] = -1
    assert "rel" in _bad(neg) and "negative" in _bad(neg)
    varying = df.copy()
    varying.loc[0, "user"] = "b" if varying.loc[1, "user"] == "a" else "a"
    assert "Sensitive column 'user' varies within query '0'" in _bad(varying)
    with pytest.raises(InvalidParameterError, match="'k' parameter"):
        audit(df, task="ranking", sensitive_features=["user"], k=0, **ROLES)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"dup_item": True}, "lists item"),
        ({"extra": ["--rank", "pos"]}, "exactly one of y_score"),
        ({"extra": ["--k", "0"]}, "'k' parameter"),
    ],
)
def test_cli_exit_2(
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
    change: dict[str, object],
    expected: str,
) -> None:
    df = _frame(3)
    if change.get("dup_item"):
        df.loc[1, "item"] = 0
    path = tmp_path / "rank.csv"
    df.to_csv(path, index=False)
    args = [
        "audit",
        "--data",
        str(path),
        "--task",
        "ranking",
        "--query",
        "q",
        "--item",
        "item",
        "--y-score",
        "s",
        "--relevance",
        "rel",
        "--sensitive",
        "user",
        "--out",
        str(tmp_path / "out"),
        *change.get("extra", []),
    ]  # type: ignore[list-item]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert expected in err and "Traceback" not in err and len(err.splitlines()) == 1


def test_cli_runs(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "rank.csv"
    _frame(4).to_csv(path, index=False)
    args = [
        "audit",
        "--data",
        str(path),
        "--task",
        "ranking",
        "--query",
        "q",
        "--item",
        "item",
        "--rank",
        "pos",
        "--relevance",
        "rel",
        "--item-group",
        "ig",
        "--sensitive",
        "user",
        "--k",
        "3,5",
        "--out",
        str(tmp_path / "out"),
    ]
    assert main(args) == 0
    assert (tmp_path / "out" / "audit.json").exists()


def test_seeded_example_runs_and_finds_the_built_in_flaws(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    import shutil

    src = pathlib.Path(__file__).resolve().parents[2] / "examples" / "ranking_seeded"
    for name in ("audit.yaml", "rankings.csv"):
        shutil.copy(src / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)  # outputs.dir is relative to the working directory
    assert main(["audit", str(tmp_path / "audit.yaml"), "--quiet"]) == 0
    log = json.loads((tmp_path / "out" / "ranking_seeded" / "audit.json").read_text())
    assert log["task"] == "ranking"
    rows = log["spec_resolved"]["task_disparate_exposure_tests"]["rows"]
    independent = next(r for r in rows if r["item_group"] == "independent")
    assert independent["reject"] and independent["ratio"] < 1
    ndcg = {
        r["slice"].get("tenure"): r
        for r in log["results"]
        if r["metric"] == "ndcg_score[k=10]" and "tenure" in r["slice"]
    }
    assert ndcg["new"]["ci_high"] < ndcg["returning"]["ci_low"]
