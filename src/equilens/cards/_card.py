"""Model cards (Mitchell et al. 2019) generated from an audit log, in Markdown and HTML.

Everything measured comes from the :class:`~equilens.results.AuditLog` (and, when given, a
gate decision and a second model's log); what only people know (owners, intended use,
training data) comes from :class:`~equilens.cards.CardMeta`, and the card says "not stated"
where it is missing. The Markdown card starts with YAML front matter in the Hugging Face
``model-index`` format holding the measured values, so a generated card can be checked with
:func:`~equilens.cards.check_claims` against a later audit.

Every string from the log, the metadata or the decision is escaped: :func:`md_escape` for
Markdown and :func:`esc` for HTML (both from :mod:`equilens.report`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from equilens._pvalue import fmt_p
from equilens._text import md_escape
from equilens.cards._agreement import agreement_html, agreement_markdown
from equilens.cards._meta import CardMeta
from equilens.cards._names import EQUILENS_TO_HF
from equilens.cards._page import badge, page, table, unstated, write_text
from equilens.metrics import metrics as metric_registry
from equilens.policy import GateDecision
from equilens.report import (
    CONCLUSION_LABELS,
    DotColumn,
    ReportContent,
    criterion_description,
    dot_label_width,
    dot_matrix,
    dot_rows,
    effect_size,
    esc,
    family_label,
    fmt_diff,
    fmt_diff_interval,
    fmt_interval,
    fmt_number,
    fmt_value,
    headline_columns,
    impossibility_note,
    is_bounded,
    is_share,
    media_lines,
    media_nav,
    media_section,
    metric_label,
    metric_short,
    plain,
    slice_key,
    slice_text,
    underpowered_gap_text,
    value_cell,
    with_log_labels,
)
from equilens.results import AuditLog, Comparison, MetricResult
from equilens.stats import newcombe_difference_interval

#: Metrics written per group into the model-index front matter.
FRONT_MATTER_GROUP_METRICS: tuple[str, ...] = (
    "accuracy_score",
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "precision_score",
    "roc_auc_score",
)

#: Metrics compared between two models.
COMPARED_METRICS: tuple[str, ...] = (
    "accuracy_score",
    "selection_rate",
    "false_positive_rate",
    "false_negative_rate",
    "precision_score",
    "roc_auc_score",
)

#: Most detected differences listed in the fairness findings table.
MAX_FINDINGS_ROWS = 25

FrontMatterGroups = Literal["none", "single", "all"]

_NOT_STATED = "not stated"


# --------------------------------------------------------------------------------------------
# Content shared by both formats


@dataclass(frozen=True)
class _Item:
    """A labelled value; None means "not stated"."""

    label: str
    value: str | None


def model_name(log: AuditLog, meta: CardMeta) -> str:
    """The card's title: the stated name, the adapter's name or path, else the prediction."""
    if meta.name:
        return meta.name
    model = log.model or {}
    for key in ("name", "model", "path", "kind"):
        if isinstance(model.get(key), str) and model[key]:
            return str(model[key])
    cols = log.spec_resolved.get("columns")
    pred = cols.get("y_pred") if isinstance(cols, dict) else None
    return f"predictions '{pred}'" if pred else f"audit {log.run_id[:12]}"


def _details(log: AuditLog, meta: CardMeta) -> list[_Item]:
    model = log.model or {}
    kind = meta.model_type or (str(model["kind"]) if model.get("kind") else None)
    refs = [*meta.references, *([meta.citation] if meta.citation else [])]
    return [
        _Item("Name", meta.name),
        _Item("Version", meta.version),
        _Item("Type", kind),
        _Item("Description", meta.description),
        _Item("Owners", ", ".join(meta.owners) or None),
        _Item("Licence", meta.license),
        _Item("Date", meta.date),
        _Item("Contact", meta.contact),
        _Item("References", "; ".join(refs) or None),
    ]


def _adapter_items(log: AuditLog) -> list[_Item]:
    # A speech or images audit records its recogniser / classifier in the media settings.
    record, prefix = log.model, ""
    if not record and log.media is not None:
        record, prefix = log.media.settings, f"{log.media.kind} "
    if not record:
        return []
    out = []
    for key, value in record.items():
        text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
        out.append(_Item(prefix + key, text))
    return out


def _small_groups(c: ReportContent) -> list[tuple[dict[str, str], int]]:
    seen: dict[tuple[tuple[str, str], ...], tuple[dict[str, str], int]] = {}
    for r in c.log.results:
        if r.status == "insufficient_evidence" and r.slice:
            seen.setdefault(slice_key(r.slice), (r.slice, r.n))
    return list(seen.values())


def _diff_ci(x: Comparison) -> str:
    return fmt_diff_interval(x.metric, x.difference_ci_low, x.difference_ci_high)


def _detected(log: AuditLog) -> list[Comparison]:
    rows = [x for x in log.comparisons if x.conclusion == "difference_detected"]
    rows.sort(key=lambda x: (-effect_size(x), x.p_holm if x.p_holm is not None else 1.0))
    return rows


def _caveats(c: ReportContent, meta: CardMeta) -> list[str]:
    """Limitations the audit shows, as plain sentences."""
    log = c.log
    out: list[str] = []
    small = _small_groups(c)
    mgs = c.min_group_size
    if small:
        names = "; ".join(f"{slice_text(g)} (n = {n:,})" for g, n in small[:10])
        more = f" and {len(small) - 10} more" if len(small) > 10 else ""
        out.append(
            f"{len(small)} group(s) have fewer than {mgs or 'the minimum number of'} rows and "
            f"are reported as insufficient evidence: {names}{more}. Their values are shown but "
            "must not be relied on, and they are left out of the fairness criteria."
        )
    under = c.underpowered()
    if under:
        gap = c.underpowered_gap
        gap_text = underpowered_gap_text(gap, log.task)
        out.append(
            f"{len(under)} comparison(s) of groups large enough to report could not detect a "
            f"gap of {gap_text} with 80% power; for them, "
            "'no difference detected' would not show equal treatment, so they are reported as "
            "insufficient evidence."
        )
    sb = log.score_bins or {}
    if sb:
        bound = sb.get("max_auc_error_bound")
        if sb.get("mode") == "exact" or bound == 0:
            out.append(
                "Scores were summarised exactly, so score metrics (ROC-AUC, calibration) carry "
                "no binning error."
            )
        elif isinstance(bound, int | float):
            out.append(
                f"Scores were summarised in {sb.get('bins', '?')} histogram bins: ROC-AUC values "
                f"may be off by up to {float(bound):.2g} from binning (the bound is stated per "
                "row in the log), on top of their sampling interval."
            )
    spread = c.base_rate_spread()
    if spread:
        parts = "; ".join(
            f"{family_label(fam.features)}: {slice_text(lo.slice)} "
            f"{fmt_value('base_rate', lo.value)} "
            f"({fmt_interval('base_rate', lo.ci_low, lo.ci_high)})"
            f" against {slice_text(hi.slice)} {fmt_value('base_rate', hi.value)} "
            f"({fmt_interval('base_rate', hi.ci_low, hi.ci_high)})"
            for fam, lo, hi in spread
        )
        out.append(
            f"Base rates differ between groups ({parts}). When base rates differ, a score that "
            "is calibrated within groups cannot also give the groups equal false positive and "
            "false negative rates, except for a perfect predictor (Kleinberg, Mullainathan and "
            "Raghavan 2016; Chouldechova 2017). Which criterion matters depends on the use of "
            "the model and is a decision for people."
        )
    elif log.task == "binary":
        out.append(
            "Base rates do not clearly differ between groups here (or were not measured), so "
            "the impossibility result on calibration and error-rate balance does not bind "
            "strongly; criteria can still conflict."
        )
    if any(d.method == "between_groups" for d in log.disparities):
        out.append(
            "Between-groups criteria (largest minus smallest group) are biased upward when groups "
            "are small; read them with their intervals."
        )
    if bool(log.spec_resolved.get("weighted")):
        out.append("The audit is weighted: intervals and tests use Kish effective sample sizes.")
    out.append(
        "The audit measures associations in this data set, not their causes; other "
        "populations, periods or uses may differ. Groups are the recorded values of the "
        "sensitive columns, which may be missing or wrong and hide differences within groups."
    )
    out.extend(f"Stated by the card's author: {cv}" for cv in meta.caveats)
    out.extend(f"Audit warning: {w}" for w in log.warnings)
    return out


def _ci_text(metric: str, r: MetricResult | None) -> tuple[str, str]:
    """(value, interval) texts of a result row."""
    if r is None:
        return "–", "not measured"
    if r.value is None:
        return "undefined", r.reason or "undefined"
    if r.ci_low is None or r.ci_high is None:
        return fmt_value(metric, r.value), ("exact count" if metric == "count" else "no interval")
    return fmt_value(metric, r.value), fmt_interval(metric, r.ci_low, r.ci_high)


def _evidence(c: ReportContent, g: dict[str, str]) -> str:
    for m in c.metrics:
        r = c.result(m, g)
        if r is not None and r.status == "insufficient_evidence":
            return "insufficient evidence"
    return "ok"


def _group_rows(c: ReportContent) -> list[tuple[str, dict[str, str]]]:
    """(family label, group) for every group of every family, single features first."""
    rows: list[tuple[str, dict[str, str]]] = [("overall", {})]
    for fam in [*c.single_families, *c.intersection_families]:
        rows.extend((family_label(fam.features), g) for g in fam.groups)
    return rows


def _compare_rows(
    log: AuditLog, other: AuditLog
) -> list[tuple[dict[str, str], str, MetricResult | None, MetricResult | None, str, str]]:
    """(group, metric, this row, other row, difference text, difference interval text)."""
    alpha = 1.0 - log.confidence_level
    curves_a = {slice_key(cv.slice): cv for cv in log.curves or []}
    curves_b = {slice_key(cv.slice): cv for cv in other.curves or []}
    weighted = bool(log.spec_resolved.get("weighted")) or bool(other.spec_resolved.get("weighted"))
    groups: list[dict[str, str]] = [{}]
    for fam in log.families:
        if len(fam.features) == 1:
            groups.extend(fam.groups)
    out = []
    for g in groups:
        for m in COMPARED_METRICS:
            a = _find(log, m, g)
            b = _find(other, m, g)
            if a is None and b is None:
                continue
            diff, ci = "–", "not computed"
            if a is not None and b is not None and a.value is not None and b.value is not None:
                diff = fmt_diff(m, a.value - b.value)
                ca, cb = curves_a.get(slice_key(g)), curves_b.get(slice_key(g))
                spec = metric_registry.get(m) if m in metric_registry else None
                if (
                    spec is not None
                    and spec.kind == "proportion"
                    and ca is not None
                    and cb is not None
                    and not weighted
                ):
                    xa, na = _parts(ca.confusion.model_dump(), spec.numerator, spec.denominator)
                    xb, nb = _parts(cb.confusion.model_dump(), spec.numerator, spec.denominator)
                    lo, hi = newcombe_difference_interval(xa, na, xb, nb, alpha)
                    if float(lo) == float(lo):  # not NaN
                        ci = fmt_diff_interval(m, float(lo), float(hi))
                else:
                    ci = "no interval from two logs (use a paired test on the rows)"
            out.append((g, m, a, b, diff, ci))
    return out


_CELL_NAMES = {(0, 0): "tn", (0, 1): "fp", (1, 0): "fn", (1, 1): "tp"}


def _parts(
    conf: dict[str, float],
    numerator: Sequence[tuple[int, int]],
    denominator: Sequence[tuple[int, int]],
) -> tuple[float, float]:
    x = sum(conf[_CELL_NAMES[c]] for c in numerator)
    n = sum(conf[_CELL_NAMES[c]] for c in denominator)
    return x, n


def _find(log: AuditLog, metric: str, g: dict[str, str]) -> MetricResult | None:
    for r in log.results:
        if r.metric == metric and r.slice == g:
            return r
    return None


# --------------------------------------------------------------------------------------------
# Front matter (Hugging Face model-index)


#: The Hugging Face ``model-index`` task of each audit task.
_HF_TASKS: dict[str, dict[str, str]] = {
    "binary": {"type": "tabular-classification", "name": "Binary classification"},
    "multiclass": {"type": "tabular-classification", "name": "Multiclass classification"},
    "regression": {"type": "tabular-regression", "name": "Regression"},
    "measure": {"type": "other", "name": "Measure per unit"},
    "ranking": {"type": "other", "name": "Ranking"},
}


def model_index(
    log: AuditLog,
    meta: CardMeta | None = None,
    *,
    groups: FrontMatterGroups = "single",
    digits: int = 4,
) -> dict[str, Any]:
    """The measured metrics as Hugging Face card metadata (``model-index``).

    Parameters
    ----------
    log : AuditLog
    meta : CardMeta, optional
        Gives the model name, licence and evaluation data name.
    groups : {"none", "single", "all"}, default "single"
        Which groups' metrics to include besides the overall ones: none, the groups of single
        features, or also intersections. Only rows with status ``ok`` are written (a group
        too small to rely on is not a claim).
    digits : int, default 4
        Decimals of the values.

    Returns
    -------
    dict
        ``{"tags": [...], "model-index": [...]}`` (and ``license`` when stated). Each metric
        entry has the Hugging Face ``type``, ``value`` and ``name``, and in ``args`` the
        equilens metric, the slice, the interval, its method and level, and n, so the card
        can be checked with ``equilens check-claims``.
    """
    meta = meta or CardMeta()
    single = {slice_key(g) for f in log.families if len(f.features) == 1 for g in f.groups}
    group_metrics = (
        FRONT_MATTER_GROUP_METRICS
        if log.task == "binary"
        else {h.metric for h in headline_columns(log) if not h.worst}
    )
    entries: list[dict[str, Any]] = []
    for r in log.results:
        if r.status != "ok" or r.value is None or r.metric == "count":
            continue
        if r.slice:
            if groups == "none" or r.metric not in group_metrics:
                continue
            if groups == "single" and slice_key(r.slice) not in single:
                continue
        args: dict[str, Any] = {"equilens_metric": r.metric, "slice": dict(r.slice)}
        if r.ci_low is not None and r.ci_high is not None:
            args.update(
                ci_low=round(r.ci_low, digits),
                ci_high=round(r.ci_high, digits),
                ci_method=r.ci_method,
                confidence_level=log.confidence_level,
            )
        args["n"] = r.n
        entries.append(
            {
                "type": EQUILENS_TO_HF.get(r.metric, r.metric),
                "value": round(r.value, digits),
                "name": f"{metric_label(r.metric)} ({slice_text(r.slice)})",
                "verified": False,
                "args": args,
            }
        )
    dataset_name = meta.evaluation_data.name or "audit data"
    doc: dict[str, Any] = {}
    if meta.license:
        doc["license"] = meta.license
    doc["tags"] = ["equilens", "fairness-audit"]
    doc["model-index"] = [
        {
            "name": model_name(log, meta),
            "results": [
                {
                    "task": _HF_TASKS.get(log.task, _HF_TASKS["binary"]),
                    "dataset": {
                        "name": dataset_name,
                        "type": "equilens-audit",
                        "args": {
                            "n_rows": log.data.n_rows,
                            "fingerprint": log.data.digest,
                            "run_id": log.run_id,
                        },
                    },
                    "metrics": entries,
                }
            ],
        }
    ]
    return doc


def front_matter(log: AuditLog, meta: CardMeta | None = None, **kwargs: Any) -> str:
    """The ``---``-delimited YAML block that starts a generated card."""
    text = yaml.safe_dump(
        model_index(log, meta, **kwargs), sort_keys=False, allow_unicode=True, width=100
    )
    return f"---\n{text}---\n"


# --------------------------------------------------------------------------------------------
# Markdown


def _data_items(log: AuditLog, meta: CardMeta, c: ReportContent, fingerprint: str) -> list[_Item]:
    """The evaluation data's facts (Markdown and HTML cards; ``fingerprint`` labels the digest)."""
    ed = meta.evaluation_data
    cols = log.spec_resolved.get("columns")
    colmap = cols if isinstance(cols, dict) else {}
    columns = ", ".join(f"{k}: {v}" for k, v in colmap.items() if isinstance(v, str))
    return [
        _Item("Data set", ed.name),
        _Item("Description", ed.description),
        _Item("Source", ed.source),
        _Item("Rows audited", f"{log.data.n_rows:,}"),
        _Item(fingerprint, log.data.digest or "not recorded"),
        _Item("Columns", columns or None),
        _Item("Positive label", c.vocab.positive)
        if log.task == "binary"
        else _Item("Task", log.task),
    ]


def _md_items(items: list[_Item]) -> list[str]:
    return [
        f"- **{md_escape(i.label)}:** "
        + (md_escape(i.value) if i.value is not None else f"*{_NOT_STATED}*")
        for i in items
    ]


def _md_list(values: list[str]) -> list[str]:
    if not values:
        return [f"*{_NOT_STATED}*"]
    return [f"- {md_escape(v)}" for v in values]


@with_log_labels
def render_card_markdown(
    log: AuditLog,
    meta: CardMeta | None = None,
    *,
    decision: GateDecision | None = None,
    compare: AuditLog | None = None,
    compare_name: str | None = None,
    front_matter_groups: FrontMatterGroups = "single",
    agreement: Mapping[str, Any] | None = None,
) -> str:
    """A model card in Markdown, starting with Hugging Face ``model-index`` front matter.

    Parameters
    ----------
    log : AuditLog
        The audit the card reports.
    meta : CardMeta, optional
        What people state about the model; missing fields read "not stated".
    decision : GateDecision, optional
        The gate decision on this audit (section "Gate decision").
    compare : AuditLog, optional
        A second model's audit (section "Comparison with another model").
    compare_name : str, optional
        Name of the second model (default: from its log).
    front_matter_groups : {"none", "single", "all"}
        See :func:`model_index`.
    agreement : mapping, optional
        An ``agreement.json`` of ``equilens agreement`` (section "Rater agreement").

    Returns
    -------
    str
    """
    meta = meta or CardMeta()
    c = ReportContent.from_log(log)
    v = c.vocab
    level = v.level
    name = model_name(log, meta)
    out = [front_matter(log, meta, groups=front_matter_groups).rstrip("\n"), ""]
    out += [f"# Model card: {md_escape(name)}", ""]
    verdict = f" · gate: **{md_escape(decision.verdict)}**" if decision else ""
    out += [
        md_escape(
            f"Generated by equilens {log.equilens_version} from audit {log.run_id} "
            f"({log.created}) · {log.data.n_rows:,} rows"
        )
        + verdict,
        "",
        "## Model details",
        "",
        *_md_items(_details(log, meta)),
    ]
    adapter = _adapter_items(log)
    out.append("")
    if adapter:
        out += ["Model adapter record (from the audit log):", "", *_md_items(adapter)]
    else:
        out.append(
            "The predictions were given as columns; the audit log has no model adapter record."
        )
    out += [
        "",
        "## Intended use",
        "",
        "**Primary intended uses**",
        "",
        *_md_list(meta.intended_uses),
    ]
    out += ["", "**Primary intended users**", "", *_md_list(meta.intended_users)]
    out += ["", "**Out-of-scope uses**", "", *_md_list(meta.out_of_scope_uses), ""]
    # factors
    out += ["## Factors", ""]
    feats = log.spec_resolved.get("sensitive_features")
    feat_text = ", ".join(str(f) for f in feats) if isinstance(feats, list) else "–"
    out += [
        f"Sensitive features audited: {md_escape(feat_text)}; "
        f"{len(c.intersection_families)} intersection famil"
        f"{'y' if len(c.intersection_families) == 1 else 'ies'}. Groups with fewer than "
        f"{c.min_group_size or '?'} rows are insufficient evidence.",
        "",
        "| family | groups | reference | reference chosen by |",
        "|---|---:|---|---|",
    ]
    for fam in log.families:
        out.append(
            f"| {md_escape(family_label(fam.features))} | {len(fam.groups)} | "
            f"{md_escape(slice_text(fam.reference))} | {md_escape(fam.reference_rule)} |"
        )
    # metrics
    out += ["", "## Metrics", "", f"### Overall ({level}% confidence intervals)", ""]
    out += ["| metric | value | interval | method | status |", "|---|---:|---|---|---|"]
    for m in c.metrics:
        r = c.result(m, {})
        val, ci = _ci_text(m, r)
        out.append(
            f"| {md_escape(metric_label(m))} | {md_escape(val)} | {md_escape(ci)} | "
            f"{md_escape(r.ci_method if r else '–')} | "
            f"{md_escape((r.status if r else '–').replace('_', ' '))} |"
        )
    keys = c.key_metrics
    if keys:
        out += [
            "",
            f"### By group and intersection (value and {level}% CI)",
            "",
            "Rows marked *insufficient evidence* are below the minimum group size: their values "
            "must not be relied on.",
            "",
            "| family | group | n | evidence | "
            + " | ".join(md_escape(metric_short(m)) for m in keys)
            + " |",
            "|---|---|---:|---|" + "---:|" * len(keys),
        ]
        for fam_label, g in _group_rows(c):
            n = c.n(g)
            cells = []
            for m in keys:
                val, ci = _ci_text(m, c.result(m, g))
                cells.append(md_escape(val if val in ("undefined", "–") else f"{val} ({ci})"))
            ev = _evidence(c, g)
            out.append(
                f"| {md_escape(fam_label)} | {md_escape(slice_text(g))} | "
                f"{'–' if n is None else f'{n:,}'} | "
                f"{'*insufficient evidence*' if ev != 'ok' else 'ok'} | " + " | ".join(cells) + " |"
            )
    # evaluation data
    ed = meta.evaluation_data
    out += [
        "",
        "## Evaluation data",
        "",
        *_md_items(_data_items(log, meta, c, "Fingerprint (BLAKE2b digest)")),
        "",
        "**Filters and preprocessing (as stated)**",
        "",
        *_md_list([*ed.filters, *ed.preprocessing]),
        "",
        "Column hashes (normalised content, the same for every input format):",
        "",
        *[f"- `{md_escape(k)}`: {md_escape(h)}" for k, h in log.data.columns.items()],
        "",
        "## Training data",
        "",
        md_escape(meta.training_data) if meta.training_data else f"*{_NOT_STATED}*",
        "",
    ]
    # fairness findings
    out += _md_findings(c)
    if log.media is not None:  # speech / images: what was scored, skipped, and notes
        out += ["## Media inputs", "", *media_lines(log)]
    if compare is not None:
        out += _md_compare(log, compare, compare_name)
    out += agreement_markdown(agreement)
    out += ["## Caveats and limitations", ""]
    out += [f"- {md_escape(x)}" for x in _caveats(c, meta)]
    out += ["", "## Ethical considerations", "", *_md_list(meta.ethical_considerations), ""]
    out += _md_decision(decision, log)
    out.append(
        "<sub>Generated by equilens from the audit log: descriptive statistics with their "
        "uncertainty, not a certification that the model is fair.</sub>"
    )
    return "\n".join(out) + "\n"


def _md_findings(c: ReportContent) -> list[str]:
    log = c.log
    counts = c.conclusion_counts()
    mc = log.multiple_comparisons
    out = [
        "## Fairness findings",
        "",
        f"{counts.get('difference_detected', 0)} of {len(log.comparisons)} group-vs-reference "
        f"comparisons detected a difference (Holm-adjusted p < {c.vocab.alpha:.2g} over "
        f"{md_escape(mc.get('size', len(log.comparisons)))} tests); "
        f"{counts.get('no_difference_detected', 0)} detected none and "
        f"{counts.get('insufficient_evidence', 0)} had insufficient evidence.",
        "",
    ]
    findings = [
        *c.key_findings(5, intersections=False),
        *c.key_findings(2, intersections=True),
    ]
    if findings:
        out += ["**Largest differences**", ""]
        out += [f"{i}. {md_escape(plain(f.segments))}" for i, f in enumerate(findings, 1)]
        out.append("")
    detected = _detected(log)
    if detected:
        level = c.vocab.level
        out += [
            f"**Detected differences, ranked by effect size** ({len(detected)}; "
            f"{min(len(detected), MAX_FINDINGS_ROWS)} shown)",
            "",
            f"| metric | group | reference | value | reference value | difference ({level}% CI)"
            " | p (Holm) | Cohen's h |",
            "|---|---|---|---:|---:|---:|---:|---:|",
        ]
        for x in detected[:MAX_FINDINGS_ROWS]:
            out.append(
                f"| {md_escape(metric_short(x.metric))} | {md_escape(slice_text(x.slice))} | "
                f"{md_escape(slice_text(x.reference))} | {md_escape(fmt_value(x.metric, x.value))}"
                f" | {md_escape(fmt_value(x.metric, x.reference_value))} | "
                f"{md_escape(fmt_diff(x.metric, x.difference))} ("
                f"{md_escape(_diff_ci(x))}) | {md_escape(fmt_p(x.p_holm))} | "
                f"{md_escape(fmt_number(x.cohens_h, 2))} |"
            )
        out.append("")
    crit = [d for d in log.disparities if d.method == "between_groups" and len(d.features) == 1]
    if crit:
        out += [
            "**Fairness criteria, between groups of each feature**",
            "",
            "| criterion | feature | value | interval | status | groups |",
            "|---|---|---:|---|---|---|",
        ]
        for d in crit:
            out.append(
                f"| {md_escape(d.criterion)} | {md_escape(family_label(d.features))} | "
                f"{md_escape(fmt_number(d.value))} | "
                f"{md_escape(fmt_interval('', d.ci_low, d.ci_high))} | "
                f"{md_escape(d.status.replace('_', ' '))} | "
                f"{md_escape(' vs '.join(slice_text(g) for g in d.groups) or '–')} |"
            )
        out.append("")
    return out


def _same_rows(a: AuditLog, b: AuditLog) -> bool:
    """Whether two audits share rows: same row count and same label and group column hashes."""
    if a.data.n_rows != b.data.n_rows:
        return False
    keys: list[str] = []
    for log in (a, b):
        cols = log.spec_resolved.get("columns")
        if isinstance(cols, dict):
            keys += [str(cols["y_true"])] if cols.get("y_true") else []
            sens = cols.get("sensitive")
            keys += [str(x) for x in sens] if isinstance(sens, list) else []
    keys = list(dict.fromkeys(keys))
    return bool(keys) and all(
        a.data.columns.get(k) is not None and a.data.columns.get(k) == b.data.columns.get(k)
        for k in keys
    )


def _other_name(other: AuditLog, given: str | None) -> str:
    return given or model_name(other, CardMeta())


def _md_compare(log: AuditLog, other: AuditLog, given: str | None) -> list[str]:
    name = _other_name(other, given)
    same = _same_rows(log, other)
    out = [
        "## Comparison with another model",
        "",
        md_escape(
            f"Compared with {name} (audit {other.run_id[:12]}, {other.data.n_rows:,} rows). "
            + (
                "Both audits used the same rows (the labels and group columns have the same "
                "content hashes); only the predictions differ."
                if same
                else "The audits used different rows or labels (content hashes differ): "
                "differences mix model and data."
            )
        ),
        "",
        "Difference intervals for rates are Newcombe intervals for independent samples: on the "
        "same rows they are conservative (too wide) when the two models' errors are positively "
        "correlated; a paired test on the rows is sharper.",
        "",
        "| group | metric | this model | other model | difference | interval |",
        "|---|---|---:|---:|---:|---|",
    ]
    for g, m, a, b, diff, ci in _compare_rows(log, other):
        va, ca = _ci_text(m, a)
        vb, cb = _ci_text(m, b)
        out.append(
            f"| {md_escape(slice_text(g))} | {md_escape(metric_short(m))} | "
            f"{md_escape(f'{va} ({ca})')} | {md_escape(f'{vb} ({cb})')} | {md_escape(diff)} | "
            f"{md_escape(ci)} |"
        )
    out.append("")
    return out


def _md_decision(decision: GateDecision | None, log: AuditLog) -> list[str]:
    out = ["## Gate decision", ""]
    if decision is None:
        return [*out, "No gate decision was given for this card.", ""]
    out += [
        f"**{md_escape(decision.verdict.upper())}**: {md_escape(decision.summary)}",
        "",
        md_escape(
            f"Policy {decision.policy_name} {decision.policy_version or ''} (hash "
            f"{decision.policy_hash[:16]}), evaluated on {decision.evaluated_on}. Passing a "
            "policy means the audit met its rules; it does not show that a model is fair."
        ),
        "",
        "| rule | status | outcomes |",
        "|---|---|---|",
    ]
    for rule_id in decision.rule_ids():
        outcomes = decision.outcomes_for(rule_id)
        counts: dict[str, int] = {}
        for o in outcomes:
            counts[o.status] = counts.get(o.status, 0) + 1
        summary = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in counts.items())
        out.append(
            f"| {md_escape(rule_id)} | "
            f"{md_escape(decision.rule_status(rule_id).replace('_', ' '))} | "
            f"{md_escape(summary)} |"
        )
    out.append("")
    return out


# --------------------------------------------------------------------------------------------
# HTML


def _html_items(items: list[_Item]) -> str:
    return (
        '<dl class="kv">'
        + "".join(
            f"<dt>{esc(i.label)}</dt><dd>"
            + (esc(i.value) if i.value is not None else unstated())
            + "</dd>"
            for i in items
        )
        + "</dl>"
    )


def _html_list(values: list[str]) -> str:
    if not values:
        return f"<p>{unstated()}</p>"
    return "<ul>" + "".join(f"<li>{esc(v)}</li>" for v in values) + "</ul>"


@with_log_labels
def render_card_html(
    log: AuditLog,
    meta: CardMeta | None = None,
    *,
    decision: GateDecision | None = None,
    compare: AuditLog | None = None,
    compare_name: str | None = None,
    agreement: Mapping[str, Any] | None = None,
) -> str:
    """The model card as one self-contained HTML page (same sections as the Markdown card).

    Parameters are those of :func:`render_card_markdown`. The page loads nothing external;
    every string from the log, the metadata and the decision is escaped.
    """
    meta = meta or CardMeta()
    c = ReportContent.from_log(log)
    level = c.vocab.level
    name = model_name(log, meta)
    sec: list[str] = []
    # details
    adapter = _adapter_items(log)
    sec.append(
        '<section id="details"><h2>Model details</h2><div class="cols"><div>'
        + _html_items(_details(log, meta))
        + "</div><div><h3>Model adapter record</h3>"
        + (
            _html_items(adapter)
            if adapter
            else "<p>The predictions were given as columns; the audit log has no model "
            "adapter record.</p>"
        )
        + "</div></div></section>"
    )
    sec.append(
        '<section id="use"><h2>Intended use</h2><div class="cols">'
        f"<div><h3>Primary intended uses</h3>{_html_list(meta.intended_uses)}</div>"
        f"<div><h3>Primary intended users</h3>{_html_list(meta.intended_users)}</div>"
        f"<div><h3>Out-of-scope uses</h3>{_html_list(meta.out_of_scope_uses)}</div>"
        "</div></section>"
    )
    fam_rows = [
        [
            esc(family_label(f.features)),
            str(len(f.groups)),
            esc(", ".join(slice_text(g) for g in f.groups)),
            esc(slice_text(f.reference)),
            esc(f.reference_rule),
        ]
        for f in log.families
    ]
    sec.append(
        '<section id="factors"><h2>Factors</h2><p>Sensitive features and intersections '
        f"audited. Groups with fewer than {esc(c.min_group_size or '?')} rows are "
        "<em>insufficient evidence</em>.</p>"
        + table(
            ["family", "groups", "group values", "reference", "chosen by"], fam_rows, right=(1,)
        )
        + "</section>"
    )
    sec.append(_html_metrics(c))
    ed = meta.evaluation_data
    sec.append(
        '<section id="data"><h2>Evaluation data</h2><div class="cols"><div>'
        + _html_items(_data_items(log, meta, c, "Fingerprint"))
        + "<h3>Filters and preprocessing (as stated)</h3>"
        + _html_list([*ed.filters, *ed.preprocessing])
        + "</div><div><h3>Column hashes</h3>"
        + '<dl class="kv">'
        + "".join(
            f'<dt>{esc(k)}</dt><dd class="mono">{esc(h)}</dd>' for k, h in log.data.columns.items()
        )
        + "</dl><h3>Training data</h3>"
        + (f"<p>{esc(meta.training_data)}</p>" if meta.training_data else f"<p>{unstated()}</p>")
        + "</div></div></section>"
    )
    sec.append(_html_findings(c))
    sec.append(media_section(log))
    if compare is not None:
        sec.append(_html_compare(log, compare, compare_name))
    if agreement is not None:
        sec.append(agreement_html(agreement))
    sec.append(
        '<section id="caveats"><h2>Caveats and limitations</h2><ul class="evidence">'
        + "".join(f"<li>{esc(x)}</li>" for x in _caveats(c, meta))
        + "</ul>"
        + (impossibility_note(c) if log.task == "binary" else "")
        + "<h3>Ethical considerations</h3>"
        + _html_list(meta.ethical_considerations)
        + "</section>"
    )
    sec.append(_html_decision(decision))
    nav = [
        ("details", "Details"),
        ("use", "Intended use"),
        ("factors", "Factors"),
        ("metrics", "Metrics"),
        ("data", "Data"),
        ("findings", "Fairness findings"),
        *media_nav(log),
        *([("compare", "Comparison")] if compare is not None else []),
        *([("agreement", "Rater agreement")] if agreement is not None else []),
        ("caveats", "Caveats"),
        ("gate", "Gate decision"),
    ]
    meta_line = [
        f"audit {log.run_id[:12]}",
        f"{log.data.n_rows:,} rows",
        f"{level}% intervals",
        *([f"gate: {decision.verdict}"] if decision else []),
    ]
    return page(
        title=f"Model card: {name}",
        eyebrow="equilens model card",
        meta=meta_line,
        nav=nav,
        body="".join(sec),
        footer=f"Generated by equilens {log.equilens_version} from audit log {log.run_id} "
        f"(format {log.format_version}). Descriptive statistics with their uncertainty, not a "
        "certification that the model is fair.",
    )


def _html_metrics(c: ReportContent) -> str:
    log = c.log
    level = c.vocab.level
    rows = []
    for m in c.metrics:
        r = c.result(m, {})
        val, ci = _ci_text(m, r)
        rows.append(
            [
                esc(metric_label(m)),
                esc(val),
                esc(ci),
                esc(r.ci_method if r else "–"),
                badge(r.status if r else "undefined"),
            ]
        )
    out = [
        '<section id="metrics"><h2>Metrics</h2>',
        f"<h3>Overall ({level}% confidence intervals)</h3>",
        table(["metric", "value", "interval", "method", "status"], rows, right=(1,)),
    ]
    keys = c.key_metrics
    if keys:
        columns = [DotColumn(metric_short(m), is_share(m), is_bounded(m)) for m in keys]
        width = max(
            (dot_label_width(dot_rows(c, f, keys)) for f in c.single_families), default=None
        )
        out.append(
            f"<h3>By group ({level}% CI)</h3><p>Dots are point estimates with interval whiskers; "
            "the dashed line is the overall value. Hollow dots with dashed whiskers are groups "
            "too small to rely on; orange dots differ from the reference group.</p>"
        )
        for fam in c.single_families:
            out.append(
                f"<figure><figcaption>{esc(family_label(fam.features))}</figcaption>"
                '<div class="scroll">'
                + dot_matrix(
                    f"Key metrics by {family_label(fam.features)}",
                    columns,
                    dot_rows(c, fam, keys),
                    width,
                )
                + "</div></figure>"
            )
        head = "".join(f'<th class="r">{esc(metric_short(m))}</th>' for m in keys)
        body = []
        for fam_label, g in _group_rows(c):
            n = c.n(g)
            ev = _evidence(c, g)
            cells = "".join(value_cell(m, c.result(m, g)) for m in keys)
            body.append(
                f"<tr><td>{esc(fam_label)}</td><td>{esc(slice_text(g))}</td>"
                f'<td class="r">{esc("–" if n is None else f"{n:,}")}</td>'
                f"<td>{badge('insufficient_evidence') if ev != 'ok' else badge('ok')}</td>"
                f"{cells}</tr>"
            )
        out.append(
            f"<h3>Every group and intersection (value and {level}% CI)</h3>"
            '<div class="scroll"><table class="data sortable"><thead><tr><th>family</th>'
            f'<th>group</th><th class="r">n</th><th>evidence</th>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>"
        )
    out.append("</section>")
    del log
    return "".join(out)


def _html_findings(c: ReportContent) -> str:
    log = c.log
    level = c.vocab.level
    counts = c.conclusion_counts()
    mc = log.multiple_comparisons
    out = [
        '<section id="findings"><h2>Fairness findings</h2>',
        "<p>"
        + esc(
            f"{counts.get('difference_detected', 0)} of {len(log.comparisons)} group-vs-reference "
            f"comparisons detected a difference (Holm-adjusted p < {c.vocab.alpha:.2g} over "
            f"{mc.get('size', len(log.comparisons))} tests); "
            f"{counts.get('no_difference_detected', 0)} detected none and "
            f"{counts.get('insufficient_evidence', 0)} had insufficient evidence."
        )
        + "</p>",
    ]
    findings = [
        *c.key_findings(5, intersections=False),
        *c.key_findings(2, intersections=True),
    ]
    if findings:
        out.append(
            '<ol class="findings">'
            + "".join(f"<li>{esc(plain(f.segments))}</li>" for f in findings)
            + "</ol>"
        )
    detected = _detected(log)
    if detected:
        rows = [
            [
                esc(metric_short(x.metric)),
                esc(slice_text(x.slice)),
                esc(slice_text(x.reference)),
                esc(fmt_value(x.metric, x.value)),
                esc(fmt_value(x.metric, x.reference_value)),
                esc(fmt_diff(x.metric, x.difference))
                + '<span class="ci">'
                + esc(fmt_diff_interval(x.metric, x.difference_ci_low, x.difference_ci_high))
                + "</span>",
                esc(fmt_p(x.p_holm)),
                esc(fmt_number(x.cohens_h, 2)),
                badge(x.conclusion, CONCLUSION_LABELS.get(x.conclusion)),
            ]
            for x in detected[:MAX_FINDINGS_ROWS]
        ]
        out.append(
            f"<h3>Detected differences, ranked by effect size ({len(detected)}; "
            f"{min(len(detected), MAX_FINDINGS_ROWS)} shown)</h3>"
            + table(
                [
                    "metric",
                    "group",
                    "reference",
                    "value",
                    "reference value",
                    f"difference ({level}% CI)",
                    "p (Holm)",
                    "Cohen's h",
                    "conclusion",
                ],
                rows,
                right=(3, 4, 5, 6, 7),
            )
        )
    crit = [d for d in log.disparities if d.method == "between_groups" and len(d.features) == 1]
    if crit:
        rows = [
            [
                f'<span title="{esc(criterion_description(d.criterion))}">'
                f"{esc(d.criterion)}</span>",
                esc(family_label(d.features)),
                esc(fmt_number(d.value)),
                esc(fmt_interval("", d.ci_low, d.ci_high)),
                badge(d.status),
                esc(" vs ".join(slice_text(g) for g in d.groups) or "–"),
            ]
            for d in crit
        ]
        out.append(
            "<h3>Fairness criteria, between groups of each feature</h3>"
            + table(
                ["criterion", "feature", "value", "interval", "status", "groups"], rows, right=(2,)
            )
        )
    out.append("</section>")
    return "".join(out)


def _html_compare(log: AuditLog, other: AuditLog, given: str | None) -> str:
    name = _other_name(other, given)
    same = _same_rows(log, other)
    rows = []
    for g, m, a, b, diff, ci in _compare_rows(log, other):
        va, ca = _ci_text(m, a)
        vb, cb = _ci_text(m, b)
        rows.append(
            [
                esc(slice_text(g)),
                esc(metric_short(m)),
                esc(va) + f'<span class="ci">{esc(ca)}</span>',
                esc(vb) + f'<span class="ci">{esc(cb)}</span>',
                esc(diff) + f'<span class="ci">{esc(ci)}</span>',
            ]
        )
    return (
        '<section id="compare"><h2>Comparison with another model</h2><p>'
        + esc(
            f"Compared with {name} (audit {other.run_id[:12]}, {other.data.n_rows:,} rows). "
            + (
                "Both audits used the same rows (the labels and group columns have the same "
                "content hashes); only the predictions differ."
                if same
                else "The audits used different rows or labels (content hashes differ): "
                "differences mix model and data."
            )
        )
        + '</p><p class="note">Difference intervals for rates are Newcombe intervals for '
        "independent samples: on the same rows they are conservative when the two models' errors "
        "are positively correlated; a paired test on the rows is sharper.</p>"
        + table(
            ["group", "metric", "this model", "other model", "difference"], rows, right=(2, 3, 4)
        )
        + "</section>"
    )


def _html_decision(decision: GateDecision | None) -> str:
    out = ['<section id="gate"><h2>Gate decision</h2>']
    if decision is None:
        out.append("<p>No gate decision was given for this card.</p></section>")
        return "".join(out)
    out.append(
        f"<p>{badge(decision.verdict, decision.verdict.upper())} {esc(decision.summary)}</p>"
        '<p class="note">'
        + esc(
            f"Policy {decision.policy_name} {decision.policy_version or ''} (hash "
            f"{decision.policy_hash[:16]}), evaluated on {decision.evaluated_on}. Passing a "
            "policy means the audit met its rules; it does not show that a model is fair."
        )
        + "</p>"
    )
    rows = []
    for rule_id in decision.rule_ids():
        outcomes = decision.outcomes_for(rule_id)
        counts: dict[str, int] = {}
        for o in outcomes:
            counts[o.status] = counts.get(o.status, 0) + 1
        status = decision.rule_status(rule_id)
        rows.append(
            [
                esc(rule_id),
                badge(status),
                esc(", ".join(f"{n} {s.replace('_', ' ')}" for s, n in counts.items())),
            ]
        )
    out.append(table(["rule", "status", "outcomes"], rows))
    out.append("</section>")
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Writing


def write_model_card(
    log: AuditLog,
    out_dir: str | Path,
    meta: CardMeta | None = None,
    *,
    decision: GateDecision | None = None,
    compare: AuditLog | None = None,
    compare_name: str | None = None,
    front_matter_groups: FrontMatterGroups = "single",
    agreement: Mapping[str, Any] | None = None,
) -> dict[str, Path]:
    """Write ``model_card.md`` and ``model_card.html`` into ``out_dir`` (created if missing).

    Returns
    -------
    dict of str to Path
        ``{"markdown": ..., "html": ...}``.
    """
    out = Path(out_dir)
    return {
        "markdown": write_text(
            out / "model_card.md",
            render_card_markdown(
                log,
                meta,
                decision=decision,
                compare=compare,
                compare_name=compare_name,
                front_matter_groups=front_matter_groups,
                agreement=agreement,
            ),
        ),
        "html": write_text(
            out / "model_card.html",
            render_card_html(
                log,
                meta,
                decision=decision,
                compare=compare,
                compare_name=compare_name,
                agreement=agreement,
            ),
        ),
    }
