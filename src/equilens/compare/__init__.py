"""Champion / challenger: compare two audit runs, paired where the rows match.

>>> from equilens.compare import compare
>>> result = compare("champion.json", "challenger.json")  # doctest: +SKIP
>>> print("\\n".join(result.headline))  # doctest: +SKIP
"""

from equilens.compare._api import check_ids, compare, compare_logs, compare_predictions, read_frame
from equilens.compare._model import (
    COMPARISON_FORMAT_VERSION,
    DataCheck,
    DisparityChange,
    MetricChange,
    RunComparison,
    RunRef,
)
from equilens.compare._render import (
    change_text,
    conclusion_text,
    group_label,
    intervals_note,
    read_comparison,
    render_html,
    render_markdown,
    shown_disparities,
    shown_metrics,
    value_text,
)

__all__ = [
    "COMPARISON_FORMAT_VERSION",
    "DataCheck",
    "DisparityChange",
    "MetricChange",
    "RunComparison",
    "RunRef",
    "change_text",
    "check_ids",
    "compare",
    "compare_logs",
    "compare_predictions",
    "conclusion_text",
    "group_label",
    "intervals_note",
    "read_comparison",
    "read_frame",
    "render_html",
    "render_markdown",
    "shown_disparities",
    "shown_metrics",
    "value_text",
]
