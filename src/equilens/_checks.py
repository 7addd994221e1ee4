"""Checks of scalar parameters shared by the public functions (one wording everywhere).

Messages follow scikit-learn's: ``The 'bootstrap' parameter of audit must be an int in the
range [0, inf). Got -1 instead.``
"""

from __future__ import annotations

import numpy as np

from equilens.exceptions import InvalidParameterError

__all__ = ["check_confidence_level", "check_int"]


def check_int(name: str, value: object, low: int, func: str) -> int:
    """``value`` as an int of at least ``low`` (numpy ints accepted, bools refused)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or int(value) < low:
        raise InvalidParameterError(
            f"The '{name}' parameter of {func} must be an int in the range [{low}, inf). "
            f"Got {value!r} instead."
        )
    return int(value)


def check_confidence_level(value: object, func: str) -> float:
    """A confidence level in [0.5, 1) as a float."""
    if isinstance(value, bool) or not isinstance(value, float | int) or not 0.5 <= value < 1:
        raise InvalidParameterError(
            f"The 'confidence_level' parameter of {func} must be a float in the range "
            f"[0.5, 1). Got {value!r} instead."
        )
    return float(value)
