"""Writing the report files of an audit."""

from __future__ import annotations

from pathlib import Path

from equilens.exceptions import InvalidParameterError
from equilens.report._html import render_html
from equilens.report._markdown import render_markdown
from equilens.results._log import AuditLog, write_log


def _write_text(path: Path, text: str) -> Path:
    """Write ``text`` atomically (a crash never leaves a half-written file)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def write_report(
    log: AuditLog, out_dir: str | Path, *, include_log: bool = True
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

    Returns
    -------
    dict of str to Path
        ``{"html": .../report.html, "markdown": .../summary.md}`` and ``"log"`` when written.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InvalidParameterError(f"The report directory {out} exists and is not a directory.")
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "html": _write_text(out / "report.html", render_html(log)),
        "markdown": _write_text(out / "summary.md", render_markdown(log)),
    }
    if include_log:
        paths["log"] = write_log(log, out / "audit.json")
    return paths
