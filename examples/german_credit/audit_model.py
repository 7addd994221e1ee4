"""Audit the skops-saved German credit model: run it through its adapter, then audit.

Run from anywhere (it trains the model first if ``model.skops`` is missing)::

    python examples/german_credit/audit_model.py [--out DIR] [--model FILE] [--no-cache]

The ``MODEL`` mapping below is exactly the ``model:`` section of the audit spec shown in this
folder's README. The adapter's outputs are cached (``~/.cache/equilens/outputs.sqlite`` unless
``EQUILENS_CACHE_DIR`` is set), so a second run computes nothing.
"""

from __future__ import annotations

import argparse
import json
import runpy
import time
from pathlib import Path

import equilens
from equilens.adapters import progress_bar, run_model_spec
from equilens.data import load_german_credit

HERE = Path(__file__).resolve().parent

MODEL = {
    "kind": "sklearn",
    "path": "model.skops",  # relative to this folder, as in a spec file
    "positive_label": "good",  # y_score = P(credit is good)
    "cache": True,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out/german_credit"))
    parser.add_argument("--model", type=Path, default=HERE / MODEL["path"])
    parser.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    args = parser.parse_args(argv)

    if not args.model.exists():
        train = runpy.run_path(str(HERE / "train.py"))["train"]
        train(args.model)

    df = load_german_credit()
    spec = {**MODEL, "path": str(args.model), "cache": not args.no_cache}
    t0 = time.perf_counter()
    with progress_bar("german credit") as bar:
        run = run_model_spec(spec, df, base_dir=HERE, progress=bar)
    print(f"loaded and ran the model in {time.perf_counter() - t0:.2f} s")
    for task, result in run.results.items():
        print(
            f"  {task}: {result.n_computed} rows computed, {result.n_cached} from the cache, "
            f"{len(result.errors)} failed, {result.seconds:.3f} s"
        )

    log = equilens.audit(
        run.frame,
        y_true="credit",
        y_pred="y_pred",
        y_score="y_score",
        positive_label="good",
        sensitive_features=["sex", "age"],
        bins={"age": [25, 45]},
        intersections=True,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    equilens.write_log(log, args.out / "audit.json")
    (args.out / "model.json").write_text(json.dumps(run.record(), indent=2))
    accuracy = (run.frame["y_pred"] == run.frame["credit"]).mean()
    print(f"model sha256 {run.model['sha256'][:16]}..., training accuracy {accuracy:.3f}")
    print(f"wrote {args.out / 'audit.json'} and {args.out / 'model.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
