"""Benchmark of the multiclass task against scikit-learn per-group metrics.

    .venv/bin/python bench/bench_multiclass.py            # 10,000,000 rows, 10 classes
    .venv/bin/python bench/bench_multiclass.py --quick    # 500,000 rows (seconds)

Data (seeded, generated in memory): three sensitive features (5 x 4 x 2 = 40 finest cells,
unequal sizes), 10 classes with unequal priors, a prediction correct about 70% of the time
(accuracy varying by group), optionally per-class scores. Each measurement runs in a fresh
subprocess; its peak memory while auditing is ``VmHWM`` reset once the data exist (Linux), so
the data themselves are not counted.

Timed (equilens): ``prepare_columns`` (the data boundary: validation, encoding, hashing),
then statistics (the one counting pass) and evaluation (every metric over the 90 slices of 3
features with all intersections, 1,000 count-level bootstrap draws). Target: statistics +
evaluation under 5 s and 2 GiB at 10M rows.

Peer: scikit-learn on the rows of each of the 40 finest cells and the overall population
(accuracy, balanced accuracy, macro / micro / weighted F1, per-class precision and recall
from one ``precision_recall_fscore_support`` per average), no intervals, on ``--peer-rows``
rows (default 1,000,000); equilens is timed on the same rows for the ratio.

A benchmark, not a test: it prints PASS/FAIL per target and always exits 0.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from typing import Any

GIB = 1 << 30
TARGET_SECONDS = 5.0
TARGET_BYTES = 2 * GIB
FEATURES = {
    "region": ([0.40, 0.25, 0.15, 0.12, 0.08]),
    "age_band": ([0.30, 0.35, 0.28, 0.07]),
    "sex": ([0.45, 0.55]),
}
K = 10


def _status_kib(key: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return -1


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


def generate(rows: int, scores: bool, seed: int = 0) -> dict[str, Any]:
    """Seeded multiclass predictions with group-dependent accuracy."""
    import numpy as np

    rng = np.random.default_rng(seed)
    out: dict[str, Any] = {}
    skill = np.zeros(rows, dtype=np.float32)
    for j, (name, probs) in enumerate(FEATURES.items()):
        c = rng.choice(len(probs), size=rows, p=probs).astype(np.int8)
        out[name] = c
        skill += np.linspace(-0.1, 0.1, len(probs), dtype=np.float32)[c] * (1 - 0.3 * j)
    prior = np.linspace(2.0, 1.0, K)
    y = rng.choice(K, size=rows, p=prior / prior.sum()).astype(np.int8)
    right = rng.random(rows, dtype=np.float32) < 0.7 + skill
    pred = np.where(right, y, rng.integers(0, K, rows, dtype=np.int8)).astype(np.int8)
    out["y"], out["pred"] = y, pred
    if scores:
        s = rng.random((rows, K), dtype=np.float32)
        s[np.arange(rows), pred] += 2.0
        out["score"] = (s / s.sum(axis=1, keepdims=True)).astype(np.float64)
    return out


def _child_equilens(spec: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    from equilens.data._columns import prepare_columns
    from equilens.slicing._plan import build_plan, resolve_intersections
    from equilens.tasks import TaskOptions, get_task

    task = get_task("multiclass")
    data = generate(spec["rows"], spec["scores"])
    labels = {name: np.array([f"{name}{i}" for i in range(len(p))]) for name, p in FEATURES.items()}

    def run(d: dict[str, Any], draws: int) -> tuple[dict[str, float], Any]:
        t0 = time.perf_counter()
        roles = {"y_true": d["y"], "y_pred": d["pred"], "y_score": d.get("score")}
        inputs = prepare_columns(
            None,
            roles=roles,
            kinds={r.name: r.kind for r in task.roles},
            sensitive={f: pd_codes(d[f], labels[f]) for f in FEATURES},
        )
        t1 = time.perf_counter()
        stats = task.statistics(inputs, task.check_settings({"top_k": 3}))
        t2 = time.perf_counter()
        plan = build_plan(stats, resolve_intersections(list(FEATURES), True))
        opts = TaskOptions(0.05, "auto", draws, np.random.default_rng(0), 30, 10)
        ev = task.evaluate(stats, plan, None, opts)
        t3 = time.perf_counter()
        return {"prepare_s": t1 - t0, "statistics_s": t2 - t1, "evaluate_s": t3 - t2}, ev

    small = {k: v[:5000] for k, v in data.items()}
    run(small, 10)  # warm-up: imports and first calls are not the audit's
    data_kib = _status_kib("VmRSS")
    reset = _reset_peak()
    times, ev = run(data, spec["draws"])
    return {
        **times,
        "audit_peak_mib": (_status_kib("VmHWM") - data_kib) / 1024 if reset else None,
        "slices": int(ev.n.size),
        "metric_rows": len(ev.evaluated),
    }


def pd_codes(codes: Any, labels: Any) -> Any:
    """Sensitive codes as a pandas Categorical (what a DataFrame column would hold)."""
    import pandas as pd

    return pd.Categorical.from_codes(codes, categories=list(labels))


def _child_sklearn(spec: dict[str, Any]) -> dict[str, Any]:
    import warnings

    import numpy as np
    from sklearn import metrics as skm

    warnings.filterwarnings("ignore")
    d = generate(spec["rows"], False)
    cell = (d["region"].astype(np.int64) * 4 + d["age_band"]) * 2 + d["sex"]

    def per_group(y: Any, p: Any) -> None:
        skm.accuracy_score(y, p)
        skm.balanced_accuracy_score(y, p)
        for avg in ("macro", "micro", "weighted", None):
            skm.precision_recall_fscore_support(y, p, average=avg, zero_division=0)

    t0 = time.perf_counter()
    order = np.argsort(cell, kind="stable")  # one sort, then contiguous groups
    bounds = np.searchsorted(cell[order], np.arange(41))
    y, p = d["y"][order], d["pred"][order]
    per_group(y, p)
    for c in range(40):
        per_group(y[bounds[c] : bounds[c + 1]], p[bounds[c] : bounds[c + 1]])
    return {"seconds": time.perf_counter() - t0, "groups": 41}


def _spawn(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr else "failed"}
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--peer-rows", type=int, default=1_000_000)
    parser.add_argument("--score-rows", type=int, default=2_000_000)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "SPEC"))
    args = parser.parse_args()
    if args.child:
        kind, spec = args.child[0], json.loads(args.child[1])
        fn = _child_equilens if kind == "equilens" else _child_sklearn
        print(json.dumps(fn(spec)))
        return
    if args.quick:
        args.rows, args.peer_rows, args.score_rows = 500_000, 200_000, 200_000
    big = _spawn("equilens", {"rows": args.rows, "draws": args.draws, "scores": False})
    scored = _spawn("equilens", {"rows": args.score_rows, "draws": args.draws, "scores": True})
    mine = _spawn("equilens", {"rows": args.peer_rows, "draws": 0, "scores": False})
    peer = _spawn("sklearn", {"rows": args.peer_rows})
    print(f"multiclass, {K} classes, 40 finest cells, 90 slices, {args.draws} draws")
    for label, r, rows in (
        ("labels only", big, args.rows),
        ("with 10 score columns", scored, args.score_rows),
    ):
        if "error" in r:
            print(f"  {label}: ERROR {r['error']}")
            continue
        core = r["statistics_s"] + r["evaluate_s"]
        print(
            f"  {label}, {rows:,} rows: prepare {r['prepare_s']:.2f} s, statistics "
            f"{r['statistics_s']:.2f} s, evaluate {r['evaluate_s']:.2f} s "
            f"(statistics + evaluation {core:.2f} s), peak while auditing "
            f"{r['audit_peak_mib']:.0f} MiB, {r['metric_rows']} metric rows"
        )
    if "error" not in big:
        core = big["statistics_s"] + big["evaluate_s"]
        ok_t = "PASS" if core < TARGET_SECONDS else "FAIL"
        peak = big["audit_peak_mib"] or 0.0
        ok_m = "PASS" if peak * (1 << 20) < TARGET_BYTES else "FAIL"
        print(f"  target statistics + evaluation < {TARGET_SECONDS:g} s: {ok_t}")
        print(f"  target peak < 2 GiB: {ok_m}")
    if "error" not in mine and "error" not in peer:
        total = mine["prepare_s"] + mine["statistics_s"] + mine["evaluate_s"]
        print(
            f"  peer, {args.peer_rows:,} rows, no intervals: scikit-learn per group "
            f"{peer['seconds']:.2f} s (41 groups, point values only); equilens "
            f"{total:.2f} s (90 slices, Wilson intervals, prepare included): "
            f"ratio {peer['seconds'] / total:.1f}x"
        )


if __name__ == "__main__":
    main()
