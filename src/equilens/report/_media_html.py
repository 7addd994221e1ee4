"""The report section of a media audit (speech, images): notes, skips, examples, summaries.

Everything from data or models (transcripts, file names, labels, group values) is escaped;
image thumbnails are inline PNG data URIs, accepted only when they are base64 PNGs under
:data:`MAX_THUMBNAIL_CHARS`, so the page loads no external resource.
"""

from __future__ import annotations

import re

from equilens.report._svg import esc
from equilens.results import AuditLog, MediaExample, MediaRecord

__all__ = ["MAX_THUMBNAIL_CHARS", "media_nav", "media_section", "safe_thumbnail"]

#: Largest inline thumbnail (characters of its data URI, about 24 KB of PNG).
MAX_THUMBNAIL_CHARS = 32_768
_PNG_URI = re.compile(r"data:image/png;base64,[A-Za-z0-9+/]+={0,2}")
_MAX_SKIPS_SHOWN = 50


def safe_thumbnail(uri: str | None) -> str | None:
    """``uri`` if it is a size-capped base64 PNG data URI, else None (never a URL)."""
    if uri is None or len(uri) > MAX_THUMBNAIL_CHARS or not _PNG_URI.fullmatch(uri):
        return None
    return uri


def media_nav(log: AuditLog) -> list[tuple[str, str]]:
    """The nav entry of the media section (none without a media record)."""
    return [("media", "Examples & skipped files")] if log.media is not None else []


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def _slice(s: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in s.items()) or "overall"


def _example_row(e: MediaExample, kind: str) -> str:
    thumb = safe_thumbnail(e.image)
    alt = esc(f"{e.id}: true {e.reference}, predicted {e.hypothesis}")
    img = f'<img src="{thumb}" alt="{alt}" width="56" height="56">' if thumb else ""
    cells = [
        f"<td>{img}{esc(e.id)}</td>" if kind == "images" else f"<td>{esc(e.id)}</td>",
        f"<td>{esc(_slice(e.slice))}</td>",
        f"<td>{esc(e.reference or '')}</td>",
        f"<td>{esc(e.hypothesis or '')}</td>",
        f"<td>{_fmt(e.value)}</td>",
        f"<td>{esc(e.detail or '')}</td>",
    ]
    return "<tr>" + "".join(cells) + "</tr>"


def _examples(m: MediaRecord) -> str:
    if not m.examples:
        return "<p>No example with an error.</p>"
    if m.kind == "speech":
        title, ref, hyp, val = "Worst utterances", "reference", "transcript", "utterance WER"
    else:
        title, ref, hyp, val = "Misclassified images", "true label", "predicted", "1 - P(true)"
    head = (
        f"<tr><th>file</th><th>group</th><th>{ref}</th><th>{hyp}</th><th>{val}</th><th></th></tr>"
    )
    rows = "".join(_example_row(e, m.kind) for e in m.examples)
    note = " (after normalisation)" if m.kind == "speech" else ""
    return f"<h3>{title}{note}</h3><table><thead>{head}</thead><tbody>{rows}</tbody></table>"


def _summaries(m: MediaRecord) -> str:
    if not m.summaries:
        return ""
    title = (
        "Character error rate by group"
        if m.kind == "speech"
        else "Perturbation probes (same images, one condition changed; McNemar on flips)"
    )
    rows = "".join(
        f"<tr><td>{esc(s.measure.replace('_', ' '))}</td><td>{esc(_slice(s.slice))}</td>"
        f"<td>{_fmt(s.value)}</td><td>[{_fmt(s.ci_low)}, {_fmt(s.ci_high)}]</td>"
        f"<td>{'' if s.units is None else s.units}</td>"
        f"<td>{'' if s.p_value_adjusted is None else f'{s.p_value_adjusted:.3g}'}</td>"
        f"<td>{esc(s.detail or '')}</td></tr>"
        for s in m.summaries
    )
    value = "value" if m.kind == "speech" else "flip rate"
    p_head = "p (Holm) vs reference" if m.kind == "speech" else "p (McNemar, Holm)"
    return (
        f"<h3>{title}</h3><table><thead><tr><th>measure</th><th>group</th><th>{value}</th>"
        f"<th>95% CI</th><th>units</th><th>{p_head}</th><th></th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _skips(m: MediaRecord) -> str:
    what = "utterances" if m.kind == "speech" else "images"
    head = (
        f"<p>{m.scored} of {m.inputs} {what} scored; {m.inputs - m.scored} skipped "
        f"(the run fails past a share of {m.max_skip:g}).</p>"
    )
    if not m.skipped:
        return head
    reasons = "".join(f"<li>{esc(k)}: {v}</li>" for k, v in m.skipped_by_reason.items())
    rows = "".join(
        f"<tr><td>{s.row}</td><td>{esc(s.file)}</td><td>{esc(s.reason)}</td></tr>"
        for s in m.skipped[:_MAX_SKIPS_SHOWN]
    )
    more = (
        f"<p>... and {len(m.skipped) - _MAX_SKIPS_SHOWN} more (all in the log).</p>"
        if len(m.skipped) > _MAX_SKIPS_SHOWN
        else ""
    )
    return (
        f"{head}<ul>{reasons}</ul><table><thead><tr><th>row</th><th>file</th><th>reason</th>"
        f"</tr></thead><tbody>{rows}</tbody></table>{more}"
    )


def _settings(m: MediaRecord) -> str:
    items = "".join(f"<li><b>{esc(str(k))}</b>: {esc(str(v))}</li>" for k, v in m.settings.items())
    return f"<h3>Settings</h3><ul>{items}</ul>" if items else ""


def media_section(log: AuditLog) -> str:
    """The HTML section of ``log.media`` ('' when the log has none)."""
    m = log.media
    if m is None:
        return ""
    notes = "".join(f'<p class="warn"><b>Note:</b> {esc(n)}</p>' for n in m.notes)
    return (
        '<section id="media"><h2>Examples &amp; skipped files</h2>'
        f"{notes}{_summaries(m)}{_examples(m)}<h3>Skipped files</h3>{_skips(m)}{_settings(m)}"
        "</section>"
    )
