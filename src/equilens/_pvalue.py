"""The one way a p-value is written for people (terminal, Markdown, HTML, gate and compare
text), so that every view of a log shows the same number.

Two significant digits of the exact value; a p-value below 1e-300 (an underflowed 0, e.g. a
normal tail far beyond double precision) is written ``< 1e-300``, never ``0``.
"""

from __future__ import annotations

__all__ = ["P_FLOOR", "fmt_p"]

#: Below this a p-value is shown as ``< 1e-300``: doubles underflow near 1e-308, and a
#: printed 0 would read as certainty.
P_FLOOR = 1e-300


def fmt_p(p: float | None, missing: str = "–") -> str:
    """``0.012``, ``2.3e-89``, ``< 1e-300`` for 0 or underflow, ``missing`` for None."""
    if p is None:
        return missing
    if p < P_FLOOR:
        return "< 1e-300"
    return format(p, ".2g")
