"""The probe record of an audit log: what was probed, statistics per value, most-changed pairs.

Helpers shared by the paired probes (:mod:`equilens.probes._run`) and the stereotype
benchmarks (:mod:`equilens.probes._benchmarks`) to fill
:class:`~equilens.results._log.ProbeRecord`.
"""

from __future__ import annotations

import difflib
import importlib.metadata
import re
from collections.abc import Sequence
from typing import Any

from equilens.results import Comparison, MetricResult, ProbeEstimate, ProbeTest

__all__ = [
    "DEFAULT_TOP_K",
    "estimate",
    "group_conclusion",
    "model_record",
    "probe_test",
    "word_swaps",
]

#: Most-changed pairs kept verbatim in the log by default.
DEFAULT_TOP_K = 20

_TOKEN = re.compile(r"\w+(?:['\u2019]\w+)*|[^\w\s]")


def word_swaps(original: str, swapped: str, limit: int = 8) -> list[str]:
    """The word-level differences that turn ``original`` into ``swapped``.

    Each difference is written like the term-swap engine's descriptions,
    ``"'he' -> 'she' at 17"`` (the character offset in ``original``); at most ``limit`` are
    listed. Template pairs have no recorded swaps, so this reads them off the two texts.
    """
    a = [(m.group(), m.start()) for m in _TOKEN.finditer(original)]
    b = [m.group() for m in _TOKEN.finditer(swapped)]
    matcher = difflib.SequenceMatcher(a=[t for t, _ in a], b=b, autojunk=False)
    out: list[str] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        old = original[a[i1][1] : a[i2 - 1][1] + len(a[i2 - 1][0])] if i2 > i1 else ""
        new = " ".join(b[j1:j2])
        at = a[i1][1] if i1 < len(a) else len(original)
        out.append(f"{old!r} -> {new!r} at {at}")
        if len(out) >= limit:
            break
    return out


def model_record(model: Any, name: str, packages: Sequence[str]) -> dict[str, Any]:
    """A JSON-able description of the probed model (no secrets: adapters describe
    themselves without them)."""
    from equilens.probes._models import TextModel

    record: dict[str, Any] = {"name": name}
    if isinstance(model, TextModel):
        record["kind"] = "text_model"
        record["description"] = model.description
    elif callable(getattr(model, "describe", None)) and hasattr(model, "predict_proba"):
        record["kind"] = "adapter"
        record["adapter"] = model.describe()
    else:
        record["kind"] = "callable"
        record["type"] = getattr(model, "__qualname__", None) or type(model).__qualname__
    versions: dict[str, str] = {}
    for dist in packages:
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    if versions:
        record["packages"] = versions
    return record


def probe_test(c: Comparison | None) -> ProbeTest:
    """The test of a comparison row, with its adjusted p-values."""
    if c is None:
        return ProbeTest(test="none")
    return ProbeTest(
        test=c.test, statistic=c.statistic, p_value=c.p_value, p_holm=c.p_holm, p_bh=c.p_bh
    )


def estimate(row: MetricResult | None) -> ProbeEstimate | None:
    """A result row as an estimate with its interval (None without a row)."""
    if row is None:
        return None
    return ProbeEstimate(
        value=row.value, ci_low=row.ci_low, ci_high=row.ci_high, ci_method=row.ci_method, n=row.n
    )


_ORDER = ("difference_detected", "insufficient_evidence", "no_difference_detected", "undefined")


def group_conclusion(comparisons: Sequence[Comparison]) -> str | None:
    """The strongest conclusion among a group's comparisons.

    A detected difference wins; otherwise an inconclusive test makes the group inconclusive;
    ``no_difference_detected`` needs every defined test to say so.
    """
    found = {c.conclusion for c in comparisons}
    for conclusion in _ORDER:
        if conclusion in found:
            return conclusion
    return None
