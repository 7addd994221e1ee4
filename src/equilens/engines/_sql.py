"""The common core of the SQL engines (DuckDB, Spark): one pass over the rows, then numpy.

An SQL engine never holds the rows. It runs:

0. **Guard** (a sample: the first 100,000 rows), one ``GROUP BY`` of the sample's sensitive
   and label values: the row count (is the source empty?), the number of distinct values of
   each categorical sensitive column (a column with more than ``2 * max_groups + 16``, an id
   passed by mistake, is never used as a grouping key), and the values the single pass
   encodes.
1. **Single pass** (``GROUP BY key``): ``key`` packs, as digits of one integer, each sensitive
   column's group (its index among the sample's values, null, or "other"; the band of a
   binned column), the index of the true and predicted labels among the sample's values (or
   "other", which includes missing), whether the weight is valid, and the calibration and
   grid bins of the score (or "invalid" for a missing score or one outside [0, 1]); per group
   the row count, the sums of ``w`` and ``w**2``, the sums of ``w * s**j`` (j = 1..4), the
   smallest and largest score and the exact sum of a 64-bit hash of every row (the
   fingerprint). With G = 16,384 grid bins and C finest cells that is at most about
   ``4 C (G + 10)`` groups, independent of the number of rows (``Dialect.grid_pivot`` bins per
   group on Spark, each counted in its own column; see :func:`_unpivot`). The labels, the
   positive label and the groups are read from the digits present. If any row got an
   "other" or "invalid" digit (a value the sample did not foresee, or data the checks
   reject), all weights are zero, or the sample does not allow the encoding (more than 64
   values of a feature, float or temporal groups, labels that are not bool / int / str, a
   missing or third label in the sample), the run takes the two-pass path below instead,
   which reports exactly what ``prepare_inputs`` reports.

The two-pass path:

1. **Profile** (``GROUP BY`` the raw sensitive values, or bands of binned columns; a few
   hundred groups at most): per group a 64-bit hash ``h`` of the group's values, the row
   count, the missing values, minimum and maximum of each label column, the missing /
   out-of-range counts, minimum and maximum of scores and weights, and the exact sum of a
   64-bit hash of every row (the fingerprint). Summed over groups these validate the data;
   the groups themselves give each feature's exact distinct values and the map from ``h`` to
   the group's values.
2. **Cells** (``GROUP BY h, k``): ``k`` packs the binary true and predicted labels (known by
   now), the calibration bin and the score bin into one integer; per group the same sums as
   the single pass. If two different groups of the profile had the same ``h`` (never seen;
   detected exactly), the raw values are the keys.

Both paths group the same rows together, so they give the same tables and fingerprint.
Everything else (label and positive-label resolution, group labels, finest cells, confusion
tables, histograms, moments, calibration tables) is computed here with numpy from the small
grouped tables, with the functions the in-memory path uses, so the labels, keys and tables are
those of the numpy engine. Checks run in the order :func:`equilens.data.prepare_inputs` runs
them, with its messages (a label column that the profile's minimum and maximum do not settle
costs one small extra query).
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from equilens.data import (
    MISSING_LABEL,
    BinSpec,
    DataFingerprint,
    LabelColumn,
    LabelValue,
    ValueKind,
    all_missing,
    check_bins,
    check_present,
    labels_and_mapping,
    python_value,
    resolve_positive,
    too_many,
    too_many_groups,
)
from equilens.engines._base import ColumnRoles, InputsInfo
from equilens.engines._numpy import (
    CALIB_BINS,
    EXACT_BUDGET,
    EXACT_MAX_ROWS,
    GRID_BINS,
    ScoreModeOption,
    cell_codes,
)
from equilens.exceptions import InvalidInputError
from equilens.stats import CellStats, ScoreBins

FloatArray = NDArray[np.float64]

__all__ = [
    "FINGERPRINT_SCHEME",
    "Backend",
    "BackendBase",
    "ColumnInfo",
    "ColumnKind",
    "Dialect",
    "sql_statistics",
]

ColumnKind = Literal[
    "bool", "int", "float", "decimal", "str", "binary", "temporal", "null", "other"
]

_NUMERIC: frozenset[ColumnKind] = frozenset({"int", "float", "decimal"})
_GROUPABLE: frozenset[ColumnKind] = _NUMERIC | {"bool", "str", "binary", "temporal", "null"}
_LABEL_KINDS: dict[ColumnKind, ValueKind] = {
    "bool": "bool",
    "int": "int",
    "float": "float",
    "str": "str",
}

#: Rows of the guard sample.
GUARD_ROWS = 100_000
#: Name of the fingerprint scheme, hashed into every column digest.
FINGERPRINT_SCHEME = "multiset-sum-v1"


@dataclass(frozen=True)
class ColumnInfo:
    """One column of the source as an engine sees it.

    Attributes
    ----------
    name : str
        Column name.
    kind : str
        Value class: ``bool``, ``int``, ``float``, ``decimal``, ``str``, ``binary``,
        ``temporal``, ``null`` (only nulls) or ``other`` (lists, structs, ...).
    type_name : str
        The engine's name of the type, for messages.
    """

    name: str
    kind: ColumnKind
    type_name: str


class Dialect(ABC):
    """The few places where DuckDB and Spark SQL differ."""

    name: ClassVar[str]
    #: Grid bins per group of the single pass (1: one group per grid bin). With P > 1 the pass
    #: groups P neighbouring grid bins together and counts each of them in its own column (a
    #: P-times smaller hash table, which is what Spark's aggregation spends its time probing);
    #: bins are then exact only where a whole group holds one score value (see
    #: :func:`_unpivot`).
    grid_pivot: ClassVar[int] = 1

    @abstractmethod
    def quote(self, name: str) -> str:
        """Quote an identifier."""

    @abstractmethod
    def string(self, value: str) -> str:
        """A string literal."""

    def double(self, value: float) -> str:
        """A DOUBLE literal that parses to exactly ``value`` (shortest round-trip repr)."""
        return f"CAST('{float(value)!r}' AS DOUBLE)"

    @abstractmethod
    def hash_sum(self, expr: str) -> list[str]:
        """Aggregates whose values give the sum over rows of a 64-bit hash of ``expr``."""

    @abstractmethod
    def hash_total(self, values: list[Any]) -> int:
        """The exact sum of the hashes from the values of :meth:`hash_sum`'s aggregates."""

    @abstractmethod
    def row_hash(self, exprs: list[str]) -> str:
        """A 64-bit hash of several columns of a row (input of :meth:`hash_sum`)."""


class Backend(Protocol):
    """An engine's access to its rows: a named relation it can run SQL on."""

    @property
    def engine(self) -> str:
        """The engine's name (``duckdb``, ``spark``)."""
        ...

    @property
    def where(self) -> str:
        """How messages name the source, e.g. ``"data.parquet (duckdb engine)"``."""
        ...

    @property
    def dialect(self) -> Dialect:
        """The SQL dialect."""
        ...

    @property
    def table(self) -> str:
        """The SQL name of the relation holding the rows."""
        ...

    def columns(self) -> list[ColumnInfo]:
        """The columns of the relation, in order."""
        ...

    def query(self, sql: str) -> pa.Table:
        """Run a query and return its (small) result."""
        ...

    def first_index(self, condition: str) -> int | None:
        """Position of the first row where ``condition`` holds (None if rows have no order)."""
        ...


class _Select:
    """A SELECT list with generated aliases."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, expr: str, alias: str | None = None) -> str:
        alias = alias or f"e{len(self.items)}"
        self.items.append(f"{expr} AS {alias}")
        return alias


class BackendBase:
    """What every backend holds: engine name, how messages name the source, dialect, relation.

    Subclasses add :meth:`Backend.query` and :meth:`Backend.first_index`.
    """

    def __init__(
        self, engine: str, where: str, dialect: Dialect, table: str, columns: list[ColumnInfo]
    ) -> None:
        self._engine = engine
        self._where = where
        self._dialect = dialect
        self._table = table
        self._columns = list(columns)

    @property
    def engine(self) -> str:
        return self._engine

    @property
    def where(self) -> str:
        return self._where

    @property
    def dialect(self) -> Dialect:
        return self._dialect

    @property
    def table(self) -> str:
        return self._table

    def columns(self) -> list[ColumnInfo]:
        return list(self._columns)


def _count_if(condition: str) -> str:
    return f"sum(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def _group_by(n_keys: int) -> str:
    return " GROUP BY " + ", ".join(str(i + 1) for i in range(n_keys)) if n_keys else ""


@dataclass
class _Label:
    """A checked label column and its distinct values (at most two, sorted)."""

    column: str
    label: str
    kind: ValueKind
    values: tuple[LabelValue, ...] = ()

    def as_column(self) -> LabelColumn:
        empty = pa.chunked_array([], pa.null())
        return LabelColumn(empty, self.label, self.kind, self.values, None)


@dataclass(frozen=True)
class _Feature:
    """A sensitive feature's group labels and the group code of each row of a result."""

    labels: tuple[str, ...]
    codes: NDArray[np.int64]


def _distinct_count(col: pa.ChunkedArray) -> int:
    """Distinct non-null values of a column."""
    return int(pc.count_distinct(col, mode="only_valid").as_py())


def _combine(values: Sequence[Any], how: str) -> Any:
    """Combine one profile aggregate over its groups (None where no group has a value)."""
    present = [v for v in values if v is not None]
    if how == "sum":
        return sum(int(v) for v in present)
    if not present:
        return None
    return min(present) if how == "min" else max(present)


class _Run:
    """One engine run: the source, the checked roles and what the passes found."""

    def __init__(self, backend: Backend, roles: ColumnRoles, cols: dict[str, ColumnInfo]):
        self.backend = backend
        self.roles = roles
        self.cols = cols
        self.d = backend.dialect
        self.bins: dict[str, BinSpec] = {}
        self.stats: dict[str, Any] = {}
        self.groups: pa.Table | None = None
        self.features: list[_Feature] = []
        self.labels: dict[str, _Label] = {}
        self.positive: LabelValue | None = None
        self.label_values: tuple[LabelValue, ...] = ()
        self.hash_total = 0
        self.sample_rows = 0
        self.sample: dict[str, pa.ChunkedArray] = {}
        self.sample_scores: tuple[FloatArray, FloatArray] | None = None

    # -- helpers ------------------------------------------------------------------------------

    def q(self, name: str) -> str:
        return self.d.quote(name)

    def describe(self, name: str, role: str) -> str:
        text = f"Sensitive column '{name}'" if role == "sensitive" else f"Column '{name}' ({role})"
        return f"{text} in {self.backend.where}"

    def at_row(self, condition: str) -> str:
        index = self.backend.first_index(condition)
        return "" if index is None else f"; first at row index {index}"

    def missing_condition(self, name: str, kind: ColumnKind) -> str:
        """SQL: the value is missing (null; NaN for floats; empty for strings)."""
        c = self.q(name)
        if kind == "str":
            return f"({c} IS NULL OR {c} = '')"
        if kind == "float":
            return f"({c} IS NULL OR isnan({c}))"
        return f"({c} IS NULL)"

    def as_double(self, name: str) -> str:
        return f"CAST({self.q(name)} AS DOUBLE)"

    def key_expr(self, name: str) -> str:
        """The grouping key of a sensitive column: its value, or the band of a binned one."""
        spec = self.bins.get(name)
        if spec is None:
            return self.q(name)
        x = self.as_double(name)
        bands = " + ".join(
            f"(CASE WHEN {x} >= {self.d.double(e)} THEN 1 ELSE 0 END)" for e in spec.edges
        )
        return f"(CASE WHEN {x} IS NULL OR isnan({x}) THEN NULL ELSE {bands} END)"

    def cell_hash(self) -> str:
        """A 64-bit hash of a row's sensitive keys (nulls told apart by position)."""
        parts: list[str] = []
        for name in self.roles.sensitive:
            key = self.key_expr(name)
            parts += [key, f"({key} IS NULL)"]
        return self.d.row_hash(parts)

    def used_columns(self) -> list[str]:
        return list(dict.fromkeys([*self.roles.targets.values(), *self.roles.sensitive]))

    # -- pass 0: the guard --------------------------------------------------------------------

    def run_guard(self) -> bool:
        """Group the sample by its raw values; return whether grouping by sensitive keys is safe.

        One query groups the sample's rows by the groupable sensitive columns and the label
        columns. It gives the row count (is the source empty?), each column's distinct values in
        the sample (an id passed by mistake has more than ``2 * max_groups + 16`` of them and is
        never used as a grouping key) and the values the single-pass plan encodes.
        """
        names = [n for n in self.roles.sensitive if self.cols[n].kind in _GROUPABLE]
        for role in ("y_true", "y_pred"):
            column = self.roles.targets[role]
            if self.cols[column].kind in _LABEL_KINDS:
                names.append(column)
        names = list(dict.fromkeys(names))
        key_list = [f"{self.q(n)} AS s{i}" for i, n in enumerate(names)]
        outer_list = [f"s{i}" for i in range(len(names))]
        score = self.roles.targets.get("y_score")
        with_scores = (
            self.d.grid_pivot > 1 and score is not None and self.cols[score].kind in _NUMERIC
        )
        if with_scores:
            assert score is not None
            key_list.append(f"{self.as_double(score)} AS sv")
            outer_list.append("sv")
        keys = ", ".join(key_list)
        inner = f"SELECT {keys or '1 AS one'} FROM {self.backend.table} LIMIT {GUARD_ROWS}"
        group = _group_by(len(outer_list))
        outer = ", ".join(outer_list)
        sql = (
            f"SELECT {outer + ', ' if outer else ''}count(*) AS n "
            f"FROM ({inner}) AS guard_sample{group}"
        )
        table = self.backend.query(sql)
        n_sample = sum(int(v) for v in table.column("n").to_pylist())
        if n_sample == 0:
            raise InvalidInputError(
                f"No rows in {self.backend.where}; an audit needs at least one row"
            )
        self.sample_rows = n_sample
        self.sample = {name: table.column(f"s{i}") for i, name in enumerate(names)}
        if with_scores:
            self.sample_scores = (_column(table, "sv"), _column(table, "n"))
        self.bins = check_bins(self.roles.bins, list(self.roles.sensitive))
        cap = 2 * self.roles.max_groups + 16
        for name in self.roles.sensitive:
            kind = self.cols[name].kind
            if kind not in _GROUPABLE or (name in self.bins and kind not in _NUMERIC):
                return False
            if name not in self.bins and _distinct_count(self.sample[name]) > cap:
                return False
        return True

    # -- pass 1: the profile ------------------------------------------------------------------

    def run_profile(self, grouped: bool) -> None:
        """Run the profile; combine its groups into :attr:`stats` and keep the groups."""
        sel = _Select()
        if grouped:
            sel.add(self.cell_hash(), "h")
            for i, name in enumerate(self.roles.sensitive):
                sel.add(self.key_expr(name), f"k{i}")
        n_keys = len(sel.items)
        aggregates: dict[str, tuple[str, str]] = {}  # stat -> (alias, how to combine)

        def agg(key: str, expr: str, how: str) -> None:
            aggregates[key] = (sel.add(expr, f"p{len(aggregates)}"), how)

        agg("n", "count(*)", "sum")
        for role in ("y_true", "y_pred"):
            name = self.roles.targets[role]
            kind = self.cols[name].kind
            if kind not in _LABEL_KINDS:
                continue
            c = self.q(name)
            agg(f"{role}:missing", _count_if(self.missing_condition(name, kind)), "sum")
            agg(f"{role}:min", f"min({c})", "min")
            agg(f"{role}:max", f"max({c})", "max")
        for role in ("y_score", "sample_weight"):
            column = self.roles.targets.get(role)
            if column is None or self.cols[column].kind not in _NUMERIC:
                continue
            x = self.as_double(column)
            agg(f"{role}:missing", _count_if(f"{x} IS NULL OR isnan({x})"), "sum")
            agg(f"{role}:min", f"min({x})", "min")
            agg(f"{role}:max", f"max({x})", "max")
            if role == "y_score":
                outside = f"NOT isnan({x}) AND ({x} < 0 OR {x} > 1)"
                agg(f"{role}:outside", _count_if(outside), "sum")
            else:
                inf = self.d.double(float("inf"))
                agg(f"{role}:infinite", _count_if(f"{x} = {inf} OR {x} = -{inf}"), "sum")
                agg(f"{role}:negative", _count_if(f"{x} < 0"), "sum")
        row_hash = self.d.row_hash([self.q(n) for n in self.used_columns()])
        parts = self.d.hash_sum(row_hash)
        for j, expr in enumerate(parts):
            agg(f"hash:{j}", expr, "sum")
        sql = f"SELECT {', '.join(sel.items)} FROM {self.backend.table}{_group_by(n_keys)}"
        table = self.backend.query(sql)
        self.stats = {
            key: _combine(table.column(alias).to_pylist(), how)
            for key, (alias, how) in aggregates.items()
        }
        self.hash_total = self.d.hash_total([self.stats[f"hash:{j}"] for j in range(len(parts))])
        self.groups = table if grouped else None

    def stat(self, key: str) -> Any:
        return self.stats[key]

    # -- checks, in the order of prepare_inputs -----------------------------------------------

    def check_label(self, role: str) -> None:
        name = self.roles.targets[role]
        info = self.cols[name]
        label = self.describe(name, role)
        if info.kind not in _LABEL_KINDS:
            raise InvalidInputError(
                f"{label} has unsupported type {info.type_name}; labels must be numbers, "
                "booleans or strings"
            )
        lab = _Label(name, label, _LABEL_KINDS[info.kind])
        self.labels[role] = lab
        missing = int(self.stat(f"{role}:missing"))
        if missing:
            at = self.at_row(self.missing_condition(name, info.kind))
            raise InvalidInputError(
                f"{label} has {missing} missing values (null, NaN or empty){at}. "
                "Remove or fill those rows"
            )
        lo, hi = python_value(self.stat(f"{role}:min")), python_value(self.stat(f"{role}:max"))
        if lo == hi:
            lab.values = (lo,)
        elif lab.kind == "bool" or (lab.kind == "int" and int(hi) - int(lo) == 1):
            lab.values = (lo, hi)
        else:
            lab.values = self.exact_label_values(lab)

    def exact_label_values(self, lab: _Label) -> tuple[LabelValue, ...]:
        c = self.q(lab.column)
        t = self.backend.table
        rows = self.backend.query(f"SELECT {c} AS v FROM {t} GROUP BY {c} ORDER BY {c} LIMIT 6")
        values = sorted(python_value(v) for v in rows.column("v").to_pylist())
        if len(values) > 2:
            total = self.backend.query(f"SELECT count(DISTINCT {c}) AS n FROM {t}")
            raise too_many(lab.label, values[:5], int(total.column("n")[0].as_py()))
        return tuple(values)

    def check_score(self) -> None:
        name = self.roles.targets["y_score"]
        info = self.cols[name]
        label = self.describe(name, "y_score")
        if info.kind not in _NUMERIC:
            raise InvalidInputError(f"{label} must be numeric; got {info.type_name} values")
        x = self.as_double(name)
        missing = int(self.stat("y_score:missing"))
        if missing:
            at = self.at_row(f"{x} IS NULL OR isnan({x})")
            raise InvalidInputError(
                f"{label} has {missing} missing values (null or NaN){at}. Remove or fill those rows"
            )
        outside = int(self.stat("y_score:outside"))
        if outside:
            lo, hi = float(self.stat("y_score:min")), float(self.stat("y_score:max"))
            at = self.at_row(f"{x} < 0 OR {x} > 1")
            raise InvalidInputError(
                f"{label} has {outside} values outside [0, 1] (min {lo:g}, max {hi:g}){at}. "
                "Scores must be probabilities of the positive label"
            )

    def check_weight(self) -> None:
        name = self.roles.targets["sample_weight"]
        info = self.cols[name]
        label = self.describe(name, "sample_weight")
        if info.kind not in _NUMERIC:
            raise InvalidInputError(f"{label} must be numeric; got {info.type_name} values")
        x = self.as_double(name)
        missing = int(self.stat("sample_weight:missing"))
        if missing:
            at = self.at_row(f"{x} IS NULL OR isnan({x})")
            raise InvalidInputError(
                f"{label} has {missing} missing values (null or NaN){at}. Remove or fill those rows"
            )
        infinite = int(self.stat("sample_weight:infinite"))
        if infinite:
            inf = self.d.double(float("inf"))
            at = self.at_row(f"{x} = {inf} OR {x} = -{inf}")
            raise InvalidInputError(
                f"{label} has {infinite} infinite values{at}. Weights must be finite"
            )
        negative = int(self.stat("sample_weight:negative"))
        if negative:
            lo = float(self.stat("sample_weight:min"))
            at = self.at_row(f"{x} < 0")
            raise InvalidInputError(
                f"{label} has {negative} negative values (min {lo:g}){at}. Weights must be >= 0"
            )
        if float(self.stat("sample_weight:max")) == 0.0:
            raise InvalidInputError(f"{label} is all zeros; at least one weight must be positive")

    def check_sensitive(self, i: int, name: str) -> None:
        info = self.cols[name]
        label = self.describe(name, "sensitive")
        spec = self.bins.get(name)
        if spec is not None:
            if info.kind not in _NUMERIC:
                raise InvalidInputError(
                    f"Cannot bin {label[:1].lower()}{label[1:]}: it holds {info.type_name} "
                    "values, and bins need a numeric column"
                )
        elif info.kind not in _GROUPABLE:
            raise InvalidInputError(
                f"{label} has unsupported type {info.type_name}; sensitive columns must hold "
                "strings, numbers, booleans or dates"
            )
        if self.groups is not None:
            col = self.groups.column(f"k{i}")
            feature = (
                _binned(spec, col, self.describe(name, "sensitive"))
                if spec
                else _categorical(self, name, col)
            )
            self.features.append(feature)
            return
        if spec is None and info.kind != "null":
            valid = f"NOT {self.missing_condition(name, info.kind)}"
            res = self.backend.query(
                f"SELECT count(DISTINCT {self.q(name)}) AS n FROM {self.backend.table} "
                f"WHERE {valid}"
            )
            count = int(res.column("n")[0].as_py())
            if count > self.roles.max_groups:
                raise too_many_groups(label, count, self.roles.max_groups)

    def run_checks(self) -> None:
        """Every check, in the order prepare_inputs makes them."""
        self.check_label("y_true")
        self.check_label("y_pred")
        self.positive, self.label_values = resolve_positive(
            self.labels["y_true"].as_column(),
            self.labels["y_pred"].as_column(),
            self.roles.positive,
        )
        if "y_score" in self.roles.targets:
            self.check_score()
        if "sample_weight" in self.roles.targets:
            self.check_weight()
        for i, name in enumerate(self.roles.sensitive):
            self.check_sensitive(i, name)

    def literal(self, value: LabelValue, kind: ValueKind) -> str:
        """A SQL literal of a label value, typed like its column."""
        if kind == "bool":
            return "TRUE" if value else "FALSE"
        if kind == "int":
            return str(int(value))
        if kind == "float":
            return self.d.double(float(value))
        return self.d.string(str(value))

    def label_bit(self, role: str) -> str:
        """SQL: 1 where the row's label is the positive label, else 0 (values are known)."""
        lab = self.labels[role]
        bits = [1 if v == self.positive else 0 for v in lab.values]
        if len(bits) == 1 or bits[0] == bits[-1]:
            return str(bits[0])
        c = self.q(lab.column)
        top = self.literal(lab.values[-1], lab.kind)
        return f"(CASE WHEN {c} = {top} THEN {bits[-1]} ELSE {bits[0]} END)"

    def hash_unique(self) -> bool:
        """Whether the profile's groups have distinct hashes (the cells pass may key by it)."""
        if self.groups is None:
            return False
        h = self.groups.column("h")
        return len(pc.unique(h)) == len(h)


# ---------------------------------------------------------------------------------------------
# pass 2: the cells


@dataclass(frozen=True)
class _CellsQuery:
    sql: str
    by_hash: bool
    exact_scores: bool


def _calib_bin(run: _Run, s: str, calib_bins: int) -> str:
    """SQL: the calibration bin of score ``s`` (inner edges strictly below it)."""
    inner = np.linspace(0.0, 1.0, calib_bins + 1)[1:-1]
    cb = " + ".join(f"(CASE WHEN {s} > {run.d.double(e)} THEN 1 ELSE 0 END)" for e in inner)
    return f"({cb or '0'})"


def _grid_bin(run: _Run, s: str, grid_bins: int) -> str:
    """SQL: the grid bin of score ``s``, as numpy computes it."""
    g = run.d.double(float(grid_bins))
    return f"CAST(LEAST(FLOOR({s} * {g}), {grid_bins - 1}) AS INTEGER)"


def _grid_index(scores: FloatArray, grid_bins: int) -> NDArray[np.int64]:
    """The grid bin of scores in [0, 1], as :func:`_grid_bin` computes it in SQL."""
    return np.minimum(np.floor(scores * float(grid_bins)), grid_bins - 1).astype(np.int64)


def _cell_aggregates(run: _Run, exact_scores: bool) -> list[str]:
    """The per-group sums of the cells pass: count, weights, score moments, score range."""
    aggs = ["count(*) AS n"]
    weight = run.roles.targets.get("sample_weight")
    w = None if weight is None else run.as_double(weight)
    if w is not None:
        aggs += [f"sum({w}) AS w", f"sum({w} * {w}) AS w2"]
    score = run.roles.targets.get("y_score")
    if score is not None:
        s = run.as_double(score)
        term = s if w is None else f"{w} * {s}"
        for j in range(1, 5):
            aggs.append(f"sum({term}) AS m{j}")
            term = f"{term} * {s}"
        if not exact_scores:
            aggs += [f"min({s}) AS lo", f"max({s}) AS hi"]
    return aggs


def _cells_query(run: _Run, exact_scores: bool, grid_bins: int, calib_bins: int) -> _CellsQuery:
    by_hash = run.hash_unique()
    sel = _Select()
    if by_hash:
        sel.add(run.cell_hash(), "h")
    else:
        for i, name in enumerate(run.roles.sensitive):
            sel.add(run.key_expr(name), f"k{i}")
    labels = f"({run.label_bit('y_true')} * 2 + {run.label_bit('y_pred')})"
    score = run.roles.targets.get("y_score")
    if score is None:
        sel.add(labels, "k")
    else:
        s = run.as_double(score)
        small = f"({labels} * {calib_bins} + {_calib_bin(run, s, calib_bins)})"
        if exact_scores:
            sel.add(small, "k")
            sel.add(s, "sv")
        else:
            sel.add(f"({small} * {grid_bins} + {_grid_bin(run, s, grid_bins)})", "k")
    aggs = _cell_aggregates(run, exact_scores)
    n_keys = len(sel.items)
    sql = f"SELECT {', '.join(sel.items + aggs)} FROM {run.backend.table}{_group_by(n_keys)}"
    return _CellsQuery(sql, by_hash, exact_scores)


def _index_of(col: pa.ChunkedArray | pa.Array, values: pa.Array) -> NDArray[np.int64]:
    """Position of each entry of ``col`` in ``values``; nulls get ``len(values)``."""
    idx = pc.index_in(col, value_set=values)
    return np.asarray(idx.fill_null(len(values)).to_numpy(zero_copy_only=False), dtype=np.int64)


def _categorical(run: _Run, name: str, col: pa.ChunkedArray) -> _Feature:
    """Group labels (as prepare_inputs makes them) and each result row's group code."""
    distinct = pc.unique(col.combine_chunks()).drop_null()
    k = len(distinct)
    miss = np.zeros(k, dtype=bool)
    if pa.types.is_floating(distinct.type):
        miss |= np.asarray(pc.is_nan(distinct).to_numpy(zero_copy_only=False), dtype=bool)
    if pa.types.is_string(distinct.type) or pa.types.is_large_string(distinct.type):
        empty = pc.equal(distinct, pa.scalar("", distinct.type))
        miss |= np.asarray(empty.to_numpy(zero_copy_only=False), dtype=bool)
    positions = np.flatnonzero(~miss)
    if positions.size > run.roles.max_groups:
        label = run.describe(name, "sensitive")
        raise too_many_groups(label, int(positions.size), run.roles.max_groups)
    if positions.size == 0:
        raise all_missing(run.describe(name, "sensitive"))
    values = distinct.take(pa.array(positions, type=pa.int64()))
    labels, mapping = labels_and_mapping(values, positions, k)
    codes = mapping.astype(np.int64)[_index_of(col, distinct)]
    if np.any(codes == len(labels)):
        labels.append(MISSING_LABEL)
    return _Feature(tuple(labels), codes)


def _binned(spec: BinSpec, col: pa.ChunkedArray, label: str) -> _Feature:
    labels = spec.band_labels
    arr = col.combine_chunks()
    codes = np.asarray(arr.fill_null(len(labels)).to_numpy(zero_copy_only=False), dtype=np.int64)
    if arr.null_count:
        if arr.null_count == len(arr):
            raise all_missing(label)
        labels = (*labels, MISSING_LABEL)
    return _Feature(labels, codes)


def _exact_sum(col: pa.ChunkedArray) -> int:
    """The exact sum of a column of integers (or of integers as decimals or text)."""
    if pa.types.is_integer(col.type) or pa.types.is_decimal(col.type):
        return int(pc.sum(col).as_py() or 0)
    return sum(int(v) for v in col.to_pylist() if v is not None)


def _column(res: pa.Table, name: str) -> NDArray[np.float64]:
    return np.asarray(res.column(name).to_numpy(), dtype=np.float64)


def _cell_features(run: _Run, res: pa.Table, query: _CellsQuery) -> list[_Feature]:
    """Each feature's group labels and group code per row of the cells pass's result."""
    if query.by_hash:
        assert run.groups is not None
        row = _index_of(res.column("h"), run.groups.column("h").combine_chunks())
        return [_Feature(f.labels, f.codes[row]) for f in run.features]
    features = []
    for i, name in enumerate(run.roles.sensitive):
        spec = run.bins.get(name)
        col = res.column(f"k{i}")
        features.append(
            _binned(spec, col, run.describe(name, "sensitive"))
            if spec
            else _categorical(run, name, col)
        )
    return features


def _finish(
    run: _Run,
    res: pa.Table,
    features: list[_Feature],
    k: NDArray[np.int64],
    exact_scores: bool,
    score_mode: ScoreModeOption,
    grid_bins: int,
    calib_bins: int,
) -> tuple[CellStats, list[tuple[str, ...]]]:
    """The grouped rows -> CellStats and each feature's group labels.

    ``k`` packs each row's true and predicted label bits, calibration bin and (on the grid)
    score bin, as the cells pass does; ``features`` give each row's group codes.
    """
    sizes = [len(f.labels) for f in features]
    cell, parts = cell_codes([f.codes for f in features], sizes, res.num_rows)
    n_cells = int(parts[0].size) if parts else 1
    keys = tuple(
        tuple(features[f].labels[int(parts[f][j])] for f in range(len(sizes)))
        for j in range(n_cells)
    )

    has_scores = "y_score" in run.roles.targets
    sb = np.zeros(0, dtype=np.int64)
    if has_scores and not exact_scores:
        sb, k = k % grid_bins, k // grid_bins
    cb = np.zeros(0, dtype=np.int64)
    if has_scores:
        cb, k = k % calib_bins, k // calib_bins
    yt, yp = k // 2, k % 2

    n = _column(res, "n")
    weighted = "sample_weight" in run.roles.targets
    w = _column(res, "w") if weighted else n
    conf = cell * 4 + yt * 2 + yp
    size = n_cells * 4
    rows = np.rint(np.bincount(conf, weights=n, minlength=size)).astype(np.int64)
    wsum = np.asarray(np.bincount(conf, weights=w, minlength=size), dtype=np.float64)
    wsq = np.bincount(conf, weights=_column(res, "w2"), minlength=size) if weighted else wsum
    shape4 = (n_cells, 2, 2)
    tables: dict[str, Any] = {}
    if has_scores:
        tables = _score_tables(
            res,
            cell * 2 + yt,
            n_cells,
            n,
            w,
            (cb, calib_bins),
            (sb, grid_bins),
            exact_scores,
            score_mode,
        )
    stats = CellStats(
        features=tuple(run.roles.sensitive),
        keys=keys,
        rows=rows.reshape(shape4),
        wsum=wsum.reshape(shape4),
        wsq=np.array(wsq, dtype=np.float64).reshape(shape4),
        weighted=weighted,
        **tables,
    )
    return stats, [f.labels for f in features]


def _score_tables(
    res: pa.Table,
    cl: NDArray[np.int64],
    n_cells: int,
    n: FloatArray,
    w: FloatArray,
    calib_index: tuple[NDArray[np.int64], int],
    grid_index: tuple[NDArray[np.int64], int],
    exact_scores: bool,
    score_mode: ScoreModeOption,
) -> dict[str, Any]:
    """Moments, calibration table and histogram (exact or grid) from the grouped rows."""
    cb, calib_bins = calib_index
    sb, grid_bins = grid_index
    size = n_cells * 2
    moments = np.empty((n_cells, 2, 5), dtype=np.float64)
    moments[..., 0] = np.bincount(cl, weights=w, minlength=size).reshape(n_cells, 2)
    for j in range(1, 5):
        mj = _column(res, f"m{j}")
        moments[..., j] = np.bincount(cl, weights=mj, minlength=size).reshape(n_cells, 2)
    ccode = cl * calib_bins + cb
    csize = size * calib_bins
    calib = np.empty((n_cells, 2, calib_bins, 3), dtype=np.float64)
    for j, weights in enumerate((n, w, _column(res, "m1"))):
        calib[..., j] = np.bincount(ccode, weights=weights, minlength=csize).reshape(
            n_cells, 2, calib_bins
        )
    if exact_scores:
        scores = _column(res, "sv")
        values, inverse = np.unique(scores, return_inverse=True)
        inverse = inverse.reshape(-1).astype(np.int64)
        if score_mode == "exact" or values.size * n_cells <= EXACT_BUDGET:
            k = int(values.size)
            hist = np.bincount(cl * k + inverse, weights=w, minlength=size * k)
            bins = ScoreBins("exact", values.astype(np.float64), np.ones(k, dtype=bool))
            return _score_kwargs(bins, hist.reshape(n_cells, 2, k), moments, calib)
        sb = _grid_index(scores, grid_bins)
        lo = hi = scores
    else:
        lo, hi = _column(res, "lo"), _column(res, "hi")
    g = grid_bins
    hist = np.bincount(cl * g + sb, weights=w, minlength=size * g)
    bin_lo = np.full(g, np.inf)
    bin_hi = np.full(g, -np.inf)
    np.minimum.at(bin_lo, sb, lo)
    np.maximum.at(bin_hi, sb, hi)
    occ = _column(res, "occ") if "occ" in res.column_names else n
    occupied = np.bincount(sb, weights=occ, minlength=g) > 0
    exact = occupied & (bin_lo == bin_hi)
    centers = (np.arange(g) + 0.5) / g
    values = np.where(exact, bin_lo, centers)
    exact |= ~occupied
    bins = ScoreBins("grid", values.astype(np.float64), exact)
    return _score_kwargs(bins, hist.reshape(n_cells, 2, g), moments, calib)


def _score_kwargs(
    bins: ScoreBins, hist: NDArray[Any], moments: FloatArray, calib: FloatArray
) -> dict[str, Any]:
    return {
        "score_bins": bins,
        "score_hist": np.asarray(hist, dtype=np.float64),
        "score_moments": moments,
        "calib": calib,
    }


# ---------------------------------------------------------------------------------------------
# the single pass: profile and cells in one GROUP BY


#: Most distinct values (in the guard sample) of a categorical sensitive column that the single
#: pass encodes in SQL (one comparison per value and row); columns with more take two passes.
FUSED_MAX_VALUES = 64
_FUSED_KINDS: frozenset[ColumnKind] = frozenset({"bool", "int", "str"})
_KEY_LIMIT = 1 << 62


@dataclass(frozen=True)
class _Digit:
    """One digit of the single pass's packed key: ``expr`` gives 0 .. ``base - 1``.

    ``bad`` is the digit's value for a row the checks would reject or the sample did not
    foresee (a third label, a new group, a missing label, an invalid score or weight); None
    where every value is good.
    """

    expr: str
    base: int
    bad: int | None


@dataclass(frozen=True)
class _FusedPlan:
    """What the single pass groups by, from the guard sample's values."""

    labels: dict[str, list[Any]]  # role -> the sample's label values (digit = index)
    groups: list[pa.Array | None]  # categorical: sample values then a null; binned: None
    digits: list[_Digit]  # sensitive features, labels, weight (if any), score (if any)
    pivot: int = 1  # grid bins per group of the score digit (Dialect.grid_pivot on the grid)


def _case_digit(run: _Run, name: str, values: list[Any], kind: ValueKind, null: bool) -> str:
    """SQL: the index of the column's value in ``values``; then null (if ``null``); else other."""
    c = run.q(name)
    whens = [f"WHEN {c} = {run.literal(v, kind)} THEN {i}" for i, v in enumerate(values)]
    other = len(values)
    if null:
        whens.append(f"WHEN {c} IS NULL THEN {other}")
        other += 1
    return f"(CASE {' '.join(whens)} ELSE {other} END)"


#: Largest share of the guard sample's scores that may sit in grid bins whose exactness the
#: pivoted single pass would not see (see :func:`_grid_pivot`).
PIVOT_MAX_LOST = 0.01


def _grid_pivot(run: _Run, grid_bins: int) -> int:
    """Grid bins per group of the single pass: the dialect's pivot, or 1 where it costs exactness.

    A pivoted pass only sees a grid bin as exact (one score value) when its whole group of
    ``pivot`` bins holds one value. Scores with repeated values a little apart (e.g. rounded
    to 4 decimals) would lose exact bins, so the guard sample decides: if more than
    :data:`PIVOT_MAX_LOST` of its scores are in bins holding two or more rows of one value
    whose group holds other values, the pass groups by grid bin. Continuous scores (few
    ties) and coarse discrete ones (one value per group) are pivoted.
    """
    pivot = run.d.grid_pivot
    if pivot <= 1 or grid_bins % pivot or run.sample_scores is None:
        return 1
    scores, counts = run.sample_scores
    ok = (scores >= 0) & (scores <= 1)  # NaN compares false
    values, inverse = np.unique(scores[ok], return_inverse=True)
    n = np.bincount(inverse.reshape(-1), weights=counts[ok], minlength=values.size)
    fine = _grid_index(values, grid_bins)
    distinct = np.bincount(fine, minlength=grid_bins)
    rows = np.bincount(fine, weights=n, minlength=grid_bins)
    group_distinct = np.bincount(fine // pivot, minlength=grid_bins // pivot)
    lost = (distinct == 1) & (rows >= 2) & (np.repeat(group_distinct, pivot) > 1)
    return 1 if float(rows[lost].sum()) > PIVOT_MAX_LOST * float(n.sum()) else pivot


def _fused_plan(
    run: _Run, exact_scores: bool, grid_bins: int, calib_bins: int
) -> _FusedPlan | None:
    """The single pass's key, or None when the sample says the data need the two-pass path."""
    roles = run.roles
    digits: list[_Digit] = []
    groups: list[pa.Array | None] = []
    pivot = 1
    for name in roles.sensitive:
        kind = run.cols[name].kind
        spec = run.bins.get(name)
        if spec is not None:
            bands = len(spec.band_labels)
            digits.append(_Digit(f"COALESCE({run.key_expr(name)}, {bands})", bands + 1, None))
            groups.append(None)
            continue
        if kind not in _FUSED_KINDS or name not in run.sample:
            return None
        values = pc.unique(run.sample[name].combine_chunks()).drop_null()
        if len(values) > min(roles.max_groups, FUSED_MAX_VALUES):
            return None
        expr = _case_digit(run, name, values.to_pylist(), _LABEL_KINDS[kind], null=True)
        digits.append(_Digit(expr, len(values) + 2, len(values) + 1))
        groups.append(pa.concat_arrays([values, pa.nulls(1, values.type)]))
    labels: dict[str, list[Any]] = {}
    for role in ("y_true", "y_pred"):
        name = roles.targets[role]
        kind = run.cols[name].kind
        if kind not in _FUSED_KINDS or name not in run.sample:
            return None
        col = run.sample[name]
        if col.null_count:
            return None
        found = pc.unique(col.combine_chunks()).to_pylist()
        if len(found) > 2 or (kind == "str" and "" in found):
            return None
        labels[role] = found
        expr = _case_digit(run, name, found, _LABEL_KINDS[kind], null=False)
        digits.append(_Digit(expr, len(found) + 1, len(found)))
    weight = roles.targets.get("sample_weight")
    if weight is not None:
        if run.cols[weight].kind not in _NUMERIC:
            return None
        w = run.as_double(weight)
        ok = f"{w} >= 0 AND {w} < {run.d.double(float('inf'))}"
        digits.append(_Digit(f"(CASE WHEN {ok} THEN 0 ELSE 1 END)", 2, 1))
    score = roles.targets.get("y_score")
    if score is not None:
        if run.cols[score].kind not in _NUMERIC:
            return None
        s = run.as_double(score)
        bins = _calib_bin(run, s, calib_bins)
        size = calib_bins
        if not exact_scores:
            pivot = _grid_pivot(run, grid_bins)
            grid = _grid_bin(run, s, grid_bins)
            if pivot > 1:
                grid = f"CAST(FLOOR({grid} / {pivot}) AS INTEGER)"
            bins = f"{bins} * {grid_bins // pivot} + {grid}"
            size *= grid_bins // pivot
            # the key must also fit once unpivoted (one digit per grid bin)
            fine = calib_bins * grid_bins + 1
            if int(np.prod([float(dg.base) for dg in digits])) * fine >= _KEY_LIMIT:
                return None
        expr = f"(CASE WHEN {s} >= 0 AND {s} <= 1 THEN {bins} ELSE {size} END)"
        digits.append(_Digit(expr, size + 1, size))
    if int(np.prod([float(dg.base) for dg in digits])) >= _KEY_LIMIT:
        return None
    return _FusedPlan(labels, groups, digits, pivot)


def _fused_query(run: _Run, plan: _FusedPlan, exact_scores: bool, grid_bins: int) -> str:
    key = f"CAST({plan.digits[0].expr} AS BIGINT)"
    for dg in plan.digits[1:]:
        key = f"({key}) * {dg.base} + {dg.expr}"
    sel = _Select()
    sel.add(key, "key")
    aggs = _cell_aggregates(run, exact_scores)
    score = run.roles.targets.get("y_score")
    if exact_scores and score is not None:
        sel.add(run.as_double(score), "sv")
    if plan.pivot > 1 and score is not None:
        grid = _grid_bin(run, run.as_double(score), grid_bins)
        weight = run.roles.targets.get("sample_weight")
        unit = "1" if weight is None else run.as_double(weight)
        aggs += [
            f"sum(CASE WHEN {grid} % {plan.pivot} = {j} THEN {unit} ELSE 0 END) AS c{j}"
            for j in range(plan.pivot)
        ]
    row_hash = run.d.row_hash([run.q(n) for n in run.used_columns()])
    aggs += [f"{expr} AS fp{j}" for j, expr in enumerate(run.d.hash_sum(row_hash))]
    n_keys = len(sel.items)
    return f"SELECT {', '.join(sel.items + aggs)} FROM {run.backend.table}{_group_by(n_keys)}"


def _unpivot(
    run: _Run,
    res: pa.Table,
    values: list[NDArray[np.int64]],
    pivot: int,
    grid_bins: int,
) -> tuple[pa.Table, list[NDArray[np.int64]]]:
    """A pivoted single-pass result as one row per occupied grid bin (the unpivoted layout).

    Each pivoted group (``pivot`` neighbouring grid bins) becomes one row per bin whose count
    (weight) column ``c{j}`` is non-zero, plus always the bin of the group's smallest score
    (the anchor). Group totals (row count when weighted, ``w2``, moments, fingerprint) go to
    the anchor row and zero elsewhere, so every sum over rows is unchanged; ``lo`` / ``hi``
    are the group's on every row, so a bin is flagged exact only where every group in it
    holds a single score value (never wrongly, sometimes conservatively; the AUC error bound
    covers the rest). ``occ`` marks the rows that hold data.
    """
    weighted = "sample_weight" in run.roles.targets
    counts = np.column_stack([_column(res, f"c{j}") for j in range(pivot)])
    lo = _column(res, "lo")
    anchor = _grid_index(lo, grid_bins) % pivot
    keep = counts != 0
    keep[np.arange(res.num_rows), anchor] = True
    rows, sub = np.nonzero(keep)
    first = pa.array(sub == anchor[rows])
    take = pa.array(rows)
    out: dict[str, pa.Array] = {}
    for name in res.column_names:
        if name == "key" or (name[0] == "c" and name[1:].isdigit()):
            continue
        col = res.column(name).take(take).combine_chunks()
        if name in ("lo", "hi") or (name == "w" and weighted):
            out[name] = col
        elif name == "n" and not weighted:
            out[name] = pa.array(np.rint(counts[rows, sub]).astype(np.int64))
        else:
            out[name] = pc.if_else(first, col, pa.scalar(0).cast(col.type))
    if weighted:
        out["w"] = pa.array(counts[rows, sub].astype(np.float64))
    out["occ"] = pa.array(np.ones(rows.size, dtype=np.int64))
    score = values[-1][rows]
    per_calib = grid_bins // pivot
    fine = (score // per_calib) * grid_bins + (score % per_calib) * pivot + sub
    return pa.table(out), [v[rows] for v in values[:-1]] + [fine]


def _single_pass(
    run: _Run, exact_scores: bool, score_mode: ScoreModeOption, grid_bins: int, calib_bins: int
) -> tuple[pa.Table, list[_Feature], NDArray[np.int64]] | None:
    """Profile and cells in one query; None when the data need the two-pass path.

    The key packs each row's sensitive groups (indices into the sample's values, or bands),
    label values, weight and score validity and score bins. A row the sample did not foresee
    or the checks would reject gets a ``bad`` digit and sends the run to the two-pass path,
    which then reports exactly what ``prepare_inputs`` reports.
    """
    plan = _fused_plan(run, exact_scores, grid_bins, calib_bins)
    if plan is None:
        return None
    res = run.backend.query(_fused_query(run, plan, exact_scores, grid_bins))
    key = np.asarray(res.column("key").to_numpy(), dtype=np.int64)
    values: list[NDArray[np.int64]] = []
    for dg in reversed(plan.digits):
        values.append(key % dg.base)
        key = key // dg.base
    values.reverse()
    for dg, v in zip(plan.digits, values, strict=True):
        if dg.bad is not None and bool(np.any(v == dg.bad)):
            return None
    if plan.pivot > 1:
        res, values = _unpivot(run, res, values, plan.pivot, grid_bins)
    n_sens = len(run.roles.sensitive)
    weighted = "sample_weight" in run.roles.targets
    if weighted and float(np.sum(_column(res, "w"))) == 0.0:
        return None  # all weights zero: the two-pass path raises prepare_inputs' error
    n_rows = int(pc.sum(res.column("n")).as_py() or 0)
    has_scores = "y_score" in run.roles.targets
    if has_scores and not exact_scores and score_mode == "auto" and n_rows <= EXACT_MAX_ROWS:
        return _single_pass(run, True, score_mode, grid_bins, calib_bins)
    run.stats = {"n": n_rows}
    parts = [c for c in res.column_names if c.startswith("fp")]
    run.hash_total = run.d.hash_total([_exact_sum(res.column(c)) for c in parts])
    bits: dict[str, NDArray[np.int64]] = {}
    for j, role in enumerate(("y_true", "y_pred")):
        name = run.roles.targets[role]
        found = plan.labels[role]
        present = np.unique(values[n_sens + j])
        label = run.describe(name, role)
        kind = _LABEL_KINDS[run.cols[name].kind]
        run.labels[role] = _Label(
            name, label, kind, tuple(sorted(python_value(found[i]) for i in present))
        )
    run.positive, run.label_values = resolve_positive(
        run.labels["y_true"].as_column(), run.labels["y_pred"].as_column(), run.roles.positive
    )
    for j, role in enumerate(("y_true", "y_pred")):
        table = np.array(
            [1 if python_value(v) == run.positive else 0 for v in plan.labels[role]] + [0]
        )
        bits[role] = table[values[n_sens + j]]
    k = bits["y_true"] * 2 + bits["y_pred"]
    if has_scores:
        k = k * (calib_bins * (1 if exact_scores else grid_bins)) + values[-1]
    features: list[_Feature] = []
    for i, name in enumerate(run.roles.sensitive):
        present, row = np.unique(values[i], return_inverse=True)
        spec = run.bins.get(name)
        group_values = plan.groups[i]
        if spec is not None:
            bands = len(spec.band_labels)
            col = pa.array(present, type=pa.int64(), mask=present == bands)
            feature = _binned(spec, pa.chunked_array([col]), run.describe(name, "sensitive"))
        else:
            assert group_values is not None
            col = group_values.take(pa.array(present, type=pa.int64()))
            feature = _categorical(run, name, pa.chunked_array([col]))
        features.append(_Feature(feature.labels, feature.codes[row.reshape(-1)]))
    return res, features, k.astype(np.int64)


# ---------------------------------------------------------------------------------------------
# fingerprint


def _fingerprint(run: _Run, n_rows: int, labels: Sequence[tuple[str, ...]]) -> DataFingerprint:
    """Per-column digests over the column's header and the multiset hash of the rows."""
    header = {"labels": list(run.label_values), "positive": run.positive}
    parts: list[tuple[str, dict[str, object]]] = [
        (run.roles.targets["y_true"], {"role": "y_true", **header}),
        (run.roles.targets["y_pred"], {"role": "y_pred", **header}),
    ]
    for role in ("y_score", "sample_weight"):
        if role in run.roles.targets:
            parts.append((run.roles.targets[role], {"role": role}))
    for name, feature_labels in zip(run.roles.sensitive, labels):
        spec = run.bins.get(name)
        head: dict[str, object] = {
            "role": "sensitive",
            "labels": list(feature_labels),
            "kind": "categorical" if spec is None else "binned",
            "bin_edges": list(spec.edges) if spec is not None else None,
        }
        parts.append((name, head))
    by_column: dict[str, list[bytes]] = {}
    for column, head in parts:
        h = hashlib.blake2b(digest_size=16)
        full = {**head, "engine": run.backend.engine, "scheme": FINGERPRINT_SCHEME}
        h.update(json.dumps(full, sort_keys=True, separators=(",", ":"), default=str).encode())
        h.update(b"\0")
        h.update(f"{n_rows}:{run.hash_total}".encode())
        by_column.setdefault(column, []).append(h.digest())
    columns: dict[str, str] = {}
    for name, digests in by_column.items():
        if len(digests) == 1:
            columns[name] = digests[0].hex()
        else:
            h = hashlib.blake2b(digest_size=16)
            for dg in digests:
                h.update(dg)
            columns[name] = h.hexdigest()
    return DataFingerprint(n_rows=n_rows, columns=columns)


# ---------------------------------------------------------------------------------------------
# entry point


def sql_statistics(
    backend: Backend,
    roles: ColumnRoles,
    *,
    score_mode: ScoreModeOption = "auto",
    grid_bins: int = GRID_BINS,
    calib_bins: int = CALIB_BINS,
) -> tuple[CellStats, InputsInfo]:
    """Validate the rows of ``backend`` and reduce them to finest-cell statistics.

    Parameters
    ----------
    backend : Backend
        The engine's relation (see :class:`Backend`).
    roles : ColumnRoles
        The checked column arguments (:func:`~equilens.engines._base.column_roles`).
    score_mode : {"auto", "exact", "grid"}
        ``auto`` groups by the exact score when there are at most
        :data:`~equilens.engines._numpy.EXACT_MAX_ROWS` rows and then keeps exact bins under
        the numpy engine's budget (so small data gives the numpy engine's tables), and uses the
        16,384-bin grid otherwise; ``exact`` always groups by the exact score; ``grid`` always
        uses the grid.
    grid_bins, calib_bins : int
        Grid size and number of calibration bins (the numpy engine's defaults).

    Returns
    -------
    stats : CellStats
        The same tables, keys and bins as the numpy engine for the same rows (counts exactly,
        sums to rounding).
    info : InputsInfo
        With a fingerprint whose column digests cover, per column, its role and the resolved
        labels / groups (the header ``prepare_inputs`` records), the engine, the number of rows
        and the exact sum over rows of a 64-bit hash of the whole row (every used column). It
        depends on the multiset of rows, not on their order, so it is deterministic for the
        same data, engine and engine version whatever the parallelism or partitioning; a
        change to any used value changes every column's digest. It differs from the numpy
        engine's digests of the same data.

    Raises
    ------
    InvalidInputError, InvalidParameterError
        With ``prepare_inputs``' messages, naming the column and the source with the engine.
    """
    cols: dict[str, ColumnInfo] = {}
    available: list[str] = []
    for column in backend.columns():
        available.append(column.name)
        cols.setdefault(column.name, column)
    check_present(available, roles.wanted, backend.where)
    run = _Run(backend, roles, cols)
    grouped = run.run_guard()
    small = run.sample_rows < GUARD_ROWS  # the sample holds every row
    exact_scores = score_mode == "exact" or (score_mode == "auto" and small)
    fused = _single_pass(run, exact_scores, score_mode, grid_bins, calib_bins) if grouped else None
    if fused is not None:
        res, features, k = fused
        exact_scores = "sv" in res.column_names
    else:
        run.run_profile(grouped)
        run.run_checks()
        n_rows = int(run.stat("n"))
        exact_scores = score_mode == "exact" or (score_mode == "auto" and n_rows <= EXACT_MAX_ROWS)
        query = _cells_query(run, exact_scores, grid_bins, calib_bins)
        res = backend.query(query.sql)
        features = _cell_features(run, res, query)
        k = np.asarray(res.column("k").to_numpy(), dtype=np.int64)
    n_rows = int(run.stat("n"))
    stats, labels = _finish(run, res, features, k, exact_scores, score_mode, grid_bins, calib_bins)
    assert run.positive is not None
    info = InputsInfo(
        n_rows=n_rows,
        features=tuple(roles.sensitive),
        positive_label=run.positive,
        label_values=run.label_values,
        columns=roles.columns,
        fingerprint=_fingerprint(run, n_rows, labels),
        weighted="sample_weight" in roles.targets,
        engine=backend.engine,
    )
    return stats, info
