"""Reports rendered from an audit log alone: a self-contained HTML page and a Markdown summary.

>>> from equilens.report import render_html, render_markdown, write_report
>>> paths = write_report(log, "out/")  # doctest: +SKIP
"""

from equilens._text import md_escape
from equilens.report._content import (
    CONCLUSION_LABELS,
    PROPORTIONS,
    ReportContent,
    criterion_description,
    effect_size,
    family_label,
    fmt_diff,
    fmt_diff_interval,
    fmt_interval,
    fmt_number,
    fmt_value,
    is_bounded,
    is_share,
    metric_label,
    metric_short,
    plain,
    slice_key,
    slice_text,
)
from equilens.report._html import CSS, JS, dot_rows, impossibility_note, render_html, value_cell
from equilens.report._log_labels import with_log_labels
from equilens.report._markdown import render_markdown
from equilens.report._media_html import media_nav, media_section
from equilens.report._media_markdown import media_lines
from equilens.report._mitigation import option_sentences, render_mitigation_html, tradeoff_svg
from equilens.report._notebook import (
    SCOPE,
    Figure,
    audit_figures,
    decision_html,
    notebook_html,
    scope_css,
    scoped_html,
)
from equilens.report._qa import qa_lines, qa_section
from equilens.report._redteam import redteam_lines, redteam_section
from equilens.report._slices import render_slices_html, slices_section
from equilens.report._slices import slice_text as slices_label
from equilens.report._summary import SUMMARY_KEYS, key_criteria, summary_data
from equilens.report._svg import Dot, DotColumn, DotRow, dot_label_width, dot_matrix, esc
from equilens.report._svg_trend import TrendSeries, trend_chart
from equilens.report._task_content import headline_columns, underpowered_gap_text
from equilens.report._terminal import (
    KEY_CRITERIA,
    KEY_METRICS,
    print_probe_summary,
    print_summary,
    terminal,
)
from equilens.report._terminal_brief import SHOW_CHOICES, print_brief, print_tables
from equilens.report._terminal_monitor import print_look, print_monitor_status
from equilens.report._terminal_records import print_claim_checks, print_history
from equilens.report._terminal_runs import print_comparison, print_decision
from equilens.report._text_quality import render_text_quality, text_quality_section
from equilens.report._write import write_report

__all__ = [
    "CONCLUSION_LABELS",
    "CSS",
    "JS",
    "KEY_CRITERIA",
    "KEY_METRICS",
    "PROPORTIONS",
    "SCOPE",
    "SHOW_CHOICES",
    "SUMMARY_KEYS",
    "Dot",
    "DotColumn",
    "DotRow",
    "Figure",
    "ReportContent",
    "TrendSeries",
    "audit_figures",
    "criterion_description",
    "decision_html",
    "dot_label_width",
    "dot_matrix",
    "dot_rows",
    "effect_size",
    "esc",
    "family_label",
    "fmt_diff",
    "fmt_diff_interval",
    "fmt_interval",
    "fmt_number",
    "fmt_value",
    "headline_columns",
    "impossibility_note",
    "is_bounded",
    "is_share",
    "key_criteria",
    "md_escape",
    "media_lines",
    "media_nav",
    "media_section",
    "metric_label",
    "metric_short",
    "notebook_html",
    "option_sentences",
    "plain",
    "print_brief",
    "print_claim_checks",
    "print_comparison",
    "print_decision",
    "print_history",
    "print_look",
    "print_monitor_status",
    "print_probe_summary",
    "print_summary",
    "print_tables",
    "qa_lines",
    "qa_section",
    "redteam_lines",
    "redteam_section",
    "render_html",
    "render_markdown",
    "render_mitigation_html",
    "render_slices_html",
    "render_text_quality",
    "scope_css",
    "scoped_html",
    "slice_key",
    "slice_text",
    "slices_label",
    "slices_section",
    "summary_data",
    "terminal",
    "text_quality_section",
    "tradeoff_svg",
    "trend_chart",
    "underpowered_gap_text",
    "value_cell",
    "with_log_labels",
    "write_report",
]
