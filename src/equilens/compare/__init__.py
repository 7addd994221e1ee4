"""Champion / challenger: compare two audit runs, paired where the rows match.

>>> from equilens.compare import compare
>>> result = compare("champion.json", "challenger.json")  # doctest: +SKIP
>>> print("\\n".join(result.headline))  # doctest: +SKIP
"""

from equilens.compare._api import compare, compare_logs, compare_predictions
from equilens.compare._model import (
    COMPARISON_FORMAT_VERSION,
    DataCheck,
    DisparityChange,
    MetricChange,
    RunComparison,
    RunRef,
)
from equilens.compare._render import read_comparison, render_html, render_markdown

__all__ = [
    "COMPARISON_FORMAT_VERSION",
    "DataCheck",
    "DisparityChange",
    "MetricChange",
    "RunComparison",
    "RunRef",
    "compare",
    "compare_logs",
    "compare_predictions",
    "read_comparison",
    "render_html",
    "render_markdown",
]
