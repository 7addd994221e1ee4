"""One p-value formatter for every view: an underflowed 0 never prints as "0"."""

from __future__ import annotations

import io
import re

from rich.console import Console

from _data import make_frame
from equilens import audit
from equilens._cli._table import print_summary
from equilens._pvalue import fmt_p
from equilens.report import render_html, render_markdown
from equilens.report._content import effect_size


def test_fmt_p_exact_value_and_floor() -> None:
    assert fmt_p(0.0) == "< 1e-300"
    assert fmt_p(1e-320) == "< 1e-300"  # subnormal
    assert fmt_p(1e-300) == "1e-300"
    assert fmt_p(2.3e-89) == "2.3e-89"
    assert fmt_p(0.0123) == "0.012"
    assert fmt_p(1.0) == "1"
    assert fmt_p(None) == "–"
    assert fmt_p(None, "-") == "-"


def _log_with_zero_p():  # type: ignore[no-untyped-def]
    log = audit(
        make_frame(n=900, seed=2),
        y_true="y",
        y_pred="pred",
        y_score="score",
        sensitive_features=["race"],
        bootstrap=0,
    )
    tested = [c for c in log.comparisons if c.derived_from is None and c.p_value is not None]
    first = max(tested, key=effect_size)  # first in every view's list of detected differences
    zero = first.model_copy(
        update={"p_value": 0.0, "p_holm": 0.0, "p_bh": 0.0, "conclusion": "difference_detected"}
    )
    comparisons = [zero if c is first else c for c in log.comparisons]
    return log.model_copy(update={"comparisons": comparisons}), zero


def test_console_markdown_and_html_print_underflowed_p_as_below_floor() -> None:
    log, zero = _log_with_zero_p()
    buf = io.StringIO()
    print_summary(log, Console(file=buf, width=250))
    table = buf.getvalue().split("Differences detected", 1)[1]
    row = next(line for line in table.splitlines() if zero.metric in line)
    assert "< 1e-300" in row
    assert not re.search(r"│\s*0\s*│", row)
    assert "&lt; 1e-300" in render_markdown(log)  # md_escape writes < as &lt;
    assert "&lt; 1e-300" in render_html(log)
