"""A gate decision as JUnit XML (for CI test reports) and as Markdown (for a PR comment).

Both read only the decision. Every string that comes from the audit log or the policy (group
labels are data) goes through :func:`equilens._text.clean_text` (no control, bidi or other
hidden character) and is escaped: XML through ElementTree, with characters XML 1.0 cannot carry
replaced; Markdown by turning HTML-significant characters into entities, ``@`` into an entity
(no mentions) and backslash-escaping Markdown punctuation (no links, images, tables or code
spans can be injected).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from equilens._text import clean_text, md_escape
from equilens.policy._decision import GateDecision, RuleOutcome, outcome_rank

_XML_INVALID = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_STATUS_WORDS = {
    "block": "BLOCK",
    "warn": "WARN",
    "info": "info",
    "insufficient_evidence": "insufficient evidence",
    "exempted": "exempted",
    "pass": "pass",
    "not_applicable": "not applicable",
}

#: Most outcome rows listed in a Markdown comment per table (GitHub caps comments at 65,536
#: characters); the rest are counted.
MARKDOWN_MAX_ROWS = 40


def xml_text(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` cleaned as everywhere else (:func:`equilens._text.clean_text`: control, bidi
    and other hidden characters become U+FFFD; line breaks become spaces unless
    ``keep_newlines``, for element text laid out one outcome a line by :func:`_line`), then
    with the characters XML 1.0 cannot represent (e.g. U+FFFE) replaced by U+FFFD.
    ElementTree escapes markup when writing."""
    return _XML_INVALID.sub("\ufffd", clean_text(text, keep_newlines=keep_newlines))


def _line(outcome: RuleOutcome) -> str:
    # One line per outcome: a line break inside a label or reason becomes a space.
    label, reason = clean_text(outcome.group_label), clean_text(outcome.reason)
    return f"[{_STATUS_WORDS[outcome.status]}] {label}: {reason}"


def _blocks(outcome: RuleOutcome, decision: GateDecision) -> bool:
    level = outcome.counts_as
    return level == "block" or (decision.block_on_warn and level == "warn")


def to_junit(decision: GateDecision) -> str:
    """The decision as JUnit XML: one test case per rule.

    A rule with an outcome that blocks is a ``failure``; one whose worst outcome warns (a
    firing or insufficient evidence at warn level) is ``skipped`` with the warning as its
    message; a rule with no row to read is ``skipped`` as not applicable; every outcome's line
    is in the case's ``system-out``.

    Parameters
    ----------
    decision : GateDecision
        The gate's decision.

    Returns
    -------
    str
        A UTF-8 XML document.
    """
    suite_name = f"equilens gate: policy {decision.policy_name}"
    classname = f"equilens.policy.{decision.policy_name}"
    suites = ET.Element("testsuites", {"name": xml_text(suite_name)})
    suite = ET.SubElement(suites, "testsuite", {"name": xml_text(suite_name)})
    props = ET.SubElement(suite, "properties")
    for key in ("verdict", "policy_hash", "log_hash", "run_id", "evaluated_on"):
        ET.SubElement(
            props, "property", {"name": key, "value": xml_text(str(getattr(decision, key)))}
        )
    tests = failures = skipped = 0
    for rule_id in decision.rule_ids():
        outcomes = decision.outcomes_for(rule_id)
        tests += 1
        case = ET.SubElement(
            suite,
            "testcase",
            {"classname": xml_text(classname), "name": xml_text(rule_id), "time": "0"},
        )
        blocking = [o for o in outcomes if _blocks(o, decision)]
        warning = [o for o in outcomes if o.counts_as == "warn" and not _blocks(o, decision)]
        if blocking:
            failures += 1
            failure = ET.SubElement(
                case,
                "failure",
                {
                    "type": "block",
                    "message": xml_text(f"{len(blocking)} outcome(s) block: {blocking[0].reason}"),
                },
            )
            failure.text = xml_text("\n".join(_line(o) for o in blocking), keep_newlines=True)
        elif warning:
            skipped += 1
            ET.SubElement(
                case,
                "skipped",
                {"message": xml_text(f"warning: {len(warning)} outcome(s): {warning[0].reason}")},
            )
        elif all(o.status == "not_applicable" for o in outcomes):
            skipped += 1
            ET.SubElement(case, "skipped", {"message": xml_text(outcomes[0].reason)})
        out = ET.SubElement(case, "system-out")
        out.text = xml_text("\n".join(_line(o) for o in outcomes), keep_newlines=True)
    for element in (suites, suite):
        element.set("tests", str(tests))
        element.set("failures", str(failures))
        element.set("skipped", str(skipped))
        element.set("errors", "0")
    body = ET.tostring(suites, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'


def _table(rows: list[RuleOutcome]) -> list[str]:
    lines = ["| rule | status | group | reason |", "| --- | --- | --- | --- |"]
    for o in rows[:MARKDOWN_MAX_ROWS]:
        lines.append(
            f"| {md_escape(o.rule_id)} | {md_escape(_STATUS_WORDS[o.status])} | "
            f"{md_escape(o.group_label)} | {md_escape(o.reason)} |"
        )
    if len(rows) > MARKDOWN_MAX_ROWS:
        lines.append("")
        lines.append(
            f"… and {len(rows) - MARKDOWN_MAX_ROWS} more (see the JUnit report or the decision "
            "JSON)."
        )
    return lines


def to_markdown(decision: GateDecision) -> str:
    """The decision as Markdown for a pull-request comment.

    Parameters
    ----------
    decision : GateDecision
        The gate's decision.

    Returns
    -------
    str
        Markdown (GitHub-flavoured); every string from the log or policy is escaped.
    """
    title = {"pass": "passes", "warn": "passes with warnings", "block": "blocked"}
    lines = [
        f"## equilens gate: {title[decision.verdict]}",
        "",
        f"**{md_escape(decision.summary)}**",
        "",
    ]
    parts = [f"{n} {_STATUS_WORDS[status]}" for status, n in decision.counts.items() if n]
    lines += [md_escape(" · ".join(parts)) if parts else "No outcomes.", ""]
    ranked = sorted(
        decision.rule_outcomes,
        key=lambda o: -outcome_rank(o, decision.block_on_warn),
    )
    notable = [o for o in ranked if o.status not in ("pass", "not_applicable")]
    if notable:
        lines += ["### Outcomes that need attention", "", *_table(notable), ""]
    if decision.retrain_required:
        lines += ["### Retraining required", ""]
        lines += [f"- {md_escape(r)}" for r in decision.retrain_reasons[:MARKDOWN_MAX_ROWS]]
        lines.append("")
    if decision.escalations:
        lines += ["### Escalation", ""]
        for esc in decision.escalations:
            owners = ", ".join(md_escape(o) for o in esc.owners) or "none"
            contacts = ", ".join(md_escape(c) for c in esc.contacts) or "none"
            lines.append(
                f"- **{esc.severity}** ({len(esc.messages)} notice(s)): owners {owners}; "
                f"contacts {contacts}"
            )
        lines.append("")
    if decision.expired_exemptions:
        lines += ["### Expired exemptions (no longer applied)", ""]
        lines += [f"- {md_escape(e)}" for e in decision.expired_exemptions]
        lines.append("")
    quiet = [o for o in ranked if o.status in ("pass", "not_applicable")]
    if quiet:
        lines += [
            f"<details><summary>Passing and not applicable outcomes ({len(quiet)})</summary>",
            "",
            *_table(quiet),
            "",
            "</details>",
            "",
        ]
    lines.append(
        f"<sub>policy hash {md_escape(decision.policy_hash[:16])} · log hash "
        f"{md_escape(decision.log_hash[:16])} · run {md_escape(decision.run_id)} · evaluated on "
        f"{md_escape(decision.evaluated_on)}. Passing a policy means the audit met its rules; it "
        "does not show that a model is fair.</sub>"
    )
    return "\n".join(lines) + "\n"
