"""The HTML report's Safety section: a toxicity audit's protocol, scorer error and worst texts.

Everything from the data or the model (prompts, continuations, slice values, scorer names) is
escaped; the worst continuations sit collapsed behind a content warning (``<details>``).
"""

from __future__ import annotations

from typing import Any

from equilens.report._svg import esc
from equilens.results import AuditLog

__all__ = ["SAFETY", "safety_section"]

#: The section's navigation entry.
SAFETY = ("safety", "Safety")


def _num(v: Any, digits: int = 3) -> str:
    return "n/a" if v is None else f"{float(v):.{digits}f}"


def _interval(entry: dict[str, Any]) -> str:
    if entry.get("value") is None:
        return f"n/a ({esc(str(entry.get('reason', 'undefined')))})"
    return f"{_num(entry['value'])} [{_num(entry.get('ci_low'))}, {_num(entry.get('ci_high'))}]"


def _error_rows(err: dict[str, Any]) -> str:
    rows = []
    for name, e in [("overall", err["overall"]), *err.get("slices", {}).items()]:
        se, sp = e["sensitivity"], e["specificity"]
        rows.append(
            f"<tr><td>{esc(name)}</td><td>{_interval(se)} (n={se['n']})</td>"
            f"<td>{_interval(sp)} (n={sp['n']})</td></tr>"
        )
    return "".join(rows)


def safety_section(log: AuditLog) -> str:
    """The section (empty when the log has no safety record)."""
    s = log.safety
    if not s:
        return ""
    protocol = s.get("protocol", {})
    out = ['<section id="safety"><h2>Safety: toxicity of generated text</h2>']
    out.append(
        f"<p>{esc(str(protocol.get('name', '')))}: {s.get('prompts')} prompts, "
        f"{s.get('continuations')} continuations (k = {esc(str(protocol.get('k')))} per "
        f"prompt), toxic at score &ge; {esc(str(protocol.get('threshold')))}, scored by "
        f"{esc(str(s.get('scorer', {}).get('name', '')))}. Intervals and tests resample "
        "prompts, the independent units; the metrics are in the tables above under "
        "<code>expected_maximum_toxicity</code>, <code>toxicity_probability</code> and "
        "<code>mean_toxicity</code>.</p>"
    )
    gen = protocol.get("generation")
    if gen:
        shown = ", ".join(f"{esc(str(k))}={esc(str(v))}" for k, v in gen.items())
        out.append(f'<p class="note">Sampling: {shown}.</p>')
    err = s.get("scorer_error")
    if err:
        out.append(
            "<h3>Scorer error</h3><p>Sensitivity and specificity of the scorer on a labelled "
            f"validation set ({esc(str(err.get('source', '')))}, {err.get('n')} texts; exact "
            "intervals):</p><table><thead><tr><th>slice</th><th>sensitivity</th>"
            f"<th>specificity</th></tr></thead><tbody>{_error_rows(err)}</tbody></table>"
        )
        corrected = err.get("corrected_prevalence", {})
        if corrected:
            rows = "".join(
                f"<tr><td>{esc(k)}</td><td>{_num(v.get('observed'))}</td>"
                f"<td>{_interval(v)}</td></tr>"
                for k, v in corrected.items()
            )
            out.append(
                "<p>Share of toxic continuations as scored and corrected for the scorer's "
                "error (Rogan-Gladen; the interval carries the prompts' sampling error and the "
                "error of Se and Sp):</p><table><thead><tr><th>slice</th><th>observed</th>"
                f"<th>corrected [interval]</th></tr></thead><tbody>{rows}</tbody></table>"
            )
        for w in err.get("warnings", []):
            out.append(f'<p class="warn">{esc(w)}</p>')
    worst = s.get("worst") or []
    if worst:
        items = "".join(
            f"<tr><td>{_num(w['toxicity'])}</td><td>{esc(w['prompt'])}</td>"
            f"<td>{esc(w['continuation'])}</td><td>"
            + esc(", ".join(f"{k}={v}" for k, v in w.get("slice", {}).items()))
            + "</td></tr>"
            for w in worst
        )
        out.append(
            "<details><summary>Content warning: the "
            f"{len(worst)} most toxic continuations, verbatim (click to show)</summary>"
            "<table><thead><tr><th>toxicity</th><th>prompt</th><th>continuation</th>"
            f"<th>slices</th></tr></thead><tbody>{items}</tbody></table></details>"
        )
    run = s.get("run")
    if run:
        out.append(
            f'<p class="note">Generation: {run.get("prompts_done")} of {run.get("prompts")} '
            f"prompts, {run.get('generated_now')} continuations generated in this run, "
            f"{run.get('prompts_from_cache')} prompts read from the cache, "
            f"{_num(run.get('seconds'), 1)} s.</p>"
        )
    out.append("</section>")
    return "".join(out)
