"""The mitigation decision memo (HTML) and the trade-off plot (inline SVG).

Everything from the data or the models (group names, option names, notes) is escaped; the
page has no external resources. It renders a ``MitigationResult`` alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from equilens.report._html import CSS
from equilens.report._svg import PALETTE, _n, _svg_open, esc, nice_domain

#: Recognised by ``equilens gate --mitigation-report`` (equals ``equilens.mitigate.MEMO_MARKER``,
#: not imported: the report package does not depend on the mitigation package).
MEMO_MARKER = "<!-- equilens mitigation memo -->"

if TYPE_CHECKING:
    from equilens.mitigate import MitigationResult, TradeoffCurve

AXIS_NAMES = {
    "accuracy_score": "accuracy",
    "selection_rate": "approval rate",
    "roc_auc_score": "ROC-AUC",
    "demographic_parity_difference": "approval-rate gap (DP difference)",
    "equal_opportunity_difference": "TPR gap (equal opportunity difference)",
    "false_positive_rate_difference": "FPR gap",
    "equalized_odds_difference": "equalized odds difference",
}


def _f(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def _ci(e: Any) -> str:
    if e is None or e.value is None:
        return "n/a"
    return f"{_f(e.value)} [{_f(e.ci_low)}, {_f(e.ci_high)}]"


def _axes(
    out: list[str],
    box: tuple[float, float, float, float],
    x_dom: Sequence[float],
    y_dom: Sequence[float],
    titles: tuple[str, str],
) -> None:
    left, top, plot_w, plot_h = box
    out.append(
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fff" '
        'stroke="#cbd5e1"/>'
    )
    for k in range(5):
        xv = x_dom[0] + k * (x_dom[1] - x_dom[0]) / 4
        yv = y_dom[0] + k * (y_dom[1] - y_dom[0]) / 4
        x = left + k * plot_w / 4
        y = top + (1 - k / 4) * plot_h
        out.append(
            f'<text x="{_n(x)}" y="{top + plot_h + 14}" font-size="10" fill="#64748b" '
            f'text-anchor="middle">{xv:.2f}</text><text x="{left - 6}" y="{_n(y + 3)}" '
            f'font-size="10" fill="#64748b" text-anchor="end">{yv:.2f}</text>'
        )
    out.append(
        f'<text x="{_n(left + plot_w / 2)}" y="{_n(top + plot_h + 36)}" font-size="11" '
        f'text-anchor="middle">{esc(titles[0])} (lower is better)</text>'
        f'<text transform="translate(12 {_n(top + plot_h / 2)}) rotate(-90)" font-size="11" '
        f'text-anchor="middle">{esc(titles[1])}</text>'
    )


def tradeoff_svg(curve: TradeoffCurve, performance: str, disparity: str) -> str:
    """Performance (y) against disparity (x): intervals on both axes, the Pareto front joined,
    the original point ringed."""
    ys, xs = curve.estimates[performance], curve.estimates[disparity]
    front = curve.pareto.get(f"{performance}|{disparity}", [False] * len(ys))
    pts: dict[int, tuple[float, float]] = {}
    for i in range(len(ys)):
        x_val, y_val = xs[i].value, ys[i].value
        if x_val is not None and y_val is not None:
            pts[i] = (x_val, y_val)
    left, top, plot_w, plot_h = 52.0, 12.0, 320.0, 240.0
    width, height = left + plot_w + 20, top + plot_h + 44
    bounds = [b for i in pts for b in (xs[i].ci_low, xs[i].ci_high) if b is not None]
    x_lo, x_hi = nice_domain(bounds + [p[0] for p in pts.values()], True)
    bounds = [b for i in pts for b in (ys[i].ci_low, ys[i].ci_high) if b is not None]
    y_lo, y_hi = nice_domain(bounds + [p[1] for p in pts.values()], True)

    def sx(v: float) -> str:
        return _n(left + (v - x_lo) / (x_hi - x_lo) * plot_w)

    def sy(v: float) -> str:
        return _n(top + (1 - (v - y_lo) / (y_hi - y_lo)) * plot_h)

    names = (AXIS_NAMES[disparity], AXIS_NAMES[performance])
    out = [_svg_open(width, height, f"{names[1]} against {names[0]} ({curve.family})", "tradeoff")]
    _axes(out, (left, top, plot_w, plot_h), (x_lo, x_hi), (y_lo, y_hi), names)
    for i, (x, y) in pts.items():
        xe, ye = xs[i], ys[i]
        if xe.ci_low is not None and xe.ci_high is not None:
            out.append(
                f'<line x1="{sx(xe.ci_low)}" x2="{sx(xe.ci_high)}" y1="{sy(y)}" y2="{sy(y)}" '
                'stroke="#cbd5e1"/>'
            )
        if ye.ci_low is not None and ye.ci_high is not None:
            out.append(
                f'<line x1="{sx(x)}" x2="{sx(x)}" y1="{sy(ye.ci_low)}" y2="{sy(ye.ci_high)}" '
                'stroke="#cbd5e1"/>'
            )
    on_front = sorted((i for i in pts if front[i]), key=lambda i: pts[i][0])
    if len(on_front) > 1:
        path = " ".join(f"{sx(pts[i][0])},{sy(pts[i][1])}" for i in on_front)
        out.append(f'<polyline points="{path}" fill="none" stroke="{PALETTE[1]}"/>')
    for i, (x, y) in pts.items():
        fill = PALETTE[1] if front[i] else PALETTE[0]
        title = f"{curve.settings[i]}: {names[1]} {_ci(ys[i])}; {names[0]} {_ci(xs[i])}"
        out.append(
            f'<circle cx="{sx(x)}" cy="{sy(y)}" r="3" fill="{fill}"><title>{esc(title)}</title>'
            "</circle>"
        )
        if curve.family == "options" or i == curve.original:
            text = curve.settings[i] if curve.family == "options" else "original"
            out.append(
                f'<text x="{sx(x)}" dx="6" y="{sy(y)}" dy="-5" font-size="10">{esc(text)}</text>'
            )
    if curve.original is not None and curve.original in pts:
        x, y = pts[curve.original]
        out.append(
            f'<circle cx="{sx(x)}" cy="{sy(y)}" r="7" fill="none" stroke="#111827" '
            'stroke-width="1.5"/>'
        )
    out.append("</svg>")
    return "".join(out)


def _pts(c: Any) -> str:
    """A change in points with its interval (``n/a`` parts when undefined)."""

    def one(x: float | None, sign: bool = True) -> str:
        return "n/a" if x is None else (f"{x * 100:+.1f}" if sign else f"{x * 100:.1f}")

    return f"{one(c.value)} pts [{one(c.ci_low)}, {one(c.ci_high)}]"


def _change_text(c: Any) -> str:
    if c is None or c.value is None:
        return "n/a"
    text = esc(_pts(c))
    if c.conclusion == "change_detected":
        return f"<b>{text}</b> detected (Holm p {c.p_holm:.2g})"
    if c.conclusion == "no_change_detected":
        return f"{text} no change detected"
    return f"{text} ({esc(c.conclusion.replace('_', ' '))})"


def option_sentences(result: MitigationResult) -> list[str]:
    """One plain sentence per mitigation: what it costs and what it buys, with intervals."""
    out = []
    for o in result.options[1:]:
        v = o.versus_original
        gaps = [(k, c) for k, c in v.items() if "[" in k and c.value is not None]
        buys = "; ".join(f"{k.split('[')[1].rstrip(']')} gap {_pts(c)}" for k, c in gaps)
        costs = [
            f"{label} {_pts(v[key])}"
            for key, label in (
                ("roc_auc_score", "AUC"),
                ("accuracy_score", "accuracy"),
                ("selection_rate", "approvals"),
            )
            if key in v and v[key].value is not None
        ]
        detected = [k for k, c in v.items() if c.conclusion == "change_detected"]
        verdict = (
            "detected (paired tests, Holm): " + ", ".join(detected)
            if detected
            else "none of these changes is detected on the evaluation rows"
        )
        others = [c for c in o.changes if c.split(" ")[0] not in detected or "=" in c]
        extra = f" Also detected: {'; '.join(others)}." if others else ""
        treat = (
            " Decides with the sensitive feature (group-specific treatment)."
            if o.uses_sensitive_at_decision
            else ""
        )
        feas = "" if o.feasible else f" INFEASIBLE ({o.note})."
        out.append(
            f"{o.name}: costs {', '.join(costs) or 'n/a'}; buys {buys or 'no gap change measured'}"
            f"; {verdict}.{extra}{treat}{feas}"
        )
    return out


def _option_rows(result: MitigationResult) -> str:
    rows = []
    crit = next((k for o in result.options for k in o.versus_original if "[" in k), None)
    for o in result.options:
        gap = next((e for k, e in o.disparities.items() if crit and k == crit), None)
        v = o.versus_original
        rows.append(
            "<tr>"
            f"<td>{esc(o.name)}</td><td>{esc(o.stage)}</td>"
            f"<td>{'yes' if o.uses_sensitive_at_decision else 'no'}</td>"
            f"<td>{'yes' if o.feasible else '<b>no</b>'}</td>"
            f"<td>{esc(_ci(o.approval_rate))}</td><td>{esc(_ci(o.accuracy))}</td>"
            f"<td>{esc(_ci(o.roc_auc))}</td><td>{esc(_ci(gap))}</td>"
            f"<td>{_change_text(v.get('selection_rate'))}</td>"
            f"<td>{_change_text(v.get('roc_auc_score'))}</td>"
            f"<td>{_change_text(v.get(crit)) if crit else 'n/a'}</td>"
            "</tr>"
        )
    head = (
        "<tr><th>option</th><th>stage</th><th>uses sensitive feature at decision</th>"
        "<th>feasible</th><th>approval rate</th><th>accuracy</th><th>ROC-AUC</th>"
        f"<th>{esc(crit or 'gap')}</th><th>approvals vs original</th><th>AUC vs original</th>"
        "<th>gap vs original</th></tr>"
    )
    return f'<div style="overflow-x:auto"><table>{head}{"".join(rows)}</table></div>'


def render_mitigation_html(result: MitigationResult) -> str:
    """The decision memo: options in business terms, with intervals and detected changes."""
    feats = ", ".join(result.sensitive_features)
    split = result.split
    level = result.options_curve.confidence_level if result.options_curve else 0.95
    parts = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        MEMO_MARKER,
        f"<title>Mitigation memo: {esc(result.constraint)} by {esc(feats)}</title>",
        f"<style>{CSS}</style></head><body><main>",
        f"<h1>Mitigation decision memo: {esc(result.constraint.replace('_', ' '))} by "
        f"{esc(feats)}</h1>",
        f"<p>Every option was fitted on {split['fit_rows']} rows and evaluated on "
        f"{split['eval_rows']} held-out rows (seed {split['seed']}); no evaluation row was used "
        "in fitting. Intervals are at the "
        f"{level * 100:.0f}% level; "
        "changes against the original are paired (McNemar for rates, paired DeLong for ROC-AUC, "
        "MOVER for the gaps) and Holm-adjusted over the comparison.</p>",
        "<h2>The choice</h2><ul>",
        *[f"<li>{esc(s)}</li>" for s in option_sentences(result)],
        "</ul>",
        "<p><b>Legal note.</b> Options that decide with the sensitive feature apply "
        "group-specific treatment; in many settings (e.g. disparate treatment in US credit "
        "decisions) that is a legal question to settle before deployment, not a technical "
        "one.</p>",
        "<h2>Options on the evaluation rows</h2>",
        _option_rows(result),
    ]
    for title, curve in (
        ("Options", result.options_curve),
        ("Threshold grid of the original score", result.tradeoff),
        ("GridSearch models", result.grid_curve),
        ("ExponentiatedGradient by constraint slack", result.slack_curve),
    ):
        if curve is None:
            continue
        parts.append(
            f"<h2>{esc(title)}</h2><p>Points with intervals on both axes (count-level "
            f"bootstrap, {curve.draws} draws); orange points are on the Pareto front; the "
            "ringed point is the original model.</p>"
        )
        perf = (
            "roc_auc_score"
            if curve.family == "grid" and "roc_auc_score" in curve.estimates
            else "accuracy_score"
        )
        for disp in ("demographic_parity_difference", "equal_opportunity_difference"):
            parts.append(tradeoff_svg(curve, perf, disp))
        if curve.family == "threshold":
            parts.append(tradeoff_svg(curve, "selection_rate", "demographic_parity_difference"))
    if result.warnings:
        parts.append(
            "<h2>Warnings</h2><ul>"
            + "".join(f"<li>{esc(w)}</li>" for w in result.warnings)
            + "</ul>"
        )
    parts.append("<h2>What each option did</h2><ul>")
    parts.extend(f"<li><b>{esc(o.name)}</b>: {esc(o.note)}</li>" for o in result.options)
    parts.append("</ul></main></body></html>\n")
    return "".join(parts)
