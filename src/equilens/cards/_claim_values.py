"""A claimed value as written: comparator, number, unit and tolerance (``≥ 70% ± 2%``).

The text a claimant wrote is kept: the number of decimals sets the default tolerance of an
``=`` claim (``0.70`` is a claim to two decimals), and the unit sets the scale:

* ``%`` or ``percent``: hundredths, for rates, scores and ratios (``1%`` is 0.01);
* ``pp`` or ``percentage points``: hundredths, for differences between groups only;
* no unit: the number itself.

``%`` on a difference is ambiguous (a relative change or percentage points?) and ``pp`` on
anything but a difference is a unit mistake; both are errors, as is any other unit.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from equilens.metrics import criteria

#: Comparators as written -> the three the check knows (strict ones read as inclusive).
COMPARATORS: dict[str, str] = {
    "=": "=",
    "==": "=",
    ">=": ">=",
    ">": ">=",
    "≥": ">=",
    "<=": "<=",
    "<": "<=",
    "≤": "<=",
}

_UNITS: dict[str, str] = {
    "%": "%",
    "percent": "%",
    "pct": "%",
    "pp": "pp",
    "p.p.": "pp",
    "percentage point": "pp",
    "percentage points": "pp",
}

#: A number; thousands may be grouped with commas (``1,200``: a mean error in currency).
_NUM = r"[+-]?(?:\d{1,3}(?:,\d{3})+(?:\.\d*)?|\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_VALUE = re.compile(
    rf"^(?P<op>>=|<=|==|=|>|<|≥|≤)?\s*(?P<num>{_NUM})\s*(?P<unit>[^\s±\d+/-][^±]*?)?"
    rf"\s*(?:(?:±|\+/-|\+-)\s*(?P<tol>{_NUM})\s*(?P<tunit>\S.*?)?)?$"
)


@dataclass(frozen=True)
class Written:
    """A value as written.

    Attributes
    ----------
    value : float
        The number, in its unit (``70`` for ``70%``).
    decimals : int
        Digits after the decimal point as written (``0.70`` -> 2, ``1e-3`` -> 3).
    unit : {"", "%", "pp"}
    comparator : str or None
        A comparator written in front of the number (``≥ 0.7``), else None.
    tolerance : float or None
        A ``± t`` written after it, in the value's unit.
    """

    value: float
    decimals: int
    unit: str
    comparator: str | None = None
    tolerance: float | None = None


def decimals_of(number_text: str) -> int:
    """Digits after the point as written: '0.70' -> 2, '1' -> 0, '1.5e-3' -> 4."""
    mantissa, _, exp = number_text.strip().lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return max(decimals - (int(exp) if exp else 0), 0)


def _unit(text: str | None, what: str) -> str:
    if not text:
        return ""
    key = " ".join(text.strip().lower().split())
    if key not in _UNITS:
        raise ValueError(
            f"{what} has an unknown unit '{text.strip()}'; use a plain number, %, percent, pp "
            "or percentage points"
        )
    return _UNITS[key]


def _finite(x: float, raw: Any, what: str) -> float:
    if not math.isfinite(x):
        raise ValueError(f"{what} must be finite, got {raw!r}")
    return x


def parse_value(raw: Any, what: str = "value") -> Written:
    """Read ``0.7``, ``'0.70'``, ``'1%'``, ``'5 pp'``, ``'≥ 0.70 ± 0.02'``.

    Raises
    ------
    ValueError
        Not a number, not finite, or an unknown unit (naming ``what``).
    """
    if isinstance(raw, bool) or raw is None or isinstance(raw, (list, dict)):
        raise ValueError(f"{what} must be a number, got {raw!r}")
    if isinstance(raw, (int, float)):
        value = _finite(float(raw), raw, what)
        text = repr(raw) if isinstance(raw, int) else repr(float(raw))
        return Written(value, decimals_of(text), "")
    match = _VALUE.match(str(raw).strip())
    if match is None:
        raise ValueError(f"{what} must be a number (optionally with %, pp or ± t), got {raw!r}")
    unit = _unit(match["unit"], what)
    tolerance = None
    if match["tol"] is not None:
        tolerance = _finite(float(match["tol"].replace(",", "")), raw, what)
        if _unit(match["tunit"], what) not in ("", unit):
            raise ValueError(f"{what} and its ± tolerance must have the same unit, got {raw!r}")
    op = match["op"]
    return Written(
        value=_finite(float(match["num"].replace(",", "")), raw, what),
        decimals=decimals_of(match["num"].replace(",", "")),
        unit=unit,
        comparator=COMPARATORS[op] if op else None,
        tolerance=tolerance,
    )


def _is_difference(name: str, kind: str) -> bool:
    return kind == "criterion" and criteria.get(name).statistic != "ratio"


def unit_scale(unit: str, name: str | None, kind: str | None) -> float:
    """What one unit is on the metric's scale (1 or 0.01); ValueError for a unit mistake.

    ``name`` and ``kind`` are the resolved metric (None when equilens does not know it).
    """
    if unit == "":
        return 1.0
    if name is None or kind is None:
        return 0.01
    if kind == "metric" and name == "count":
        raise ValueError(f"a count takes no unit, got '{unit}'")
    if unit == "%" and _is_difference(name, kind):
        raise ValueError(
            f"'%' on the difference '{name}' is ambiguous (relative, or percentage points?); "
            "write pp (percentage points) or a fraction such as 0.05"
        )
    if unit == "pp" and not _is_difference(name, kind):
        raise ValueError(
            f"pp (percentage points) is for differences between groups; write % or a fraction "
            f"for '{name}'"
        )
    return 0.01


def written_text(value: float, decimals: int | None, unit: str) -> str:
    """The value as the claimant wrote it: '0.70', '1%', '5 pp'."""
    number = f"{value:g}" if decimals is None else f"{value:.{decimals}f}"
    return number + {"": "", "%": "%", "pp": " pp"}[unit]
