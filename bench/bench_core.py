"""Benchmark of the equilens core engine against fairlearn.

    .venv/bin/python bench/bench_core.py             # full size: 10,000,000 rows
    .venv/bin/python bench/bench_core.py --quick     # 200,000 rows, smoke check (< 1 minute)

Every measurement runs in a fresh subprocess, so its peak memory is its own: the process peak
comes from ``os.wait4`` (``ru_maxrss`` of that one child); in-memory runs also report the peak
while auditing (``VmHWM``, reset once the data are loaded). See ``bench/README.md``.

This is a benchmark, not a test: it prints PASS/FAIL per target and always exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from _gen import COLUMNS, FEATURES, N_CELLS, ensure_dataset  # noqa: E402

GIB = 1 << 30
MIB = 1 << 20
SENSITIVE = list(FEATURES)

# The targets of the core engine (docs/design/0001-core-engine.md, README "How it works").
TARGET_ROWS = 10_000_000
TARGET_DRAWS = 1000
TARGET_AUDIT_SECONDS = 10.0
TARGET_AUDIT_BYTES = 2 * GIB
TARGET_SPEEDUP = 1000.0
TARGET_CLI_SECONDS = 3.0


# ---------------------------------------------------------------------------------------------
# Child side: one measurement, run as ``bench_core.py --child SPEC_JSON RESULT_PATH``.
# ---------------------------------------------------------------------------------------------


def _status_kib(key: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return -1


def _reset_peak() -> bool:
    """Reset this process's VmHWM to its current RSS (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


def _rusage() -> Any:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF)


def _rusage_delta(r0: Any) -> dict[str, float]:
    r1 = _rusage()
    return {
        "user_seconds": r1.ru_utime - r0.ru_utime,
        "sys_seconds": r1.ru_stime - r0.ru_stime,
        "minor_faults": r1.ru_minflt - r0.ru_minflt,
    }


def _load_frame(path: str) -> Any:
    import pandas as pd

    return pd.read_parquet(path)


def _child_equilens(spec: dict[str, Any]) -> dict[str, Any]:
    import equilens

    df = _load_frame(spec["path"])
    kwargs: dict[str, Any] = {
        **COLUMNS,
        "sensitive_features": SENSITIVE,
        "intersections": True,
        "seed": 0,
    }
    # Warm-up on a small slice: lazy imports and first-call costs are not the audit's.
    equilens.audit(df.head(5000), bootstrap=10, **kwargs)
    data_kib = _status_kib("VmRSS")
    reset = _reset_peak()
    r0, t0 = _rusage(), time.perf_counter()
    log = equilens.audit(df, bootstrap=spec["draws"], **kwargs)
    seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        **_rusage_delta(r0),
        "data_mib": data_kib / 1024,
        "audit_peak_mib": _status_kib("VmHWM") / 1024 if reset else None,
        "timings": dict(log.timings),
        "results": len(log.results),
        "slices": len({json.dumps(r.slice, sort_keys=True) for r in log.results}),
        "metrics": len({r.metric for r in log.results}),
        "comparisons": len(log.comparisons),
        "disparities": len(log.disparities),
        "score_mode": (log.score_bins or {}).get("mode"),
        "engine": log.spec_resolved.get("engine"),
    }


def _fairlearn_frame(df: Any, draws: int) -> Any:
    from fairlearn.metrics import (
        MetricFrame,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )
    from sklearn.metrics import accuracy_score, precision_score, roc_auc_score

    def precision(y_true: Any, y_pred: Any) -> float:
        return float(precision_score(y_true, y_pred, zero_division=0))

    def roc_auc(y_true: Any, y_pred: Any, y_score: Any) -> float:
        return float(roc_auc_score(y_true, y_score))

    metrics = {
        "selection_rate": selection_rate,
        "true_positive_rate": true_positive_rate,
        "false_positive_rate": false_positive_rate,
        "precision": precision,
        "accuracy": accuracy_score,
        "roc_auc": roc_auc,
    }
    boot: dict[str, Any] = {}
    if draws > 0:
        boot = {"n_boot": draws, "ci_quantiles": [0.025, 0.975], "random_state": 0}
    return MetricFrame(
        metrics=metrics,
        y_true=df[COLUMNS["y_true"]],
        y_pred=df[COLUMNS["y_pred"]],
        sensitive_features=df[SENSITIVE],
        sample_params={"roc_auc": {"y_score": df[COLUMNS["y_score"]]}},
        **boot,
    )


def _child_fairlearn(spec: dict[str, Any]) -> dict[str, Any]:
    import warnings

    warnings.filterwarnings("ignore")
    df = _load_frame(spec["path"])
    _fairlearn_frame(df.head(5000), 1 if spec["draws"] else 0)
    data_kib = _status_kib("VmRSS")
    reset = _reset_peak()
    r0, t0 = _rusage(), time.perf_counter()
    mf = _fairlearn_frame(df, spec["draws"])
    seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        **_rusage_delta(r0),
        "data_mib": data_kib / 1024,
        "audit_peak_mib": _status_kib("VmHWM") / 1024 if reset else None,
        "groups": int(mf.by_group.shape[0]),
        "metrics": int(mf.by_group.shape[1]),
    }


def _child_floor(spec: dict[str, Any]) -> dict[str, Any]:
    """The numpy floor: count rows into the 40 finest cells x confusion, then draw."""
    import numpy as np
    import pyarrow.parquet as pq

    table = pq.read_table(spec["path"])
    codes = [table.column(f).combine_chunks().indices.to_numpy() for f in SENSITIVE]
    sizes = [len(labels) for labels, _ in FEATURES.values()]
    y = table.column(COLUMNS["y_true"]).to_numpy()
    p = table.column(COLUMNS["y_pred"]).to_numpy()
    count_s = draw_s = float("inf")
    for _ in range(3):  # best of 3: the floor, with warm memory
        t0 = time.perf_counter()
        cell = codes[0].astype(np.intp)
        for c, k in zip(codes[1:], sizes[1:]):
            cell *= k
            cell += c
        cell *= 4
        cell += y * 2 + p
        conf = np.bincount(cell, minlength=N_CELLS * 4).reshape(N_CELLS, 4)
        count_s = min(count_s, time.perf_counter() - t0)
        rng = np.random.default_rng(0)
        t1 = time.perf_counter()
        totals = conf.sum(axis=1)
        rng.multinomial(totals, conf / totals[:, None], size=(1000, N_CELLS))
        draw_s = min(draw_s, time.perf_counter() - t1)
    return {"seconds": count_s + draw_s, "count_seconds": count_s, "draw_seconds": draw_s}


CHILDREN = {"equilens": _child_equilens, "fairlearn": _child_fairlearn, "floor": _child_floor}


def child_main(spec_json: str, result_path: str) -> None:
    spec = json.loads(spec_json)
    result = CHILDREN[spec["kind"]](spec)
    Path(result_path).write_text(json.dumps(result))


# ---------------------------------------------------------------------------------------------
# Parent side.
# ---------------------------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    rows: int
    draws: int
    seconds: float | None = None
    peak_mib: float | None = None  # process peak (ru_maxrss of the child)
    audit_peak_mib: float | None = None  # peak while auditing (data already loaded)
    data_mib: float | None = None
    user_seconds: float | None = None  # CPU time (all threads) of the timed part, median run
    sys_seconds: float | None = None
    cpu_runs: list[tuple[float, float]] = field(default_factory=list)
    runs: list[float] = field(default_factory=list)
    skipped: str | None = None
    rate: bool = True  # whether rows x draws / s means anything for this case
    extra: dict[str, Any] = field(default_factory=dict)

    def finish(self) -> None:
        """Median over the runs; CPU times of the run with the median wall time."""
        self.seconds = statistics.median(self.runs)
        if self.cpu_runs:
            i = sorted(range(len(self.runs)), key=self.runs.__getitem__)[len(self.runs) // 2]
            self.user_seconds, self.sys_seconds = self.cpu_runs[i]

    @property
    def throughput(self) -> float | None:
        """Rows x draws per second (None without draws or a time)."""
        if self.seconds is None or self.draws == 0 or not self.rate:
            return None
        return self.rows * self.draws / self.seconds


class Runner:
    def __init__(self, env: dict[str, str], cap: float, log_dir: Path) -> None:
        self.env = env
        self.cap = cap
        self.log_dir = log_dir

    def _wait(
        self, cmd: list[str], out_name: str, cap: float
    ) -> tuple[float, float, tuple[float, float], int | None]:
        """Run ``cmd``; return (wall s, peak MiB, (user, sys) s, exit status or None)."""
        out = self.log_dir / out_name
        with open(out, "wb") as fh:
            t0 = time.perf_counter()
            proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=self.env)
            deadline = t0 + cap
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() > deadline:
                    proc.kill()
                    pid, status, usage = os.wait4(proc.pid, 0)
                    proc.returncode = -9
                    cpu = (usage.ru_utime, usage.ru_stime)
                    return time.perf_counter() - t0, usage.ru_maxrss / 1024, cpu, None
                time.sleep(0.005)
            wall = time.perf_counter() - t0
            proc.returncode = os.waitstatus_to_exitcode(status)
        cpu = (usage.ru_utime, usage.ru_stime)
        return wall, usage.ru_maxrss / 1024, cpu, proc.returncode

    def child(self, case: Case, kind: str, path: Path, repeat: int, cap: float | None = None):
        """Run an in-process measurement ``repeat`` times in fresh subprocesses."""
        cap = self.cap if cap is None else cap
        for i in range(repeat):
            spec = {"kind": kind, "path": str(path), "draws": case.draws}
            with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
                result_path = Path(tmp.name)
            cmd = [sys.executable, __file__, "--child", json.dumps(spec), str(result_path)]
            wall, peak, _, code = self._wait(cmd, f"{case.name}-{i}.log", cap)
            if code is None:
                case.skipped = f"over the {cap:.0f} s cap (killed after {wall:.0f} s)"
                return case
            if code != 0:
                case.skipped = f"failed with exit status {code}; see {self.log_dir}"
                return case
            res = json.loads(result_path.read_text())
            result_path.unlink()
            case.runs.append(res.pop("seconds"))
            if "user_seconds" in res:
                case.cpu_runs.append((res.pop("user_seconds"), res.pop("sys_seconds")))
            case.peak_mib = max(case.peak_mib or 0.0, peak)
            audit_peak = res.pop("audit_peak_mib", None)
            if audit_peak is not None:
                case.audit_peak_mib = max(case.audit_peak_mib or 0.0, audit_peak)
            data = res.pop("data_mib", None)
            if data is not None:
                case.data_mib = data
            case.extra = res
        case.finish()
        return case

    def cli(self, case: Case, path: Path, out_dir: Path, repeat: int) -> Case:
        """The whole ``equilens audit`` command, timed from process start to exit."""
        exe = Path(sys.executable).with_name("equilens")
        cmd = [
            str(exe),
            "audit",
            "--data",
            str(path),
            "--y-true",
            COLUMNS["y_true"],
            "--y-pred",
            COLUMNS["y_pred"],
            "--y-score",
            COLUMNS["y_score"],
            "--sensitive",
            ",".join(SENSITIVE),
            "--intersections",
            "--bootstrap",
            str(case.draws),
            "--seed",
            "0",
            "--out",
            str(out_dir),
        ]
        for i in range(repeat):
            wall, peak, cpu, code = self._wait(cmd, f"{case.name}-{i}.log", self.cap)
            if code != 0:
                why = "time-out" if code is None else f"exit status {code}"
                case.skipped = f"{why}; see {self.log_dir}/{case.name}-{i}.log"
                return case
            case.runs.append(wall)
            case.cpu_runs.append(cpu)
            case.peak_mib = max(case.peak_mib or 0.0, peak)
        case.finish()
        log = json.loads((out_dir / "audit.json").read_text())
        case.extra = {
            "timings": log.get("timings"),
            "bytes": (out_dir / "audit.json").stat().st_size,
            "engine": log.get("spec_resolved", {}).get("engine"),
        }
        return case


def _fmt(value: float | None, spec: str) -> str:
    """Format ``value``; None prints as "-" right-aligned to the spec's width."""
    if value is None:
        width = spec.split(".")[0].lstrip(",")
        return "-".rjust(int(width)) if width.isdigit() else "-"
    return format(value, spec)


def print_table(cases: list[Case]) -> None:
    head = (
        f"{'case':<40} {'rows':>11} {'draws':>6} {'seconds':>9} {'user s':>7} {'sys s':>6} "
        f"{'peak MiB':>9} "
        f"{'audit MiB':>10} {'data MiB':>9} {'rows*draws/s':>13}"
    )
    print(head)
    print("-" * len(head))
    for c in cases:
        if c.extra.get("engine"):
            c.name = f"{c.name} [{c.extra['engine']}]"
        if c.skipped:
            print(f"{c.name:<40} {c.rows:>11,} {c.draws:>6} skipped: {c.skipped}")
            continue
        spread = ""
        if len(c.runs) > 1:
            spread = f"  (runs: {', '.join(f'{r:.2f}' for r in c.runs)})"
        print(
            f"{c.name:<40} {c.rows:>11,} {c.draws:>6} {_fmt(c.seconds, '9.3f')} "
            f"{_fmt(c.user_seconds, '7.2f')} {_fmt(c.sys_seconds, '6.2f')} "
            f"{_fmt(c.peak_mib, '9.0f')} {_fmt(c.audit_peak_mib, '10.0f')} "
            f"{_fmt(c.data_mib, '9.0f')} {_fmt(c.throughput, '13.3g')}{spread}"
        )


def _verdict(ok: bool | None) -> str:
    return "SKIP" if ok is None else ("PASS" if ok else "FAIL")


def machine_line(env: dict[str, str]) -> str:
    blas = "unknown"
    try:
        from threadpoolctl import threadpool_info

        infos = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        if infos:
            i = infos[0]
            blas = f"{i.get('internal_api')} {i.get('version')} kernel={i.get('architecture')}"
    except ImportError:
        pass
    core = env.get("OPENBLAS_CORETYPE", "unset")
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"BLAS {blas} (parent), OPENBLAS_CORETYPE={core} in children"
    )


def load_average() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def wait_quiet(limit: float, threshold: float = 0.5) -> None:
    """Wait up to ``limit`` seconds for the 1-minute load average to drop below ``threshold``."""
    end = time.monotonic() + limit
    while load_average() >= threshold and time.monotonic() < end:
        time.sleep(5)


def source_revision() -> str:
    """The commit of the checkout and whether src/ differs from it (read-only git calls)."""
    root = BENCH_DIR.parent
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "src"], cwd=root)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return rev + (" + uncommitted changes in src/" if dirty.returncode else "")


def versions() -> str:
    import importlib.metadata as md

    out = []
    for name in ("equilens", "numpy", "pandas", "pyarrow", "scipy", "fairlearn", "scikit-learn"):
        try:
            out.append(f"{name} {md.version(name)}")
        except md.PackageNotFoundError:
            out.append(f"{name} (not installed)")
    return ", ".join(out)


def cli_only(
    args: argparse.Namespace, env: dict[str, str], rows: int, repeat: int, big: Path, load0: float
) -> int:
    """``--cli-only``: time the whole ``equilens audit`` command alone (fastest of the runs)."""
    work = Path(tempfile.mkdtemp(prefix="equilens-bench-"))
    runner = Runner(env, args.cap, work)
    case = runner.cli(Case("equilens CLI (whole process)", rows, args.draws), big, work, repeat)
    if case.skipped:
        print(f"equilens CLI: skipped ({case.skipped})")
        return 0
    best = min(range(len(case.runs)), key=case.runs.__getitem__)
    user, sys_ = case.cpu_runs[best]
    runs = ", ".join(f"{r:.2f}" for r in case.runs)
    print(
        f"equilens CLI (whole process), {rows:,} rows, {args.draws} draws: fastest "
        f"{case.runs[best]:.2f} s (user {user:.2f} s, sys {sys_:.2f} s), median "
        f"{_fmt(case.seconds, '.2f')} s, peak {_fmt(case.peak_mib, '.0f')} MiB (runs: {runs})"
    )
    timings = case.extra.get("timings") or {}
    print("  steps of the last run, s: " + ", ".join(f"{k} {v:.2f}" for k, v in timings.items()))
    at_size = rows >= TARGET_ROWS and args.draws >= TARGET_DRAWS
    ok = case.runs[best] < TARGET_CLI_SECONDS if at_size else None
    print(f"  [{_verdict(ok)}] fastest run under {TARGET_CLI_SECONDS:.0f} s")
    load1 = load_average()
    print(f"load average (1 min) at start {load0:.2f}, at end {load1:.2f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=TARGET_ROWS, help="rows of the large runs")
    parser.add_argument("--quick", action="store_true", help="200,000 rows, one run each")
    parser.add_argument("--draws", type=int, default=TARGET_DRAWS, help="equilens draws")
    parser.add_argument("--fairlearn-rows", type=int, default=100_000)
    parser.add_argument("--fairlearn-draws", type=int, default=5, help="fairlearn n_boot")
    parser.add_argument("--fairlearn-big-rows", type=int, default=1_000_000)
    parser.add_argument("--cap", type=float, default=300.0, help="seconds before a run is killed")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each equilens case")
    parser.add_argument(
        "--native-blas",
        action="store_true",
        help="unset OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for the children",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="S",
        help="first wait up to S seconds for the 1-minute load average to drop below 0.5",
    )
    parser.add_argument(
        "--cli-only",
        action="store_true",
        help="only the whole-CLI case (--repeat runs; reports the fastest and the median)",
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_main(*args.child)
        return 0

    rows = 200_000 if args.quick else args.rows
    repeat = 1 if args.quick else max(1, args.repeat)
    fl_rows = min(args.fairlearn_rows, rows)
    env = dict(os.environ)
    if args.native_blas:
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)

    print(f"equilens core benchmark: {rows:,} rows, {N_CELLS} finest cells")
    print(f"machine: {machine_line(env)}")
    print(f"versions: {versions()}")
    print(f"source: {source_revision()}")
    if args.wait_quiet > 0:
        wait_quiet(args.wait_quiet)
    load0 = load_average()
    print(f"load average (1 min) at start: {load0:.2f}")
    t0 = time.perf_counter()
    big = ensure_dataset(rows)
    if args.cli_only:
        return cli_only(args, env, rows, repeat, big, load0)
    small = ensure_dataset(fl_rows)
    fl_big_rows = args.fairlearn_big_rows
    run_fl_big = not args.quick and fl_big_rows > fl_rows
    mid = ensure_dataset(fl_big_rows) if run_fl_big else None
    print(
        f"data: {big} ({big.stat().st_size / MIB:.0f} MiB), ready in "
        f"{time.perf_counter() - t0:.1f} s\n"
    )

    work = Path(tempfile.mkdtemp(prefix="equilens-bench-"))
    runner = Runner(env, args.cap, work)
    d = args.draws
    fd = args.fairlearn_draws
    cases: list[Case] = []

    def run(case: Case, fn: Any, *fn_args: Any, **kw: Any) -> Case:
        print(f"  running {case.name} ...", end="", flush=True)
        fn(case, *fn_args, **kw)
        print(f" {_fmt(case.seconds, '.2f')} s" if not case.skipped else f" {case.skipped}")
        cases.append(case)
        return case

    floor = run(
        Case("numpy floor (count + 1000 draws)", rows, 1000, rate=False),
        runner.child,
        "floor",
        big,
        1,
    )
    eq0 = run(Case("equilens audit(), in memory", rows, 0), runner.child, "equilens", big, repeat)
    eqb = run(Case("equilens audit(), in memory", rows, d), runner.child, "equilens", big, repeat)
    cli = run(Case("equilens CLI (whole process)", rows, d), runner.cli, big, work / "cli", repeat)
    eq_small = run(
        Case("equilens audit(), in memory", fl_rows, fd), runner.child, "equilens", small, repeat
    )
    fl0 = run(Case("fairlearn MetricFrame", fl_rows, 0), runner.child, "fairlearn", small, 1)
    flb = run(
        Case("fairlearn MetricFrame (n_boot)", fl_rows, fd), runner.child, "fairlearn", small, 1
    )
    fl_big = None
    if run_fl_big:
        assert mid is not None
        fl_big = run(
            Case("fairlearn MetricFrame", fl_big_rows, 0), runner.child, "fairlearn", mid, 1
        )
    print()
    print_table(cases)

    # Ratios, all from this run.
    print("\nratios (same run):")
    ratio = None
    if eqb.throughput and flb.seconds and fl0.seconds is not None:
        fl_total = flb.throughput
        boot_only = flb.seconds - fl0.seconds
        fl_boot = flb.rows * flb.draws / boot_only if boot_only > 0 else fl_total
        assert fl_total is not None and fl_boot is not None
        ratio = eqb.throughput / fl_boot
        print(
            f"  bootstrap throughput, rows*draws/s: equilens {eqb.throughput:.3g} "
            f"({eqb.rows:,} x {eqb.draws}) vs fairlearn {fl_boot:.3g} "
            f"({flb.rows:,} x {flb.draws}, draws only: {flb.seconds:.2f} - {fl0.seconds:.2f} s)"
            f" -> {ratio:,.0f}x  [with fairlearn's total time: {eqb.throughput / fl_total:,.0f}x]"
        )
    if eq_small.seconds and flb.seconds:
        print(
            f"  equal rows and draws ({flb.rows:,} rows, {flb.draws} draws): fairlearn "
            f"{flb.seconds:.2f} s / equilens {eq_small.seconds:.3f} s = "
            f"{flb.seconds / eq_small.seconds:,.0f}x (fixed costs dominate at this size)"
        )
    if fl_big and fl_big.seconds and eq0.seconds:
        fl_rate = fl_big.rows / fl_big.seconds
        eq_rate = eq0.rows / eq0.seconds
        print(
            f"  point estimates, rows/s: equilens {eq_rate:.3g} ({eq0.rows:,} rows) vs fairlearn "
            f"{fl_rate:.3g} ({fl_big.rows:,} rows) -> {eq_rate / fl_rate:,.0f}x"
        )
    if floor.seconds and eqb.seconds:
        fx = floor.extra
        print(
            f"  numpy floor: count {fx['count_seconds']:.3f} s + 1000 draws "
            f"{fx['draw_seconds']:.3f} s; equilens in memory is {eqb.seconds / floor.seconds:.0f}x"
            f" the floor, the CLI {_fmt(cli.seconds and cli.seconds / floor.seconds, '.0f')}x"
        )
    for c in (eqb, cli):
        if c.extra.get("timings"):
            steps = ", ".join(f"{k} {v:.2f}" for k, v in c.extra["timings"].items())
            print(f"  {c.name} ({c.draws} draws) steps, s: {steps}")
    if eqb.extra:
        e = eqb.extra
        print(
            f"  audit scope: {e['slices']} slices x {e['metrics']} metrics = {e['results']} "
            f"results, {e['disparities']} criteria rows, {e['comparisons']} comparisons, "
            f"score histograms: {e['score_mode']}"
        )

    at_size = rows >= TARGET_ROWS and d >= TARGET_DRAWS
    print(f"\ntargets ({TARGET_ROWS:,} rows, {TARGET_DRAWS} draws, all metrics and intersections):")
    ok1 = None
    if at_size and eqb.seconds is not None and eqb.peak_mib is not None:
        ok1 = eqb.seconds < TARGET_AUDIT_SECONDS and eqb.peak_mib * MIB < TARGET_AUDIT_BYTES
    print(
        f"  [{_verdict(ok1)}] audit() in memory under {TARGET_AUDIT_SECONDS:.0f} s and 2 GiB "
        f"peak: {_fmt(eqb.seconds, '.2f')} s, {_fmt(eqb.peak_mib, '.0f')} MiB process peak"
    )
    ok2 = None if ratio is None or not at_size else ratio >= TARGET_SPEEDUP
    print(
        f"  [{_verdict(ok2)}] >= {TARGET_SPEEDUP:,.0f}x fairlearn bootstrap throughput "
        f"(rows*draws/s): {_fmt(ratio, ',.0f')}x"
    )
    ok3 = None if not at_size or cli.seconds is None else cli.seconds < TARGET_CLI_SECONDS
    print(
        f"  [{_verdict(ok3)}] whole CLI audit (read + all metrics + AUC + {d} draws) under "
        f"{TARGET_CLI_SECONDS:.0f} s: {_fmt(cli.seconds, '.2f')} s, "
        f"{_fmt(cli.peak_mib, '.0f')} MiB peak"
    )
    if not at_size:
        print(f"  (SKIP: targets are stated at {TARGET_ROWS:,} rows and {TARGET_DRAWS} draws)")
    load1 = load_average()
    print(f"\nload average (1 min) at end: {load1:.2f}")
    if max(load0, load1) >= 0.5:
        print(
            f"WARNING: other work was running on this {os.cpu_count()}-core machine; wall times "
            "are inflated (compare the user s and sys s columns; re-run on a quiet machine)"
        )
    print(f"logs of the runs: {work}")

    if args.json:
        payload = {
            "rows": rows,
            "machine": machine_line(env),
            "source": source_revision(),
            "load_average": [load0, load1],
            "versions": versions(),
            "cases": [c.__dict__ | {"throughput": c.throughput} for c in cases],
            "ratio": ratio,
            "targets": {"audit": ok1, "speedup": ok2, "cli": ok3},
        }
        args.json.write_text(json.dumps(payload, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
