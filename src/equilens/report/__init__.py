"""Reports rendered from an audit log alone: a self-contained HTML page and a Markdown summary.

>>> from equilens.report import render_html, render_markdown, write_report
>>> paths = write_report(log, "out/")  # doctest: +SKIP
"""

from equilens._text import md_escape
from equilens.report._html import render_html
from equilens.report._markdown import render_markdown
from equilens.report._task_content import headline_columns
from equilens.report._write import write_report

__all__ = ["headline_columns", "md_escape", "render_html", "render_markdown", "write_report"]
