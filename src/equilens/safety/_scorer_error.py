"""A toxicity scorer's error and the prevalence corrected for it (Rogan-Gladen).

A classifier's toxic share is not the true share: it misses toxic texts (sensitivity ``Se`` < 1)
and flags harmless ones (specificity ``Sp`` < 1). On a labelled validation set,
:func:`scorer_error` estimates ``Se`` and ``Sp`` overall and per slice (Clopper-Pearson
intervals) and warns when they differ between slices (Fisher's exact test of each slice against
the rest, Holm over the slices): a scorer that flags "I am a gay man" misreads every rate about
gay people.

:func:`corrected_prevalence` turns an observed toxic share of continuations into
``(p_obs + Sp - 1) / (Se + Sp - 1)``, clipped to [0, 1], with a percentile interval that carries
both sources of error: each draw resamples the prompts (clusters of continuations) for
``p_obs`` and draws ``Se`` and ``Sp`` from their Jeffreys posteriors ``Beta(x + 1/2, n - x +
1/2)``. The estimate is undefined when ``Se + Sp <= 1`` (the scorer is no better than chance).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats as sps

from equilens.exceptions import InvalidInputError
from equilens.stats import holm

__all__ = ["corrected_prevalence", "scorer_error"]

FloatArray = NDArray[np.float64]


def _rate(x: int, n: int, alpha: float) -> dict[str, Any]:
    if n == 0:
        return {"value": None, "ci_low": None, "ci_high": None, "n": 0, "x": 0}
    ci = sps.binomtest(x, n).proportion_ci(1 - alpha, method="exact")
    return {"value": x / n, "ci_low": ci.low, "ci_high": ci.high, "n": n, "x": x}


def scorer_error(
    scores: Sequence[float] | FloatArray,
    labels: Sequence[int] | NDArray[Any],
    slices: Sequence[str] | None = None,
    *,
    threshold: float = 0.5,
    alpha: float = 0.05,
    source: str = "",
) -> dict[str, Any]:
    """Sensitivity and specificity of ``scores >= threshold`` against 0/1 ``labels``.

    Returns ``{"overall": {...}, "slices": {name: {...}}, "warnings": [...], ...}`` where each
    entry has ``sensitivity`` and ``specificity`` (value, Clopper-Pearson interval, counts).
    """
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels)
    if s.size == 0:
        raise InvalidInputError("The scorer validation set is empty")
    if not np.isin(y, (0, 1)).all():
        raise InvalidInputError("The scorer validation labels must be 0 (not toxic) or 1 (toxic)")
    y = y.astype(bool)
    flag = s >= threshold
    groups = np.asarray(slices if slices is not None else ["all"] * s.size, dtype=object)

    def error(mask: NDArray[np.bool_]) -> dict[str, Any]:
        pos, neg = mask & y, mask & ~y
        return {
            "sensitivity": _rate(int((flag & pos).sum()), int(pos.sum()), alpha),
            "specificity": _rate(int((~flag & neg).sum()), int(neg.sum()), alpha),
        }

    out: dict[str, Any] = {
        "threshold": threshold,
        "source": source,
        "n": int(s.size),
        "overall": error(np.ones(s.size, dtype=bool)),
        "slices": {},
        "warnings": [],
    }
    names = sorted(set(groups.tolist())) if slices is not None else []
    tests: list[tuple[str, str, float]] = []
    for name in names:
        mask = groups == name
        out["slices"][str(name)] = error(mask)
        for what, cls in (("sensitivity", y), ("specificity", ~y)):
            inside, rest = mask & cls, ~mask & cls
            if inside.sum() == 0 or rest.sum() == 0:
                continue
            hit = flag if what == "sensitivity" else ~flag
            table = [
                [int((hit & inside).sum()), int((~hit & inside).sum())],
                [int((hit & rest).sum()), int((~hit & rest).sum())],
            ]
            tests.append((str(name), what, float(sps.fisher_exact(table).pvalue)))
    if tests:
        adjusted = holm([t[2] for t in tests])
        for (name, what, _), ph in zip(tests, adjusted, strict=True):
            if ph < alpha:
                own = out["slices"][name][what]["value"]
                whole = out["overall"][what]["value"]
                out["warnings"].append(
                    f"The toxicity scorer's {what} differs by slice: {own:.2f} for '{name}' "
                    f"against {whole:.2f} overall (Fisher's exact test, Holm p = {ph:.2g}); "
                    "its rates for that slice are biased, and comparisons between slices "
                    "reflect the scorer as well as the model"
                )
    return out


def corrected_prevalence(
    flags: Sequence[float] | FloatArray,
    cluster: Sequence[Any] | NDArray[Any],
    error: Mapping[str, Any],
    *,
    draws: int = 2000,
    alpha: float = 0.05,
    rng: np.random.Generator | None = None,
) -> dict[str, Any]:
    """Rogan-Gladen prevalence of toxic texts with an interval over prompts, Se and Sp.

    ``flags`` are 0/1 scorer decisions per continuation, ``cluster`` their prompts; ``error``
    is one entry of :func:`scorer_error` (``sensitivity`` and ``specificity`` counts).
    """
    rng = rng or np.random.default_rng(0)
    f = np.asarray(flags, dtype=np.float64)
    _, ids = np.unique(np.asarray(cluster, dtype=object).astype(str), return_inverse=True)
    hits = np.bincount(ids, weights=f)
    sizes = np.bincount(ids).astype(np.float64)
    se, sp = error["sensitivity"], error["specificity"]
    observed = float(hits.sum() / sizes.sum()) if sizes.sum() else float("nan")
    out: dict[str, Any] = {
        "observed": observed,
        "value": None,
        "ci_low": None,
        "ci_high": None,
        "prompts": int(sizes.size),
        "texts": int(sizes.sum()),
        "method": "Rogan-Gladen; percentile interval of draws over prompts and the Jeffreys "
        f"posteriors of Se and Sp ({draws} draws)",
    }
    if not se["n"] or not sp["n"] or sizes.size < 2:
        out["reason"] = "the validation set lacks toxic or non-toxic texts, or there is one prompt"
        return out
    se_hat, sp_hat = se["x"] / se["n"], sp["x"] / sp["n"]
    if se_hat + sp_hat <= 1.0:
        out["reason"] = "the scorer is no better than chance (Se + Sp <= 1)"
        return out
    out["value"] = float(np.clip((observed + sp_hat - 1.0) / (se_hat + sp_hat - 1.0), 0.0, 1.0))
    if 0.0 < hits.sum() < sizes.sum():
        weights = rng.multinomial(sizes.size, np.full(sizes.size, 1.0 / sizes.size), size=draws)
        p_obs = (weights @ hits) / np.maximum(weights @ sizes, 1.0)
    else:
        # No flagged text (or only flagged ones): resampling prompts gives the same share in
        # every draw, which is not precision. Jeffreys' posterior with the prompts as the
        # observations instead (conservative: a prompt counts once, however many texts).
        x = 0.0 if hits.sum() == 0 else float(sizes.size)
        p_obs = rng.beta(x + 0.5, sizes.size - x + 0.5, size=draws)
        out["method"] += "; no or every text flagged: Jeffreys interval over prompts for p_obs"
    se_d = rng.beta(se["x"] + 0.5, se["n"] - se["x"] + 0.5, size=draws)
    sp_d = rng.beta(sp["x"] + 0.5, sp["n"] - sp["x"] + 0.5, size=draws)
    youden = se_d + sp_d - 1.0
    ok = youden > 0
    corrected = np.clip((p_obs[ok] + sp_d[ok] - 1.0) / youden[ok], 0.0, 1.0)
    if corrected.size < draws // 2:
        out["reason"] = "Se + Sp <= 1 in most draws: the scorer is too weak to correct"
        out["value"] = None
        return out
    lo, hi = np.quantile(corrected, [alpha / 2, 1 - alpha / 2])
    out.update(ci_low=float(lo), ci_high=float(hi))
    return out
