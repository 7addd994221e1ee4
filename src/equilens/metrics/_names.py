"""Metric names with parameters: ``recall_score[class=7]``, ``ndcg_score[k=10]``.

One registered metric (scikit-learn's name) yields several log rows when it is computed per
class, per cut-off ``k`` or per averaging rule; each row's name carries the parameter, so every
reader that keys rows by metric name (reports, the gate, compare, monitor, claim checks) tells
them apart without a new field, and :func:`base_name` finds the registry entry.
"""

from __future__ import annotations

import re

__all__ = ["base_name", "metric_name", "metric_params"]

_PARAMS = re.compile(r"^(?P<base>[A-Za-z0-9_]+)\[(?P<params>[^\[\]]*)\]$")


def metric_name(base: str, **params: object) -> str:
    """``base[key=value,...]`` (keys in the order given); ``base`` alone without parameters."""
    if not params:
        return base
    inner = ",".join(f"{k}={v}" for k, v in params.items())
    return f"{base}[{inner}]"


def base_name(name: str) -> str:
    """The registry name of a metric row's name (``recall_score[class=7]`` -> ``recall_score``)."""
    m = _PARAMS.match(name)
    return m.group("base") if m else name


def metric_params(name: str) -> dict[str, str]:
    """The parameters of a metric row's name (``{"class": "7"}``); empty without any."""
    m = _PARAMS.match(name)
    if not m or not m.group("params"):
        return {}
    out: dict[str, str] = {}
    for part in m.group("params").split(","):
        key, _, value = part.partition("=")
        out[key.strip()] = value.strip()
    return out
