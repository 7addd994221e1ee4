"""The data boundary of the audit engine: :func:`prepare_inputs`.

User data in any supported form goes in; validated numpy arrays (:class:`AuditInputs`) come
out, or an :class:`~equilens.exceptions.InvalidInputError` /
:class:`~equilens.exceptions.InvalidParameterError` whose one-line message names the offending
column or file.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from equilens.data._encode import (
    MULTICLASS_HINT,
    LabelColumn,
    ValueKind,
    encode_binned,
    encode_categorical,
    label_column,
    numeric_column,
)
from equilens.data._fingerprint import Hasher, HashPart, hash_dtype
from equilens.data._sources import (
    ColumnRequest,
    Loaded,
    array_to_arrow,
    check_lengths,
    load_columns,
)
from equilens.data._types import AuditInputs, BinSpec, Feature, LabelValue
from equilens.exceptions import InvalidInputError, InvalidParameterError

__all__ = ["prepare_inputs"]

_TRUE_STRINGS = frozenset({"true", "t", "1", "1.0", "yes", "y"})
_FALSE_STRINGS = frozenset({"false", "f", "0", "0.0", "no", "n"})
_ZERO_ONE: dict[str, tuple[LabelValue, LabelValue]] = {
    "bool": (False, True),
    "float": (0.0, 1.0),
    "int": (0, 1),
}


def _param_error(name: str, expected: str, got: object) -> InvalidParameterError:
    shown = repr(got) if isinstance(got, str) and len(got) < 60 else type(got).__name__
    return InvalidParameterError(
        f"The '{name}' parameter of prepare_inputs must be {expected}. Got {shown} instead."
    )


def _check_max_groups(value: object) -> int:
    # At least 2, as for audit() and the spec: a feature of one group compares nothing.
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or int(value) < 2:
        shown = value if isinstance(value, int | np.integer | float) else type(value).__name__
        raise InvalidParameterError(
            "The 'max_groups_per_feature' parameter of prepare_inputs must be an int in the "
            f"range [2, inf). Got {shown} instead."
        )
    return int(value)


def _check_positive_label(value: object) -> LabelValue | None:
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        raise InvalidParameterError(
            "The 'positive_label' parameter of prepare_inputs must be a str, int, float, bool "
            "or None. Got nan instead."
        )
    if isinstance(value, str | bool | int | float):
        return value
    raise InvalidParameterError(
        "The 'positive_label' parameter of prepare_inputs must be a str, int, float, bool or "
        f"None. Got {type(value).__name__} instead."
    )


def _check_bins(bins: object, sensitive: Sequence[str]) -> dict[str, BinSpec]:
    if bins is None:
        return {}
    if not isinstance(bins, Mapping):
        raise InvalidParameterError(
            "The 'bins' parameter of prepare_inputs must be a mapping of sensitive column name "
            f"to BinSpec or list of edges, or None. Got {type(bins).__name__} instead."
        )
    out: dict[str, BinSpec] = {}
    for name, spec in bins.items():
        if name not in sensitive:
            raise InvalidParameterError(
                f"The 'bins' parameter of prepare_inputs names {name!r}, which is not a "
                f"sensitive column; sensitive columns: {', '.join(sensitive)}."
            )
        if isinstance(spec, BinSpec):
            out[name] = spec
        elif isinstance(spec, Sequence | np.ndarray) and not isinstance(spec, str | bytes):
            out[name] = BinSpec(tuple(spec))
        else:
            raise InvalidParameterError(
                f"The 'bins' parameter of prepare_inputs maps {name!r} to "
                f"{type(spec).__name__}; expected a BinSpec or a list of edges."
            )
    return out


def _sensitive_names(sensitive: object) -> list[str]:
    if isinstance(sensitive, str):
        names = [sensitive]
    elif isinstance(sensitive, Sequence) and all(isinstance(s, str) for s in sensitive):
        names = list(sensitive)
    else:
        raise _param_error(
            "sensitive", "a column name or a list of column names when data is given", sensitive
        )
    if not names:
        raise InvalidParameterError(
            "The 'sensitive' parameter of prepare_inputs must name at least one column. "
            "Got [] instead."
        )
    seen: set[str] = set()
    for n in names:
        if n in seen:
            raise InvalidParameterError(
                f"The 'sensitive' parameter of prepare_inputs lists column {n!r} twice."
            )
        seen.add(n)
    return names


def _sensitive_arrays(sensitive: object) -> dict[str, object]:
    """Normalise the ``sensitive`` argument given with ``data=None`` to name -> array-like."""
    if isinstance(sensitive, Mapping):
        if not all(isinstance(k, str) for k in sensitive):
            raise InvalidParameterError(
                "The 'sensitive' parameter of prepare_inputs must map str names to arrays."
            )
        named = dict(sensitive)
    elif isinstance(sensitive, pa.Table):
        named = {n: sensitive.column(n) for n in sensitive.column_names}
    elif (pd_mod := sys.modules.get("pandas")) is not None and isinstance(
        sensitive, pd_mod.DataFrame
    ):
        named = {str(c): sensitive[c] for c in sensitive.columns}
    elif (pl_mod := sys.modules.get("polars")) is not None and isinstance(
        sensitive, pl_mod.DataFrame
    ):
        named = {c: sensitive[c] for c in sensitive.columns}
    elif isinstance(sensitive, str) or sensitive is None:
        raise InvalidParameterError(
            "The 'sensitive' parameter of prepare_inputs must be a mapping of name to array "
            "when data is None (a column name needs data=...). "
            f"Got {sensitive!r} instead."
        )
    else:
        name = getattr(sensitive, "name", None)
        named = {name if isinstance(name, str) and name else "sensitive": sensitive}
    if not named:
        raise InvalidParameterError(
            "The 'sensitive' parameter of prepare_inputs must hold at least one feature. "
            "Got an empty mapping instead."
        )
    return named


def _named_columns(
    targets: Mapping[str, object], sensitive: object
) -> tuple[dict[str, str], list[str]]:
    """Role -> column name and the sensitive names, when ``data`` holds the columns.

    Every role must be a column name, and no column may serve two roles. Shared by
    :func:`prepare_inputs` and the engines that read the rows themselves, so both give the
    same messages.
    """
    role_names: dict[str, str] = {}
    for role, value in targets.items():
        if not isinstance(value, str):
            raise _param_error(role, "a column name (str) when data is given", value)
        role_names[role] = value
    names = _sensitive_names(sensitive)
    by_column: dict[str, str] = {}
    for role, column in role_names.items():
        if column in by_column:
            raise InvalidParameterError(
                f"Column {column!r} is given as both {by_column[column]} and {role}; y_true, "
                "y_pred, y_score and sample_weight each need their own column."
            )
        by_column[column] = role
    return role_names, names


def _load(
    data: object,
    targets: dict[str, object],
    sensitive: object,
    max_groups: int,
) -> tuple[Loaded, dict[str, str], list[str]]:
    """Return the loaded columns, role -> column name, and the sensitive names."""
    if data is None:
        role_names: dict[str, str] = {}
        arrays: dict[str, pa.ChunkedArray] = {}
        for role, value in targets.items():
            if isinstance(value, str):
                raise InvalidParameterError(
                    f"The '{role}' parameter of prepare_inputs is a column name ({value!r}) "
                    "but data is None; pass data=... or an array."
                )
            arrays[role] = array_to_arrow(value, role)
            role_names[role] = role
        named = _sensitive_arrays(sensitive)
        for name, value in named.items():
            if name in arrays:
                raise InvalidParameterError(
                    f"The 'sensitive' parameter of prepare_inputs names a feature {name!r}, "
                    f"the same as the {name} input; rename the feature."
                )
            arrays[name] = array_to_arrow(value, f"Sensitive feature '{name}'")
        n_rows = check_lengths(arrays, {k: k for k in arrays})
        if n_rows == 0:
            raise InvalidInputError("No rows in the input arrays; an audit needs at least one row")
        return Loaded(arrays, n_rows, "the input arrays", in_memory=True), role_names, list(named)

    role_names, names = _named_columns(targets, sensitive)
    wanted = [ColumnRequest(c, r) for r, c in role_names.items()]
    wanted += [ColumnRequest(n, "sensitive") for n in names]
    return load_columns(data, wanted, max_groups=max_groups), role_names, names


def _describe(loaded: Loaded, name: str, role: str, *, arrays: bool) -> str:
    if arrays:
        return f"Sensitive feature '{name}'" if role == "sensitive" else role
    text = f"Sensitive column '{name}'" if role == "sensitive" else f"Column '{name}' ({role})"
    return f"{text} in {loaded.where}" if loaded.is_file else text


def encode_features(
    loaded: Loaded,
    names: Sequence[str],
    bin_specs: Mapping[str, BinSpec],
    max_groups: int,
    hasher: Hasher,
    *,
    arrays: bool,
) -> list[Feature]:
    """Encode the sensitive columns (categorical, or bands of a BinSpec) and hash each one."""
    features: list[Feature] = []
    for name in names:
        label = _describe(loaded, name, "sensitive", arrays=arrays)
        spec = bin_specs.get(name)
        col = loaded.columns[name]
        if spec is None:
            feature = encode_categorical(col, name, label, max_groups, loaded.n_rows)
        else:
            feature = encode_binned(col, name, label, spec)
        feature.codes.setflags(write=False)
        features.append(feature)
        header: dict[str, object] = {
            "role": "sensitive",
            "labels": list(feature.labels),
            "kind": feature.kind,
            "bin_edges": list(spec.edges) if spec is not None else None,
        }
        hasher.add(HashPart(name, header, feature.codes, hash_dtype(feature.n_groups)))
    return features


def _is_zero_one(v: LabelValue) -> bool:
    return not isinstance(v, str) and v in (0, 1)


def _coerce_label(value: LabelValue, kind: ValueKind) -> LabelValue | None:
    """Convert a user-given label to the type of the label column, or None if impossible."""
    if kind == "str":
        if isinstance(value, float):
            return str(int(value)) if value.is_integer() else repr(value)
        return str(value)
    if kind == "int":
        if isinstance(value, bool | int):
            return int(value)
        if isinstance(value, float):
            return int(value) if value.is_integer() else None
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                try:
                    f = float(value.strip())
                except ValueError:
                    return None
                return int(f) if f.is_integer() else None
    if kind == "float":
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                return None
        return float(value)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return bool(value) if value in (0, 1) else None
        if isinstance(value, str):
            s = value.strip().lower()
            if s in _TRUE_STRINGS:
                return True
            if s in _FALSE_STRINGS:
                return False
    return None


def _show(values: Sequence[LabelValue]) -> str:
    return ", ".join(repr(v) for v in values)


def _resolve_positive(
    yt: LabelColumn, yp: LabelColumn, given: LabelValue | None
) -> tuple[LabelValue, tuple[LabelValue, ...]]:
    """Return the positive label and the label values, both typed like the y_true column."""
    union: list[LabelValue] = list(yt.values)
    for v in yp.values:
        if not any(v == u for u in union):
            union.append(v)
    if given is None:
        if not all(_is_zero_one(v) for v in union):
            raise InvalidInputError(
                f"Cannot tell which label is positive: {yt.label} and {yp.label} hold the "
                f"values {_show(union)}. Pass positive_label=... (CLI: --positive-label)"
                + (f"; {MULTICLASS_HINT}" if len(union) > 2 else "")
            )
        pos = _ZERO_ONE.get(yt.kind, (0, 1))[1]
    else:
        coerced = _coerce_label(given, yt.kind)
        if coerced is None:
            raise InvalidParameterError(
                f"The 'positive_label' parameter of prepare_inputs ({given!r}) cannot be "
                f"compared with {yt.label}, which holds {yt.kind} values ({_show(yt.values)})."
            )
        pos = coerced
        if len(yt.values) == 2 and not any(pos == v for v in yt.values):
            raise InvalidParameterError(
                f"The 'positive_label' parameter of prepare_inputs ({given!r}) is not one of "
                f"the values of {yt.label}: {_show(yt.values)}."
            )
    allowed: list[LabelValue] = list(yt.values)
    if not any(pos == v for v in allowed):
        allowed.append(pos)
    if all(_is_zero_one(v) for v in allowed):
        # 0/1 (or False/True) labels: both values are known even if y_true shows only one.
        zero, one = _ZERO_ONE.get(yt.kind, (0, 1))
        allowed = [zero, one]
    bad = [v for v in yp.values if not any(v == a for a in allowed)]
    if bad:
        raise InvalidInputError(
            f"{yp.label} has values not found in y_true or the positive label "
            f"({_show(sorted(allowed))}): {_show(bad)}"
            + (f"; {MULTICLASS_HINT}" if len(union) > 2 else "")
        )
    seen = list(yt.values)  # plus the y_pred values, typed like y_true
    for a in allowed:
        if any(a == v for v in yp.values) and not any(a == v for v in seen):
            seen.append(a)
    return pos, tuple(sorted(seen))


def _binary(col: LabelColumn, pos: LabelValue, n_rows: int) -> NDArray[np.int8]:
    match = next((v for v in col.values if v == pos), None)
    if match is None:
        return np.zeros(n_rows, dtype=np.int8)
    return col.binary(match)


def _readonly(arr: NDArray[Any]) -> NDArray[Any]:
    arr.setflags(write=False)
    return arr


def prepare_inputs(
    data: object,
    *,
    y_true: object,
    y_pred: object,
    y_score: object = None,
    sample_weight: object = None,
    sensitive: object,
    positive_label: object = None,
    bins: Mapping[str, BinSpec | Sequence[float]] | None = None,
    max_groups_per_feature: int = 100,
) -> AuditInputs:
    """Validate and normalise the inputs of an audit.

    Parameters
    ----------
    data : pandas/polars DataFrame, pyarrow Table, dict, str, Path or None
        The rows. A pandas or polars DataFrame (or polars LazyFrame), a pyarrow Table, a dict
        of column name -> 1-D array-like, or the path of a ``.csv``, ``.csv.gz``, ``.parquet``
        or ``.pq`` file (only the needed columns are read). Rows are taken by position; a
        pandas index is ignored. If None, the other arguments hold the arrays themselves.
    y_true, y_pred : str or array-like
        Column names of the true and predicted labels (arrays if ``data`` is None): numbers,
        booleans or strings, no missing values. Together they may hold at most two distinct
        values; ``y_pred`` may only use values of ``y_true`` and the positive label (for 0/1
        and False/True labels both values are always allowed, so ``y_true`` may be all 1s while
        ``y_pred`` holds 0s).
    y_score : str or array-like, optional
        Column of scores for the positive label: numbers in [0, 1], no missing values.
    sample_weight : str or array-like, optional
        Column of row weights: finite, >= 0, not all zero.
    sensitive : str, sequence of str, or mapping of str to array-like
        The sensitive column name(s); with ``data=None`` a mapping name -> array (a pandas or
        polars DataFrame, or a named Series, also works). A sensitive column may also be used
        as ``y_true``/``y_pred``/``y_score`` (e.g. per-class rates, or score bands via
        ``bins``), but ``y_true``, ``y_pred``, ``y_score`` and ``sample_weight`` must be four
        different columns.
    positive_label : str, int, float or bool, optional
        The label value counted as positive. It is converted to the type of the ``y_true``
        column, so the string ``"1"`` (from the CLI) matches an integer ``1``. If None, the
        labels must be a subset of {0, 1} or {False, True}, and 1 / True is positive.
    bins : mapping of str to BinSpec or list of float, optional
        Numeric sensitive columns to cut into bands, e.g. ``{"age": [25, 45]}``.
    max_groups_per_feature : int, default 100
        Most distinct values a categorical sensitive column may have.

    Returns
    -------
    AuditInputs
        Read-only arrays, the features, the resolved labels and a data fingerprint.

    Raises
    ------
    InvalidInputError
        Missing, unreadable or empty file; missing column; inconsistent lengths; missing
        labels; more than two label values; scores outside [0, 1]; bad weights; too many
        groups; bins on a non-numeric column. The message names the column or file.
    InvalidParameterError
        An argument of the wrong type or out of range (e.g. a bad :class:`BinSpec`, an unknown
        ``bins`` key, the same column in two target roles, a positive label that is not one
        of the label values).

    Notes
    -----
    Missing sensitive values (null, NaN, empty string) form their own group labelled
    ``"<missing>"``, listed last; a real value ``"<missing>"`` stays a group of its own,
    labelled ``"\\<missing>"`` (:func:`~equilens.data.group_label`). A sensitive column
    whose every value is missing is an error. Group labels are sorted by value
    (numbers in numeric order, also for pandas ordered categoricals), independent of row
    order; categories that no row uses get no group. Whole-number floats are labelled like
    ints (``2.0`` -> ``"2"``) so a pandas int column with NaN gives the same labels as the
    nullable original.

    CSV files are read with Arrow's type inference; as in pandas, empty fields and markers
    such as ``NA``, ``N/A``, ``null`` and ``NaN`` are missing values, also in string columns.
    Numeric-looking codes lose leading zeros (``"007"`` -> ``7``); pass a DataFrame with
    string columns to keep them.

    The result does not share memory with the caller's arrays, and its arrays are read-only.
    The fingerprint hashes the normalised columns (binary labels plus label values and
    positive label, scores, weights, group codes plus labels), so it identifies the data the
    audit used, whatever form it came in.

    Examples
    --------
    >>> import numpy as np
    >>> inputs = prepare_inputs(
    ...     None,
    ...     y_true=np.array([1, 0, 1, 0]),
    ...     y_pred=np.array([1, 1, 0, 0]),
    ...     sensitive={"sex": np.array(["f", "m", "f", "m"])},
    ... )
    >>> inputs.features[0].labels, inputs.features[0].codes.tolist()
    (('f', 'm'), [0, 1, 0, 1])
    """
    max_groups = _check_max_groups(max_groups_per_feature)
    given_positive = _check_positive_label(positive_label)
    targets: dict[str, object] = {"y_true": y_true, "y_pred": y_pred}
    if y_score is not None:
        targets["y_score"] = y_score
    if sample_weight is not None:
        targets["sample_weight"] = sample_weight
    arrays = data is None
    loaded, role_names, sensitive_names = _load(data, targets, sensitive, max_groups)
    bin_specs = _check_bins(bins, sensitive_names)
    n_rows = loaded.n_rows
    cols = loaded.columns

    def describe(name: str, role: str) -> str:
        return _describe(loaded, name, role, arrays=arrays)

    yt = label_column(cols[role_names["y_true"]], describe(role_names["y_true"], "y_true"))
    yp = label_column(cols[role_names["y_pred"]], describe(role_names["y_pred"], "y_pred"))
    pos, label_values = _resolve_positive(yt, yp, given_positive)
    label_header = {"labels": list(label_values), "positive": pos}
    copy = loaded.in_memory

    with Hasher(n_rows) as hasher:
        y_true_arr = _readonly(_binary(yt, pos, n_rows))
        hasher.add(HashPart(role_names["y_true"], {"role": "y_true", **label_header}, y_true_arr))
        y_pred_arr = _readonly(_binary(yp, pos, n_rows))
        hasher.add(HashPart(role_names["y_pred"], {"role": "y_pred", **label_header}, y_pred_arr))

        score_arr: NDArray[np.float64] | None = None
        if "y_score" in role_names:
            name = role_names["y_score"]
            score = numeric_column(cols[name], describe(name, "y_score"), kind="score", copy=copy)
            score_arr = _readonly(score)
            hasher.add(HashPart(name, {"role": "y_score"}, score_arr))
        weight_arr: NDArray[np.float64] | None = None
        if "sample_weight" in role_names:
            name = role_names["sample_weight"]
            weight = numeric_column(
                cols[name], describe(name, "sample_weight"), kind="weight", copy=copy
            )
            weight_arr = _readonly(weight)
            hasher.add(HashPart(name, {"role": "sample_weight"}, weight_arr))

        features = encode_features(
            loaded, sensitive_names, bin_specs, max_groups, hasher, arrays=arrays
        )
        data_fingerprint = hasher.result()

    columns: dict[str, str | list[str] | None] = {
        "y_true": role_names["y_true"],
        "y_pred": role_names["y_pred"],
        "y_score": role_names.get("y_score"),
        "sample_weight": role_names.get("sample_weight"),
        "sensitive": list(sensitive_names),
    }
    return AuditInputs(
        n_rows=n_rows,
        y_true=y_true_arr,
        y_pred=y_pred_arr,
        y_score=score_arr,
        sample_weight=weight_arr,
        features=tuple(features),
        positive_label=pos,
        label_values=label_values,
        columns=columns,
        fingerprint=data_fingerprint,
    )
