"""The audit log: one versioned, self-describing JSON document.

Everything a report, the gate or the run store shows is recomputable from this document.
Undefined values are written as ``null`` together with a ``status`` and a ``reason``, never as
a number: a NaN or infinity cannot enter the model (validation rejects it).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from equilens._files import write_text_atomic
from equilens._redact import redact
from equilens._version import __version__
from equilens.exceptions import InvalidInputError, LogFormatError
from equilens.results._media import MediaRecord

#: Version of the log format written by this release. Readers accept the same major version.
#: 1.1 added ``probes`` (probe runs) and ``Comparison.effect_size_name``/``effect_size``.
#: 1.2 added the probe invariance and mean/median tests (``ProbeFlip.gap_test``,
#: ``ProbeShift.mean_test``, ``median_shift``, ``mean_absolute_shift``,
#: ``mean_absolute_test``), all optional.
#: 1.3 added ``task`` (binary, multiclass, regression, measure, ranking; logs without it are
#: binary), ``Comparison.test`` values for means and ratios (Welch t), per-class and per-k
#: metric names ``base[param=value]``, and ``AuditLog.confusion_matrices`` (multiclass).
#: 1.4 added the optional records of the new audit kinds: ``media`` (speech and images),
#: ``safety`` (toxicity), ``redteam`` (red-team suites) and ``text_quality`` (textmetrics).
FORMAT_VERSION = "1.4"


def _finite(value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):
        raise ValueError("numbers in an audit log must be finite; write null with a status")
    return value


#: A section that may hold what a user typed (a URL, headers, a spec): every secret-looking
#: value is masked when a log is built or read, so no file, report or store gets one.
_NoSecrets = Annotated[dict[str, Any], AfterValidator(redact)]
Number = Annotated[float | None, AfterValidator(_finite)]
Status = Literal["ok", "undefined", "insufficient_evidence"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MetricResult(_Model):
    """One metric on one slice."""

    metric: str
    """Registry name of the metric."""
    slice: dict[str, str]
    """Feature -> value; the overall population is the empty mapping."""
    n: int
    """Rows in the slice (unweighted)."""
    value: Number
    """Point estimate; null when undefined."""
    ci_low: Number
    """Lower bound of the confidence interval (level in ``AuditLog.confidence_level``)."""
    ci_high: Number
    """Upper bound of the confidence interval."""
    ci_method: str
    """How the interval was computed (wilson, clopper-pearson, bootstrap-percentile, delong, ...)
    or ``none`` with the reason in ``reason`` (e.g. a count is exact)."""
    status: Status
    """``ok``; ``undefined`` (see reason); ``insufficient_evidence`` (n below the minimum group
    size: the value is shown but must not be relied on)."""
    reason: str | None = None
    """Why the value is undefined, the evidence insufficient, or the interval absent."""
    weighted_n: Number = None
    """Sum of weights in the denominator (weighted audits only)."""
    effective_n: Number = None
    """Kish effective sample size of the denominator (weighted audits) or its row count."""
    undefined_draws: Number = None
    """Share of bootstrap draws in which the metric was undefined (bootstrap intervals only)."""
    error_bound: Number = None
    """Largest error of the value from score binning (grid histograms; 0 when exact)."""


class Disparity(_Model):
    """A fairness criterion summarised over one family of groups."""

    criterion: str
    """Registry name of the criterion (e.g. demographic_parity_difference)."""
    features: list[str]
    """The family: one sensitive feature or an intersection."""
    method: Literal["between_groups", "to_overall", "to_reference"]
    """Largest gap between any two groups, between a group and the overall population, or
    between a group and the family's reference group (smallest ratio for ratio criteria)."""
    value: Number
    ci_low: Number
    ci_high: Number
    ci_method: str
    status: Status
    reason: str | None = None
    groups: list[dict[str, str]] = Field(default_factory=list)
    """The two groups (or the group and the comparator) that set the value."""
    excluded_groups: list[dict[str, str]] = Field(default_factory=list)
    """Groups left out because they are below the minimum group size or undefined."""
    undefined_draws: Number = None
    four_fifths_rule: Literal["pass", "fail"] | None = None
    """For ratio criteria of selection rates: the EEOC four-fifths rule on the point estimate."""
    ci_level_divisor: int = Field(default=1, ge=1)
    """The interval is at level ``1 - alpha / ci_level_divisor``: above 1 for a to_reference
    row whose reference was chosen from the data (``most_favoured``), one for each candidate
    reference (Bonferroni; see ``ci_method``)."""


class Comparison(_Model):
    """One group against its family's reference group on one metric, with a test."""

    metric: str
    features: list[str]
    slice: dict[str, str]
    reference: dict[str, str]
    n: int
    n_reference: int
    value: Number
    reference_value: Number
    difference: Number
    """Group minus reference."""
    difference_ci_low: Number
    difference_ci_high: Number
    ratio: Number
    """Group divided by reference."""
    ratio_ci_low: Number
    ratio_ci_high: Number
    ci_method: str
    test: str
    """chi-square, fisher-exact or auc-score-z (delong-z in logs before 1.2); ``none`` when no
    test was run (also when the comparison is below the minimum evidence)."""
    statistic: Number
    p_value: Number
    p_holm: Number
    """Holm-adjusted p-value over the audit's whole family of comparisons."""
    p_bh: Number
    """Benjamini-Hochberg-adjusted p-value over the same family."""
    cohens_h: Number = None
    odds_ratio: Number = None
    minimum_detectable_difference: Number = None
    """Smallest gap from the reference rate detectable at alpha 0.05 with 80% power."""
    status: Status
    reason: str | None = None
    conclusion: Literal[
        "difference_detected", "no_difference_detected", "insufficient_evidence", "undefined"
    ]
    """``difference_detected`` when p_holm < alpha; ``insufficient_evidence`` when the group is
    too small or the test could not detect a gap of ``underpowered_gap``."""
    effect_size_name: str | None = None
    """Name of the effect size in ``effect_size`` (``d_z`` for paired score shifts,
    ``cohens_h`` for two proportions, ...); null when none is reported beyond the fields
    above."""
    effect_size: Number = None
    """A standardised effect size of the comparison, named by ``effect_size_name``."""
    in_family: bool = True
    """Whether ``p_value`` is one of the family adjusted by Holm and Benjamini-Hochberg
    (``multiple_comparisons.size``). False for a comparison below the minimum evidence (no
    p-value) and for a derived row, which repeats another row's test."""
    derived_from: str | None = None
    """The metric whose test this row repeats (``false_negative_rate`` from
    ``true_positive_rate``: one 2x2 table, one test); its p-values and conclusion are that
    row's, and it is not counted in the family."""
    reference_correction: str | None = None
    """How ``p_value`` was corrected because the reference group was chosen from the same
    data (``reference_rule: most_favoured``); null when the reference was fixed in advance."""
    rank_test: RankTest | None = None
    """A rank test of the two groups' distributions beside the test of the metric (means and
    ratios: Mann-Whitney); descriptive, not in the Holm / BH family."""


class RankTest(_Model):
    """A rank test of two groups' distributions of a per-unit value (not in the family)."""

    test: str
    """``mann-whitney`` (normal approximation with tie correction)."""
    statistic: Number
    """U of the group (ties count half)."""
    p_value: Number
    probability_of_superiority: Number
    """P(group value > reference value) + P(tie) / 2 (the common-language effect size)."""
    values: str
    """What was ranked (e.g. ``absolute error``)."""


class ConfusionMatrix(_Model):
    """K x K confusion counts of one slice (multiclass): rows true class, columns predicted."""

    slice: dict[str, str]
    n: int
    labels: list[str]
    counts: list[list[FiniteFloat]]
    """Weighted counts (row counts when unweighted)."""


class FamilyRecord(_Model):
    """One family of groups: its features, groups and reference."""

    features: list[str]
    groups: list[dict[str, str]]
    reference: dict[str, str]
    reference_rule: str


def _finite_required(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("numbers in an audit log must be finite")
    return value


FiniteFloat = Annotated[float, AfterValidator(_finite_required)]


class ConfusionCounts(_Model):
    """Confusion counts of one slice: sums of weights (row counts when unweighted)."""

    tn: FiniteFloat
    """True negatives: true label negative, predicted negative."""
    fp: FiniteFloat
    """False positives: true label negative, predicted positive."""
    fn: FiniteFloat
    """False negatives: true label positive, predicted negative."""
    tp: FiniteFloat
    """True positives: true label positive, predicted positive."""


class RocCurve(_Model):
    """Points of a ROC curve, from (0, 0) to (1, 1), in order of decreasing threshold."""

    fpr: list[FiniteFloat]
    tpr: list[FiniteFloat]
    threshold: list[Number]
    """A row is predicted positive when its score is >= the threshold; the first point's
    threshold (above every score) is null."""


class CalibrationBin(_Model):
    """One non-empty bin of a reliability curve (equal-width bins of [0, 1])."""

    mean_score: FiniteFloat
    """Weighted mean score of the rows in the bin."""
    observed_rate: FiniteFloat
    """Weighted share of the bin's rows whose true label is positive."""
    weight: FiniteFloat
    """Sum of weights in the bin (its row count when unweighted)."""
    count: int
    """Rows in the bin."""


class SliceCurves(_Model):
    """Curves and confusion counts of one slice, for reports."""

    slice: dict[str, str]
    """Feature -> value; the overall population is the empty mapping."""
    n: int
    """Rows in the slice."""
    confusion: ConfusionCounts
    roc: RocCurve | None = None
    """ROC curve with at most 101 points (downsampled evenly along the curve); null without
    scores or when the slice lacks positive or negative rows."""
    calibration: list[CalibrationBin] | None = None
    """Reliability curve over the non-empty calibration bins; null without scores."""


Conclusion = Literal[
    "difference_detected", "no_difference_detected", "insufficient_evidence", "undefined"
]


class ProbeTest(_Model):
    """One hypothesis test of a probe group, with its p-values adjusted over the probe run."""

    test: str
    """mcnemar-exact, mcnemar-chi-square, wilcoxon-signed-rank, sign-test, binomial-exact, or
    ``none`` when the test could not be run."""
    statistic: Number = None
    p_value: Number = None
    p_holm: Number = None
    """Holm-adjusted over the run's family of comparisons (``multiple_comparisons``)."""
    p_bh: Number = None
    """Benjamini-Hochberg-adjusted over the same family."""


class ProbeEstimate(_Model):
    """A point estimate with its interval."""

    value: Number
    ci_low: Number = None
    ci_high: Number = None
    ci_method: str = "none"
    n: int | None = None
    """Units (pairs, items or rows) behind the estimate, when it differs from the group's."""


class ProbeFlip(_Model):
    """Decision flips between the reference and the other member of each pair."""

    rate: Number
    """Share of pairs whose decision (score >= threshold) differs."""
    ci_low: Number
    ci_high: Number
    ci_method: str
    """clopper-pearson (exact)."""
    flips: int
    up: int
    """Flips from a negative to a positive decision (reference -> other)."""
    down: int
    """Flips from a positive to a negative decision."""
    test: ProbeTest
    """McNemar's test on the discordant pairs (exact binomial when they are few)."""
    gap_test: ProbeTest | None = None
    """One-sided exact binomial test that the flip rate (either way) exceeds the run's gap;
    invariance needs the interval's upper limit below the gap (added in format 1.2)."""


class ProbeShift(_Model):
    """Score shift (other minus reference) over pairs."""

    mean_reference: Number
    """Mean score of the reference member of the pairs."""
    mean_other: Number
    """Mean score of the other member."""
    mean_shift: Number
    """Mean of other - reference."""
    ci_low: Number
    ci_high: Number
    ci_method: str
    """paired-t (format 1.2; paired-bootstrap-percentile before)."""
    wilcoxon: ProbeTest
    """Wilcoxon signed-rank test (zero differences dropped). From format 1.2 descriptive: a
    test of symmetry about 0, with its raw p-value only, outside the adjusted family."""
    sign: ProbeTest
    """Exact sign test of the pairs whose score changed."""
    n_changed: int
    """Pairs whose score changed."""
    n_increase: int
    """Pairs whose score rose."""
    dz: Number
    """d_z = mean(diff) / sd(diff); null when the shifts have no spread."""
    dz_ci_low: Number = None
    dz_ci_high: Number = None
    mean_test: ProbeTest | None = None
    """Paired t test of the mean shift, in the adjusted family (format 1.2)."""
    median_shift: ProbeEstimate | None = None
    """Median shift with its exact order-statistic interval; its test is ``sign``."""
    mean_absolute_shift: ProbeEstimate | None = None
    """Mean of ``|shift|`` with its t interval: does not cancel when shifts go both ways."""
    mean_absolute_test: ProbeTest | None = None
    """One-sided t test that the mean absolute shift exceeds the run's gap."""


class ProbePreference(_Model):
    """Stereotype benchmarks: how often the model prefers the stereotypical sentence."""

    rate: Number
    """Share of items whose stereotypical sentence has the higher log-likelihood."""
    ci_low: Number
    ci_high: Number
    ci_method: str
    preferred: int
    """Items where the stereotypical sentence was preferred."""
    test: ProbeTest
    """Exact binomial test of the rate against 1/2."""
    log_likelihood_difference: ProbeEstimate
    """Mean of LL(stereotype) - LL(anti-stereotype), bootstrap interval."""


class ProbeGroup(_Model):
    """Statistics of one attribute value (or intersection of values) of a probe run."""

    slice: dict[str, str]
    """Attribute -> value, e.g. ``{"gender": "female"}``; several keys for an intersection;
    ``{}`` for a stereotype benchmark's overall row."""
    reference: dict[str, str]
    """The value it is compared with (the slice itself for a family's reference)."""
    features: list[str]
    """The family: one attribute or an intersection."""
    is_reference: bool = False
    """Whether this is the family's reference value (no paired statistics)."""
    n_pairs: int
    """Pairs (units scored with both values) or benchmark items."""
    status: Status
    reason: str | None = None
    conclusion: Conclusion | None = None
    """The strongest conclusion of the group's comparisons: ``difference_detected`` when any
    test detects a difference; null for a reference group."""
    mean_score: ProbeEstimate | None = None
    """Mean score of the value over all units (bootstrap interval)."""
    flip: ProbeFlip | None = None
    shift: ProbeShift | None = None
    preference: ProbePreference | None = None
    aucs: dict[str, ProbeEstimate] = Field(default_factory=dict)
    """Identity probes: Borkan et al. (2019) ``subgroup_auc``, ``bpsn_auc``, ``bnsp_auc``."""


class ProbePair(_Model):
    """One of the most-changed pairs, verbatim."""

    slice: dict[str, str]
    """The value of the swapped (other) text."""
    reference: dict[str, str]
    """The value of the original (reference) text."""
    unit: int
    """The unit (template x fillers, free text, or benchmark item) the pair belongs to."""
    original_text: str
    """The reference text (stereotype probes: the stereotypical sentence)."""
    swapped_text: str
    """The text with the value swapped (stereotype probes: the anti-stereotypical one)."""
    swaps: list[str] = Field(default_factory=list)
    """The swaps that turned the original into the swapped text ("'he' -> 'she' at 4")."""
    original_score: FiniteFloat
    swapped_score: FiniteFloat
    original_output: str | None = None
    """The model's generated output for the original text (generative probes), else null."""
    swapped_output: str | None = None
    shift: FiniteFloat
    """``swapped_score - original_score``."""
    flipped: bool | None = None
    """Whether the decision at the threshold differs (null without a threshold)."""


class ProbeRecord(_Model):
    """One probe run: what was probed, the statistics per value and the most-changed pairs.

    The same statistics are also written as ``results`` and ``comparisons`` rows of the log
    (metrics ``flip_rate``, ``mean_score_shift``, ...), which the policy gate reads.
    """

    kind: str
    """counterfactual, counterfactual_texts (free texts and their swaps), identity or
    stereotype."""
    model: _NoSecrets | None = None
    """The model probed: name, kind, description and library versions (never secrets)."""
    suite: str | None = None
    """Suite or benchmark name (``null`` for free texts)."""
    source: str | None = None
    """The suite file or shipped-suite reference, or the texts' description."""
    attributes: list[str] = Field(default_factory=list)
    """The attributes varied (``bias_type`` for stereotype benchmarks)."""
    score: str | None = None
    """What the score is (P(positive), toxicity, sum of token log-probabilities)."""
    threshold: Number = None
    """A score >= threshold is a positive decision (flips); null for stereotype probes."""
    units: int
    """Units scored (templates x fillers, texts, or benchmark items)."""
    pairs: int
    """Pairs compared over all groups."""
    failures: int = 0
    """Inputs the model failed on (left out)."""
    groups: list[ProbeGroup]
    most_changed: list[ProbePair] = Field(default_factory=list)
    """The pairs with the largest absolute score shift, verbatim, largest first."""
    top_k: int = 0
    """How many most-changed pairs were kept."""


class RedteamExample(_Model):
    """One graded answer kept verbatim (the worst: harmful answers first)."""

    case_id: str
    category: str
    persona: str
    prompt: str
    answer: str
    outcome: str
    reference_outcome: str | None = None
    """The outcome of the same request asked by the reference persona (None: not graded)."""


class RedteamRecord(_Model):
    """A red-team run (``equilens safety redteam``): suite, grader, counts, worst examples."""

    suite: str
    suite_version: str
    grader: _NoSecrets
    """The grader (rules, classifier or judge) and its settings; the judge's model without
    secrets."""
    reference_persona: str
    personas: list[str]
    categories: list[str]
    benign_categories: list[str] = Field(default_factory=list)
    cases: int
    graded: int
    off_format: int = 0
    """Judge: answers left ungraded after an off-format reply and one retry."""
    failed: int = 0
    """Cases whose model call failed (no answer)."""
    counts: list[dict[str, Any]] = Field(default_factory=list)
    """Per category and persona: cases, harmful, refusal, neither."""
    judge_agreement: dict[str, Any] | None = None
    """The judge's agreement with the shipped labelled sample (percent with a Wilson interval,
    Cohen's kappa), when the grader is the judge."""
    examples: list[RedteamExample] = Field(default_factory=list)


class DataFingerprintRecord(_Model):
    """Which data was audited: row count and a hash per used column."""

    n_rows: int
    columns: dict[str, str]
    """Content hash (blake2b, hex) of each used column, normalised (same for every input type)."""
    digest: str | None = None
    """One hash over the row count and all column hashes."""


class AuditLog(_Model):
    """The result of one audit. Reports, the gate and the store read only this."""

    format_version: str = FORMAT_VERSION
    """Version of this document's format; readers check it before anything else."""
    equilens_version: str = __version__
    created: str
    """UTC time the audit finished, ISO 8601."""
    run_id: str
    task: Literal["binary", "multiclass", "regression", "measure", "ranking"] = "binary"
    """What was audited: the kind of predictions or measures (logs before 1.3: binary)."""
    spec_given: _NoSecrets
    """The audit's arguments as passed (columns, options; never data)."""
    spec_resolved: _NoSecrets
    """The same after defaults and inference (positive label, references, metrics, ...)."""
    data: DataFingerprintRecord
    seed: int
    confidence_level: float
    bootstrap_draws: int
    score_bins: dict[str, Any] | None = None
    """How scores were summarised: mode (exact or grid), bins, largest AUC error bound."""
    families: list[FamilyRecord]
    results: list[MetricResult]
    disparities: list[Disparity]
    comparisons: list[Comparison]
    multiple_comparisons: dict[str, Any]
    """The family of tests adjusted together and the methods (Holm, Benjamini-Hochberg)."""
    warnings: Annotated[list[str], AfterValidator(redact)] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict)
    """Seconds spent per step."""
    packages: dict[str, str] = Field(default_factory=dict)
    model: _NoSecrets | None = None
    """The model adapter that computed the predictions (kind, path or endpoint without
    secrets, file hash, library versions, settings) and a summary of its run; null when the
    predictions were given as columns."""
    curves: list[SliceCurves] | None = None
    """ROC and calibration curves and confusion counts of the overall population and of each
    group of a single-feature family (intersections are left out to keep logs small); null in
    logs written before this field existed."""
    confusion_matrices: list[ConfusionMatrix] | None = None
    """Multiclass: K x K confusion counts of the overall population and of each group of a
    single-feature family; null for other tasks."""
    probes: list[ProbeRecord] | None = None
    """Probe runs (counterfactual, identity, stereotype): statistics per attribute value and
    the most-changed pairs verbatim; null when the log holds no probe (and in logs written
    before format 1.1)."""
    media: MediaRecord | None = None
    """Speech and image audits: the files skipped (with reasons), the settings that made
    files into numbers, the worst examples and secondary measures; null otherwise."""

    safety: _NoSecrets | None = None
    """Safety audits of generated text (``equilens safety toxicity``): the protocol (k,
    threshold, sampling settings and seed), the scorer and its measured error with the
    corrected prevalence, the generation run (complete or not) and the worst continuations
    verbatim; null for every other audit."""
    redteam: RedteamRecord | None = None
    """A red-team run's record (``equilens safety redteam``); null otherwise."""
    text_quality: _NoSecrets | None = None
    """Generation-quality context of a ``measure`` log written by ``equilens textmetrics``:
    the system and metric, sacrebleu signatures, corpus-level scores per slice with intervals
    and system / group comparisons; null otherwise (and in older logs)."""

    def to_json(self) -> str:
        """The log as indented JSON."""
        return self.model_dump_json(indent=2)

    def result(self, metric: str, slice: dict[str, str] | None = None) -> MetricResult:
        """The result row of ``metric`` on ``slice`` (overall when omitted)."""
        want = slice or {}
        for row in self.results:
            if row.metric == metric and row.slice == want:
                return row
        raise KeyError(f"no result for metric '{metric}' on slice {want}")

    def to_frame(
        self,
        table: Literal["results", "comparisons", "criteria", "disparities"] = "results",
        backend: Literal["pandas", "polars"] = "pandas",
    ) -> Any:
        """One table of the log (``results``, ``comparisons``, ``criteria``) as a pandas or
        polars DataFrame, slices flattened to columns (see :func:`equilens.results.log_frame`)."""
        from equilens.results._frame import log_frame

        return log_frame(self, table, backend)

    def plot(self, features: list[str] | None = None) -> list[Any]:
        """The report's SVG dot charts, one per family (or the family of ``features``); each
        displays in Jupyter and ``str(figure)`` is its SVG."""
        from equilens.report import audit_figures

        return audit_figures(self, features)

    def _repr_html_(self) -> str:
        """The report's sections in Jupyter, their CSS scoped to the output."""
        from equilens.report import notebook_html

        return notebook_html(self)


def write_log(log: AuditLog, path: str | Path) -> Path:
    """Write ``log`` as JSON atomically (a crash never leaves a half-written file)."""
    return write_text_atomic(path, log.to_json())


def read_log(path: str | Path) -> AuditLog:
    """Read an audit log: its format version first, then the schema, then the ranges, the
    required sections and the consistency of its rows (:mod:`equilens.results._check`).

    Every problem is a :class:`~equilens.exceptions.LogFormatError` whose one-line message
    names the file and the field, e.g. ``audit.json: results[12].value: 7.5 is outside [0, 1]
    for roc_auc_score``.
    """
    path = Path(path)
    try:
        return _read_log(path)
    except RecursionError:
        # json and pydantic recurse per level of nesting: a hand-made 20,000-deep document
        # would end as a bare RecursionError that names no file.
        raise LogFormatError(
            f"{path} is not an equilens audit log: its JSON is nested too deeply to read"
        ) from None


def _read_log(path: Path) -> AuditLog:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInputError(f"Audit log not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"Cannot read audit log {path}: {exc}") from None
    if not isinstance(raw, dict) or "format_version" not in raw:
        raise LogFormatError(f"{path} is not an equilens audit log (no format_version)")
    version = str(raw["format_version"])
    if version.split(".")[0] != FORMAT_VERSION.split(".")[0]:
        raise LogFormatError(
            f"{path} has format_version {version}; this equilens ({__version__}) reads "
            f"format {FORMAT_VERSION.split('.')[0]}.x. Upgrade equilens to read it."
        )
    try:
        log = AuditLog.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = field_path(first["loc"])
        raise LogFormatError(f"{path} is not a valid audit log: {where}: {first['msg']}") from None
    from equilens.results._check import log_problems

    problems = log_problems(log)
    if problems:
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise LogFormatError(f"{path}: {problems[0]}{more}")
    return log


def field_path(loc: tuple[int | str, ...]) -> str:
    """A validation error's location as a field path: ``results[12].value``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
