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


def tradeoff_svg(curve: TradeoffCurve, performance: str, disparity: str) -> str:
    """Performance (y) against disparity (x): intervals on both axes, the Pareto front joined,
    the original point ringed."""
    ys, xs = curve.estimates[performance], curve.estimates[disparity]
    front = curve.pareto.get(f"{performance}|{disparity}", [False] * len(ys))
    pts = [i for i in range(len(ys)) if ys[i].value is not None and xs[i].value is not None]
    plot_w, plot_h, left, top, bottom = 320, 240, 52, 12, 44
    width, height = left + plot_w + 20, top + plot_h + bottom
    x_lo, x_hi = nice_domain(
        [v for i in pts for v in (xs[i].ci_low or 0, xs[i].ci_high or 0)], True
    )
    y_lo, y_hi = nice_domain(
        [v for i in pts for v in (ys[i].ci_low or 0, ys[i].ci_high or 0)], True
    )

    def sx(v: float) -> float:
        return left + (v - x_lo) / (x_hi - x_lo) * plot_w

    def sy(v: float) -> float:
        return top + (1 - (v - y_lo) / (y_hi - y_lo)) * plot_h

    label = f"{AXIS_NAMES[performance]} against {AXIS_NAMES[disparity]} ({curve.family})"
    out = [_svg_open(width, height, label, "tradeoff")]
    out.append(
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fff" stroke="#cbd5e1"/>'
    )
    for k in range(5):
        xv, yv = x_lo + k * (x_hi - x_lo) / 4, y_lo + k * (y_hi - y_lo) / 4
        out.append(
            f'<text x="{_n(sx(xv))}" y="{top + plot_h + 14}" font-size="10" fill="#64748b" '
            f'text-anchor="middle">{xv:.2f}</text><text x="{left - 6}" y="{_n(sy(yv) + 3)}" '
            f'font-size="10" fill="#64748b" text-anchor="end">{yv:.2f}</text>'
        )
    out.append(
        f'<text x="{left + plot_w / 2}" y="{height - 6}" font-size="11" text-anchor="middle">'
        f"{esc(AXIS_NAMES[disparity])} (lower is better)</text>"
    )
    out.append(
        f'<text transform="translate(12 {_n(top + plot_h / 2)}) rotate(-90)" font-size="11" '
        f'text-anchor="middle">{esc(AXIS_NAMES[performance])}</text>'
    )
    color = PALETTE[0]
    for i in pts:
        x, y = xs[i], ys[i]
        if x.ci_low is not None and x.ci_high is not None:
            out.append(
                f'<line x1="{_n(sx(x.ci_low))}" x2="{_n(sx(x.ci_high))}" y1="{_n(sy(y.value))}" '
                f'y2="{_n(sy(y.value))}" stroke="#cbd5e1"/>'
            )
        if y.ci_low is not None and y.ci_high is not None:
            out.append(
                f'<line x1="{_n(sx(x.value))}" x2="{_n(sx(x.value))}" y1="{_n(sy(y.ci_low))}" '
                f'y2="{_n(sy(y.ci_high))}" stroke="#cbd5e1"/>'
            )
    on_front = sorted((i for i in pts if front[i]), key=lambda i: xs[i].value or 0.0)
    if len(on_front) > 1:
        path = " ".join(f"{_n(sx(xs[i].value))},{_n(sy(ys[i].value))}" for i in on_front)  # type: ignore[arg-type]
        out.append(
            f'<polyline points="{path}" fill="none" stroke="{PALETTE[1]}" stroke-width="1.5"/>'
        )
    for i in pts:
        fill = PALETTE[1] if front[i] else color
        title = f"{curve.settings[i]}: {AXIS_NAMES[performance]} {_ci(ys[i])}; {AXIS_NAMES[disparity]} {_ci(xs[i])}"
        out.append(
            f'<circle cx="{_n(sx(xs[i].value))}" cy="{_n(sy(ys[i].value))}" r="3" fill="{fill}">'  # type: ignore[arg-type]
            f"<title>{esc(title)}</title></circle>"
        )
        if curve.family == "options" or i == curve.original:
            text = (
                curve.settings[i]
                if curve.family == "options"
                else f"original ({curve.settings[i]})"
            )
            out.append(
                f'<text x="{_n(sx(xs[i].value) + 6)}" y="{_n(sy(ys[i].value) - 5)}" font-size="10">{esc(text)}</text>'
            )  # type: ignore[arg-type]
    if curve.original is not None and curve.original in pts:
        o = curve.original
        out.append(
            f'<circle cx="{_n(sx(xs[o].value))}" cy="{_n(sy(ys[o].value))}" r="7" fill="none" '  # type: ignore[arg-type]
            'stroke="#111827" stroke-width="1.5"/>'
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
        feas = "" if o.feasible else f" INFEASIBLE: {o.note}."
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
    return f"<table>{head}{''.join(rows)}</table>"


def render_mitigation_html(result: MitigationResult) -> str:
    """The decision memo: options in business terms, with intervals and detected changes."""
    feats = ", ".join(result.sensitive_features)
    split = result.split
    parts = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        MEMO_MARKER,
        f"<title>Mitigation memo: {esc(result.constraint)} by {esc(feats)}</title>",
        f"<style>{CSS}</style></head><body><main>",
        f"<h1>Mitigation decision memo: {esc(result.constraint.replace('_', ' '))} by {esc(feats)}</h1>",
        f"<p>Every option was fitted on {split['fit_rows']} rows and evaluated on "
        f"{split['eval_rows']} held-out rows (seed {split['seed']}); no evaluation row was used "
        "in fitting. Intervals are at the "
        f"{(result.options_curve.confidence_level if result.options_curve else 0.95) * 100:.0f}% level; "
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


def shown_curves(result: MitigationResult) -> Sequence[TradeoffCurve]:
    """The curves the memo draws, in order."""
    return [c for c in (result.options_curve, result.tradeoff, result.grid_curve) if c is not None]
