"""The output cache: crash safety (a killed writer), resuming a killed run, re-runs, clear()."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from equilens.adapters import CallableAdapter, OutputCache, predict_frame, run_adapter
from equilens.adapters._cache import default_cache_path
from equilens.exceptions import InvalidInputError

WRITER = """
import sys
from equilens.adapters import OutputCache

cache = OutputCache(sys.argv[1])
batch = int(sys.argv[2])
start = len(cache)
i = start
print("ready", flush=True)
while True:
    items = [(f"key-{k}".encode(), {"k": k, "text": "x" * (k % 997)}) for k in range(i, i + batch)]
    cache.put_many("ns", items)
    i += batch
"""

SLOW_MODEL = """
import time

def predict(df):
    time.sleep(0.05)
    return (df["x"] * 3).tolist()
"""

RUNNER = """
import sys
import pandas as pd
from equilens.adapters import CallableAdapter, run_adapter

df = pd.DataFrame({"x": range(400)})
adapter = CallableAdapter(predict=sys.argv[1] + ":predict")
def progress(task, done, total):
    print(done, flush=True)
run_adapter(adapter, "predict", df, cache=sys.argv[2], batch_size=10, progress=progress)
print("finished", flush=True)
"""


def _python(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_writer_killed_mid_write_leaves_only_whole_batches(tmp_path: Path) -> None:
    path = tmp_path / "outputs.sqlite"
    batch = 50
    rng = random.Random(0)
    counts = []
    for _ in range(3):
        proc = _python(WRITER, str(path), str(batch))
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.2, 0.5))
        proc.kill()  # SIGKILL: no cleanup, typically in the middle of a transaction
        proc.communicate()
        with OutputCache(path) as cache:
            assert cache.integrity_ok()
            n = len(cache)
            keys = [f"key-{k}".encode() for k in range(n + batch)]
            got = cache.get_many("ns", keys)
        counts.append(n)
        assert n % batch == 0  # no half-written batch survived
        assert len(got) == n and set(got) == set(keys[:n])  # contiguous: nothing lost
        for key, value in got.items():
            k = int(key.decode().split("-")[1])
            assert value == {"k": k, "text": "x" * (k % 997)}
    assert counts[0] > 0 and counts[0] < counts[1] < counts[2]


def test_a_killed_run_resumes_without_recomputing(tmp_path: Path) -> None:
    model = tmp_path / "slow_model.py"
    model.write_text(textwrap.dedent(SLOW_MODEL))
    cache = tmp_path / "outputs.sqlite"
    proc = _python(RUNNER, str(model), str(cache))
    assert proc.stdout is not None
    seen = 0
    while seen < 100:
        line = proc.stdout.readline()
        assert line, proc.communicate()[1]
        seen = int(line)
    proc.kill()
    proc.communicate()
    df = pd.DataFrame({"x": range(400)})
    adapter = CallableAdapter(predict=f"{model}:predict")
    result = run_adapter(adapter, "predict", df, cache=cache, batch_size=10)
    assert result.ok
    assert result.outputs == [3 * x for x in range(400)]
    assert 100 <= result.n_cached < 400
    assert result.n_computed == 400 - result.n_cached
    assert result.model_calls == result.n_computed // 10


def test_rerun_makes_no_model_calls_and_is_faster(tmp_path: Path) -> None:
    model = tmp_path / "slow_model.py"
    model.write_text(textwrap.dedent(SLOW_MODEL))
    df = pd.DataFrame({"x": range(300), "group": ["a", "b", "c"] * 100})
    adapter = CallableAdapter(predict=f"{model}:predict", features=["x"])
    cache = OutputCache(tmp_path / "outputs.sqlite")
    t0 = time.perf_counter()
    first = predict_frame(adapter, df, cache=cache, batch_size=20)
    cold = time.perf_counter() - t0
    calls: list[int] = []
    fn = adapter._fns["predict"]
    adapter._fns["predict"] = lambda batch: calls.append(len(batch)) or fn(batch)
    t0 = time.perf_counter()
    second = predict_frame(adapter, df, cache=cache, batch_size=20)
    warm = time.perf_counter() - t0
    assert calls == [] and second.results["predict"].model_calls == 0
    assert second.results["predict"].n_cached == 300
    assert second.frame["y_pred"].tolist() == first.frame["y_pred"].tolist()
    assert cold >= 15 * 0.05 and warm < cold / 5
    # columns the model does not read do not change the cache key
    third = predict_frame(adapter, df.assign(group="z"), cache=cache)
    assert third.results["predict"].n_cached == 300
    cache.close()


def test_clear(tmp_path: Path) -> None:
    with OutputCache(tmp_path / "c.sqlite") as cache:
        cache.put_many("a", [(b"1", 1), (b"2", 2)])
        cache.put_many("b", [(b"1", "x")])
        assert len(cache) == 3
        assert cache.clear("a") == 2
        assert cache.get_many("b", [b"1"]) == {b"1": "x"}
        assert cache.clear() == 1
        assert len(cache) == 0


def test_file_is_private_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "c.sqlite"
    with OutputCache(path) as cache:
        cache.put_many("a", [(b"1", 1)])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_corrupt_value_counts_as_missing(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    with OutputCache(path) as cache:
        cache.put_many("a", [(b"1", 1), (b"2", 2)])
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE outputs SET value = '{broken' WHERE key = ?", (b"2",))
    with OutputCache(path) as cache:
        assert cache.get_many("a", [b"1", b"2"]) == {b"1": 1}


def test_a_file_that_is_not_a_cache(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(InvalidInputError, match=f"The output cache '{path}' cannot be used"):
        OutputCache(path)


def test_namespaces_record_what_they_cache(tmp_path: Path) -> None:
    adapter = CallableAdapter(predict=lambda df: [1] * len(df))
    with OutputCache(tmp_path / "c.sqlite") as cache:
        run_adapter(adapter, "predict", pd.DataFrame({"x": [1, 2]}), cache=cache)
        (description,) = cache.entries()
        assert json.loads(description)["task"] == "predict"
        assert cache.entries()[description] == 2


def test_default_cache_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EQUILENS_CACHE_DIR", str(tmp_path))
    assert default_cache_path() == tmp_path / "outputs.sqlite"
    monkeypatch.delenv("EQUILENS_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_path() == tmp_path / "xdg" / "equilens" / "outputs.sqlite"
    assert os.fspath(default_cache_path()).endswith("outputs.sqlite")


def test_row_digests_depend_on_the_row_only() -> None:
    from equilens.adapters._inputs import row_digests

    df = pd.DataFrame(
        {
            "n": [1, 2, 3, 1],
            "s": ["a", "b", "c", "a"],
            "mixed": [1, "1", 1.0, 1],
            "f": [0.1, float("nan"), 2.5, 0.1],
        }
    )
    d = row_digests(df)
    assert len(d[0]) == 16
    assert d[0] == d[3] and len(set(d)) == 3
    assert row_digests(df.iloc[[2, 0]]) == [d[2], d[0]]  # independent of the other rows
    assert len(set(row_digests(df[["mixed"]]))) == 3  # 1, "1" and 1.0 differ
    assert row_digests(["a", "b"]) != row_digests(["b", "a"])
    assert row_digests(df.iloc[:0]) == []
