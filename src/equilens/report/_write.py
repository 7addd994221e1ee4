"""Writing the report files of an audit."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from equilens._files import ensure_dir, write_text_atomic
from equilens.exceptions import InvalidParameterError
from equilens.report._html import render_html
from equilens.report._markdown import render_markdown
from equilens.results import AuditLog, write_log


def write_report(
    log: AuditLog,
    out_dir: str | Path,
    *,
    include_log: bool = True,
    formats: Collection[str] = ("html", "markdown"),
) -> dict[str, Path]:
    """Write the HTML report, the Markdown summary and (by default) the log into ``out_dir``.

    Parameters
    ----------
    log : AuditLog
        The audit log to report on.
    out_dir : str or Path
        Directory to write into; created if missing.
    include_log : bool, default True
        Also write the log itself as ``audit.json``, so the directory holds the source of
        every figure in the report.
    formats : collection of str, default ("html", "markdown")
        Which of the HTML report and the Markdown summary to write.

    Returns
    -------
    dict of str to Path
        ``{"html": .../report.html, "markdown": .../summary.md}`` and ``"log"`` when written.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InvalidParameterError(f"The report directory {out} exists and is not a directory.")
    ensure_dir(out, "the report directory")
    paths: dict[str, Path] = {}
    if "html" in formats:
        paths["html"] = write_text_atomic(out / "report.html", render_html(log))
    if "markdown" in formats:
        paths["markdown"] = write_text_atomic(out / "summary.md", render_markdown(log))
    if include_log:
        paths["log"] = write_log(log, out / "audit.json")
    return paths
