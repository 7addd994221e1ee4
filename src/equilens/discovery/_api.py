"""``discover_slices``: search conjunctions of features for slices worse than the rest."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from equilens.data import ColumnRequest, load_columns
from equilens.discovery._evidence import QUANTITIES, ROWS, U, compare, interval
from equilens.discovery._features import SliceFeature, encode_features
from equilens.discovery._outcomes import Outcome, check_metric, metric_columns, outcome
from equilens.discovery._reduce import Candidate, RestSums, adjust, reduce_overlaps, significant
from equilens.discovery._search import SumCounter, search
from equilens.exceptions import InvalidInputError, InvalidParameterError

__all__ = ["FORMAT", "discover_slices"]

FloatArray = NDArray[np.float64]
#: Kind and version of ``slices.json``.
FORMAT = {"kind": "equilens-slices", "format_version": 1}
_METHODS = {
    "bh": "benjamini-hochberg",
    "by": "benjamini-yekutieli",
}
MAX_ORDER = 4


def _check(
    features: Sequence[str], max_order: int, min_support: int, fdr: float, split: float | None
) -> None:
    if not features:
        raise InvalidParameterError("--features needs at least one column name")
    if not 1 <= max_order <= MAX_ORDER:
        raise InvalidParameterError(
            f"--max-order must be between 1 and {MAX_ORDER}, got {max_order}"
        )
    if min_support < 1:
        raise InvalidParameterError(f"--min-support must be at least 1, got {min_support}")
    if not 0.0 < fdr < 1.0:
        raise InvalidParameterError(f"--fdr must be between 0 and 1, got {fdr}")
    if split is not None and not 0.0 < split < 1.0:
        raise InvalidParameterError(f"--confirm-split must be between 0 and 1, got {split}")


def _units(
    feats: list[SliceFeature], out: Outcome, cluster: pd.Series | None, name: str | None
) -> tuple[list[SliceFeature], Outcome, FloatArray]:
    """Rows grouped into clusters (features must be constant within a cluster)."""
    if cluster is None:
        return feats, out, np.ones_like(out.num)
    if cluster.isna().any():
        raise InvalidInputError(f"Column '{name}' (cluster) has missing values")
    code, uniques = pd.factorize(cluster)
    k = len(uniques)
    first = np.full(k, -1, dtype=np.int64)
    first[code[::-1]] = np.arange(code.size - 1, -1, -1)
    grouped = []
    for f in feats:
        head = f.codes[first]
        if not np.array_equal(head[code], f.codes):
            raise InvalidInputError(
                f"Feature '{f.name}' varies within clusters of '{name}'; with --cluster every "
                "feature must describe the cluster (one value per cluster)"
            )
        grouped.append(replace(f, codes=head))
    num = np.bincount(code, weights=out.num, minlength=k).astype(np.float64)
    den = np.bincount(code, weights=out.den, minlength=k).astype(np.float64)
    rows = np.bincount(code, minlength=k).astype(np.float64)
    return grouped, Outcome(out.metric, num, den, False, out.worse), rows


def _label(feats: Sequence[SliceFeature], cells: Sequence[tuple[int, int]]) -> dict[str, str]:
    return {feats[f].name: feats[f].levels[v] for f, v in cells}


def _num(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _run(
    feats: list[SliceFeature],
    out: Outcome,
    rows: FloatArray,
    *,
    max_order: int,
    min_support: int,
    fdr: float,
    method: Literal["bh", "by"],
) -> tuple[list[Candidate], dict[str, Any], FloatArray, SumCounter]:
    lattice = search(
        feats,
        out.num,
        out.den,
        rows,
        proportion=out.proportion,
        worse=out.worse,
        max_order=max_order,
        min_support=min_support,
        level=fdr,
    )
    found, counts = significant(lattice, fdr, method)
    counter = SumCounter(out.num, out.den, rows, out.proportion)
    reduce_overlaps(
        found,
        lattice,
        RestSums([f.codes for f in feats], counter),
        n_hypotheses=counts["n_hypotheses"],
        proportion=out.proportion,
        worse=out.worse,
        level=fdr,
    )
    return found, counts, lattice.total, counter


def _rows(
    found: list[Candidate],
    feats: list[SliceFeature],
    total: FloatArray,
    out: Outcome,
    alpha: float,
) -> tuple[list[dict[str, Any]], list[Candidate]]:
    if not found:
        return [], []
    s = np.stack([c.sums for c in found])
    c = total[None, :] - s
    cmp = compare(s, c, out.proportion, out.worse)
    lo, hi = interval(s, c, out.proportion, alpha)
    rank = {"discovered": 0, "explained": 1, "weak": 2, "subsumed": 3}
    order = sorted(range(len(found)), key=lambda i: (rank[found[i].status], found[i].p_value))
    rows = []
    for i in order:
        cand = found[i]
        rows.append(
            {
                "slice": _label(feats, cand.cells),
                "order": len(cand.cells),
                "n": int(cand.sums[ROWS]),
                "n_units": int(cand.sums[U]),
                "metric": out.metric,
                "value": _num(cmp.value[i]),
                "complement_value": _num(cmp.other[i]),
                "difference": _num(cmp.difference[i]),
                "ci_low": _num(lo[i]),
                "ci_high": _num(hi[i]),
                "p_value": cand.p_value,
                "q_value": cand.q_value,
                "test": cand.test,
                "status": cand.status,
                "p_value_vs_parent": None if cand.p_vs_parent is None else _num(cand.p_vs_parent),
                "parent": None if cand.parent is None else _label(feats, cand.parent),
                "explained_by": [_label(feats, d) for d in cand.explained_by],
            }
        )
    return rows, [found[i] for i in order]


def _confirm(
    rows: list[dict[str, Any]],
    found: list[Candidate],
    feats: list[SliceFeature],
    held: NDArray[np.bool_],
    counter: SumCounter,
    out: Outcome,
    fdr: float,
    method: Literal["bh", "by"],
) -> dict[str, Any]:
    """Test each discovered slice again on the held-out units (adjusted over those tested)."""
    pairs = [(r, c) for r, c in zip(rows, found, strict=True) if c.status == "discovered"]
    tested = [r for r, _ in pairs]
    total = counter.masked(held)
    if tested:
        sums = []
        for _, cand in pairs:
            m = held.copy()
            for f, v in cand.cells:
                m &= feats[f].codes == v
            sums.append(counter.masked(m))
        s = np.stack(sums)
        cmp = compare(s, total[None, :] - s, out.proportion, out.worse)
        q = adjust(cmp.p_value, method)
        for i, r in enumerate(tested):
            r["confirm_n"] = int(s[i, ROWS])
            r["confirm_value"] = _num(cmp.value[i])
            r["confirm_complement_value"] = _num(cmp.other[i])
            r["confirm_p_value"] = _num(cmp.p_value[i])
            r["confirm_q_value"] = _num(q[i])
            r["confirmed"] = bool(q[i] <= fdr)
    n_conf = sum(1 for r in tested if r["confirmed"])
    return {
        "held_out_units": int(held.sum()),
        "n_tested": len(tested),
        "n_confirmed": n_conf,
        "confirmation_rate": n_conf / len(tested) if tested else None,
    }


def discover_slices(
    data: object,
    *,
    features: Sequence[str],
    task: str = "binary",
    metric: str | None = None,
    y_true: str | None = None,
    y_pred: str | None = None,
    y_score: str | None = None,
    value: str | None = None,
    numerator: str | None = None,
    denominator: str | None = None,
    cluster: str | None = None,
    positive_label: str | None = None,
    higher_is_better: bool = False,
    max_order: int = 3,
    min_support: int = 50,
    fdr: float = 0.05,
    fdr_method: Literal["bh", "by"] = "bh",
    bins: int = 4,
    max_levels: int = 20,
    confirm_split: float | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Find slices (conjunctions of feature values) whose metric is worse than the rest's.

    Returns the ``slices.json`` document: the search settings, the number of hypotheses in
    the family (``n_hypotheses``: every slice with ``min_support`` rows on both sides, tested
    or pruned), and one row per significant slice with its status (``discovered``,
    ``explained`` by its refinements, or ``subsumed`` by a parent). See
    ``docs/slice-discovery.md`` and ``docs/design/0021-slice-discovery.md``.
    """
    start = time.perf_counter()
    features = list(features)
    _check(features, max_order, min_support, fdr, confirm_split)
    if fdr_method not in _METHODS:
        raise InvalidParameterError(f"--fdr-method must be bh or by, got {fdr_method}")
    chosen = check_metric(task, metric)
    roles = metric_columns(
        task,
        chosen,
        {
            "y_true": y_true,
            "y_pred": y_pred,
            "y_score": y_score,
            "value": value,
            "numerator": numerator,
            "denominator": denominator,
        },
    )
    wanted = [ColumnRequest(n, "feature") for n in features]
    wanted += [ColumnRequest(col, role) for role, col in roles.items()]
    if cluster:
        wanted.append(ColumnRequest(cluster, "cluster"))
    loaded = load_columns(data, wanted, max_groups=max_levels)
    frame = {name: col.to_pandas() for name, col in loaded.columns.items()}
    n_rows = loaded.n_rows
    if 2 * min_support > n_rows:
        raise InvalidParameterError(
            f"--min-support {min_support} leaves no room for a slice and the rest: the data "
            f"have {n_rows:,} rows (at most {n_rows // 2:,})"
        )
    out = outcome(
        task, chosen, frame, roles, positive_label=positive_label, higher_is_better=higher_is_better
    )
    feats = encode_features(frame, features, bins=bins, max_levels=max_levels)
    feats, out, rows = _units(feats, out, frame.get(cluster) if cluster else None, cluster)
    held: NDArray[np.bool_] = np.zeros(out.num.shape[0], dtype=bool)
    if confirm_split is not None:
        held = np.asarray(np.random.default_rng(seed).random(out.num.shape[0]) < confirm_split)
    keep = ~held
    sub_feats = [replace(f, codes=f.codes[keep]) for f in feats]
    sub_out = replace(out, num=out.num[keep], den=out.den[keep])
    found, counts, total, _ = _run(
        sub_feats,
        sub_out,
        rows[keep],
        max_order=max_order,
        min_support=min_support,
        fdr=fdr,
        method=fdr_method,
    )
    n_sig = len(found)
    # False-coverage-statement-rate intervals (Benjamini & Yekutieli 2005): each of the R
    # slices selected out of m gets a 1 - R q / m interval.
    alpha = fdr * n_sig / counts["n_hypotheses"] if n_sig else fdr
    table, ordered = _rows(found, sub_feats, total, out, alpha)
    doc: dict[str, Any] = {
        **FORMAT,
        "task": task,
        "metric": out.metric,
        "worse": out.worse,
        "test": "one-sided fisher-exact" if out.proportion else "one-sided welch",
        "n_rows": int(n_rows),
        "n_units": int(out.num.shape[0]),
        "cluster": cluster,
        "features": [
            {
                "name": f.name,
                "levels": list(f.levels),
                "edges": None if f.edges is None else list(f.edges),
            }
            for f in feats
        ],
        "max_order": max_order,
        "min_support": min_support,
        "fdr": fdr,
        "method": _METHODS[fdr_method],
        **counts,
        "n_significant": n_sig,
        "n_discovered": sum(1 for r in table if r["status"] == "discovered"),
        "interval_level": 1.0 - alpha,
        "overall_value": _num(total[QUANTITIES.index("num")] / total[QUANTITIES.index("den")])
        if total[QUANTITIES.index("den")] > 0
        else None,
        "confirm": None,
        "slices": table,
    }
    if confirm_split is not None:
        counter = SumCounter(out.num, out.den, rows, out.proportion)
        doc["confirm"] = {
            "split": confirm_split,
            **_confirm(table, ordered, feats, held, counter, out, fdr, fdr_method),
        }
    doc["seconds"] = round(time.perf_counter() - start, 3)
    return doc
