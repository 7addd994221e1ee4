"""Claims about a model (from a model card or a claims table) checked against an audit log.

A claim names a metric (equilens or Hugging Face name, or a fairness criterion), a slice (a
group, an intersection, the overall population, or for a criterion its family of features),
a value and a comparator; together they define a claimed region of the metric's scale (see
docs/model-cards.md and docs/design/0007-claim-check.md). Each claim gets a verdict:

``supported``
    The whole measured confidence interval lies inside the claimed region.
``consistent``
    The interval overlaps the claimed region without lying inside it (and is no wider than
    ``max_ci_width``): the data neither confirm nor refute the claim.
``contradicted``
    The interval lies wholly outside the claimed region, and the claim's test stays
    significant after Holm's correction over all the claims checked together.
``insufficient_evidence``
    The group is below the audit's minimum size, the metric is undefined there, or the
    interval overlaps the claim but is too wide to judge.
``not_measured``
    The audit has no such metric, slice or family.

Each claim is also a test of its region (:mod:`equilens.cards._claim_tests`); the *raw*
verdict reads the interval alone, the verdict proper applies Holm's correction to the
contradictions, so a card with many true claims is not contradicted by chance.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast

from equilens._pvalue import fmt_p
from equilens._yaml import Located as _Located
from equilens._yaml import parse_yaml, parse_yaml_text
from equilens.cards._claim_tests import claim_p_value, holm_adjust
from equilens.cards._claim_values import COMPARATORS, parse_value, unit_scale, written_text
from equilens.cards._names import greater_is_better, is_bounded, resolve_metric
from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.results import AuditLog, base_name

Verdict = Literal[
    "supported", "consistent", "contradicted", "insufficient_evidence", "not_measured"
]
Comparator = Literal["=", ">=", "<="]

VERDICTS: tuple[Verdict, ...] = (
    "contradicted",
    "insufficient_evidence",
    "not_measured",
    "supported",
    "consistent",
)

#: Default widest interval (on the metric's 0-1 scale) that can be consistent with a claim it
#: only overlaps; a wider one is insufficient evidence.
MAX_CI_WIDTH = 0.10

#: Practical-equivalence margin of an ``=`` claim on a metric or criterion in [0, 1]: the
#: default tolerance is half a unit in the last digit written, but never more than this (so
#: "= 0" or "= 1" means within 0.02, not within 0.5).
EQUIVALENCE_MARGIN = 0.02


@dataclass(frozen=True)
class Claim:
    """One claim, as read from a card or a claims table.

    Attributes
    ----------
    metric : str
        The metric name as written (``accuracy``, ``false_positive_rate``, ...).
    value : float
        The claimed number as written, in its ``unit`` (``1`` for "1%").
    comparator : {"=", ">=", "<="}
        ``=`` claims a value; for a metric with a direction it is read as "at least as good
        as" (so a measured value clearly better than claimed supports it).
    slice : dict of str to str
        Feature -> value; ``{}`` is the overall population (metric claims).
    features : list of str
        The family of a fairness-criterion claim (``["race"]``); empty for metric claims.
    method : str
        The criterion's method (``between_groups``, ``to_overall``, ``to_reference``).
    tolerance : float or None
        Allowed distance from the value, in the value's unit, as written. None: a one-sided
        claim has none; an ``=`` claim gets half a unit in the last digit written, at most
        :data:`EQUIVALENCE_MARGIN` on a 0-1 scale.
    source : str
        ``FILE:LINE`` (or ``FILE:row N``) of the claim.
    label : str
        The claim's own name (``name`` in a Hugging Face card), else empty.
    unit : {"", "%", "pp"}
        The unit written after the value (``%``/``percent``; ``pp`` for differences).
    decimals : int or None
        Digits after the point as written (``0.70`` -> 2); None takes them from ``value``.
    """

    metric: str
    value: float
    comparator: Comparator = "="
    slice: dict[str, str] = field(default_factory=dict)
    features: list[str] = field(default_factory=list)
    method: str = "between_groups"
    tolerance: float | None = None
    source: str = ""
    label: str = ""
    unit: str = ""
    decimals: int | None = None

    @property
    def slice_text(self) -> str:
        """'race=African-American, sex=Male', 'overall', or the family for a criterion."""
        if self.features:
            return " x ".join(self.features) + f" ({self.method})"
        return ", ".join(f"{k}={v}" for k, v in self.slice.items()) or "overall"

    @property
    def value_text(self) -> str:
        """The value as written: '0.70', '1%', '5 pp'."""
        return written_text(self.value, self.decimals, self.unit)


@dataclass(frozen=True)
class ClaimCheck:
    """A claim next to what the audit measured, with a verdict.

    Attributes
    ----------
    claim : Claim
    metric : str or None
        The equilens metric or criterion the claim was matched to (None when unknown).
    claimed_low, claimed_high : float
        The claimed region on the metric's scale (infinite on an open side).
    value, ci_low, ci_high : float or None
        The measured point estimate and interval (None when not measured or undefined).
    ci_method : str
    n : int or None
        Rows in the slice (metric claims).
    status : str or None
        The audit row's status (``ok``, ``undefined``, ``insufficient_evidence``).
    verdict : Verdict
        The verdict after Holm's correction over the claims checked together (the one the
        exit code uses).
    reason : str
        Why the verdict follows, in one sentence or two.
    raw_verdict : Verdict
        The verdict of this claim's interval alone (no correction for the other claims).
    p_value, p_adjusted : float or None
        The claim's test of its region and its Holm-adjusted p-value (None when the claim
        was not tested: not measured, undefined, too small or without an interval).
    tolerance : float
        The tolerance used, on the metric's scale.
    """

    claim: Claim
    metric: str | None
    claimed_low: float
    claimed_high: float
    value: float | None
    ci_low: float | None
    ci_high: float | None
    ci_method: str
    n: int | None
    status: str | None
    verdict: Verdict
    reason: str
    raw_verdict: Verdict
    p_value: float | None = None
    p_adjusted: float | None = None
    tolerance: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (infinite bounds become null)."""

        def fin(x: float | None) -> float | None:
            return None if x is None or not math.isfinite(x) else x

        c = self.claim
        return {
            "metric": c.metric,
            "equilens_metric": self.metric,
            "slice": c.slice,
            "features": c.features,
            "method": c.method if c.features else None,
            "comparator": c.comparator,
            "claimed_value": c.value,
            "claimed_text": c.value_text,
            "unit": c.unit or None,
            "tolerance": c.tolerance,
            "tolerance_used": self.tolerance,
            "claimed_low": fin(self.claimed_low),
            "claimed_high": fin(self.claimed_high),
            "value": self.value,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "ci_method": self.ci_method,
            "n": self.n,
            "status": self.status,
            "raw_verdict": self.raw_verdict,
            "verdict": self.verdict,
            "p_value": self.p_value,
            "p_adjusted": self.p_adjusted,
            "reason": self.reason,
            "source": c.source,
            "label": c.label,
        }


# --------------------------------------------------------------------------------------------
# Reading claims


def parse_slice(text: str) -> dict[str, str]:
    """'race=African-American; sex=Male' (or commas) -> mapping; 'overall' or '' -> {}."""
    text = text.strip()
    if text.lower() in ("", "overall", "all", "{}"):
        return {}
    sep = ";" if ";" in text else ","
    out: dict[str, str] = {}
    for part in text.split(sep):
        key, eq, val = part.partition("=")
        if not eq or not key.strip():
            raise ValueError(f"expected FEATURE=VALUE in the slice, got '{part.strip()}'")
        out[key.strip()] = val.strip()
    return out


def _parse_features(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    text = str(value).replace(" × ", ",").replace(" x ", ",").replace(";", ",")
    return [p.strip() for p in text.split(",") if p.strip()]


def _tolerance(raw: Any, value_unit: str) -> float | None:
    """A ``tolerance`` field in the value's unit (a bare number is in the value's unit)."""
    if raw is None or str(raw).strip() == "":
        return None
    tol = parse_value(raw, "tolerance")
    if tol.comparator is not None or tol.tolerance is not None:
        raise ValueError(f"tolerance must be a number, got {raw!r}")
    if tol.unit not in ("", value_unit):
        raise ValueError(
            f"tolerance is in '{tol.unit}' but the value is in '{value_unit or 'no unit'}'"
        )
    if tol.value < 0:
        raise ValueError(f"tolerance must be >= 0, got {raw!r}")
    return tol.value


def claim_from_mapping(raw: Any, source: str, value_text: str | None = None) -> Claim:
    """Build a claim from a mapping (a claims-file row or a model-index metric entry).

    Keys: ``metric`` (or ``type``), ``value``, and optionally ``slice`` (mapping or
    'f=v; f=v' text), ``features`` and ``method`` (criteria), ``comparator`` (``=``, ``>=``,
    ``<=``; ``>``/``<`` read as ``>=``/``<=``), ``tolerance`` and ``name``. A model-index
    entry may carry ``slice``, ``comparator`` and ``tolerance`` in its ``args``. The value
    may carry a unit, a comparator and a tolerance (``'≥ 70% ± 2%'``); ``value_text`` is the
    value as written in the file (YAML reads ``0.70`` as 0.7, losing a digit).

    Raises
    ------
    ValueError
        With a message naming the bad key (the caller adds the file and line).
    """
    if not isinstance(raw, dict):
        raise ValueError("a claim must be a mapping with at least 'metric' and 'value'")
    given_args = raw.get("args")
    args: dict[str, Any] = given_args if isinstance(given_args, dict) else {}
    merged: dict[str, Any] = {**args, **{k: v for k, v in raw.items() if k != "args"}}
    metric = merged.get("metric", merged.get("type"))
    if metric is None or not str(metric).strip():
        raise ValueError("missing 'metric' (or 'type')")
    if merged.get("equilens_metric"):
        metric = merged["equilens_metric"]
    if "value" not in merged:
        raise ValueError("missing 'value'")
    given = merged["value"]
    if value_text is not None and isinstance(given, (int, float)) and not isinstance(given, bool):
        given = value_text
    written = parse_value(given, "value")
    comp_field = merged.get("comparator")
    comp_raw = str(comp_field).strip() if comp_field not in (None, "") else None
    if comp_raw is not None and comp_raw not in COMPARATORS:
        raise ValueError(f"comparator must be one of =, >=, <=, >, <; got '{comp_raw}'")
    comparator = COMPARATORS[comp_raw] if comp_raw is not None else None
    if written.comparator is not None:
        if comparator is not None and comparator != written.comparator:
            raise ValueError(
                f"the value says '{written.comparator}' but comparator is '{comp_raw}'"
            )
        comparator = written.comparator
    tolerance = _tolerance(merged.get("tolerance"), written.unit)
    if written.tolerance is not None:
        if tolerance is not None and tolerance != written.tolerance:
            raise ValueError("the value's ± tolerance and the tolerance field differ")
        tolerance = written.tolerance
    slice_raw = merged.get("slice")
    features_raw = merged.get("features")
    resolved = resolve_metric(str(metric))
    unit_scale(written.unit, *(resolved or (None, None)))
    is_criterion = resolved is not None and resolved[1] == "criterion"
    features: list[str] = []
    slice_map: dict[str, str] = {}
    if is_criterion:
        family = features_raw if features_raw not in (None, "") else slice_raw
        if family in (None, "") or isinstance(family, dict):
            raise ValueError(
                f"a claim on the criterion '{metric}' needs 'features' (e.g. race or race x sex)"
            )
        features = _parse_features(family)
    elif isinstance(slice_raw, dict):
        slice_map = {str(k): str(v) for k, v in slice_raw.items()}
    elif slice_raw is not None:
        slice_map = parse_slice(str(slice_raw))
    method = str(merged.get("method") or "between_groups").strip()
    if method not in ("between_groups", "to_overall", "to_reference"):
        raise ValueError(
            f"method must be between_groups, to_overall or to_reference; got '{method}'"
        )
    return Claim(
        metric=str(metric).strip(),
        value=written.value,
        comparator=cast(Comparator, comparator or "="),
        slice=slice_map,
        features=features,
        method=method,
        tolerance=tolerance,
        source=source,
        label=str(merged.get("name") or ""),
        unit=written.unit,
        decimals=written.decimals,
    )


def _front_matter(text: str, path: Path) -> tuple[str, int]:
    """The YAML front matter of a Markdown file and the line its first key is on."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise InvalidInputError(
            f"{path}:1: no YAML front matter (a model card starts with a '---' line)"
        )
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            return "\n".join(lines[1:i]), 2
    raise InvalidInputError(f"{path}:1: the YAML front matter is not closed by a '---' line")


def _claims_from_document(raw: Any, located: _Located, path: Path) -> list[Claim]:
    """Claims from parsed YAML: a model-index, a list of claims or ``{claims: [...]}``."""

    def where(loc: tuple[str | int, ...]) -> str:
        line = located.line(loc)
        return f"{path}:{line}" if line else str(path)

    def build(item: Any, loc: tuple[str | int, ...]) -> Claim:
        try:
            texts = located.texts
            text = texts.get((*loc, "value"), texts.get((*loc, "args", "value")))
            return claim_from_mapping(item, where(loc), text)
        except ValueError as exc:
            raise InvalidInputError(f"{where(loc)}: {exc}") from None

    if isinstance(raw, dict) and "model-index" in raw:
        index = raw["model-index"]
        if not isinstance(index, list):
            raise InvalidInputError(f"{where(('model-index',))}: model-index must be a list")
        out: list[Claim] = []
        for i, model in enumerate(index):
            results = model.get("results") if isinstance(model, dict) else None
            if not isinstance(results, list):
                raise InvalidInputError(
                    f"{where(('model-index', i))}: each model-index entry needs a 'results' list"
                )
            for j, result in enumerate(results):
                metrics = result.get("metrics") if isinstance(result, dict) else None
                if not isinstance(metrics, list):
                    raise InvalidInputError(
                        f"{where(('model-index', i, 'results', j))}: each result needs a "
                        "'metrics' list"
                    )
                for k, item in enumerate(metrics):
                    out.append(build(item, ("model-index", i, "results", j, "metrics", k)))
        return out
    base: tuple[str | int, ...] = ()
    items = raw
    if isinstance(raw, dict) and "claims" in raw:
        items, base = raw["claims"], ("claims",)
    if not isinstance(items, list):
        raise InvalidInputError(
            f"{where(base)}: expected a list of claims, a 'claims:' list or a 'model-index'"
        )
    return [build(item, (*base, i)) for i, item in enumerate(items)]


def _claims_from_csv(text: str, path: Path) -> list[Claim]:
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        raise InvalidInputError(f"{path}: the claims table is empty")
    names = [f.strip() for f in reader.fieldnames]
    if "metric" not in names or "value" not in names:
        raise InvalidInputError(
            f"{path}:1: a claims table needs the columns metric and value (got {', '.join(names)})"
        )
    out = []
    for row in reader:
        clean = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        if not any(clean.values()):
            continue
        line = reader.line_num
        item: dict[str, Any] = {k: v for k, v in clean.items() if v != ""}
        try:
            out.append(claim_from_mapping(item, f"{path}:{line}"))
        except ValueError as exc:
            raise InvalidInputError(f"{path}:{line}: {exc}") from None
    return out


def load_claims(path: str | Path) -> list[Claim]:
    """Read claims from a model card or a claims table.

    Parameters
    ----------
    path : str or Path
        A Markdown file (``README.md``) with YAML front matter holding a Hugging Face
        ``model-index``; a YAML file (a ``model-index``, a list of claims, or ``claims:``);
        or a CSV file with the columns ``metric``, ``value`` and optionally ``slice``,
        ``features``, ``method``, ``comparator``, ``tolerance`` and ``name``. Values keep
        their digits and units as written (``0.70``, ``1%``, ``5 pp``, ``≥ 0.70 ± 0.02``).

    Returns
    -------
    list of Claim

    Raises
    ------
    InvalidInputError
        One line naming the file and line: missing file, malformed YAML or CSV, a claim
        without a metric or a numeric value, an unknown comparator, an unknown or ambiguous
        unit.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        raw, located = parse_yaml(path, "Claims")
        return _claims_from_document(raw, located, path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInputError(f"Claims file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"Cannot read claims file {path}: {exc}") from None
    if suffix == ".csv":
        return _claims_from_csv(text, path)
    if suffix in (".md", ".markdown", ""):
        front, first = _front_matter(text, path)
        raw, located = parse_yaml_text(front, path, first_line=first)
        if not isinstance(raw, dict) or "model-index" not in raw:
            raise InvalidInputError(f"{path}:{first}: the front matter has no 'model-index'")
        return _claims_from_document(raw, located, path)
    raise InvalidInputError(
        f"{path}: unknown claims format '{suffix}'; use a model card (.md), .yaml or .csv"
    )


# --------------------------------------------------------------------------------------------
# Checking claims


@dataclass(frozen=True)
class _Measured:
    value: float | None
    ci_low: float | None
    ci_high: float | None
    ci_method: str
    n: int | None
    status: str
    reason: str | None
    trials: float | None = None


def _lookup(log: AuditLog, claim: Claim, name: str, kind: str) -> _Measured | str:
    """The measured row, or a reason it is not measured."""
    if kind == "criterion":
        want = sorted(claim.features)
        rows = [
            d
            for d in log.disparities
            if d.criterion == name and sorted(d.features) == want and d.method == claim.method
        ]
        if not rows:
            if not any(d.criterion == name for d in log.disparities):
                return f"the audit did not compute the criterion '{name}'"
            return (
                f"the audit has no family {' x '.join(claim.features)} with method {claim.method}"
            )
        d = rows[0]
        return _Measured(d.value, d.ci_low, d.ci_high, d.ci_method, None, d.status, d.reason)
    rows_m = [r for r in log.results if r.metric == name]
    if not rows_m:
        # Another task's rows carry parameters: a bare name matches when one variant exists
        # (``ndcg_score`` -> ``ndcg_score[k=10]``); several must be named.
        variants = list(dict.fromkeys(r.metric for r in log.results if base_name(r.metric) == name))
        if len(variants) > 1:
            return (
                f"the audit has several rows of '{name}' ({', '.join(variants[:6])}); "
                "claim one of them"
            )
        rows_m = [r for r in log.results if variants and r.metric == variants[0]]
    if not rows_m:
        return f"the audit did not compute the metric '{name}'"
    for r in rows_m:
        if r.slice == claim.slice:
            return _Measured(
                r.value, r.ci_low, r.ci_high, r.ci_method, r.n, r.status, r.reason, r.effective_n
            )
    return f"the audit has no slice {claim.slice_text}"


def _scale(claim: Claim, name: str, kind: str) -> tuple[float, str | None]:
    """What one written unit is on the metric's scale, and a note when it was inferred."""
    try:
        scale = unit_scale(claim.unit, name, kind)
    except ValueError as exc:
        raise InvalidParameterError(f"{claim.source or 'claim'}: {exc}") from None
    if claim.unit == "" and is_bounded(name, kind) and 1.0 < claim.value <= 100.0:
        return 0.01, "The claimed value was read as a percentage."
    return scale, None


def _tolerance_used(claim: Claim, name: str, kind: str, scale: float) -> float:
    """Written tolerance; else none for one-sided claims; else digits as written, capped."""
    if claim.tolerance is not None:
        return claim.tolerance * scale
    if claim.comparator != "=":
        return 0.0
    decimals = claim.decimals
    if decimals is None:
        decimals = parse_value(float(claim.value)).decimals
    half = 0.5 * 10.0 ** (-decimals) * scale
    return min(half, EQUIVALENCE_MARGIN) if is_bounded(name, kind) else half


def _region(claim: Claim, gib: bool | None, value: float, tol: float) -> tuple[float, float]:
    if claim.comparator == ">=" or (claim.comparator == "=" and gib is True):
        return value - tol, math.inf
    if claim.comparator == "<=" or (claim.comparator == "=" and gib is False):
        return -math.inf, value + tol
    return value - tol, value + tol


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _region_text(region: tuple[float, float]) -> str:
    lo, hi = region
    if not math.isfinite(lo):
        return f"at most {_fmt(hi)}"
    if not math.isfinite(hi):
        return f"at least {_fmt(lo)}"
    return f"{_fmt(lo)} to {_fmt(hi)}"


def check_claim(log: AuditLog, claim: Claim, *, max_ci_width: float = MAX_CI_WIDTH) -> ClaimCheck:
    """Judge one claim against an audit log on its own (see the module docstring).

    The verdict is the raw one (a family of one claim); :func:`check_claims` corrects
    contradictions for the other claims checked with it.

    Parameters
    ----------
    log : AuditLog
    claim : Claim
    max_ci_width : float, default 0.10
        The widest interval that may be called consistent with a claim it only partly
        overlaps (a wider one is insufficient evidence). An interval that lies wholly inside
        the claimed region supports it whatever its width.

    Returns
    -------
    ClaimCheck

    Raises
    ------
    InvalidParameterError
        ``max_ci_width`` not above 0, or a unit the metric cannot take (``%`` on a
        difference, ``pp`` on a rate).
    """
    if not max_ci_width > 0:
        raise InvalidParameterError(
            "The 'max_ci_width' parameter of check_claim must be a float in the range "
            f"(0, inf). Got {max_ci_width!r} instead."
        )
    written = claim.metric.strip()
    resolved = resolve_metric(claim.metric)
    if (resolved is None or log.task != "binary") and any(
        r.metric == written or (log.task != "binary" and base_name(r.metric) == written)
        for r in log.results
    ):
        # The log's own row names come first in another task's log (``recall_score`` is
        # per class there, not the binary true positive rate), and name rows of a task whose
        # registry is not installed.
        resolved = (written, "metric")
    notes: list[str] = []

    def result(
        verdict: Verdict,
        reason: str,
        region: tuple[float, float] = (claim.value, claim.value),
        measured: _Measured | None = None,
        metric: str | None = None,
        p: float | None = None,
        tol: float = 0.0,
    ) -> ClaimCheck:
        m = measured
        return ClaimCheck(
            claim=claim,
            metric=metric,
            claimed_low=region[0],
            claimed_high=region[1],
            value=None if m is None else m.value,
            ci_low=None if m is None else m.ci_low,
            ci_high=None if m is None else m.ci_high,
            ci_method="none" if m is None else m.ci_method,
            n=None if m is None else m.n,
            status=None if m is None else m.status,
            verdict=verdict,
            reason=" ".join([reason, *notes]),
            raw_verdict=verdict,
            p_value=p,
            p_adjusted=p,
            tolerance=tol,
        )

    if resolved is None:
        return result("not_measured", f"'{claim.metric}' is not a metric equilens knows.")
    name, kind = resolved
    scale, note = _scale(claim, name, kind)
    if note:
        notes.append(note)
    value = claim.value * scale
    tol = _tolerance_used(claim, name, kind, scale)
    gib = greater_is_better(name, kind)
    region = _region(claim, gib, value, tol)
    found = _lookup(log, claim, name, kind)
    if isinstance(found, str):
        return result(
            "not_measured", found[0].upper() + found[1:] + ".", region, metric=name, tol=tol
        )
    m = found

    def judged(verdict: Verdict, reason: str, p: float | None = None) -> ClaimCheck:
        return result(verdict, reason, region, m, name, p, tol)

    if m.status == "insufficient_evidence":
        why = m.reason or "the group is below the audit's minimum group size"
        return judged("insufficient_evidence", f"Too little data to judge: {why}.")
    if m.value is None or m.status == "undefined":
        return judged(
            "insufficient_evidence", f"The metric is undefined here: {m.reason or 'undefined'}."
        )
    if m.ci_low is None or m.ci_high is None:
        if name != "count":
            return judged(
                "insufficient_evidence",
                "The audit has no interval for this value, so the claim cannot be judged.",
            )
        lo = hi = m.value
    else:
        lo, hi = m.ci_low, m.ci_high
    p = claim_p_value(
        region, m.value, m.ci_low, m.ci_high, m.ci_method, m.trials, log.confidence_level
    )
    level = f"{round(log.confidence_level * 100)}%"
    shown = f"{level} interval {_fmt(lo)} to {_fmt(hi)}" if lo != hi else f"value {_fmt(lo)}"
    claimed = f"the claimed region ({_region_text(region)})"
    if hi < region[0] or lo > region[1]:
        below = hi < region[0]
        direction = "below" if below else "above"
        worse = (gib is True and below) or (gib is False and not below)
        what = " (worse than claimed)" if worse else ""
        return judged("contradicted", f"The {shown} lies wholly {direction} {claimed}{what}.", p)
    if region[0] <= lo and hi <= region[1]:
        better = (
            claim.comparator == "="
            and gib is not None
            and ((gib and lo > value + tol) or (not gib and hi < value - tol))
        )
        extra = (
            " The model measured better than the value claimed (a claimed value of a metric "
            "with a direction is read as 'at least as good as')."
            if better
            else ""
        )
        return judged("supported", f"The {shown} lies within {claimed}.{extra}", p)
    return judged(*_overlap(shown, claimed, _width(name, kind, lo, hi, value), max_ci_width), p)


def _width(name: str, kind: str, lo: float, hi: float, value: float) -> float:
    """An interval's width on the scale ``max_ci_width`` reads: the metric's own for values in
    [0, 1]; for unbounded ones (an MAE in currency) relative to the claimed value once it
    exceeds 1, so 0.10 means an interval a tenth as wide as the value claimed (and a word error
    rate of 0.12 is read like a rate)."""
    if is_bounded(name, kind):
        return hi - lo
    return (hi - lo) / max(abs(value), 1.0)


def _overlap(shown: str, claimed: str, width: float, max_ci_width: float) -> tuple[Verdict, str]:
    """The verdict of an interval that overlaps the claimed region without lying inside."""
    if width <= max_ci_width:
        return (
            "consistent",
            f"The {shown} overlaps {claimed} without lying inside it: the data neither "
            "confirm nor refute the claim.",
        )
    return (
        "insufficient_evidence",
        f"The {shown} overlaps {claimed} but is too wide to judge (width {_fmt(width)} > "
        f"{_fmt(max_ci_width)}).",
    )


def _adjusted(check: ClaimCheck, p_adj: float, alpha: float, m: int, width: float) -> ClaimCheck:
    """Apply Holm's adjusted p-value to a claim's raw verdict."""
    out = replace(check, p_adjusted=p_adj)
    if check.raw_verdict != "contradicted" or p_adj < alpha:
        return out
    lo, hi = check.ci_low, check.ci_high
    span = 0.0
    if lo is not None and hi is not None and check.metric is not None:
        kind = "criterion" if check.claim.features else "metric"
        claimed = check.claimed_high if math.isfinite(check.claimed_high) else check.claimed_low
        span = _width(check.metric, kind, lo, hi, claimed)
    elif lo is not None and hi is not None:
        span = hi - lo
    verdict: Verdict = "consistent" if span <= width else "insufficient_evidence"
    return replace(
        out,
        verdict=verdict,
        reason=f"{check.reason} Not contradicted after Holm's correction over the {m} claims "
        f"tested (p {fmt_p(check.p_value)}, adjusted {fmt_p(p_adj)} >= {alpha:.2g}): with this "
        "many claims, some intervals miss true claims by chance.",
    )


def check_claims(
    log: AuditLog, claims: list[Claim], *, max_ci_width: float = MAX_CI_WIDTH
) -> list[ClaimCheck]:
    """Judge every claim against ``log`` (in order), correcting for the number of claims.

    Each claim is judged on its own (:func:`check_claim`, the raw verdict); then the
    p-values of the claims that were tested are adjusted with Holm's method, and a raw
    contradiction whose adjusted p-value is not below ``1 - confidence_level`` becomes
    ``consistent`` (or ``insufficient_evidence`` when its interval is wider than
    ``max_ci_width``). The family-wise rate of contradicting a card whose claims are all
    true is then at most ``1 - confidence_level``.
    """
    checks = [check_claim(log, c, max_ci_width=max_ci_width) for c in claims]
    adjusted = holm_adjust([c.p_value for c in checks])
    alpha = 1.0 - log.confidence_level
    m = sum(p is not None for p in adjusted)
    return [
        c if q is None else _adjusted(c, q, alpha, m, max_ci_width)
        for c, q in zip(checks, adjusted, strict=True)
    ]
