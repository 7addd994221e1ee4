"""The policy schema: rules over an audit log, escalation, retraining triggers, exemptions.

A policy is data (YAML or Python). Every name it uses is checked when it is built: metric and
criterion names against the registries, the fields a rule compares against the rows it reads,
message templates against the allowed placeholders, exemptions against the rule ids. So a typo
is an error at validation time, never a rule that silently matches nothing.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StrictFloat,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from equilens.metrics import COMPARISON_METRICS, criteria, metrics
from equilens.policy._probe_metrics import canonical_probe_metric, probe_metric_names
from equilens.policy._template import DEFAULT_MESSAGE, check_template
from equilens.results import (
    TASKS,
    base_name,
    metric_name,
    metric_params,
    task_metric_names,
    task_of_metric,
)

Severity = Literal["info", "warn", "block"]
"""How much a rule's outcome matters: info < warn < block."""

#: Order of severities; the verdict is the most severe level any counted outcome carries.
SEVERITY_ORDER: dict[str, int] = {"info": 0, "warn": 1, "block": 2}

Op = Literal[">", ">=", "<", "<="]
Review = Literal["mitigation"]
"""Reviews a rule can require when it blocks."""
Target = Literal["metric", "criterion", "comparison"]
Method = Literal["between_groups", "to_overall", "to_reference"]

_OP_WORDS = {"gt": ">", "ge": ">=", "gte": ">=", "lt": "<", "le": "<=", "lte": "<="}

#: Fields a rule may compare, per kind of row. Metric rows and criterion rows carry the point
#: estimate and its interval; comparison rows (a group against its reference) carry the
#: difference and ratio with their intervals, the tests' p-values (raw and adjusted) and power.
#: ``abs_difference*`` are derived: |difference| and the interval it implies (the lower bound is
#: 0 when the difference interval contains 0).
FIELDS: dict[str, tuple[str, ...]] = {
    "metric": ("value", "ci_low", "ci_high"),
    "criterion": ("value", "ci_low", "ci_high"),
    "comparison": (
        "value",
        "reference_value",
        "difference",
        "difference_ci_low",
        "difference_ci_high",
        "abs_difference",
        "abs_difference_ci_low",
        "abs_difference_ci_high",
        "ratio",
        "ratio_ci_low",
        "ratio_ci_high",
        "p_value",
        "p_holm",
        "p_bh",
        "cohens_h",
        "odds_ratio",
        "minimum_detectable_difference",
        "effect_size",
        "abs_effect_size",
    ),
}

#: Fields holding p-values: a rule reading one cannot pass an underpowered comparison.
P_VALUE_FIELDS = frozenset({"p_value", "p_holm", "p_bh"})


_WEBHOOK_ENV = re.compile(r"^webhook:[A-Za-z_][A-Za-z0-9_]*$")


def _policy_error(message: str, key: str | None = None) -> PydanticCustomError:
    """A validation error whose message is ``message`` (``key`` refines the location)."""
    return PydanticCustomError("policy", message, {"key": key} if key else None)


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise _policy_error("must be a finite number")
    return value


def _op(value: Any) -> Any:
    if isinstance(value, str):
        return _OP_WORDS.get(value.strip().lower(), value.strip())
    return value


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _non_blank(value: str) -> str:
    if not value.strip():
        raise _policy_error("must not be blank")
    return value


def _text(value: Any) -> Any:
    # YAML reads `version: 2025.1` as a number; a version is a label.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


# Strict: a boolean (``threshold: true``) is an error, not 1.0.
FiniteFloat = Annotated[StrictFloat, AfterValidator(_finite)]
Operator = Annotated[Op, BeforeValidator(_op)]
FeatureList = Annotated[list[str], BeforeValidator(_as_list), Field(min_length=1)]
NonBlank = Annotated[str, AfterValidator(_non_blank)]
Template = Annotated[str, AfterValidator(check_template)]
RuleId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Strict):
    """One comparison of a row's field with a threshold: ``on op threshold``."""

    on: str
    """The field compared (see :data:`FIELDS`), e.g. ``ci_high`` or ``p_holm``."""
    op: Operator
    """``>``, ``>=``, ``<`` or ``<=`` (or ``gt``, ``ge``, ``lt``, ``le``)."""
    threshold: FiniteFloat
    """The number the field is compared with."""

    def holds(self, observed: float) -> bool:
        """Whether ``observed op threshold`` holds."""
        if self.op == ">":
            return observed > self.threshold
        if self.op == ">=":
            return observed >= self.threshold
        if self.op == "<":
            return observed < self.threshold
        return observed <= self.threshold


#: Names a speech audit's rates go by; its logs call them ``ratio_of_sums`` (measure task).
_ERROR_RATES = ("wer", "cer", "word_error_rate", "character_error_rate")
_ERROR_RATE_HINT = (
    " (a speech audit's word and character error rates are the measure metric "
    "'ratio_of_sums': WER in audit.json, CER in cer.json)"
)


def _canonical(name: str, kind: Target) -> str:
    registry = metrics if kind in ("metric", "comparison") else criteria
    if name in registry:
        return registry.canonical(name)
    probe = canonical_probe_metric(name, kind) if kind != "criterion" else None
    if probe is not None:
        return probe
    task_name = _task_name(name, kind)
    if task_name is not None:
        return task_name
    known = list(registry) + (probe_metric_names(kind) if kind != "criterion" else [])
    if kind != "criterion":
        known += [m for t in TASKS[1:] for m in task_metric_names(t)]
    base, params = base_name(name), metric_params(name)
    close = difflib.get_close_matches(base, known, n=1, cutoff=0.5)
    hint = f" (did you mean '{metric_name(close[0], **params)}'?)" if close else ""
    if base.lower() in _ERROR_RATES and kind != "criterion":
        hint = _ERROR_RATE_HINT
    what = "metric" if kind != "criterion" else "fairness criterion"
    raise _policy_error(f"unknown {what} '{name}'{hint}")


def _task_name(name: str, kind: Target) -> str | None:
    """``name`` as the rows of a non-binary task write it, when some task writes such rows.

    Metric rows of other tasks carry parameters (``recall_score[class=7]``,
    ``ndcg_score[k=10]``) or names of their own registries (``mean_absolute_error``);
    per-class criteria name a binary criterion with its class
    (``equal_opportunity_difference[class=7]``). The name is normalised (no spaces).
    """
    base, params = base_name(name.replace(" ", "")), metric_params(name.replace(" ", ""))
    if kind == "criterion":
        if params and base in criteria:
            return metric_name(criteria.canonical(base), **params)
        return None
    tasks = task_of_metric(base)
    if not tasks or (not params and tasks == ["binary"]):
        return None
    return metric_name(base, **params)


def task_metric(name: str | None) -> bool:
    """Whether ``name`` is a metric only another task than binary writes rows of."""
    if name is None or name in metrics:
        return False
    return bool(metric_params(name)) or any(t != "binary" for t in task_of_metric(name))


class Rule(_Strict):
    """One rule: which rows of the audit log it reads, when it fires, and how much that matters.

    A rule reads exactly one kind of row: ``metric`` (per-group results), ``criterion``
    (fairness criteria over a family of groups) or ``comparison`` (a group against its
    family's reference group, with a test). It *fires* (is violated) on a row when its condition
    ``on op threshold`` and every condition in ``also`` hold. Each row it reads yields one
    outcome; a row whose status is ``insufficient_evidence`` or ``undefined`` yields the
    outcome ``insufficient_evidence``, never a pass.
    """

    id: RuleId
    """Unique id, used in outputs and exemptions (letters, digits, ``_ . : -``)."""
    description: str | None = None
    """What the rule protects, for reviewers and messages."""
    metric: str | None = None
    """Read per-group metric rows of this metric (e.g. ``roc_auc_score``)."""
    criterion: str | None = None
    """Read fairness-criterion rows of this criterion (e.g. ``equalized_odds_difference``)."""
    comparison: str | None = None
    """Read group-vs-reference comparison rows of this metric (e.g. ``false_positive_rate``)."""
    features: FeatureList | None = None
    """Only this family (exact set of sensitive features); every family when omitted."""
    intersections: bool | Literal["only"] = True
    """Whether families of two or more features (intersections) are read: ``true`` (default),
    ``false`` (single features only) or ``only`` (intersections only)."""
    group: dict[str, str] | Literal["all", "overall"] = "all"
    """``all`` groups (default), ``overall`` (the whole population; metric rules), or one group
    as a mapping ``{feature: value}``. Criterion rules summarise a family and take no group."""
    method: Method | None = None
    """Criterion rules only: ``between_groups`` (default), ``to_overall`` or ``to_reference``."""
    on: str
    """The field compared: ``value``, ``ci_low``, ``ci_high`` or a comparison field."""
    op: Operator
    """``>``, ``>=``, ``<`` or ``<=``; the rule fires when ``on op threshold`` holds."""
    threshold: FiniteFloat
    """The number the field is compared with."""
    also: list[Condition] = Field(default_factory=list)
    """More conditions that must all hold too for the rule to fire (e.g. ``p_holm < 0.05``)."""
    severity: Severity
    """``info``, ``warn`` or ``block``: what a firing of this rule counts as."""
    insufficient_evidence: Severity | None = None
    """What an outcome of ``insufficient_evidence`` counts as; the policy's default if unset."""
    required: bool = False
    """When the log has no row the rule reads: ``insufficient_evidence`` if required, else
    ``not_applicable`` (e.g. an NLP rule on a credit model's audit)."""
    retrain: bool = False
    """A firing of this rule (not exempted) sets ``retrain_required`` in the decision."""
    owners: list[str] = Field(default_factory=list)
    """Owners added to this rule's escalations, besides the policy's."""
    require_review: Review | None = None
    """A review the gate requires when this rule blocks: ``mitigation`` asks for a mitigation
    report (``equilens mitigate ... --report``) to be attached to the decision
    (``equilens gate --mitigation-report``). Left out of the policy's JSON when unset, so the
    hashes of policies without it do not change."""

    @model_serializer(mode="wrap")
    def _drop_unset_review(self, handler: SerializerFunctionWrapHandler) -> Any:
        out = handler(self)
        if isinstance(out, dict) and out.get("require_review") is None:
            out.pop("require_review", None)
        return out

    @property
    def target(self) -> Target:
        """The kind of row this rule reads."""
        if self.metric is not None:
            return "metric"
        if self.criterion is not None:
            return "criterion"
        return "comparison"

    @property
    def name(self) -> str:
        """The metric or criterion the rule reads."""
        return self.metric or self.criterion or self.comparison or ""

    @property
    def conditions(self) -> list[Condition]:
        """The main condition followed by ``also``."""
        main = Condition(on=self.on, op=self.op, threshold=self.threshold)
        return [main, *self.also]

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str | None) -> str | None:
        return None if value is None else _canonical(value, "metric")

    @field_validator("comparison")
    @classmethod
    def _known_comparison(cls, value: str | None) -> str | None:
        return None if value is None else _canonical(value, "comparison")

    @field_validator("criterion")
    @classmethod
    def _known_criterion(cls, value: str | None) -> str | None:
        return None if value is None else _canonical(value, "criterion")

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        given = [k for k in ("metric", "criterion", "comparison") if getattr(self, k) is not None]
        if len(given) != 1:
            raise _policy_error(
                "a rule reads exactly one of 'metric', 'criterion' or 'comparison'"
                + (f" (got {', '.join(given)})" if given else "")
            )
        target = self.target
        if (
            target == "comparison"
            and self.comparison not in (*COMPARISON_METRICS, *probe_metric_names("comparison"))
            and not task_metric(self.comparison)
        ):
            raise _policy_error(
                f"binary audits compare groups on {', '.join(COMPARISON_METRICS)} (probes on "
                f"{', '.join(probe_metric_names('comparison'))}; other tasks on their own "
                f"metrics); not on '{self.comparison}'",
                "comparison",
            )
        allowed = FIELDS[target]
        for i, cond in enumerate(self.conditions):
            if cond.on not in allowed:
                key = "on" if i == 0 else f"also.{i - 1}.on"
                raise _policy_error(
                    f"'{cond.on}' is not a field of {target} rows; use one of {', '.join(allowed)}",
                    key,
                )
        if self.method is not None and target != "criterion":
            raise _policy_error("'method' applies only to criterion rules", "method")
        if target == "criterion" and self.group != "all":
            raise _policy_error(
                "a criterion summarises a family of groups; select the family with 'features' "
                "(exempt single groups with an exemption)",
                "group",
            )
        if self.group == "overall" and target != "metric":
            raise _policy_error("'overall' is a group of metric rows only", "group")
        if self.features is not None:
            if len(set(self.features)) != len(self.features):
                raise _policy_error("features are repeated", "features")
            if self.intersections is False and len(self.features) > 1:
                raise _policy_error(
                    "'features' names an intersection but 'intersections' is false", "features"
                )
            if self.intersections == "only" and len(self.features) == 1:
                raise _policy_error(
                    "'features' names one feature but 'intersections' is 'only'", "features"
                )
            if isinstance(self.group, dict) and set(self.group) != set(self.features):
                raise _policy_error("the group's features differ from 'features'", "group")
        if isinstance(self.group, dict) and not self.group:
            raise _policy_error("write 'overall' for the whole population", "group")
        return self

    def reads_family(self, features: list[str]) -> bool:
        """Whether the rule reads rows of the family ``features`` (``[]``: overall)."""
        if self.features is not None:
            return sorted(features) == sorted(self.features)
        if self.intersections == "only":
            return len(features) >= 2
        return self.intersections or len(features) <= 1

    @property
    def criterion_method(self) -> Method:
        """The criterion method read (``between_groups`` unless set)."""
        return self.method or "between_groups"


class EscalationRoute(_Strict):
    """Who hears about outcomes of one severity, and what they are told."""

    owners: list[str] = Field(default_factory=list)
    """Accountable people or teams (they act)."""
    contacts: list[str] = Field(default_factory=list)
    """Where notices go (channels, mailing lists; they are informed). A contact may be a
    webhook that ``equilens serve`` posts to (Slack/Teams-compatible JSON): ``https://HOST/...``
    or ``webhook:ENV_VAR`` (the URL read from that environment variable when posting, so a
    secret URL stays out of the policy and the run store)."""
    message: Template = DEFAULT_MESSAGE
    """Template of one notice per outcome; placeholders such as {rule_id}, {metric}, {group},
    {value}, {threshold}, {reason} (see ``equilens.policy.PLACEHOLDERS``)."""

    @field_validator("contacts")
    @classmethod
    def _webhook_contacts(cls, contacts: list[str]) -> list[str]:
        for contact in contacts:
            if contact.startswith(("http://", "https://")):
                if not urlsplit(contact).hostname:
                    raise _policy_error(f"the webhook contact '{contact[:60]}' names no host")
            elif contact.startswith("webhook:") and not _WEBHOOK_ENV.match(contact):
                raise _policy_error(
                    f"the webhook contact '{contact[:60]}' must be webhook:ENV_VAR (a variable "
                    "name holding the URL)"
                )
        return contacts


class Exemption(_Strict):
    """A reviewed, time-limited exception to one rule (optionally for one group or family)."""

    rule: str
    """The id of the rule exempted."""
    group: dict[str, str] | None = None
    """Only outcomes for this group; every group of the rule when omitted."""
    features: FeatureList | None = None
    """Only outcomes for this family; every family when omitted."""
    justification: NonBlank
    """Why the exception is acceptable (shown in every decision it applies to)."""
    approver: NonBlank
    """Who approved it."""
    expires: date
    """Last day it applies (inclusive); after that the outcome counts again, and the
    decision says the exemption expired."""
    ticket: str | None = None
    """A reference to the review (issue, ticket, minutes)."""

    def expired(self, today: date) -> bool:
        """Whether the exemption no longer applies on ``today``."""
        return today > self.expires

    def describe(self) -> str:
        """One line naming the rule, scope, approver and expiry."""
        scope = ""
        if self.group is not None:
            scope = " for " + (", ".join(f"{k}={v}" for k, v in self.group.items()) or "overall")
        if self.features is not None:
            scope += " on " + " x ".join(self.features)
        return (
            f"exemption of rule '{self.rule}'{scope}, approved by {self.approver}, "
            f"expires {self.expires.isoformat()}"
        )


AgreementMetric = Literal["krippendorff_alpha", "cohen_kappa", "fleiss_kappa", "icc"]


class AgreementRule(_Strict):
    """A rule over the agreement rows of ``equilens agreement`` (``agreement.json``).

    It reads the rows of one coefficient (optionally one criterion, one ICC form and one
    slice) and fires on each row whose field ``on`` satisfies ``op threshold``, e.g. alpha's
    ``ci_low < 0.667`` (agreement not shown to reach Krippendorff's tentative level). A row
    whose coefficient is undefined is ``insufficient_evidence``, never a pass.
    """

    id: RuleId
    description: str | None = None
    metric: AgreementMetric
    """The coefficient read: krippendorff_alpha, cohen_kappa, fleiss_kappa or icc."""
    criterion: str | None = None
    """Only rows of this rated criterion; every criterion when omitted."""
    form: Literal["ICC(2,1)", "ICC(2,k)"] | None = None
    """ICC rules only: the form read; both when omitted."""
    slice: dict[str, str] | Literal["all", "overall"] = "all"
    """``all`` rows (default), ``overall`` (all items), or one group ``{feature: value}``."""
    on: Literal["value", "ci_low", "ci_high"] = "ci_low"
    op: Operator
    threshold: FiniteFloat
    severity: Severity
    insufficient_evidence: Severity | None = None
    required: bool = False
    """When the document has no row the rule reads: insufficient evidence, not not-applicable."""
    retrain: bool = False
    owners: list[str] = Field(default_factory=list)

    @property
    def require_review(self) -> None:
        """Agreement rules require no review (same interface as :class:`Rule`)."""
        return None

    @model_validator(mode="after")
    def _consistent(self) -> AgreementRule:
        if self.form is not None and self.metric != "icc":
            raise _policy_error("'form' applies only to icc rules", "form")
        if isinstance(self.slice, dict) and len(self.slice) != 1:
            raise _policy_error(
                "an agreement slice is one group {feature: value} (or 'all', 'overall')", "slice"
            )
        return self


SliceField = Literal["difference", "ci_low", "ci_high", "value", "q_value"]


class SliceRule(_Strict):
    """A rule over the slices ``equilens slices`` discovered (``slices.json``).

    It fires on each slice with status ``discovered`` (and, with ``require_confirmed``,
    confirmed on the held-out split) whose field ``on`` satisfies ``op threshold``; by default
    on any discovered slice whose difference to the rest has a lower bound above 0. The
    difference and its bounds are read in the worse direction (mirrored where a lower value is
    worse).
    """

    id: RuleId
    severity: Severity = "block"
    metric: str | None = None
    """Only slices searched on this metric (None: any)."""
    on: SliceField = "ci_low"
    op: Operator = ">"
    threshold: FiniteFloat = 0.0
    require_confirmed: bool = False
    """Count only slices confirmed on the held-out rows (``--confirm-split``)."""
    description: str | None = None

    @field_validator("metric")
    @classmethod
    def _known_slice_metric(cls, value: str | None) -> str | None:
        if value is None:
            return value
        from equilens.discovery import METRICS  # only when a rule names a metric

        known = sorted({m for names in METRICS.values() for m in names} | {"ratio"})
        if value not in known:
            close = difflib.get_close_matches(value, known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise _policy_error(f"unknown slice metric '{value}'{hint}")
        return value


class Policy(_Strict):
    """A release policy: ordered rules over an audit log, with escalation and exemptions.

    A gate with this policy decides ``pass``, ``warn`` or ``block``; a pass means the audit met
    these rules, not that the model is fair.
    """

    kind: Literal["policy"] = "policy"
    """Marks the file as a policy (``equilens validate`` tells policies from audit specs)."""
    format_version: Literal[1] = 1
    """Version of the policy format."""
    name: NonBlank
    """Short name shown in decisions (e.g. ``acme-prelaunch-standard``)."""
    version: Annotated[str | None, BeforeValidator(_text)] = None
    """The policy's own version label."""
    description: str | None = None
    owner: str | None = None
    """Who maintains the policy."""
    block_on_warn: bool = False
    """Whether warnings block too. By default they do not: the gate exits 0 with warnings."""
    insufficient_evidence: Severity = "warn"
    """Default level of ``insufficient_evidence`` outcomes (rules may override)."""
    escalation: dict[Severity, EscalationRoute] = Field(default_factory=dict)
    """Who is notified per severity, and the message template."""
    rules: list[Rule] = Field(min_length=1)
    """The rules, in order (outcomes are reported in this order)."""
    exemptions: list[Exemption] = Field(default_factory=list)
    discovered_slices: list[SliceRule] = Field(default_factory=list)
    """Rules over discovered slices (read by ``equilens slices --policy``)."""
    agreement: list[AgreementRule] = Field(default_factory=list)
    """Rules over inter-rater agreement (``equilens gate --agreement agreement.json``). Left out
    of the policy's JSON when empty, so the hashes of policies without it do not change."""

    @model_serializer(mode="wrap")
    def _drop_no_agreement(self, handler: SerializerFunctionWrapHandler) -> Any:
        out = handler(self)
        if isinstance(out, dict) and not out.get("agreement"):
            out.pop("agreement", None)
        return out

    @model_validator(mode="after")
    def _references(self) -> Policy:
        slice_ids = [r.id for r in self.discovered_slices]
        for i, rule_id in enumerate(slice_ids):
            if rule_id in slice_ids[:i]:
                raise _policy_error(
                    f"rule id '{rule_id}' is used twice", f"discovered_slices.{i}.id"
                )
        seen: set[str] = set()
        sections: list[tuple[str, Sequence[Rule | AgreementRule]]] = [
            ("rules", self.rules),
            ("agreement", self.agreement),
        ]
        for section, listed in sections:
            for i, rule in enumerate(listed):
                if rule.id in seen:
                    raise _policy_error(f"rule id '{rule.id}' is used twice", f"{section}.{i}.id")
                seen.add(rule.id)
        for i, exemption in enumerate(self.exemptions):
            if exemption.rule not in seen:
                close = difflib.get_close_matches(exemption.rule, sorted(seen), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise _policy_error(
                    f"exemption names rule '{exemption.rule}', which the policy does not "
                    f"have{hint}",
                    f"exemptions.{i}.rule",
                )
        return self

    def rule(self, rule_id: str) -> Rule | AgreementRule:
        """The rule (or agreement rule) with id ``rule_id``."""
        every: list[Rule | AgreementRule] = [*self.rules, *self.agreement]
        for rule in every:
            if rule.id == rule_id:
                return rule
        raise KeyError(f"policy '{self.name}' has no rule '{rule_id}'")

    def insufficient_severity(self, rule: Rule | AgreementRule) -> Severity:
        """The level an ``insufficient_evidence`` outcome of ``rule`` counts at."""
        return rule.insufficient_evidence or self.insufficient_evidence
