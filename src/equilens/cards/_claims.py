"""Claims about a model (from a model card or a claims table) checked against an audit log.

A claim names a metric (equilens or Hugging Face name, or a fairness criterion), a slice (a
group, an intersection, the overall population, or for a criterion its family of features),
a value and a comparator. Each claim gets one verdict:

``supported``
    The measured confidence interval is consistent with the claim: it lies inside the claimed
    region, or overlaps it and is no wider than ``max_ci_width``.
``contradicted``
    The interval excludes the claimed region in the unfavourable direction (for a claimed
    value of a metric where higher is better, the whole interval lies below it).
``insufficient_evidence``
    The group is below the audit's minimum size, the metric is undefined there, or the
    interval overlaps the claim but is too wide to judge.
``not_measured``
    The audit has no such metric, slice or family.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from equilens._yaml import Located as _Located
from equilens._yaml import parse_yaml, parse_yaml_text
from equilens.cards._names import greater_is_better, is_bounded, resolve_metric
from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.results._log import AuditLog

Verdict = Literal["supported", "contradicted", "insufficient_evidence", "not_measured"]
Comparator = Literal["=", ">=", "<="]

VERDICTS: tuple[Verdict, ...] = (
    "contradicted",
    "insufficient_evidence",
    "not_measured",
    "supported",
)

#: Default widest interval (on the metric's 0-1 scale) that can support a claim it straddles.
MAX_CI_WIDTH = 0.10

_COMPARATORS: dict[str, Comparator] = {
    "=": "=",
    "==": "=",
    ">=": ">=",
    ">": ">=",
    "≥": ">=",
    "<=": "<=",
    "<": "<=",
    "≤": "<=",
}


@dataclass(frozen=True)
class Claim:
    """One claim, as read from a card or a claims table.

    Attributes
    ----------
    metric : str
        The metric name as written (``accuracy``, ``false_positive_rate``, ...).
    value : float
        The claimed value, as written (a percentage stays a percentage here).
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
        Allowed distance from the value; None means half a unit in the last digit written.
    source : str
        ``FILE:LINE`` (or ``FILE:row N``) of the claim.
    label : str
        The claim's own name (``name`` in a Hugging Face card), else empty.
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

    @property
    def slice_text(self) -> str:
        """'race=African-American, sex=Male', 'overall', or the family for a criterion."""
        if self.features:
            return " x ".join(self.features) + f" ({self.method})"
        return ", ".join(f"{k}={v}" for k, v in self.slice.items()) or "overall"


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
    reason : str
        Why the verdict follows, in one sentence.
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
            "tolerance": c.tolerance,
            "claimed_low": fin(self.claimed_low),
            "claimed_high": fin(self.claimed_high),
            "value": self.value,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "ci_method": self.ci_method,
            "n": self.n,
            "status": self.status,
            "verdict": self.verdict,
            "reason": self.reason,
            "source": c.source,
            "label": c.label,
        }


# --------------------------------------------------------------------------------------------
# Reading claims


def _default_tolerance(value: float) -> float:
    """Half a unit in the last digit of the shortest representation of ``value``."""
    text = repr(float(value))
    if "e" in text or "E" in text:
        mantissa, _, exp = text.lower().partition("e")
        decimals = len(mantissa.partition(".")[2].rstrip("0")) - int(exp)
    else:
        decimals = len(text.partition(".")[2].rstrip("0"))
    return 0.5 * 10.0 ** (-max(decimals, 0))


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


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{what} must be a number, got {value!r}")
    if isinstance(value, str):
        value = value.strip().rstrip("%").strip()
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(out):
        raise ValueError(f"{what} must be finite, got {value!r}")
    return out


def claim_from_mapping(raw: Any, source: str) -> Claim:
    """Build a claim from a mapping (a claims-file row or a model-index metric entry).

    Keys: ``metric`` (or ``type``), ``value``, and optionally ``slice`` (mapping or
    'f=v; f=v' text), ``features`` and ``method`` (criteria), ``comparator`` (``=``, ``>=``,
    ``<=``; ``>``/``<`` read as ``>=``/``<=``), ``tolerance`` and ``name``. A model-index
    entry may carry ``slice``, ``comparator`` and ``tolerance`` in its ``args``.

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
    value = _number(merged["value"], "value")
    comp_raw = str(merged.get("comparator") or "=").strip()
    if comp_raw not in _COMPARATORS:
        raise ValueError(f"comparator must be one of =, >=, <=, >, <; got '{comp_raw}'")
    tol_raw = merged.get("tolerance")
    tolerance = None
    if tol_raw is not None and str(tol_raw).strip() != "":
        tolerance = _number(tol_raw, "tolerance")
        if tolerance < 0:
            raise ValueError(f"tolerance must be >= 0, got {tol_raw!r}")
    slice_raw = merged.get("slice")
    features_raw = merged.get("features")
    resolved = resolve_metric(str(metric))
    is_criterion = resolved is not None and resolved[1] == "criterion"
    features: list[str] = []
    slice_map: dict[str, str] = {}
    if is_criterion:
        given = features_raw if features_raw not in (None, "") else slice_raw
        if given in (None, "") or isinstance(given, dict):
            raise ValueError(
                f"a claim on the criterion '{metric}' needs 'features' (e.g. race or race x sex)"
            )
        features = _parse_features(given)
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
        value=value,
        comparator=_COMPARATORS[comp_raw],
        slice=slice_map,
        features=features,
        method=method,
        tolerance=tolerance,
        source=source,
        label=str(merged.get("name") or ""),
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
            return claim_from_mapping(item, where(loc))
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
        ``features``, ``method``, ``comparator``, ``tolerance`` and ``name``.

    Returns
    -------
    list of Claim

    Raises
    ------
    InvalidInputError
        One line naming the file and line: missing file, malformed YAML or CSV, a claim
        without a metric or a numeric value, an unknown comparator.
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
        return f"the audit did not compute the metric '{name}'"
    for r in rows_m:
        if r.slice == claim.slice:
            return _Measured(r.value, r.ci_low, r.ci_high, r.ci_method, r.n, r.status, r.reason)
    return f"the audit has no slice {claim.slice_text}"


def _region(claim: Claim, gib: bool | None, value: float, tol: float) -> tuple[float, float]:
    if claim.comparator == ">=" or (claim.comparator == "=" and gib is True):
        return value - tol, math.inf
    if claim.comparator == "<=" or (claim.comparator == "=" and gib is False):
        return -math.inf, value + tol
    return value - tol, value + tol


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def check_claim(log: AuditLog, claim: Claim, *, max_ci_width: float = MAX_CI_WIDTH) -> ClaimCheck:
    """Judge one claim against an audit log (see the module docstring for the verdicts).

    Parameters
    ----------
    log : AuditLog
    claim : Claim
    max_ci_width : float, default 0.10
        The widest interval that may support a claim it only partly overlaps. An interval
        that lies wholly inside the claimed region supports it whatever its width.

    Returns
    -------
    ClaimCheck
    """
    if not max_ci_width > 0:
        raise InvalidParameterError(
            "The 'max_ci_width' parameter of check_claim must be a float in the range "
            f"(0, inf). Got {max_ci_width!r} instead."
        )
    resolved = resolve_metric(claim.metric)
    value = claim.value
    tol = claim.tolerance if claim.tolerance is not None else _default_tolerance(claim.value)
    notes: list[str] = []

    def result(
        verdict: Verdict,
        reason: str,
        region: tuple[float, float] = (value - tol, value + tol),
        measured: _Measured | None = None,
        metric: str | None = None,
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
        )

    if resolved is None:
        return result("not_measured", f"'{claim.metric}' is not a metric equilens knows.")
    name, kind = resolved
    if is_bounded(name, kind) and 1.0 < value <= 100.0:
        value, tol = value / 100.0, tol / 100.0
        notes.append("The claimed value was read as a percentage.")
    gib = greater_is_better(name, kind)
    region = _region(claim, gib, value, tol)
    found = _lookup(log, claim, name, kind)
    if isinstance(found, str):
        return result("not_measured", found[0].upper() + found[1:] + ".", region, metric=name)
    m = found
    if m.status == "insufficient_evidence":
        why = m.reason or "the group is below the audit's minimum group size"
        return result("insufficient_evidence", f"Too little data to judge: {why}.", region, m, name)
    if m.value is None or m.status == "undefined":
        why = m.reason or "undefined"
        return result(
            "insufficient_evidence", f"The metric is undefined here: {why}.", region, m, name
        )
    if m.ci_low is None or m.ci_high is None:
        if name != "count":
            return result(
                "insufficient_evidence",
                "The audit has no interval for this value, so the claim cannot be judged.",
                region,
                m,
                name,
            )
        lo = hi = m.value
    else:
        lo, hi = m.ci_low, m.ci_high
    level = f"{round(log.confidence_level * 100)}%"
    shown = f"{level} interval {_fmt(lo)} to {_fmt(hi)}" if lo != hi else f"value {_fmt(lo)}"
    if hi < region[0] or lo > region[1]:
        below = hi < region[0]
        direction = "below" if below else "above"
        worse = (gib is True and below) or (gib is False and not below)
        what = " (worse than claimed)" if worse else ""
        return result(
            "contradicted",
            f"The {shown} lies wholly {direction} the claimed region{what}.",
            region,
            m,
            name,
        )
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
        return result(
            "supported", f"The {shown} lies within the claimed region.{extra}", region, m, name
        )
    width = hi - lo
    if width <= max_ci_width:
        return result(
            "supported",
            f"The {shown} is consistent with the claim (it overlaps the claimed region).",
            region,
            m,
            name,
        )
    return result(
        "insufficient_evidence",
        f"The {shown} overlaps the claimed region but is too wide to judge (width "
        f"{_fmt(width)} > {_fmt(max_ci_width)}).",
        region,
        m,
        name,
    )


def check_claims(
    log: AuditLog, claims: list[Claim], *, max_ci_width: float = MAX_CI_WIDTH
) -> list[ClaimCheck]:
    """Judge every claim against ``log`` (in order); see :func:`check_claim`."""
    return [check_claim(log, c, max_ci_width=max_ci_width) for c in claims]
