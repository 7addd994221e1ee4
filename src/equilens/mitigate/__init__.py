"""Mitigation and the fairness-accuracy trade-off: what it costs to close a gap, with intervals.

>>> from equilens.mitigate import mitigate
>>> run = mitigate(df, y_true="credit", sensitive_features="sex", methods=["equal_fpr"],
...                y_score="score")  # doctest: +SKIP
>>> run.result.options[1].disparities  # doctest: +SKIP

See ``docs/mitigation.md`` and ``docs/design/0018-mitigation.md``.
"""

from equilens.mitigate._api import MitigationRun, mitigate
from equilens.mitigate._inputs import fold_masks, split_rows
from equilens.mitigate._methods import CONSTRAINTS, METHODS, MethodInfo
from equilens.mitigate._model import (
    MEMO_MARKER,
    MITIGATION_FORMAT_VERSION,
    Change,
    Estimate,
    MitigationResult,
    Option,
    TradeoffCurve,
    check_mitigation_report,
)
from equilens.mitigate._operating import (
    apply_thresholds,
    equal_rate_thresholds,
    thresholds_from_curves,
)
from equilens.mitigate._reweigh import reweighing_weights
from equilens.mitigate._tradeoff import (
    CellTable,
    cells_from_predictions,
    cells_from_scores,
    pareto_front,
    tradeoff_curve,
)

__all__ = [
    "CONSTRAINTS",
    "MEMO_MARKER",
    "METHODS",
    "MITIGATION_FORMAT_VERSION",
    "CellTable",
    "Change",
    "Estimate",
    "MethodInfo",
    "MitigationResult",
    "MitigationRun",
    "Option",
    "TradeoffCurve",
    "apply_thresholds",
    "cells_from_predictions",
    "cells_from_scores",
    "check_mitigation_report",
    "equal_rate_thresholds",
    "fold_masks",
    "mitigate",
    "pareto_front",
    "reweighing_weights",
    "split_rows",
    "thresholds_from_curves",
    "tradeoff_curve",
]
