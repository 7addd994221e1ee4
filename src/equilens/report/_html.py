"""The self-contained HTML report: one file, inline CSS and SVG, a little inline JavaScript.

The page loads nothing: no CDN, no web font, no image, no external URL. Every string from the
audit log is escaped with :func:`equilens._text.html_escape` (through :func:`esc`) before it
reaches the page, including inside SVG text and attributes. The only script is the report's
own, marked ``id="equilens-report-js"``; it sorts and filters tables and opens collapsed
sections for print.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence

from equilens._pvalue import fmt_p
from equilens.report._content import (
    CONCLUSION_LABELS,
    HEATMAP_METRICS,
    Finding,
    ReportContent,
    Segment,
    criterion_description,
    effect_size,
    family_label,
    fmt_count,
    fmt_diff,
    fmt_diff_interval,
    fmt_interval,
    fmt_number,
    fmt_value,
    is_bounded,
    is_share,
    metric_label,
    metric_meaning,
    metric_short,
    reference_values,
    slice_key,
    slice_text,
    slice_values,
)
from equilens.report._log_labels import with_log_labels
from equilens.report._media_html import media_nav, media_section
from equilens.report._probe_html import (
    probe_header,
    probe_methodology,
    probe_summary,
    probes_section,
)
from equilens.report._qa import qa_section
from equilens.report._redteam import redteam_section
from equilens.report._safety_html import SAFETY, safety_section
from equilens.report._svg import (
    PALETTE,
    CellStatus,
    Dot,
    DotColumn,
    DotRow,
    DotStyle,
    HeatCell,
    RowKind,
    Series,
    conclusion_tiles,
    dot_label_width,
    dot_matrix,
    esc,
    heatmap,
    line_chart,
    sequential_color,
)
from equilens.report._task_content import (
    comparison_test_text,
    effect_size_text,
    underpowered_gap_text,
)
from equilens.report._task_html import (
    class_confusion_section,
    exposure_section,
    task_lede,
    task_methodology,
    task_sections,
    task_title,
)
from equilens.report._text_quality import text_quality_section
from equilens.results import (
    AuditLog,
    Comparison,
    Disparity,
    FamilyRecord,
    MetricResult,
    SliceCurves,
)

#: Most groups drawn in one ROC or calibration chart (the largest are kept).
MAX_CURVES = 8

#: Calibration bins with fewer cases are not drawn (their observed rate is mostly noise).
MIN_BIN_COUNT = 5

CSS = """
:root{--ink:#111827;--muted:#64748b;--line:#e2e8f0;--soft:#f8fafc;--accent:#1d4ed8;
--det:#c2410c;--det-bg:#fff1e6;--nod:#334155;--nod-bg:#eef2f7;--ins:#6d28d9;--ins-bg:#f3edff;
--und:#6b7280;--und-bg:#f3f4f6}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;color:var(--ink);background:#fff;font:15px/1.55 system-ui,-apple-system,"Segoe UI",
Roboto,"Helvetica Neue",Arial,sans-serif}
svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:0 28px 64px}
header.top{background:#0f172a;color:#e2e8f0;padding:28px 0 22px}
header.top .wrap{max-width:1180px;margin:0 auto;padding:0 28px}
header.top h1{margin:4px 0 6px;font-size:26px;line-height:1.25;color:#fff;font-weight:650}
header.top code{background:rgba(255,255,255,.12);color:#fff;font-size:.85em}
.eyebrow{text-transform:uppercase;letter-spacing:.08em;font-size:12px;color:#93c5fd;
font-weight:600}
.meta{color:#cbd5e1;font-size:13px;margin:0}
.meta span+span:before{content:" · ";color:#64748b}
nav.toc{position:sticky;top:0;z-index:5;background:rgba(255,255,255,.97);
border-bottom:1px solid var(--line)}
nav.toc .wrap{max-width:1180px;margin:0 auto;padding:8px 28px;display:flex;flex-wrap:wrap;
gap:4px 18px;font-size:13px}
nav.toc a{color:var(--muted);text-decoration:none}
nav.toc a:hover{color:var(--accent)}
section{padding-top:18px;scroll-margin-top:44px}
h2{font-size:21px;margin:26px 0 8px;padding-bottom:6px;border-bottom:2px solid var(--ink)}
h3{font-size:16px;margin:22px 0 6px}
h4{font-size:14px;margin:14px 0 4px}
p{margin:6px 0 10px}
.lede{font-size:16px;max-width:900px}
.note{color:var(--muted);font-size:13px}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
code{background:#f1f5f9;border-radius:4px;padding:1px 4px}
.tiles{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0 6px}
.tile{flex:1 1 170px;border-radius:8px;padding:10px 14px;border:1px solid var(--line)}
.tile b{display:block;font-size:26px;line-height:1.1}
.tile span{font-size:13px}
.tile.det{background:var(--det-bg);border-color:#fed7aa}.tile.det b{color:var(--det)}
.tile.nod{background:var(--nod-bg)}.tile.nod b{color:var(--nod)}
.tile.ins{background:var(--ins-bg);border-color:#ddd6fe}.tile.ins b{color:var(--ins)}
.tile.und{background:var(--und-bg)}.tile.und b{color:var(--und)}
ol.findings{padding-left:22px;margin:6px 0 10px}
ul.evidence{margin:4px 0 10px;padding-left:22px;max-width:980px}
ul.evidence li{margin-bottom:3px}
dl.glossary{display:grid;grid-template-columns:max-content 1fr max-content 1fr;gap:2px 12px;
font-size:13px;margin:6px 0 10px;color:#334155}
dl.glossary dt{font-weight:600;color:var(--ink)}
dl.glossary dd{margin:0}
ol.findings li{margin:0 0 10px;max-width:980px}
ol.findings .tag{display:block;font-size:12px;color:var(--muted)}
.num{font-weight:650}
.grp{font-weight:600;background:#f1f5f9;border-radius:4px;padding:0 4px;white-space:normal}
.callout{border-left:4px solid var(--accent);background:#f5f8ff;padding:10px 14px;margin:12px 0;
border-radius:0 6px 6px 0;max-width:980px}
.callout.warn{border-color:#d97706;background:#fffbeb}
.callout h4{margin:0 0 4px}
.callout ul{margin:4px 0;padding-left:20px}
figure{margin:10px 0 18px;break-inside:avoid;page-break-inside:avoid}
figcaption{font-size:14px;font-weight:600;margin-bottom:4px}
figcaption .note{font-weight:400}
.scroll{overflow-x:auto}
.legend{display:flex;flex-wrap:wrap;gap:6px 18px;font-size:12.5px;color:#334155;margin:6px 0}
.legend i{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:5px;
vertical-align:-1px;border:1.5px solid}
.legend i.ref{border-radius:0;transform:rotate(45deg);width:9px;height:9px}
.heatgrid{display:flex;flex-wrap:wrap;gap:14px 22px;align-items:flex-start}
.heatgrid figure{margin:0}
.pair{display:flex;flex-wrap:wrap;gap:10px 30px;align-items:flex-start}
.cmgrid{display:flex;flex-wrap:wrap;gap:12px}
.cm{border:1px solid var(--line);border-radius:8px;padding:8px 10px;break-inside:avoid;
min-width:200px}
.cm .name{font-weight:600;font-size:13px;max-width:230px;overflow-wrap:anywhere}
.cm .name .note{font-weight:400}
.cm table{border-collapse:collapse;margin-top:4px;font-size:12px}
.cm th{font-weight:500;color:var(--muted);padding:2px 6px;text-align:center}
.cm td{width:86px;height:44px;text-align:center;border:1px solid #fff;line-height:1.2}
.cm td small{display:block;font-size:11px}
table.data{border-collapse:collapse;width:100%;font-size:12.5px}
table.data th,table.data td{padding:4px 7px;border-bottom:1px solid var(--line);
text-align:left;vertical-align:top}
table.data thead th{background:#f8fafc;border-bottom:2px solid #cbd5e1;white-space:nowrap}
table.data td.r,table.data th.r{text-align:right;font-variant-numeric:tabular-nums}
table.data tbody tr:hover{background:#f8fafc}
table.sortable thead th{cursor:pointer}
table.sortable thead th:after{content:" ↕";color:#cbd5e1;font-size:11px}
table.sortable thead th[aria-sort=ascending]:after{content:" ↑";color:var(--accent)}
table.sortable thead th[aria-sort=descending]:after{content:" ↓";color:var(--accent)}
td .ci{display:block;color:var(--muted);font-size:11.5px;white-space:nowrap}
td.small,tr.small td{color:#94a3b8}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:11.5px;
white-space:nowrap;font-weight:600}
.b-det{background:var(--det-bg);color:var(--det)}
.b-nod{background:var(--nod-bg);color:var(--nod)}
.b-ins{background:var(--ins-bg);color:var(--ins)}
.b-und{background:var(--und-bg);color:var(--und)}
table.cmp{font-size:12px}
table.cmp th,table.cmp td{padding:4px 5px}
table.cmp td{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.cmp td:nth-child(-n+3),table.cmp td:nth-child(8),table.cmp td:nth-child(14){
text-align:left}
table.cmp td:nth-child(2){white-space:normal;min-width:150px}
table.cmp td:nth-child(3){white-space:normal;min-width:90px}
.filters{display:flex;flex-wrap:wrap;gap:8px 14px;align-items:center;margin:8px 0;
font-size:13px}
.filters select,.filters input{font:inherit;font-size:13px;padding:3px 6px;
border:1px solid #cbd5e1;border-radius:5px;background:#fff}
details{margin:8px 0}
details>summary{cursor:pointer;color:var(--accent);font-size:13.5px}
pre{background:#f8fafc;border:1px solid var(--line);padding:10px;border-radius:6px;
overflow:auto;font-size:12px;max-height:420px}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:3px 16px;font-size:13.5px;
margin:6px 0;align-items:baseline}
dl.kv dt{color:var(--muted)}
dl.kv dd{margin:0;overflow-wrap:anywhere}
.cols{columns:2 420px;column-gap:36px}
.cols>*{break-inside:avoid}
.ptext{white-space:pre-wrap;overflow-wrap:anywhere;min-width:180px;max-width:380px}
ul.swaps{margin:0;padding-left:14px;font-size:11.5px;color:#334155;min-width:120px}
table.pairs td{font-size:12.5px}
table.probe th,table.probe td{padding:4px 5px;font-size:12px}
td.nw{white-space:nowrap}
footer{color:var(--muted);font-size:12px;border-top:1px solid var(--line);margin-top:40px;
padding-top:10px}
@media print{
  @page{margin:14mm 12mm}
  body{font-size:10.5pt;background:#fff}
  nav.toc,.filters,.noprint{display:none!important}
  header.top{background:#fff;color:var(--ink);padding:0 0 8px;border-bottom:2px solid #000}
  header.top h1{color:#000}.eyebrow{color:#1e3a8a}.meta{color:#334155}
  main,header.top .wrap{max-width:none;padding:0}
  h2{break-after:avoid;page-break-after:avoid}
  h3,h4{break-after:avoid}
  table.data tr{break-inside:avoid}
  tr[hidden]{display:table-row!important}
  .scroll{overflow:visible}
  pre{max-height:none;white-space:pre-wrap}
  a{color:inherit;text-decoration:none}
  *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
"""

JS = """
(function(){
  "use strict";
  function val(cell){
    var v=cell.getAttribute("data-v");
    if(v!==null&&v!==""){var f=parseFloat(v);if(!isNaN(f)){return f;}}
    return cell.textContent.trim().toLowerCase();
  }
  function sortTable(table,idx,th){
    var asc=th.getAttribute("aria-sort")!=="ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells,function(h){
      h.removeAttribute("aria-sort");});
    th.setAttribute("aria-sort",asc?"ascending":"descending");
    var body=table.tBodies[0];
    var rows=Array.prototype.slice.call(body.rows);
    rows.sort(function(a,b){
      var x=val(a.cells[idx]),y=val(b.cells[idx]);
      if(typeof x!==typeof y){return typeof x==="number"?-1:1;}
      var c=x<y?-1:(x>y?1:0);
      return asc?c:-c;
    });
    rows.forEach(function(r){body.appendChild(r);});
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"),function(table){
    Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,idx){
      th.setAttribute("tabindex","0");
      th.addEventListener("click",function(){sortTable(table,idx,th);});
      th.addEventListener("keydown",function(e){
        if(e.key==="Enter"||e.key===" "){e.preventDefault();sortTable(table,idx,th);}});
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll(".filters"),function(box){
    var table=document.getElementById(box.getAttribute("data-table"));
    if(!table){return;}
    var inputs=box.querySelectorAll("select,input");
    var count=box.querySelector(".count");
    function apply(){
      var shown=0;
      Array.prototype.forEach.call(table.tBodies[0].rows,function(row){
        var ok=true;
        Array.prototype.forEach.call(inputs,function(inp){
          var want=inp.value;
          if(!want){return;}
          if(inp.tagName==="INPUT"){
            if(row.textContent.toLowerCase().indexOf(want.toLowerCase())<0){ok=false;}
          }else if(row.getAttribute("data-"+inp.name)!==want){ok=false;}
        });
        row.hidden=!ok;
        if(ok){shown+=1;}
      });
      if(count){count.textContent=shown+" of "+table.tBodies[0].rows.length+" rows";}
    }
    Array.prototype.forEach.call(inputs,function(inp){
      inp.addEventListener("input",apply);inp.addEventListener("change",apply);});
    apply();
  });
  window.addEventListener("beforeprint",function(){
    Array.prototype.forEach.call(document.querySelectorAll("details"),function(d){
      d.setAttribute("open","");});
  });
})();
"""


class _Ids:
    """Unique element ids within one page."""

    def __init__(self) -> None:
        self.count = 0

    def new(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}-{self.count}"


def _segments(segs: Sequence[Segment]) -> str:
    out = []
    for kind, text in segs:
        if kind == "num":
            out.append(f'<span class="num">{esc(text)}</span>')
        elif kind == "group":
            out.append(f'<span class="grp">{esc(text)}</span>')
        else:
            out.append(esc(text))
    return "".join(out)


_BADGE_CLASS = {
    "difference_detected": "det",
    "no_difference_detected": "nod",
    "insufficient_evidence": "ins",
    "undefined": "und",
    "fail": "det",
    "pass": "nod",
}


def _badge(conclusion: str, text: str | None = None) -> str:
    cls = _BADGE_CLASS.get(conclusion, "und")
    label = text if text is not None else CONCLUSION_LABELS.get(conclusion, conclusion)
    return f'<span class="badge b-{cls}">{esc(label)}</span>'


def _dv(value: float | None) -> str:
    """A sort key for a ``data-v`` attribute (empty when missing)."""
    return "" if value is None else f"{value:.6g}"


def value_cell(metric: str, row: MetricResult | None) -> str:
    if row is None:
        return '<td class="r">–</td>'
    cls = "r small" if row.status == "insufficient_evidence" else "r"
    if row.value is None:
        return f'<td class="{cls}" data-v="" title="{esc(row.reason or "")}">undefined</td>'
    ci = ""
    if row.ci_low is not None and row.ci_high is not None:
        ci = f'<span class="ci">{esc(fmt_interval(metric, row.ci_low, row.ci_high))}</span>'
    return (
        f'<td class="{cls}" data-v="{_dv(row.value)}">{esc(fmt_value(metric, row.value))}{ci}</td>'
    )


# --------------------------------------------------------------------------------------------
# Sections


def _when(created: str) -> str:
    """'2026-11-23T19:34:29+00:00' -> '2026-11-23 19:34 UTC' (unchanged if not in that form)."""
    if len(created) >= 16 and created[10] == "T" and created.endswith("+00:00"):
        return f"{created[:10]} {created[11:16]} UTC"
    return created


def _header(c: ReportContent) -> str:
    log, v = c.log, c.vocab
    features = c.log.spec_resolved.get("sensitive_features")
    feats = (
        [str(f) for f in features]
        if isinstance(features, list)
        else sorted({f for fam in log.families for f in fam.features})
    )
    n_groups = len({slice_key(g) for fam in log.families for g in fam.groups})
    meta = [
        f"{log.data.n_rows:,} rows",
        f"{len(log.families)} famil{'y' if len(log.families) == 1 else 'ies'} of groups",
        f"{n_groups} groups",
        f"created {_when(log.created)}",
        f"run {log.run_id[:12]}",
        f"equilens {log.equilens_version}",
    ]
    title = (
        task_title(c)
        if log.task != "binary"
        else f"Predictions <code>{esc(v.y_pred)}</code> against outcomes "
        f"<code>{esc(v.y_true)}</code>"
    )
    return (
        '<header class="top"><div class="wrap">'
        '<div class="eyebrow">equilens audit report</div>'
        f"<h1>{title}, by {esc(', '.join(feats))}</h1>"
        f'<p class="meta">{"".join(f"<span>{esc(m)}</span>" for m in meta)}</p>'
        "</div></header>"
    )


_SECTIONS = (
    ("summary", "Summary"),
    ("groups", "Metrics by group"),
    ("intersections", "Intersections"),
    ("curves", "Score curves"),
    ("confusion", "Confusion matrices"),
    ("criteria", "Fairness criteria"),
    ("comparisons", "Comparisons"),
    ("methodology", "Methodology & limitations"),
    ("run", "Run details"),
)


#: Sections of a probe-only log's page.
_PROBE_SECTIONS = (
    ("summary", "Summary"),
    ("probes", "Probes"),
    ("comparisons", "Comparisons"),
    ("methodology", "Methodology & limitations"),
    ("run", "Run details"),
)


def _nav(sections: Sequence[tuple[str, str]] = _SECTIONS) -> str:
    links = "".join(f'<a href="#{sid}">{esc(title)}</a>' for sid, title in sections)
    return f'<nav class="toc" aria-label="Sections"><div class="wrap">{links}</div></nav>'


_COHEN = "Cohen's h"
#: The effect size that ranks the key findings of each non-binary task.
_EFFECT_NAMES = {
    "multiclass": "Cohen's h for shares, Hedges' g for other metrics",
    "regression": "Hedges' g",
    "measure": "Hedges' g",
    "ranking": "Hedges' g",
}


def _finding_item(f: Finding) -> str:
    cmp = f.comparison
    parts = [metric_label(cmp.metric), family_label(cmp.features)]
    if cmp.cohens_h is not None:
        parts.append(f"effect size (Cohen's h) {fmt_number(cmp.cohens_h, 2)}")
    elif cmp.effect_size_name == "hedges_g":
        parts.append(f"effect size (Hedges' g) {fmt_number(cmp.effect_size, 2)}")
    parts.append(f"n = {cmp.n:,} vs {cmp.n_reference:,}")
    return f'<li>{_segments(f.segments)}<span class="tag">{esc(" · ".join(parts))}</span></li>'


def _summary(c: ReportContent) -> str:
    log, v = c.log, c.vocab
    counts = c.conclusion_counts()
    total = sum(counts.values())  # derived rows (FNR of TPR) repeat a test: counted once
    family_size = log.multiple_comparisons.get("size")
    alpha_text = f"{v.alpha:.2g}"
    out = ['<section id="summary"><h2>Summary</h2>']
    if log.task != "binary":
        out.append(task_lede(c))
    else:
        out.append(
            '<p class="lede">This report compares the predictions in '
            f"<code>{esc(v.y_pred)}</code> with the true outcomes in <code>{esc(v.y_true)}</code> "
            f"for {log.data.n_rows:,} cases, group by group. <em>Positive</em> means the value "
            f"<code>{esc(v.positive)}</code> in both columns. Each group is compared with a "
            "reference group of the same feature(s); differences are reported with "
            f"{v.level}% confidence intervals and p-values adjusted for the number of tests. "
            "The report describes measured differences and their uncertainty; it does not certify "
            "a model as fair or unfair.</p>"
        )
    out.append(conclusion_tiles(counts))
    size_text = f" (Holm correction over {family_size} tests)" if family_size else ""
    out.append(
        f'<p class="note">Of {total:,} group-versus-reference comparisons{esc(size_text)}; '
        f"a difference is <em>detected</em> when the Holm-adjusted p-value is below "
        f"{esc(alpha_text)}.</p>"
    )
    main = c.key_findings(5, intersections=False)
    inter = c.key_findings(3, intersections=True)
    out.append("<h3>Key findings</h3>")
    if main:
        out.append(
            '<p class="note">The largest detected differences between a group and its '
            f"reference, ranked by effect size ({_EFFECT_NAMES.get(log.task, _COHEN)}), "
            "among differences whose adjusted p-value is below the threshold.</p>"
        )
        out.append('<ol class="findings">' + "".join(_finding_item(f) for f in main) + "</ol>")
    else:
        out.append(
            "<p>No comparison of a single-feature group with its reference showed a difference "
            "after adjustment for multiple testing. This is not evidence that the groups are "
            "treated alike: read the insufficient-evidence note below.</p>"
        )
    if inter:
        out.append("<h3>Largest differences within intersections</h3>")
        out.append('<ol class="findings">' + "".join(_finding_item(f) for f in inter) + "</ol>")
    out.append(_evidence_note(c))
    spread = c.base_rate_spread()
    if spread:
        parts = [
            f"{family_label(fam.features)}: {fmt_value('base_rate', lo.value, 0)} "
            f"({slice_values(lo.slice)}) to {fmt_value('base_rate', hi.value, 0)} "
            f"({slice_values(hi.slice)})"
            for fam, lo, hi in spread
        ]
        out.append(
            '<div class="callout"><h4>Base rates differ between groups</h4>'
            f"<p>The share of positive true outcomes differs: {esc('; '.join(parts))}. When "
            "base rates differ, a score cannot be calibrated within every group and also give "
            "every group equal false positive and false negative rates, so some of the "
            'differences above are expected whichever criterion the model meets. See <a href="'
            '#impossibility">why</a>.</p></div>'
        )
    if log.warnings:
        items = "".join(f"<li>{esc(w)}</li>" for w in log.warnings)
        out.append(
            f'<div class="callout warn"><h4>Warnings from the audit</h4><ul>{items}</ul></div>'
        )
    out.append("</section>")
    return "".join(out)


def _evidence_note(c: ReportContent) -> str:
    counts = c.conclusion_counts()
    small = c.small_groups()
    under = c.underpowered()
    gap = c.underpowered_gap
    mgs = c.min_group_size
    parts = ["<h3>Where the evidence is insufficient</h3>"]
    sentences = []
    n_ins = counts.get("insufficient_evidence", 0)
    if n_ins:
        sentences.append(
            f"{n_ins:,} comparisons are inconclusive. A missing detection there says nothing "
            "about whether the groups are treated alike."
        )
    if small:
        names = "; ".join(slice_values(s) for s in small[:6])
        more = f"; and {len(small) - 6} more" if len(small) > 6 else ""
        limit = f"fewer than {mgs} rows" if mgs else "too few rows"
        sentences.append(
            f"{len(small)} group(s) have {limit} ({names}{more}); their values are shown but "
            "not relied on, and they are left out of the fairness criteria."
        )
    if under:
        gap_text = underpowered_gap_text(gap, c.log.task) if gap is not None else "the stated gap"
        sentences.append(
            f"{len(under)} comparison(s) of large enough groups showed no difference but could "
            f"not reliably have detected a gap of {gap_text} (see the minimum detectable "
            "difference in the comparisons table)."
        )
    n_nod = counts.get("no_difference_detected", 0)
    if n_nod:
        sentences.append(
            f"{n_nod:,} comparison(s) showed no difference and had the power to detect a gap of "
            f"that size; smaller gaps are not ruled out."
        )
    n_und = counts.get("undefined", 0)
    if n_und:
        sentences.append(
            f"{n_und:,} comparison(s) are undefined, e.g. an error rate in a group without "
            "cases of that outcome."
        )
    if not sentences:
        sentences.append("Every comparison reached a conclusion with enough data.")
    parts.append('<ul class="evidence">' + "".join(f"<li>{esc(s)}</li>" for s in sentences))
    parts.append("</ul>")
    return "".join(parts)


def dot_rows(c: ReportContent, fam: FamilyRecord, metrics: list[str]) -> list[DotRow]:
    level = c.vocab.level
    rows: list[DotRow] = []
    overall_dots = []
    for m in metrics:
        r = c.result(m, {})
        overall_dots.append(
            Dot(
                r.value if r else None,
                r.ci_low if r else None,
                r.ci_high if r else None,
                "plain",
                _tooltip("Overall", m, r, None, level),
            )
        )
    n_all = c.n({})
    rows.append(DotRow("Overall", f"{n_all:,}" if n_all else "", overall_dots, "overall"))
    for g in fam.groups:
        is_ref = g == fam.reference
        dots = []
        n = None
        small = False
        for m in metrics:
            r = c.result(m, g)
            cmp = c.comparison(m, g)
            if r is not None:
                n = r.n
                small = small or r.status == "insufficient_evidence"
            style: DotStyle
            if is_ref:
                style = "reference"
            elif r is not None and r.status == "insufficient_evidence":
                style = "insufficient"
            elif cmp is None:
                style = "plain"
            elif cmp.conclusion == "difference_detected":
                style = "detected"
            elif cmp.conclusion == "no_difference_detected":
                style = "no_difference"
            else:
                style = "insufficient"
            dots.append(
                Dot(
                    r.value if r else None,
                    r.ci_low if r else None,
                    r.ci_high if r else None,
                    style,
                    _tooltip(slice_values(g), m, r, cmp, level),
                )
            )
        label = slice_values(g) + (" (reference)" if is_ref else "")
        kind: RowKind = "reference" if is_ref else "small" if small else "group"
        rows.append(DotRow(label, f"{n:,}" if n is not None else "", dots, kind))
    return rows


def _tooltip(
    name: str, metric: str, r: MetricResult | None, cmp: Comparison | None, level: int
) -> str:
    short = metric_short(metric)
    if r is None:
        return f"{name}: {short} not in the log"
    if r.value is None:
        return f"{name}: {short} undefined ({r.reason or ''}), n {r.n:,}"
    text = f"{name}: {short} {fmt_value(metric, r.value)}"
    if r.ci_low is not None:
        text += f" ({level}% CI {fmt_interval(metric, r.ci_low, r.ci_high)})"
    text += f", n {r.n:,}"
    if r.status == "insufficient_evidence":
        text += ", small group"
    if cmp is not None and cmp.difference is not None:
        text += (
            f"; vs ref. {fmt_diff(metric, cmp.difference)}, Holm p {fmt_p(cmp.p_holm)} "
            f"({CONCLUSION_LABELS.get(cmp.conclusion, cmp.conclusion)})"
        )
    return text


def _values_table(c: ReportContent, fam: FamilyRecord, ids: _Ids) -> str:
    metrics = [m for m in c.metrics if m != "count"]
    level = c.vocab.level
    head = "".join(
        f'<th class="r" title="{esc(metric_meaning(m, c.log.task))}">{esc(metric_short(m))}</th>'
        for m in metrics
    )
    body = []
    for g in [{}, *fam.groups]:
        n = c.n(g)
        name = slice_text(g) if g else "overall"
        if g and g == fam.reference:
            name += " (reference)"
        cells = "".join(value_cell(m, c.result(m, g)) for m in metrics)
        body.append(
            f'<tr><td>{esc(name)}</td><td class="r" data-v="{n or 0}">'
            f"{esc(f'{n:,}' if n is not None else '–')}</td>{cells}</tr>"
        )
    return (
        f"<details><summary>Table of all metrics for {esc(family_label(fam.features))} "
        f"(point estimate and {level}% CI)</summary>"
        f'<div class="scroll"><table class="data sortable" id="{ids.new("values")}">'
        f'<thead><tr><th>group</th><th class="r">n</th>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div></details>"
    )


def _groups_section(c: ReportContent, ids: _Ids) -> str:
    metrics = c.key_metrics
    out = ['<section id="groups"><h2>Metrics by group</h2>']
    if not metrics:
        out.append("<p>The log has none of the key metrics.</p></section>")
        return "".join(out)
    meanings = "".join(
        f"<dt>{esc(metric_short(m))}</dt>"
        f"<dd>{esc(metric_meaning(m, c.log.task) or metric_label(m))}</dd>"
        for m in metrics
    )
    out.append(
        f"<p>Point estimates with {c.vocab.level}% confidence intervals for each group; the "
        "dashed line is the overall population. Dots are coloured by the comparison with the "
        "reference group; hover a dot for its numbers.</p>"
        f'<dl class="glossary">{meanings}</dl>'
    )
    out.append(
        '<div class="legend">'
        '<span><i style="background:#111827;border-color:#111827" class="ref"></i>'
        "reference group</span>"
        '<span><i style="background:#c2410c;border-color:#c2410c"></i>difference detected</span>'
        '<span><i style="background:#475569;border-color:#475569"></i>no difference detected'
        "</span>"
        '<span><i style="background:#fff;border-color:#94a3b8"></i>insufficient evidence '
        "(hollow, dashed whisker)</span>"
        '<span><i style="background:#2563eb;border-color:#2563eb"></i>overall / not compared'
        "</span></div>"
    )
    columns = [DotColumn(metric_short(m), is_share(m), is_bounded(m)) for m in metrics]
    first_intersection = c.intersection_families[0] if c.intersection_families else None
    all_rows = {
        id(fam): dot_rows(c, fam, metrics) for fam in [*c.single_families, *c.intersection_families]
    }
    # Charts of single features share one label width so their panels line up.
    single_width = max((dot_label_width(all_rows[id(f)]) for f in c.single_families), default=None)
    for fam in [*c.single_families, *c.intersection_families]:
        if fam is first_intersection:
            out.append("<h3>Intersections</h3>")
        rows = all_rows[id(fam)]
        width = single_width if len(fam.features) == 1 else None
        label = f"{metric_label(metrics[0])} and other key metrics by {family_label(fam.features)}"
        ref = slice_values(fam.reference)
        out.append(
            f"<figure><figcaption>{esc(family_label(fam.features))} "
            f'<span class="note">({len(fam.groups)} groups; reference {esc(ref)}, '
            f"{esc(fam.reference_rule)})</span></figcaption>"
            f'<div class="scroll">{dot_matrix(label, columns, rows, width)}</div></figure>'
        )
        out.append(_values_table(c, fam, ids))
    out.append("</section>")
    return "".join(out)


def _intersections_section(c: ReportContent, ids: _Ids) -> str:
    out = ['<section id="intersections"><h2>Intersections</h2>']
    pairs = [f for f in c.intersection_families if len(f.features) == 2]
    metrics = (
        [m for m in HEATMAP_METRICS if m in c.metrics] if c.log.task == "binary" else c.key_metrics
    )
    if not pairs or not metrics:
        out.append(
            "<p>This audit has no two-feature intersections"
            + (" with rate metrics" if pairs else "")
            + " to show as heatmaps.</p></section>"
        )
        return "".join(out)
    mgs = c.min_group_size
    out.append(
        "<p>Each cell is the group at the intersection of two features: its value (colour and "
        "number) and its size. Hatched cells are groups "
        + (f"below the minimum size of {mgs} rows" if mgs else "too small to rely on")
        + "; the outlined cell is the reference group. The colour scale of a metric is shared "
        "by its heatmaps and spans the groups large enough to rely on (small groups beyond it "
        "take the end colour). Hover a cell for its interval and test.</p>"
    )
    domains: dict[str, tuple[float, float]] = {}
    for m in metrics:
        vals = [
            r.value
            for fam in pairs
            for g in fam.groups
            if (r := c.result(m, g)) is not None and r.value is not None and r.status == "ok"
        ]
        domains[m] = (min(vals), max(vals)) if vals else (0.0, 1.0)
    for fam in pairs:
        a, b = fam.features
        values: dict[str, list[str]] = {a: [], b: []}
        for g in fam.groups:
            for f in (a, b):
                if g[f] not in values[f]:
                    values[f].append(g[f])
        rows_f, cols_f = (a, b) if len(values[a]) >= len(values[b]) else (b, a)
        out.append(f'<h3>{esc(family_label(fam.features))}</h3><div class="heatgrid">')
        for m in metrics:
            cells: dict[tuple[int, int], HeatCell] = {}
            for g in fam.groups:
                i, j = values[rows_f].index(g[rows_f]), values[cols_f].index(g[cols_f])
                r = c.result(m, g)
                if r is None:
                    continue
                status: CellStatus = (
                    "undefined"
                    if r.value is None
                    else "insufficient"
                    if r.status == "insufficient_evidence"
                    else "ok"
                )
                cells[(i, j)] = HeatCell(
                    r.value,
                    r.n,
                    fmt_value(m, r.value, 0 if is_share(m) else 2)
                    if r.value is not None
                    else "undefined",
                    status,
                    g == fam.reference,
                    _tooltip(slice_values(g), m, r, c.comparison(m, g), c.vocab.level),
                )
            lo, hi = domains[m]
            svg = heatmap(
                f"{metric_label(m)} by {family_label(fam.features)}",
                ids.new("hatch"),
                rows_f,
                cols_f,
                values[rows_f],
                values[cols_f],
                cells,
                (lo, hi),
                (fmt_value(m, lo, 0), fmt_value(m, hi, 0)),
            )
            out.append(f"<figure><figcaption>{esc(metric_label(m))}</figcaption>{svg}</figure>")
        out.append("</div>")
    bigger = [f for f in c.intersection_families if len(f.features) > 2]
    if bigger:
        names = ", ".join(family_label(f.features) for f in bigger)
        out.append(
            f'<p class="note">Intersections of more than two features ({esc(names)}) are '
            'shown in <a href="#groups">Metrics by group</a> and the comparisons table.</p>'
        )
    out.append("</section>")
    return "".join(out)


def _curve_groups(c: ReportContent, fam: FamilyRecord) -> tuple[list[dict[str, str]], int]:
    groups = [g for g in fam.groups if slice_key(g) in c.curves]
    groups.sort(key=lambda g: -c.curves[slice_key(g)].n)
    dropped = max(0, len(groups) - MAX_CURVES)
    kept = groups[:MAX_CURVES]
    return [g for g in fam.groups if g in kept], dropped


def _is_small(c: ReportContent, g: dict[str, str]) -> bool:
    mgs = c.min_group_size
    cv = c.curves.get(slice_key(g))
    return mgs is not None and cv is not None and cv.n < mgs


def _curves_section(c: ReportContent) -> str:
    out = ['<section id="curves"><h2>Score curves</h2>']
    if c.log.curves is None:
        out.append(
            "<p>This audit log holds no curves (it was written by an earlier equilens); "
            "re-run the audit to see ROC and calibration curves.</p></section>"
        )
        return "".join(out)
    if not any(cv.roc is not None or cv.calibration for cv in c.log.curves):
        out.append("<p>The audit had no scores, so there are no ROC or calibration curves.</p>")
        out.append("</section>")
        return "".join(out)
    score = c.vocab.y_score or "the score"
    out.append(
        f"<p><b>ROC curves</b> show, for every threshold on <code>{esc(score)}</code>, the share "
        "of positive cases flagged (true positive rate) against the share of negative cases "
        "flagged (false positive rate); curves further to the top left separate the outcomes "
        "better within that group. <b>Calibration curves</b> plot, for cases grouped by score, "
        "the observed share of positive outcomes against the mean score; on the diagonal, a "
        "score of 0.7 means a 70% observed rate in that group. Dashed curves are small "
        "groups.</p>"
    )
    level = c.vocab.level
    for fam in c.single_families:
        groups, dropped = _curve_groups(c, fam)
        roc_series: list[Series] = []
        cal_series: list[Series] = []
        overall = c.curves.get(())
        entries: list[tuple[str, dict[str, str], str, bool]] = []
        if overall is not None:
            entries.append(("Overall", {}, "#94a3b8", False))
        for k, g in enumerate(groups):
            entries.append((slice_values(g), g, PALETTE[k % len(PALETTE)], _is_small(c, g)))
        for name, g, colour, small in entries:
            cv = c.curves.get(slice_key(g))
            if cv is None:
                continue
            auc = c.result("roc_auc_score", g)
            ece = c.result("expected_calibration_error", g)
            n_text = f"n {cv.n:,}" + (", small" if small else "")
            if cv.roc is not None:
                note = n_text
                if auc is not None and auc.value is not None:
                    ci = (
                        f" ({fmt_interval('roc_auc_score', auc.ci_low, auc.ci_high, 2)})"
                        if auc.ci_low is not None
                        else ""
                    )
                    note = f"AUC {auc.value:.2f}{ci} · {n_text}"
                roc_series.append(Series(name, note, cv.roc.fpr, cv.roc.tpr, colour, small))
            bins = [b for b in cv.calibration or [] if b.count >= MIN_BIN_COUNT]
            if bins:
                note = n_text
                if ece is not None and ece.value is not None:
                    note = f"ECE {ece.value:.3f} · {n_text}"
                top = max(b.count for b in bins)
                cal_series.append(
                    Series(
                        name,
                        note,
                        [b.mean_score for b in bins],
                        [b.observed_rate for b in bins],
                        colour,
                        small,
                        sizes=[1.6 + 2.6 * (b.count / top) ** 0.5 for b in bins],
                    )
                )
        fl = family_label(fam.features)
        more = (
            f' <span class="note">({dropped} smaller group(s) not drawn)</span>' if dropped else ""
        )
        out.append(f'<h3>{esc(fl)}{more}</h3><div class="pair">')
        if roc_series:
            out.append(
                f"<figure><figcaption>ROC curves by {esc(fl)} "
                f'<span class="note">(AUC with {level}% CI)</span></figcaption>'
                + line_chart(
                    f"ROC curves by {fl}",
                    roc_series,
                    "False positive rate",
                    "True positive rate",
                    "chance: a score unrelated to the outcome",
                )
                + "</figure>"
            )
        if cal_series:
            out.append(
                f"<figure><figcaption>Calibration by {esc(fl)} "
                f'<span class="note">(marker size ∝ cases; bins under {MIN_BIN_COUNT} cases '
                "hidden)</span></figcaption>"
                + line_chart(
                    f"Calibration curves by {fl}",
                    cal_series,
                    "Mean score in bin",
                    "Observed positive rate",
                    "perfect calibration: observed rate equals the score",
                )
                + "</figure>"
            )
        out.append("</div>")
    out.append("</section>")
    return "".join(out)


def _confusion_card(name: str, n: int, tn: float, fp: float, fn: float, tp: float) -> str:
    neg, pos = tn + fp, fn + tp

    def cell(value: float, total: float, label: str) -> str:
        share = value / total if total > 0 else None
        fill = sequential_color(0.15 + 0.6 * share) if share is not None else "#f1f5f9"
        ink = "#ffffff" if share is not None and share > 0.62 else "#111827"
        pct = f"{share * 100:.0f}%" if share is not None else "–"
        return (
            f'<td style="background:{fill};color:{ink}" title="{esc(label)}">'
            f"<b>{esc(fmt_count(value))}</b><small>{esc(label.split(' ')[0])} · {pct}</small></td>"
        )

    return (
        f'<div class="cm"><div class="name">{esc(name)}<br>'
        f'<span class="note">n = {n:,}</span></div>'
        "<table><thead><tr><th></th><th>pred −</th><th>pred +</th></tr></thead><tbody>"
        f"<tr><th>true −</th>{cell(tn, neg, 'TN (true negative)')}"
        f"{cell(fp, neg, 'FP (false positive)')}</tr>"
        f"<tr><th>true +</th>{cell(fn, pos, 'FN (false negative)')}"
        f"{cell(tp, pos, 'TP (true positive)')}</tr>"
        "</tbody></table></div>"
    )


def _confusion_section(c: ReportContent) -> str:
    out = ['<section id="confusion"><h2>Confusion matrices</h2>']
    if c.log.curves is None:
        out.append(
            "<p>This audit log holds no confusion counts (it was written by an earlier "
            "equilens); re-run the audit to see them.</p></section>"
        )
        return "".join(out)
    v = c.vocab
    weighted = " (sums of weights)" if v.weighted else ""
    out.append(
        f"<p>Counts{esc(weighted)} of each combination of true outcome (rows, "
        f"<code>{esc(v.y_true)}</code>) and prediction (columns, <code>{esc(v.y_pred)}</code>); "
        f"+ is <code>{esc(v.positive)}</code>. Percentages are shares of the row: in the top row "
        "FP % is the false positive rate, in the bottom row TP % is the true positive rate.</p>"
    )
    overall = c.curves.get(())
    for fam in c.single_families:
        out.append(f'<h3>{esc(family_label(fam.features))}</h3><div class="cmgrid">')
        entries: list[tuple[str, SliceCurves | None]] = [("Overall", overall)]
        entries += [
            (
                slice_values(g) + (" (reference)" if g == fam.reference else ""),
                c.curves.get(slice_key(g)),
            )
            for g in fam.groups
        ]
        for name, cv in entries:
            if cv is None:
                continue
            k = cv.confusion
            out.append(_confusion_card(name, cv.n, k.tn, k.fp, k.fn, k.tp))
        out.append("</div>")
    out.append("</section>")
    return "".join(out)


def _criterion_cell(d: Disparity | None) -> str:
    if d is None:
        return '<td class="r">–</td>'
    if d.value is None:
        return f'<td class="r" data-v="" title="{esc(d.reason or "")}">undefined</td>'
    ci = (
        f'<span class="ci">{esc(fmt_number(d.ci_low))}–{esc(fmt_number(d.ci_high))}</span>'
        if d.ci_low is not None and d.ci_high is not None
        else ""
    )
    who = " vs ".join(slice_values(g) for g in d.groups) if d.groups else ""
    title = f"set by {who}" if who else ""
    badge = ""
    if d.four_fifths_rule:
        badge = " " + _badge(d.four_fifths_rule, f"4/5 {d.four_fifths_rule}")
    return (
        f'<td class="r" data-v="{_dv(d.value)}" title="{esc(title)}">'
        f"{esc(fmt_number(d.value))}{badge}{ci}</td>"
    )


def _criteria_section(c: ReportContent, ids: _Ids) -> str:
    out = ['<section id="criteria"><h2>Fairness criteria</h2>']
    if not c.log.disparities:
        out.append("<p>The log has no fairness criteria.</p></section>")
        return "".join(out)
    level = c.vocab.level
    out.append(
        "<p>Each criterion summarises one metric over a family of groups, three ways: the "
        "largest gap <em>between groups</em> (biased upward when groups are small), the largest "
        "gap of a group <em>to the overall</em> population, and the largest gap <em>to the "
        "reference</em> group. Differences are 0 at parity, ratios 1. Intervals are "
        f"{level}% simultaneous intervals (built from every pairwise or per-group interval "
        "at once, so they cover parity when groups are alike); groups below the minimum size "
        "are excluded (hover a "
        "value for the groups that set it and those excluded)."
        + (
            " <b>4/5</b> marks the four-fifths rule on ratios of selection rates (a ratio "
            "below 0.8 fails).</p>"
            if c.log.task == "binary"
            else " A criterion named <code>[class=c]</code> is the binary criterion applied "
            "to one class against all others.</p>"
        )
    )
    table_id = ids.new("criteria")
    fams = list(dict.fromkeys(family_label(d.features) for d in c.log.disparities))
    options = "".join(f'<option value="{esc(f)}">{esc(f)}</option>' for f in fams)
    out.append(
        f'<div class="filters" data-table="{table_id}"><label>Family <select name="family">'
        f'<option value="">all</option>{options}</select></label>'
        '<span class="count note"></span></div>'
    )
    grouped: dict[tuple[str, str], dict[str, Disparity]] = {}
    order = {family_label(f.features): i for i, f in enumerate(c.log.families)}
    for d in sorted(c.log.disparities, key=lambda d: order.get(family_label(d.features), 99)):
        grouped.setdefault((family_label(d.features), d.criterion), {})[d.method] = d
    body = []
    for (fam, crit), by_method in grouped.items():
        any_row = next(iter(by_method.values()))
        excluded = len(any_row.excluded_groups)
        names = "; ".join(slice_values(g) for g in any_row.excluded_groups)
        body.append(
            f'<tr data-family="{esc(fam)}"><td>{esc(crit)}'
            f'<span class="ci">{esc(criterion_description(crit))}</span></td><td>{esc(fam)}</td>'
            + _criterion_cell(by_method.get("between_groups"))
            + _criterion_cell(by_method.get("to_overall"))
            + _criterion_cell(by_method.get("to_reference"))
            + f'<td class="r" data-v="{excluded}" title="{esc(names)}">{excluded}</td></tr>'
        )
    out.append(
        f'<div class="scroll"><table class="data sortable" id="{table_id}"><thead><tr>'
        '<th>criterion</th><th>family</th><th class="r">between groups</th>'
        '<th class="r">to overall</th><th class="r">to reference</th>'
        '<th class="r">excluded groups</th></tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )
    out.append("</section>")
    return "".join(out)


_SHORT_CONCLUSION = {
    "difference_detected": "detected",
    "no_difference_detected": "no difference",
    "insufficient_evidence": "insufficient",
    "undefined": "undefined",
}


def _comparison_row(cmp: Comparison, named_effect: bool = False) -> str:
    """One comparison; ``named_effect`` (non-binary logs): the effect size column shows the
    row's named effect size (Hedges' g or Cohen's h) and the test its rank test too."""
    m = cmp.metric
    small = cmp.conclusion in ("insufficient_evidence", "undefined")

    def num(value: float | None, text: str, sub: str = "") -> str:
        extra = f'<span class="ci">{esc(sub)}</span>' if sub else ""
        return f'<td data-v="{_dv(value)}">{esc(text)}{extra}</td>'

    diff_ci = fmt_diff_interval(m, cmp.difference_ci_low, cmp.difference_ci_high)
    ratio_ci = (
        f"{fmt_number(cmp.ratio_ci_low, 2)}–{fmt_number(cmp.ratio_ci_high, 2)}"
        if cmp.ratio_ci_low is not None and cmp.ratio_ci_high is not None
        else ""
    )
    mdd = (
        fmt_diff(m, cmp.minimum_detectable_difference).lstrip("+")
        if cmp.minimum_detectable_difference is not None
        else "–"
    )
    fam = family_label(cmp.features)
    label = CONCLUSION_LABELS.get(cmp.conclusion, cmp.conclusion)
    why = f"{label}: {cmp.reason}" if cmp.reason else label
    cells = [
        f"<td>{esc(metric_short(m))}</td>",
        f'<td title="{esc(slice_text(cmp.slice))}">{esc(slice_values(cmp.slice))}</td>',
        f"<td>{esc(reference_values(cmp))}</td>",
        num(cmp.n, f"{cmp.n:,}", f"ref. {cmp.n_reference:,}"),
        num(cmp.value, fmt_value(m, cmp.value), f"ref. {fmt_value(m, cmp.reference_value)}"),
        num(cmp.difference, fmt_diff(m, cmp.difference), "" if diff_ci == "–" else diff_ci),
        num(cmp.ratio, fmt_number(cmp.ratio, 2), ratio_ci),
        _test_cell(cmp) if named_effect else f"<td>{esc(cmp.test)}</td>",
        num(cmp.p_value, fmt_p(cmp.p_value)),
        num(cmp.p_holm, fmt_p(cmp.p_holm)),
        num(cmp.p_bh, fmt_p(cmp.p_bh)),
        num(cmp.effect_size if cmp.cohens_h is None else cmp.cohens_h, effect_size_text(cmp))
        if named_effect
        else num(cmp.cohens_h, fmt_number(cmp.cohens_h, 2)),
        num(cmp.minimum_detectable_difference, mdd),
        f'<td data-v="{esc(cmp.conclusion)}" title="{esc(why)}">'
        f"{_badge(cmp.conclusion, _SHORT_CONCLUSION.get(cmp.conclusion))}</td>",
    ]
    cls = ' class="small"' if small else ""
    return (
        f'<tr data-family="{esc(fam)}" data-metric="{esc(m)}" '
        f'data-conclusion="{esc(cmp.conclusion)}"{cls}>' + "".join(cells) + "</tr>"
    )


def _test_cell(cmp: Comparison) -> str:
    """The test, with the descriptive rank test's p-value and P(superiority) when run."""
    rank = cmp.rank_test
    sub = ""
    if rank is not None:
        sub = (
            f"{rank.test} p {fmt_p(rank.p_value)}, P(group > ref.) "
            f"{fmt_number(rank.probability_of_superiority, 2)} ({rank.values}); not adjusted"
        )
    extra = f'<span class="ci">{esc(sub)}</span>' if sub else ""
    return f'<td title="{esc(comparison_test_text(cmp))}">{esc(cmp.test)}{extra}</td>'


def _comparisons_section(c: ReportContent, ids: _Ids) -> str:
    log = c.log
    out = ['<section id="comparisons"><h2>Comparisons with the reference group</h2>']
    if not log.comparisons:
        out.append("<p>The log has no comparisons.</p></section>")
        return "".join(out)
    level = c.vocab.level
    named = log.task != "binary"
    out.append(
        f"<p>Every group against its family's reference group (hover a group for its features). "
        f"Difference = group − reference ({level}% CI below the value); ratio = group ÷ "
        "reference. p is the raw p-value of the "
        "test; Holm and BH are adjusted over the whole family of tests (conclusions use Holm). "
        + (
            "h is Cohen's h, the effect size of two proportions (0.2 small, 0.5 medium, 0.8 "
            "large). MDD is the minimum detectable difference: the smallest gap from the "
            "reference rate the test could detect with 80% power. Click a column to sort.</p>"
            if not named
            else "The effect size is named in each row: Cohen's h for two shares, Hedges' g "
            "for two means (the difference in pooled standard deviations, corrected for small "
            "samples; 0.2 small, 0.5 medium, 0.8 large). Means are tested with Welch's t-test; "
            "the Mann-Whitney rank test below it compares the two groups' distributions and is "
            "descriptive (not adjusted). MDD is the minimum detectable difference with 80% "
            "power, in the metric's units. Click a column to sort.</p>"
        )
    )
    table_id = ids.new("comparisons")

    def select(name: str, label: str, values: list[str], labels: dict[str, str]) -> str:
        opts = "".join(f'<option value="{esc(v)}">{esc(labels.get(v, v))}</option>' for v in values)
        return (
            f'<label>{esc(label)} <select name="{name}"><option value="">all</option>'
            f"{opts}</select></label>"
        )

    fams = list(dict.fromkeys(family_label(x.features) for x in log.comparisons))
    metrics = list(dict.fromkeys(x.metric for x in log.comparisons))
    conclusions = [k for k in CONCLUSION_LABELS if any(x.conclusion == k for x in log.comparisons)]
    out.append(
        f'<div class="filters" data-table="{table_id}">'
        + select("family", "Family", fams, {})
        + select("metric", "Metric", metrics, {m: metric_label(m) for m in metrics})
        + select("conclusion", "Conclusion", conclusions, CONCLUSION_LABELS)
        + '<label>Search <input type="search" name="q" placeholder="group, test…"></label>'
        '<span class="count note"></span></div>'
    )
    ordered = sorted(
        log.comparisons,
        key=lambda x: (
            list(CONCLUSION_LABELS).index(x.conclusion) if x.conclusion in CONCLUSION_LABELS else 9,
            -effect_size(x),
        ),
    )
    heads = [
        ("metric", ""),
        ("group", ""),
        ("reference", ""),
        ("n", "r"),
        ("value", "r"),
        ("difference", "r"),
        ("ratio", "r"),
        ("test", ""),
        ("p", "r"),
        ("p Holm", "r"),
        ("p BH", "r"),
        ("effect size" if named else "h", "r"),
        ("MDD", "r"),
        ("conclusion", ""),
    ]
    tips = {"h": "Cohen's h", "MDD": "minimum detectable difference", "p BH": "Benjamini-Hochberg"}
    head = "".join(
        f'<th class="{cls}" title="{esc(tips.get(h, h))}">{esc(h)}</th>' for h, cls in heads
    )
    out.append(
        f'<div class="scroll"><table class="data sortable cmp" id="{table_id}">'
        f"<thead><tr>{head}</tr></thead><tbody>"
        + "".join(_comparison_row(x, named) for x in ordered)
        + "</tbody></table></div></section>"
    )
    return "".join(out)


def _methodology_section(c: ReportContent) -> str:
    log, v = c.log, c.vocab
    out = ['<section id="methodology"><h2>Methodology and limitations</h2>']
    out.append('<div class="cols">')
    # intervals
    by_metric: dict[str, Counter[str]] = {}
    for r in log.results:
        if r.ci_method != "none":
            by_metric.setdefault(r.metric, Counter())[r.ci_method] += 1
    rows = "".join(
        f"<tr><td>{esc(metric_label(m))}</td><td>"
        + esc(", ".join(f"{k} ({n} groups)" for k, n in cnt.most_common()))
        + "</td></tr>"
        for m, cnt in by_metric.items()
    )
    out.append(
        f"<div><h3>Intervals</h3><p>All intervals are {v.level}% confidence intervals. Rates use "
        "the Wilson score interval, or Clopper-Pearson (exact) for very small counts; metrics "
        "without a closed form use a count-level stratified bootstrap with percentile "
        "intervals; ROC-AUC uses Newcombe's score interval (Hanley-McNeil variance at each "
        "candidate value, defined even when a group separates perfectly). The methods used "
        "in this audit:</p>"
        f'<table class="data"><thead><tr><th>metric</th><th>interval</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
    )
    tests = Counter(x.test for x in log.comparisons if x.test != "none")
    cmp_methods = Counter(x.ci_method for x in log.comparisons if x.ci_method != "none")
    mc = log.multiple_comparisons
    methods = mc.get("methods")
    method_text = ", ".join(str(m) for m in methods) if isinstance(methods, list) else "–"
    alpha = mc.get("alpha")
    out.append(
        "<div><h3>Tests and multiple comparisons</h3><p>Each group is compared with its "
        "family's reference group. Tests used: "
        + esc(", ".join(f"{k} ({n})" for k, n in tests.most_common()) or "none")
        + ". Chi-square without continuity correction when every expected count is at least "
        "5, otherwise Fisher's exact test; for ROC-AUC a score-type z-test (variance under "
        "the null from the pooled group and reference, corrected for skewness), only with "
        "enough positives and negatives. Comparisons below the minimum evidence get no "
        "p-value; a rate's complement (FNR of TPR) repeats its test and is counted once. "
        "Intervals of "
        "differences and ratios: "
        + esc(", ".join(f"{k} ({n})" for k, n in cmp_methods.most_common()) or "none")
        + ".</p><p>Testing many groups and metrics produces some small p-values by chance. "
        "The family of tests adjusted together is "
        + esc(str(mc.get("description", "not recorded")))
        + f" ({esc(str(mc.get('size', '–')))} tests), adjusted with {esc(method_text)}"
        + (f" at α = {float(alpha):.2g}" if isinstance(alpha, int | float) else "")
        + "; conclusions use "
        + esc(str(mc.get("conclusions_use", "p_holm")))
        + " (family-wise error control).</p></div>"
    )
    mgs = c.min_group_size
    gap = c.underpowered_gap
    out.append(
        "<div><h3>Small groups and insufficient evidence</h3><p>"
        + (
            f"Groups with fewer than {mgs} rows are marked <em>insufficient evidence</em>: "
            if mgs
            else "Small groups are marked <em>insufficient evidence</em>: "
        )
        + "their values are shown but should not be relied on, and they are left out of the "
        "fairness criteria, because the gap between the largest and smallest of many groups is "
        "biased upward by small noisy groups. A comparison that finds no difference is also "
        "<em>insufficient evidence</em> when its <b>minimum detectable difference</b> (the "
        "smallest gap from the reference rate that the test would detect at the chosen level "
        "with 80% power) exceeds "
        + (f"{gap * 100:.0f} percentage points" if gap is not None else "the stated gap")
        + ". <em>No difference detected</em> means the data are consistent with no gap larger "
        "than that; it does not show equality. <em>Undefined</em> values have a zero "
        "denominator (e.g. a false positive rate in a group with no negative outcomes).</p></div>"
    )
    bootstrap_method = log.spec_resolved.get("bootstrap_method")
    sb = log.score_bins or {}
    score_text = ""
    if sb:
        bound = sb.get("max_auc_error_bound")
        score_text = (
            f" Scores were summarised in <em>{esc(str(sb.get('mode', '?')))}</em> mode"
            + (
                f" with a largest ROC-AUC binning error of {float(bound):.2g}"
                if isinstance(bound, int | float)
                else ""
            )
            + "."
        )
    out.append(
        f"<div><h3>Bootstrap and scores</h3><p>{log.bootstrap_draws:,} bootstrap draws"
        + (f" ({esc(str(bootstrap_method))})" if bootstrap_method else "")
        + f", seed {log.seed}; the same seed and data reproduce every interval."
        + score_text
        + (
            " The audit is weighted: intervals and tests use Kish effective sample sizes."
            if v.weighted
            else ""
        )
        + "</p></div>"
    )
    out.append(reference_groups_html(log))
    out.append(
        "<div><h3>Limitations</h3><ul>"
        "<li>The audit measures associations in this data set; it does not explain their "
        "causes, and other populations or periods may differ.</li>"
        "<li>Groups are defined by the recorded feature values, which may be missing, "
        "self-reported or wrong, and hide differences within each group.</li>"
        "<li>Metrics compare predictions with recorded outcomes; if the outcome itself is "
        "measured differently across groups, so are the error rates.</li>"
        "<li>The four-fifths rule treats a positive prediction as the favourable outcome; "
        "where the positive label is unfavourable (e.g. high risk), read the ratio in "
        "reverse.</li>"
        "<li>Fairness criteria can conflict (below); which one matters depends on the use of "
        "the model and is a decision for people, not for this report.</li></ul></div>"
    )
    out.append("</div>")
    out.append(impossibility_note(c))
    out.append("</section>")
    return "".join(out)


def impossibility_note(c: ReportContent) -> str:
    spread = c.base_rate_spread()
    level = c.vocab.level
    out = ['<h3 id="impossibility">When base rates differ, criteria conflict</h3>']
    if not spread:
        out.append(
            "<p>The base rates (share of positive true outcomes) of the groups in this audit "
            "do not differ clearly (their intervals overlap), so the impossibility result below "
            "does not bind strongly here.</p>"
        )
    out.append(
        "<p>If the share of positive outcomes differs between two groups, a score that is "
        "calibrated within each group (a score of 0.7 means a 70% positive rate in every group) "
        "cannot also give both groups equal false positive rates and equal false negative "
        "rates, unless it predicts perfectly. This is a mathematical fact, not a property of one "
        "model (Kleinberg, Mullainathan and Raghavan 2016, <em>Inherent trade-offs in the fair "
        "determination of risk scores</em>; Chouldechova 2017, <em>Fair prediction with disparate "
        "impact</em>). The same holds for equal precision (predictive parity) together with "
        "equal error rates. The ProPublica analysis of COMPAS (unequal false positive rates) "
        "and Northpointe's reply (similar precision across groups) are the standard example: "
        "both can be true at once.</p>"
    )
    metrics = [
        m
        for m in (
            "base_rate",
            "selection_rate",
            "false_positive_rate",
            "false_negative_rate",
            "precision_score",
            "expected_calibration_error",
        )
        if m in c.metrics
    ]
    if "base_rate" not in metrics:
        return "".join(out)
    head = "".join(f'<th class="r">{esc(metric_short(m))}</th>' for m in metrics)
    body = []
    for fam in c.single_families:
        for g in [{}, *fam.groups] if fam is c.single_families[0] else fam.groups:
            n = c.n(g)
            name = slice_text(g) if g else "overall"
            cells = "".join(value_cell(m, c.result(m, g)) for m in metrics)
            body.append(
                f'<tr><td>{esc(name)}</td><td class="r">{esc(f"{n:,}" if n else "–")}</td>'
                f"{cells}</tr>"
            )
    out.append(
        f"<p>Base rates and the rates that cannot all be equal, per group ({level}% CI):</p>"
        f'<div class="scroll"><table class="data"><thead><tr><th>group</th>'
        f'<th class="r">n</th>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'
    )
    return "".join(out)


def _run_section(c: ReportContent) -> str:
    log = c.log
    out = ['<section id="run"><h2>Run details</h2><div class="cols">']
    kv = [
        ("run id", log.run_id),
        ("created (UTC)", log.created),
        ("equilens", log.equilens_version),
        ("log format", log.format_version),
        ("rows", f"{log.data.n_rows:,}"),
        ("data digest", log.data.digest or "–"),
        ("seed", str(log.seed)),
        ("bootstrap draws", f"{log.bootstrap_draws:,}"),
        ("confidence level", f"{log.confidence_level:g}"),
        ("engine", str(log.spec_resolved.get("engine", "–"))),
    ]
    out.append(
        '<div><h3>Run</h3><dl class="kv">'
        + "".join(f'<dt>{esc(k)}</dt><dd class="mono">{esc(v)}</dd>' for k, v in kv)
        + "</dl></div>"
    )
    cols = "".join(
        f'<dt>{esc(name)}</dt><dd class="mono">{esc(h)}</dd>'
        for name, h in log.data.columns.items()
    )
    out.append(
        '<div><h3>Data fingerprint</h3><p class="note">Content hash of each column used '
        "(same for every input type); the digest covers the row count and all columns.</p>"
        f'<dl class="kv">{cols}</dl></div>'
    )
    pk = "".join(
        f'<dt>{esc(k)}</dt><dd class="mono">{esc(v)}</dd>' for k, v in log.packages.items()
    )
    out.append(f'<div><h3>Versions</h3><dl class="kv">{pk}</dl></div>')
    if log.timings:
        tm = "".join(
            f'<dt>{esc(k)}</dt><dd class="mono">{v:.3f} s</dd>' for k, v in log.timings.items()
        )
        out.append(f'<div><h3>Timings</h3><dl class="kv">{tm}</dl></div>')
    out.append("</div>")
    if log.warnings:
        out.append(
            "<h3>Warnings</h3><ul>" + "".join(f"<li>{esc(w)}</li>" for w in log.warnings) + "</ul>"
        )
    given = json.dumps(log.spec_given, indent=2, ensure_ascii=False, default=str)
    resolved = json.dumps(log.spec_resolved, indent=2, ensure_ascii=False, default=str)
    out.append(
        f"<details><summary>Audit arguments as given</summary><pre>{esc(given)}</pre></details>"
        "<details><summary>Audit arguments as resolved (defaults and inference applied)"
        f"</summary><pre>{esc(resolved)}</pre></details>"
    )
    out.append("</section>")
    return "".join(out)


@with_log_labels
def render_html(log: AuditLog) -> str:
    """Render an audit log as one self-contained HTML page.

    Parameters
    ----------
    log : AuditLog
        The audit log; nothing else is read.

    Returns
    -------
    str
        The page. It loads no external resource (no CDN, font, image or URL), so it opens
        offline; charts are inline SVG, and a small inline script sorts and filters tables.
    """
    c = ReportContent.from_log(log)
    ids = _Ids()
    if c.probe_only:
        # A probe run has no true outcomes, predictions or curves: its own summary, the
        # Probes section, the comparisons and probe methods.
        title = f"equilens probe: {log.spec_resolved.get('probe', 'probe')}"
        parts = [
            probe_header(c),
            _nav(_PROBE_SECTIONS),
            "<main>",
            probe_summary(c),
            probes_section(c, ids.new),
            _comparisons_section(c, ids),
            probe_methodology(c),
            _run_section(c),
        ]
    elif log.task != "binary":
        # Other tasks: their own title, summary wording, confusion matrices (multiclass),
        # exposure (ranking) and methods; no binary-only section (curves, 2 x 2 cards).
        title = f"equilens audit: {log.task}"
        sections = task_sections(log.task)
        if log.safety:
            sections.insert(sections.index(("methodology", "Methodology & limitations")), SAFETY)
        parts = [
            _header(c),
            _nav([*sections[:2], *media_nav(log), *sections[2:]]),
            "<main>",
            _summary(c),
            _groups_section(c, ids),
            media_section(log),
            redteam_section(log),
            _intersections_section(c, ids),
            class_confusion_section(c) if log.task == "multiclass" else "",
            exposure_section(c) if log.task == "ranking" else "",
            _criteria_section(c, ids),
            _comparisons_section(c, ids),
            safety_section(log),
            text_quality_section(log.text_quality),
            task_methodology(c),
            _run_section(c),
        ]
    else:
        title = f"equilens audit: {c.vocab.y_pred} vs {c.vocab.y_true}"
        probes = probes_section(c, ids.new)
        sections = list(_SECTIONS)
        if probes:
            sections.insert(
                sections.index(("comparisons", "Comparisons")) + 1, ("probes", "Probes")
            )
        parts = [
            _header(c),
            _nav(sections),
            "<main>",
            _summary(c),
            _groups_section(c, ids),
            media_section(log),
            qa_section(log),
            _intersections_section(c, ids),
            _curves_section(c),
            _confusion_section(c),
            _criteria_section(c, ids),
            _comparisons_section(c, ids),
            probes,
            _methodology_section(c),
            _run_section(c),
        ]
    body = "".join(
        [
            *parts,
            f"<footer>Generated by equilens {esc(log.equilens_version)} from audit log "
            f"{esc(log.run_id)} (format {esc(log.format_version)}). Every figure in this report "
            "is recomputable from that log.</footer>",
            "</main>",
        ]
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="generator" content="equilens">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head>"
        f'<body>{body}<script id="equilens-report-js">{JS}</script></body></html>\n'
    )


def reference_groups_html(log: AuditLog) -> str:
    """The methods section's table of each family's reference group and how it was chosen."""
    refs = "".join(
        f"<tr><td>{esc(family_label(f.features))}</td><td>{esc(slice_text(f.reference))}</td>"
        f"<td>{esc(f.reference_rule)}</td></tr>"
        for f in log.families
    )
    return (
        '<div><h3>Reference groups</h3><table class="data"><thead><tr><th>family</th>'
        f"<th>reference</th><th>chosen by</th></tr></thead><tbody>{refs}</tbody></table></div>"
    )
