"""Bias reports: what a submission must hold, the status workflow, and probe cases.

Reports are hostile input: every field is length-capped and checked before anything is
written, control characters other than newlines and tabs are refused, and the text is stored as
given (pages escape it). A submission that fails any check writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from equilens.probes import Suite, suite_from_dict

__all__ = [
    "SEVERITIES",
    "STATUSES",
    "TRANSITIONS",
    "IntakeError",
    "ProbeCase",
    "check_submission",
    "check_transition",
    "probe_suite",
]

SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")
#: Severities that escalate (post to the policy's webhooks) when reported.
ESCALATING = frozenset({"high", "critical"})
STATUSES: tuple[str, ...] = (
    "new",
    "triaged",
    "reproduced",
    "confirmed",
    "fixed",
    "rejected",
    "duplicate",
)
#: Allowed status changes (a rejected, duplicate or fixed report can be reopened as triaged).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("triaged", "rejected", "duplicate"),
    "triaged": ("reproduced", "rejected", "duplicate"),
    "reproduced": ("confirmed", "rejected"),
    "confirmed": ("fixed", "rejected"),
    "fixed": ("triaged",),
    "rejected": ("triaged",),
    "duplicate": ("triaged",),
}

#: Field -> (required, most characters).
FIELDS: dict[str, tuple[bool, int]] = {
    "model": (True, 200),
    "prompt": (True, 20_000),
    "observed": (True, 20_000),
    "expected": (True, 20_000),
    "affected_group": (True, 200),
    "severity": (True, 16),
    "contact": (False, 320),
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


class IntakeError(ValueError):
    """A submission or change that cannot be accepted; ``status`` is the HTTP code."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


def check_submission(raw: Mapping[str, Any], models: list[str]) -> dict[str, Any]:
    """The cleaned fields of a bias report, or :class:`IntakeError` naming the first problem."""
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise IntakeError(f"unknown field '{str(unknown[0])[:40]}'")
    out: dict[str, Any] = {}
    for name, (required, limit) in FIELDS.items():
        value = raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise IntakeError(f"the field '{name}' is required")
            out[name] = None
            continue
        if not isinstance(value, str):
            raise IntakeError(f"the field '{name}' must be text")
        if len(value) > limit:
            raise IntakeError(f"the field '{name}' has {len(value)} characters; at most {limit}")
        if _CONTROL.search(value):
            raise IntakeError(f"the field '{name}' holds control characters")
        out[name] = value.strip() if limit <= 320 else value
    if out["severity"] not in SEVERITIES:
        raise IntakeError(f"the field 'severity' must be one of {', '.join(SEVERITIES)}")
    if out["model"] not in models:
        raise IntakeError(f"unknown model '{out['model'][:80]}' (no run of it in the store)", 404)
    return out


def check_transition(current: str, new: str) -> None:
    if new not in STATUSES:
        raise IntakeError(f"unknown status '{new[:40]}'")
    if new not in TRANSITIONS.get(current, ()):
        allowed = ", ".join(TRANSITIONS.get(current, ())) or "none"
        raise IntakeError(f"a {current} report cannot become {new} (allowed: {allowed})", 409)


@dataclass(frozen=True)
class ProbeCase:
    """A confirmed report as a counterfactual pair: the reported prompt (affected group) and
    the same prompt written for the reference group."""

    attribute: str
    reference_value: str
    affected_value: str
    reference_text: str
    affected_text: str


def probe_suite(report_id: int, model: str, case: ProbeCase) -> tuple[str, Suite]:
    """The case as a template suite (YAML text) that ``equilens probe --suite FILE`` reads,
    and the suite parsed back (strictly) to prove it."""
    if not _IDENT.match(case.attribute):
        raise IntakeError("the attribute must be a name of letters, digits and _")
    values = (case.reference_value.strip(), case.affected_value.strip())
    if not all(values) or values[0] == values[1] or any(len(v) > 100 for v in values):
        raise IntakeError("the reference and affected values must differ (1-100 characters)")
    texts = (case.reference_text, case.affected_text)
    if not all(t.strip() for t in texts) or any(len(t) > 20_000 for t in texts):
        raise IntakeError("both texts of the pair are required (at most 20000 characters)")
    if texts[0] == texts[1]:
        raise IntakeError("the two texts of the pair are identical: nothing is swapped")
    raw = {
        "name": f"bias_report_{report_id}",
        "description": f"Counterfactual pair from bias report {report_id} on model {model}.",
        "attributes": [case.attribute],
        "reference": {case.attribute: values[0]},
        "variants": [
            {"group": {case.attribute: values[0]}, "fill": {"text": texts[0]}},
            {"group": {case.attribute: values[1]}, "fill": {"text": texts[1]}},
        ],
        "templates": ["{text}"],
    }
    text = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True, width=100)
    suite = suite_from_dict(yaml.safe_load(text), strict=True)
    return text, suite
