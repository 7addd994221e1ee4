"""Seeded synthetic predictions for the core benchmark, cached as Parquet under ``bench/data/``.

Three sensitive features with unequal group sizes (5 x 4 x 2 = 40 non-empty finest cells),
binary ``y`` and ``pred`` (int8) and a float ``score`` in [0, 1] that depends on ``y`` and
on the groups (so AUC, calibration and the fairness criteria differ between groups). The
sensitive columns are dictionary-encoded strings, as most Parquet writers store them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

DATA_DIR = Path(__file__).resolve().parent / "data"
#: Bump when the generator changes, so cached files are rebuilt.
GEN_VERSION = 1

FEATURES: dict[str, tuple[list[str], list[float]]] = {
    "region": (["north", "south", "east", "west", "centre"], [0.40, 0.25, 0.15, 0.12, 0.08]),
    "age_band": (["18-29", "30-44", "45-64", "65+"], [0.30, 0.35, 0.28, 0.07]),
    "sex": (["female", "male"], [0.45, 0.55]),
}
N_CELLS = int(np.prod([len(labels) for labels, _ in FEATURES.values()]))  # 40
COLUMNS = {"y_true": "y", "y_pred": "pred", "y_score": "score"}


def generate(rows: int, seed: int = 0) -> pa.Table:
    """Build the table in memory (about 13 bytes a row)."""
    rng = np.random.default_rng(seed)
    codes: dict[str, np.ndarray] = {}
    shift = np.zeros(rows, dtype=np.float32)
    for j, (name, (labels, probs)) in enumerate(FEATURES.items()):
        c = rng.choice(len(labels), size=rows, p=probs).astype(np.int8)
        codes[name] = c
        # A per-group effect on the score: groups differ in base rate and selection.
        effect = np.linspace(-0.4, 0.4, len(labels), dtype=np.float32) * (1.0 - 0.3 * j)
        shift += effect[c]
    base = 1.0 / (1.0 + np.exp(-(shift - 0.3)))
    y = (rng.random(rows, dtype=np.float32) < base).astype(np.int8)
    logit = 1.6 * (y.astype(np.float32) * 2.0 - 1.0) + shift
    logit += rng.standard_normal(rows, dtype=np.float32) * 1.5
    score = 1.0 / (1.0 + np.exp(-logit.astype(np.float64)))
    pred = (score >= 0.5).astype(np.int8)
    arrays: dict[str, pa.Array] = {}
    for name, (labels, _) in FEATURES.items():
        arrays[name] = pa.DictionaryArray.from_arrays(
            pa.array(codes[name], type=pa.int8()), pa.array(labels, type=pa.string())
        )
    arrays["y"] = pa.array(y)
    arrays["pred"] = pa.array(pred)
    arrays["score"] = pa.array(score)
    return pa.table(arrays)


def dataset_path(rows: int, seed: int = 0) -> Path:
    """Path of the cached Parquet file for ``rows`` and ``seed``."""
    return DATA_DIR / f"core_v{GEN_VERSION}_{rows}_s{seed}.parquet"


def ensure_dataset(rows: int, seed: int = 0) -> Path:
    """Write the Parquet file once (dictionary-encoded strings, zstd) and return its path."""
    path = dataset_path(rows, seed)
    if path.exists():
        return path
    table = generate(rows, seed)
    cells = table.group_by(list(FEATURES)).aggregate([]).num_rows
    if cells != N_CELLS:
        raise RuntimeError(f"{rows} rows gave {cells} non-empty cells, expected {N_CELLS}")
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    pq.write_table(table, tmp, compression="zstd", use_dictionary=True)
    tmp.replace(path)
    return path
