"""Benchmark of the engines (numpy, DuckDB, Spark) against fairlearn's MetricFrame.

    .venv/bin/python bench/bench_engines.py                      # 10M and 100M rows
    .venv/bin/python bench/bench_engines.py --rows 1000000       # one size
    .venv/bin/python bench/bench_engines.py --engines duckdb     # one engine
    .venv/bin/python bench/bench_engines.py --crossover          # numpy vs duckdb by file size

Data: seeded Parquet files under ``bench/data/`` (written once, in 5M-row chunks, zstd,
dictionary-encoded strings): three sensitive features with unequal groups (5 x 4 x 2 = 40
intersections), binary ``y`` and ``pred`` (int8) and a float64 ``score`` in (0, 1) that depends
on ``y`` and on the groups. 100M rows take about 1 GB on disk.

Each measurement is ``equilens.audit(path, engine=E, bootstrap=1000, intersections=True)`` with
scores, run in its own subprocess. The file is read once before the runs (so no engine pays
for a cold page cache), and ``--repeat`` rounds (default 2) alternate the engines; the targets
use each engine's fastest run, and the slowest Spark run is printed next to it. Peak memory
is the largest resident set of the whole process tree (the Spark JVM included), sampled from
``/proc`` every 50 ms. The Spark child starts its own ``local[2]`` session (1 GiB driver)
first; that start is timed separately. fairlearn's MetricFrame (selection rate, TPR, FPR,
accuracy, ROC-AUC over the same 40 intersections) runs on growing row counts until one
exceeds the time cap (240 s), with ``n_boot=1000`` and with point estimates only; the largest
size it finished is printed.

Targets (issue 7, on a 2-core machine): DuckDB audits 100M rows in under 60 s with a peak under
2 GiB; Spark in local mode within 5x of DuckDB. This is a benchmark, not a test: it prints
PASS/FAIL per target and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

BENCH_DIR = Path(__file__).resolve().parent
DATA_DIR = BENCH_DIR / "data"
#: Bump when the generator changes, so cached files are rebuilt.
GEN_VERSION = 1
CHUNK_ROWS = 5_000_000
ROW_GROUP_ROWS = 1_000_000
MIB = 1 << 20
GIB = 1 << 30

FEATURES: dict[str, tuple[list[str], list[float]]] = {
    "region": (["north", "south", "east", "west", "centre"], [0.40, 0.25, 0.15, 0.12, 0.08]),
    "age_band": (["18-29", "30-44", "45-64", "65+"], [0.30, 0.35, 0.28, 0.07]),
    "sex": (["female", "male"], [0.45, 0.55]),
}
COLUMNS = {"y_true": "y", "y_pred": "pred", "y_score": "score"}
DRAWS = 1000
TARGET_DUCKDB_SECONDS = 60.0
TARGET_DUCKDB_BYTES = 2 * GIB
TARGET_SPARK_RATIO = 5.0

# ---------------------------------------------------------------------------------------------
# data


def _chunk(rows: int, rng: np.random.Generator) -> pa.Table:
    """One chunk of the synthetic prediction log (about 13 bytes a row in memory)."""
    codes: dict[str, np.ndarray] = {}
    shift = np.zeros(rows, dtype=np.float32)
    for j, (name, (labels, probs)) in enumerate(FEATURES.items()):
        c = rng.choice(len(labels), size=rows, p=probs).astype(np.int8)
        codes[name] = c
        effect = np.linspace(-0.4, 0.4, len(labels), dtype=np.float32) * (1.0 - 0.3 * j)
        shift += effect[c]
    base = 1.0 / (1.0 + np.exp(-(shift - 0.3)))
    y = (rng.random(rows, dtype=np.float32) < base).astype(np.int8)
    logit = 1.6 * (y.astype(np.float32) * 2.0 - 1.0) + shift
    logit += rng.standard_normal(rows, dtype=np.float32) * 1.5
    score = 1.0 / (1.0 + np.exp(-logit.astype(np.float64)))
    arrays: dict[str, pa.Array] = {}
    for name, (labels, _) in FEATURES.items():
        arrays[name] = pa.DictionaryArray.from_arrays(
            pa.array(codes[name], type=pa.int8()), pa.array(labels, type=pa.string())
        )
    arrays["y"] = pa.array(y)
    arrays["pred"] = pa.array((score >= 0.5).astype(np.int8))
    arrays["score"] = pa.array(score)
    return pa.table(arrays)


def dataset_path(rows: int, seed: int = 0) -> Path:
    """Path of the cached Parquet file for ``rows`` and ``seed``."""
    return DATA_DIR / f"engines_v{GEN_VERSION}_{rows}_s{seed}.parquet"


def ensure_dataset(rows: int, seed: int = 0) -> Path:
    """Write the Parquet file once, chunk by chunk (memory stays under 1 GB), and return it."""
    path = dataset_path(rows, seed)
    if path.exists():
        return path
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    n_chunks = -(-rows // CHUNK_ROWS)
    seeds = np.random.SeedSequence([seed, rows]).spawn(n_chunks)
    writer: pq.ParquetWriter | None = None
    try:
        for i, ss in enumerate(seeds):
            size = min(CHUNK_ROWS, rows - i * CHUNK_ROWS)
            table = _chunk(size, np.random.default_rng(ss))
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
            writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
    finally:
        if writer is not None:
            writer.close()
    tmp.replace(path)
    return path


# ---------------------------------------------------------------------------------------------
# child side: one measurement, run as ``bench_engines.py --child SPEC_JSON``


def _start_spark() -> Any:
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("equilens-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _child_audit(spec: dict[str, Any]) -> dict[str, Any]:
    import equilens

    out: dict[str, Any] = {}
    if spec["engine"] == "spark":
        t0 = time.perf_counter()
        _start_spark()
        out["session_seconds"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    log = equilens.audit(
        spec["path"],
        **COLUMNS,
        sensitive_features=list(FEATURES),
        intersections=True,
        bootstrap=spec["draws"],
        seed=0,
        engine=spec["engine"],
    )
    out["seconds"] = time.perf_counter() - t0
    out["statistics_seconds"] = log.timings.get("statistics")
    out["engine"] = log.spec_resolved["engine"]
    out["score_mode"] = (log.score_bins or {}).get("mode")
    out["max_auc_error_bound"] = (log.score_bins or {}).get("max_auc_error_bound")
    out["n_rows"] = log.data.n_rows
    out["results"] = len(log.results)
    overall = [r for r in log.results if r.metric == "roc_auc_score" and not r.slice]
    out["overall_auc"] = overall[0].value if overall else None
    return out


def _child_fairlearn(spec: dict[str, Any]) -> dict[str, Any]:
    from fairlearn.metrics import (
        MetricFrame,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )
    from sklearn.metrics import accuracy_score, roc_auc_score

    def roc_auc(y_true: Any, y_pred: Any, y_score: Any) -> float:
        return float(roc_auc_score(y_true, y_score))

    t0 = time.perf_counter()
    batches, have = [], 0
    for batch in pq.ParquetFile(spec["path"]).iter_batches(batch_size=ROW_GROUP_ROWS):
        batches.append(batch.slice(0, spec["rows"] - have))
        have += len(batches[-1])
        if have >= spec["rows"]:
            break
    df = pa.Table.from_batches(batches).to_pandas()
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    frame = MetricFrame(
        metrics={
            "selection_rate": selection_rate,
            "true_positive_rate": true_positive_rate,
            "false_positive_rate": false_positive_rate,
            "accuracy": accuracy_score,
            "roc_auc": roc_auc,
        },
        y_true=df["y"],
        y_pred=df["pred"],
        sensitive_features=df[list(FEATURES)],
        sample_params={"roc_auc": {"y_score": df["score"]}},
        n_boot=spec["draws"] or None,
        ci_quantiles=[0.025, 0.975] if spec["draws"] else None,
        random_state=0,
    )
    return {
        "seconds": time.perf_counter() - t0,
        "load_seconds": load,
        "groups": int(frame.by_group.shape[0]),
        "n_rows": len(df),
    }


def _child(spec: dict[str, Any]) -> None:
    result = _child_fairlearn(spec) if spec["engine"] == "fairlearn" else _child_audit(spec)
    print("RESULT " + json.dumps(result), flush=True)


# ---------------------------------------------------------------------------------------------
# parent side


def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry), int(fields[1])
        children.setdefault(ppid, []).append(pid)
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def run_child(spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run one measurement in a subprocess; add its peak memory (tree and own)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)]
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak = [0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _tree_rss(proc.pid))
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        stop.set()
        return {"error": f"time cap of {timeout:.0f} s exceeded", "wall": timeout}
    finally:
        stop.set()
        sampler.join()
    wall = time.perf_counter() - t0
    lines = [ln for ln in stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        if proc.returncode < 0:
            why = f"killed by signal {-proc.returncode} (9: the kernel's out-of-memory killer)"
            return {"error": why, "wall": wall, "peak_tree_bytes": peak[0]}
        tail = " | ".join(stderr.strip().splitlines()[-3:])
        return {"error": f"exit {proc.returncode}: {tail}", "wall": wall}
    out: dict[str, Any] = json.loads(lines[-1][len("RESULT ") :])
    out["peak_tree_bytes"] = peak[0]
    out["wall"] = wall
    return out


def _mem_available() -> int:
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


def _fmt_bytes(n: float | None) -> str:
    return "-" if n is None else f"{n / MIB:,.0f} MiB"


def _fmt_s(x: float | None) -> str:
    return "-" if x is None else f"{x:,.1f} s"


def _warm(path: Path) -> None:
    """Read the file once, so no engine pays for a cold page cache."""
    with path.open("rb") as fh:
        while fh.read(64 * MIB):
            pass


def _print_run(engine: str, r: dict[str, Any]) -> None:
    if "error" in r:
        print(f"  {engine:8s} {r['error']}", flush=True)
        return
    extra = ""
    if "session_seconds" in r:
        extra = f" (+ {r['session_seconds']:.1f} s to start the session)"
    print(
        f"  {engine:8s} audit {_fmt_s(r['seconds'])} (statistics "
        f"{_fmt_s(r['statistics_seconds'])}){extra}; peak "
        f"{_fmt_bytes(r['peak_tree_bytes'])}; score bins {r['score_mode']}, "
        f"AUC error bound {r['max_auc_error_bound']}; load {r['load']:.1f}",
        flush=True,
    )


def bench_engines(
    sizes: list[int], engines: list[str], draws: int, cap: float, repeat: int
) -> dict[int, Any]:
    """Time and measure every engine on every size, ``repeat`` rounds; print each run.

    The file is read once first (warm page cache for every engine) and the rounds alternate
    the engines, so slow spells of a shared machine hit all of them. Each engine's entry is
    its fastest run, with every run's seconds under ``runs``.
    """
    results: dict[int, Any] = {}
    for rows in sizes:
        t0 = time.perf_counter()
        path = ensure_dataset(rows)
        made = time.perf_counter() - t0
        size = path.stat().st_size
        _warm(path)
        print(f"\n{rows:,} rows: {path.name} ({size / MIB:,.0f} MiB; ready in {made:.0f} s)")
        runs: dict[str, list[dict[str, Any]]] = {e: [] for e in engines}
        for _ in range(repeat):
            for engine in engines:
                if engine == "numpy" and rows * 90 > _mem_available():
                    need = rows * 90 / GIB
                    r = {"error": f"skipped: needs about {need:.0f} GiB of free memory"}
                else:
                    spec = {"engine": engine, "path": str(path), "draws": draws, "rows": rows}
                    load = os.getloadavg()[0]
                    r = run_child(spec, cap)
                    r["load"] = load
                runs[engine].append(r)
                _print_run(engine, r)
        results[rows] = {}
        for engine, done in runs.items():
            ok = [r for r in done if "seconds" in r]
            if not ok:
                results[rows][engine] = done[-1]
                continue
            best = min(ok, key=lambda r: float(r["seconds"]))
            results[rows][engine] = {**best, "runs": [float(r["seconds"]) for r in ok]}
    return results


def bench_fairlearn(path: Path, draws: int, cap: float) -> list[dict[str, Any]]:
    """MetricFrame on growing row counts until a run exceeds the cap.

    With ``n_boot=draws`` (MetricFrame recomputes every metric on every group per draw), and
    with point estimates only (``n_boot=None``), each up to the largest size it finishes.
    """
    out = []
    ladders = [(draws, (1_000, 10_000, 100_000)), (0, (1_000_000, 10_000_000, 100_000_000))]
    for n_boot, sizes in ladders:
        for rows in sizes:
            spec = {"engine": "fairlearn", "path": str(path), "draws": n_boot, "rows": rows}
            r = run_child(spec, cap)
            r.update(rows=rows, draws=n_boot)
            out.append(r)
            what = f"n_boot={n_boot}" if n_boot else "no bootstrap"
            if "error" in r:
                print(f"  fairlearn {rows:>12,} rows, {what}: {r['error']}", flush=True)
                break
            print(
                f"  fairlearn {rows:>12,} rows, {what}: MetricFrame {_fmt_s(r['seconds'])} "
                f"({r['groups']} groups); peak {_fmt_bytes(r['peak_tree_bytes'])}",
                flush=True,
            )
    return out


def bench_crossover(draws: int, cap: float) -> None:
    """numpy vs duckdb audit time and peak memory by file size (for the ``auto`` rule)."""
    print("\nnumpy vs duckdb by Parquet file size (auto rule):")
    for rows in (200_000, 1_000_000, 2_000_000, 5_000_000, 10_000_000):
        path = ensure_dataset(rows)
        line = f"  {rows:>11,} rows, {path.stat().st_size / MIB:7.1f} MiB:"
        for engine in ("numpy", "duckdb"):
            spec = {"engine": engine, "path": str(path), "draws": draws, "rows": rows}
            r = run_child(spec, cap)
            if "error" in r:
                line += f"  {engine} {r['error']}"
            else:
                line += (
                    f"  {engine} {r['seconds']:6.2f} s ({r['statistics_seconds']:.2f} s stats) "
                    f"{_fmt_bytes(r['peak_tree_bytes'])}"
                )
        print(line, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and run the benchmark."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--rows", type=int, action="append", help="row counts (default 10M, 100M)")
    p.add_argument("--engines", default="numpy,duckdb,spark", help="comma-separated engines")
    p.add_argument("--draws", type=int, default=DRAWS, help="bootstrap draws (default 1000)")
    p.add_argument("--cap", type=float, default=600.0, help="time cap per run, seconds")
    p.add_argument("--repeat", type=int, default=2, help="rounds per engine (default 2)")
    p.add_argument("--fairlearn-cap", type=float, default=240.0, help="time cap per MetricFrame")
    p.add_argument("--no-fairlearn", action="store_true", help="skip fairlearn")
    p.add_argument("--crossover", action="store_true", help="only numpy vs duckdb by size")
    args = p.parse_args(argv)
    if args.child:
        _child(json.loads(args.child))
        return 0
    print(
        f"equilens engine benchmark: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, {_mem_available() / GIB:.1f} GiB available, "
        f"load average {os.getloadavg()[0]:.1f}; {args.draws} bootstrap draws"
    )
    if args.crossover:
        bench_crossover(args.draws, args.cap)
        return 0
    sizes = args.rows or [10_000_000, 100_000_000]
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    results = bench_engines(sizes, engines, args.draws, args.cap, max(1, args.repeat))
    if not args.no_fairlearn:
        print("\nfairlearn MetricFrame (pandas in memory), growing sizes:")
        bench_fairlearn(dataset_path(max(sizes)), args.draws, args.fairlearn_cap)
    largest = results[max(sizes)]
    duck, spark = largest.get("duckdb", {}), largest.get("spark", {})
    print(f"\nTargets at {max(sizes):,} rows:")
    if "seconds" in duck:
        ok_t = max(duck["runs"]) < TARGET_DUCKDB_SECONDS
        ok_m = duck["peak_tree_bytes"] < TARGET_DUCKDB_BYTES
        print(f"  DuckDB under {TARGET_DUCKDB_SECONDS:.0f} s: {'PASS' if ok_t else 'FAIL'}")
        print(f"  DuckDB peak under 2 GiB: {'PASS' if ok_m else 'FAIL'}")
        if "seconds" in spark:
            ratio = spark["seconds"] / duck["seconds"]
            worst = max(spark["runs"]) / min(duck["runs"])
            verdict = "PASS" if ratio <= TARGET_SPARK_RATIO else "FAIL"
            print(
                f"  Spark within {TARGET_SPARK_RATIO:.0f}x of DuckDB (fastest runs): {ratio:.1f}x "
                f"{verdict} (slowest Spark run over fastest DuckDB run: {worst:.1f}x)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
