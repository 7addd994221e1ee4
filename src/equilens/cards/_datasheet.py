"""Datasheets for data sets (Gebru et al. 2021), computed from the data itself.

The datasheet answers the *composition* questions from the rows: how many cases each group
and intersection has (with a Wilson interval for its share), which columns are missing and
for whom, the label balance (base rate) per group with Wilson intervals, and which groups are
too small to support conclusions. Motivation, collection, uses, distribution and maintenance
need the data owner's answers; the datasheet says so instead of guessing.

The fingerprint hashes each column's raw content (pandas' stable row hashes, BLAKE2b); it
identifies the file's content, and differs from an audit log's fingerprint, which hashes the
normalised columns an audit used.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from equilens._text import md_escape
from equilens.cards._page import page, table, unstated, write_text
from equilens.data import MISSING_LABEL, group_label
from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.report import Dot, DotColumn, DotRow, dot_matrix, esc, fmt_interval, fmt_value
from equilens.stats import wilson_interval

#: Shipped data sets a datasheet can be built for by name.
SHIPPED = ("compas", "german_credit", "adult")


@dataclass(frozen=True)
class ColumnSummary:
    """One column: its type, distinct values and missing values (share with interval)."""

    name: str
    dtype: str
    distinct: int
    missing: int
    missing_share: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class GroupSummary:
    """One group of a sensitive feature or intersection."""

    features: tuple[str, ...]
    group: dict[str, str]
    n: int
    share: float
    share_low: float
    share_high: float
    small: bool
    """Fewer rows than the minimum group size."""
    labelled: int | None = None
    """Rows with a label (None without ``y_true``)."""
    positives: int | None = None
    base_rate: float | None = None
    """Share of labelled rows with the positive label; None when no row is labelled."""
    base_rate_low: float | None = None
    base_rate_high: float | None = None


@dataclass(frozen=True)
class GroupMissing:
    """Missing values of one column within one group of one sensitive feature."""

    feature: str
    group: str
    column: str
    missing: int
    n: int
    share: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class Datasheet:
    """What the data say about their composition; render with :func:`render_datasheet_html`."""

    name: str
    n_rows: int
    sensitive: list[str]
    y_true: str | None
    positive_label: str | None
    min_group_size: int
    confidence_level: float
    columns: list[ColumnSummary]
    groups: list[GroupSummary]
    missing_by_group: list[GroupMissing]
    fingerprint: dict[str, str]
    digest: str
    label_missing: int = 0
    warnings: list[str] = field(default_factory=list)

    def families(self) -> list[tuple[str, ...]]:
        """The features of each family in order (single features first)."""
        return list(dict.fromkeys(g.features for g in self.groups))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        from dataclasses import asdict

        return asdict(self)


# --------------------------------------------------------------------------------------------
# Loading


def load_table(source: str | Path) -> tuple[pd.DataFrame, str]:
    """A data set as a DataFrame and its name: a CSV/Parquet path or a shipped name.

    Shipped names: ``compas``, ``german_credit`` (or ``german-credit``) and ``adult``.

    Raises
    ------
    InvalidInputError
        Missing or unreadable file, or an unknown format; the message names the file.
    """
    text = str(source)
    key = text.strip().lower().replace("-", "_")
    if key in SHIPPED and not Path(text).exists():
        from equilens.data import load_adult, load_compas, load_german_credit

        loader = {"compas": load_compas, "german_credit": load_german_credit, "adult": load_adult}
        return loader[key](), key
    path = Path(text)
    if not path.exists():
        raise InvalidInputError(
            f"Data file not found: {path} (or give a shipped data set: {', '.join(SHIPPED)})"
        )
    name = path.name.lower()
    try:
        if name.endswith((".csv", ".csv.gz")):
            return pd.read_csv(path), path.name
        if name.endswith((".parquet", ".pq")):
            return pd.read_parquet(path), path.name
    except Exception as exc:  # pandas and pyarrow raise many kinds of parse errors
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InvalidInputError(f"Cannot read data file {path}: {first}") from None
    raise InvalidInputError(
        f"{path}: unknown data format; use .csv, .csv.gz, .parquet or .pq, or a shipped name"
    )


# --------------------------------------------------------------------------------------------
# Computing


def _is_missing(s: pd.Series) -> pd.Series:
    miss = s.isna()
    if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
        miss = miss | (s.astype("string").str.strip() == "").fillna(False).astype(bool)
    return miss.astype(bool)


def _label(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return group_label(str(int(v)))
    return group_label(str(v))


def group_labels(s: pd.Series) -> pd.Series:
    """Display labels of a sensitive column; missing values become ``"<missing>"``."""
    miss = _is_missing(s)
    out = s.astype(object).map(_label)
    out[miss] = MISSING_LABEL
    return out.astype(str)


def _resolve_positive(y: pd.Series, given: object, column: str) -> object:
    values = pd.unique(y.dropna())
    if given is not None:
        for v in values:
            if v == given or _label(v) == str(given):
                return v
        shown = ", ".join(sorted(_label(v) for v in values)[:10])
        raise InvalidParameterError(
            f"--positive-label '{given}' is not a value of the column '{column}' (values: {shown})"
        )
    as_set = {_label(v) for v in values}
    if as_set <= {"0", "1"} or as_set <= {"False", "True"}:
        for v in values:
            if _label(v) in ("1", "True"):
                return v
        return 1
    shown = ", ".join(sorted(as_set)[:10])
    raise InvalidParameterError(
        f"the label column '{column}' is not 0/1; give --positive-label (values: {shown})"
    )


def _column_hash(name: str, s: pd.Series) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{name}\0{s.dtype}\0".encode())
    h.update(pd.util.hash_pandas_object(s, index=False).to_numpy().tobytes())
    return h.hexdigest()


def _wilson(x: Any, n: Any, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = wilson_interval(np.asarray(x, dtype=float), np.asarray(n, dtype=float), alpha)
    return np.atleast_1d(lo), np.atleast_1d(hi)


def build_datasheet(
    data: pd.DataFrame,
    *,
    sensitive: list[str],
    y_true: str | None = None,
    positive_label: object = None,
    intersections: bool = True,
    min_group_size: int = 30,
    confidence_level: float = 0.95,
    name: str = "data",
) -> Datasheet:
    """Describe the composition of a data set by group and intersection.

    Parameters
    ----------
    data : pandas.DataFrame
    sensitive : list of str
        Sensitive columns; missing values form the group ``"<missing>"``.
    y_true : str, optional
        The label column, for the label balance (base rate) per group.
    positive_label : optional
        The label value counted as positive (default 1 / True for 0/1 labels).
    intersections : bool, default True
        Also describe every intersection of two or more sensitive features.
    min_group_size : int, default 30
        Groups with fewer rows are flagged as too small.
    confidence_level : float, default 0.95
        Level of the Wilson intervals.
    name : str
        Shown as the data set's name.

    Returns
    -------
    Datasheet

    Raises
    ------
    InvalidInputError
        A named column is missing, or the data have no rows.
    InvalidParameterError
        An option out of range, or labels that are not 0/1 without ``positive_label``.
    """
    if (
        not isinstance(min_group_size, int)
        or isinstance(min_group_size, bool)
        or min_group_size < 1
    ):
        raise InvalidParameterError(
            "The 'min_group_size' parameter of build_datasheet must be an int in the range "
            f"[1, inf). Got {min_group_size!r} instead."
        )
    if not 0.0 < confidence_level < 1.0:
        raise InvalidParameterError(
            "The 'confidence_level' parameter of build_datasheet must be a float in the range "
            f"(0, 1). Got {confidence_level!r} instead."
        )
    if not sensitive:
        raise InvalidParameterError("build_datasheet needs at least one sensitive column")
    wanted = [*sensitive, *([y_true] if y_true else [])]
    missing_cols = [c for c in wanted if c not in data.columns]
    if missing_cols:
        shown = ", ".join(str(c) for c in list(data.columns)[:20])
        raise InvalidInputError(
            f"column '{missing_cols[0]}' not found in {name} (columns: {shown})"
        )
    n_rows = len(data)
    if n_rows == 0:
        raise InvalidInputError(f"{name} has no rows")
    alpha = 1.0 - confidence_level
    # columns
    columns: list[ColumnSummary] = []
    miss_frame = pd.DataFrame({str(c): _is_missing(data[c]) for c in data.columns})
    miss_counts = miss_frame.sum().astype(int)
    lo, hi = _wilson(miss_counts.to_numpy(), np.full(len(miss_counts), n_rows), alpha)
    for i, c in enumerate(data.columns):
        columns.append(
            ColumnSummary(
                name=str(c),
                dtype=str(data[c].dtype),
                distinct=int(data[c].nunique(dropna=True)),
                missing=int(miss_counts.iloc[i]),
                missing_share=float(miss_counts.iloc[i] / n_rows),
                ci_low=float(lo[i]),
                ci_high=float(hi[i]),
            )
        )
    labels = pd.DataFrame({s: group_labels(data[s]) for s in sensitive})
    pos_value: object = None
    labelled = positives = None
    label_missing = 0
    if y_true:
        y = data[y_true]
        y_miss = _is_missing(y)
        label_missing = int(y_miss.sum())
        pos_value = _resolve_positive(y[~y_miss], positive_label, y_true)
        labelled = (~y_miss).astype(int)
        positives = ((~y_miss) & (y == pos_value)).astype(int)
    families: list[tuple[str, ...]] = [(s,) for s in sensitive]
    if intersections:
        for k in range(2, len(sensitive) + 1):
            families.extend(itertools.combinations(sensitive, k))
    groups: list[GroupSummary] = []
    for fam in families:
        frame = labels[list(fam)].copy()
        agg: dict[str, Any] = {}
        frame["_n"] = 1
        agg["_n"] = "sum"
        if labelled is not None and positives is not None:
            frame["_lab"] = labelled.to_numpy()
            frame["_pos"] = positives.to_numpy()
            agg.update(_lab="sum", _pos="sum")
        table_ = frame.groupby(list(fam), sort=True, dropna=False).agg(agg).reset_index()
        # missing values last, as in the audit
        table_["_m"] = (table_[list(fam)] == MISSING_LABEL).any(axis=1)
        table_ = table_.sort_values(["_m", *fam], kind="stable")
        counts = table_["_n"].to_numpy()
        s_lo, s_hi = _wilson(counts, np.full(len(counts), n_rows), alpha)
        if "_lab" in table_:
            b_lo, b_hi = _wilson(table_["_pos"].to_numpy(), table_["_lab"].to_numpy(), alpha)
        for i, (_, row) in enumerate(table_.iterrows()):
            n = int(row["_n"])
            lab = int(row["_lab"]) if "_lab" in table_ else None
            pos = int(row["_pos"]) if "_pos" in table_ else None
            defined = lab is not None and lab > 0
            groups.append(
                GroupSummary(
                    features=fam,
                    group={f: str(row[f]) for f in fam},
                    n=n,
                    share=n / n_rows,
                    share_low=float(s_lo[i]),
                    share_high=float(s_hi[i]),
                    small=n < min_group_size,
                    labelled=lab,
                    positives=pos,
                    base_rate=(pos / lab) if defined and pos is not None and lab else None,
                    base_rate_low=float(b_lo[i]) if defined else None,
                    base_rate_high=float(b_hi[i]) if defined else None,
                )
            )
    # missingness by group of each single feature, for columns with missing values
    missing_by_group: list[GroupMissing] = []
    gaps = [str(c) for c, k in miss_counts.items() if k > 0]
    for s in sensitive:
        if not gaps:
            break
        grouped = miss_frame[gaps].groupby(labels[s].to_numpy(), sort=True)
        sums = grouped.sum()
        sizes = grouped.size()
        order = sorted(sums.index, key=lambda v: (v == MISSING_LABEL, v))
        for g in order:
            n_g = int(sizes[g])
            m = sums.loc[g].to_numpy().astype(int)
            g_lo, g_hi = _wilson(m, np.full(len(m), n_g), alpha)
            for j, col in enumerate(gaps):
                missing_by_group.append(
                    GroupMissing(
                        s, str(g), col, int(m[j]), n_g, m[j] / n_g, float(g_lo[j]), float(g_hi[j])
                    )
                )
    fingerprint = {str(c): _column_hash(str(c), data[c]) for c in data.columns}
    h = hashlib.blake2b(digest_size=16)
    h.update(f"n_rows={n_rows}\n".encode())
    for col in sorted(fingerprint):
        h.update(f"{col}\0{fingerprint[col]}\n".encode())
    warnings = []
    small = [g for g in groups if g.small]
    if small:
        names = "; ".join(
            ", ".join(f"{k}={v}" for k, v in g.group.items()) + f" (n = {g.n})" for g in small[:10]
        )
        more = f" and {len(small) - 10} more" if len(small) > 10 else ""
        warnings.append(
            f"{len(small)} group(s) have fewer than {min_group_size} rows: {names}{more}. "
            "Rates measured in them have wide intervals and an audit reports them as "
            "insufficient evidence."
        )
    for s in sensitive:
        k = int((labels[s] == MISSING_LABEL).sum())
        if k:
            warnings.append(
                f"{k} row(s) have no value for the sensitive column '{s}'; they form the group "
                f"'{MISSING_LABEL}'."
            )
    if label_missing:
        warnings.append(
            f"{label_missing} row(s) have no label in '{y_true}'; base rates use labelled rows."
        )
    return Datasheet(
        name=name,
        n_rows=n_rows,
        sensitive=list(sensitive),
        y_true=y_true,
        positive_label=None if pos_value is None else _label(pos_value),
        min_group_size=min_group_size,
        confidence_level=confidence_level,
        columns=columns,
        groups=groups,
        missing_by_group=missing_by_group,
        fingerprint=fingerprint,
        digest=h.hexdigest(),
        label_missing=label_missing,
        warnings=warnings,
    )


# --------------------------------------------------------------------------------------------
# Rendering

_OWNER_SECTIONS = (
    "Motivation (why and by whom the data set was created, who funded it)",
    "Collection process (how, when and from whom the data were collected; consent)",
    "Preprocessing, cleaning and labelling (what was done, and whether the raw data are kept)",
    "Uses (what the data have been and should not be used for)",
    "Distribution and maintenance (licence, who maintains it, how errors are corrected)",
)


def _gtext(group: dict[str, str]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in group.items())


def _share(x: float, lo: float, hi: float) -> str:
    d = 2 if hi < 0.01 else 1  # small shares keep a second decimal
    return f"{fmt_value('base_rate', x, d)} ({fmt_interval('base_rate', lo, hi, d)})"


def _base(g: GroupSummary) -> str:
    if g.labelled is None:
        return "–"
    if g.base_rate is None or g.base_rate_low is None or g.base_rate_high is None:
        return "undefined (no labelled rows)"
    return (
        f"{_share(g.base_rate, g.base_rate_low, g.base_rate_high)}, {g.positives:,}/{g.labelled:,}"
    )


def render_datasheet_markdown(ds: Datasheet) -> str:
    """The datasheet in GitHub-flavoured Markdown (every string from the data escaped)."""
    level = round(ds.confidence_level * 100)
    out = [
        f"# Datasheet: {md_escape(ds.name)}",
        "",
        md_escape(
            f"{ds.n_rows:,} rows · {len(ds.columns)} columns · sensitive: "
            f"{', '.join(ds.sensitive)}"
            + (f" · label: {ds.y_true} (positive = {ds.positive_label})" if ds.y_true else "")
            + f" · digest {ds.digest}"
        ),
        "",
        f"Shares and rates carry {level}% Wilson score intervals. Groups with fewer than "
        f"{ds.min_group_size} rows are marked ⚠.",
        "",
    ]
    if ds.warnings:
        out += ["## Warnings", "", *[f"- {md_escape(w)}" for w in ds.warnings], ""]
    out += ["## Composition by group and intersection", ""]
    labelled = ds.y_true is not None
    for fam in ds.families():
        out += [f"### {md_escape(' × '.join(fam))}", ""]
        head = "| group | n | share of rows |" + (
            " base rate (positives/labelled) |" if labelled else ""
        )
        out += [head, "|---|---:|---:|" + ("---:|" if labelled else "")]
        for g in ds.groups:
            if g.features != fam:
                continue
            mark = " ⚠" if g.small else ""
            row = (
                f"| {md_escape(_gtext(g.group))}{mark} | {g.n:,} | "
                f"{md_escape(_share(g.share, g.share_low, g.share_high))} |"
            )
            if labelled:
                row += f" {md_escape(_base(g))} |"
            out.append(row)
        out.append("")
    out += ["## Missing values", "", "| column | type | distinct | missing | share missing |"]
    out.append("|---|---|---:|---:|---:|")
    for c in ds.columns:
        out.append(
            f"| {md_escape(c.name)} | {md_escape(c.dtype)} | {c.distinct:,} | {c.missing:,} | "
            f"{md_escape(_share(c.missing_share, c.ci_low, c.ci_high))} |"
        )
    out.append("")
    if ds.missing_by_group:
        out += [
            "### Missing values by group",
            "",
            "| feature | group | column | missing | share missing |",
            "|---|---|---|---:|---:|",
        ]
        for m in ds.missing_by_group:
            out.append(
                f"| {md_escape(m.feature)} | {md_escape(m.group)} | {md_escape(m.column)} | "
                f"{m.missing:,}/{m.n:,} | {md_escape(_share(m.share, m.ci_low, m.ci_high))} |"
            )
        out.append("")
    else:
        out += ["No column has missing values, so there is no missingness by group.", ""]
    out += ["## Fingerprint", "", f"Digest: `{md_escape(ds.digest)}` over {ds.n_rows:,} rows.", ""]
    out += [f"- `{md_escape(k)}`: {md_escape(v)}" for k, v in ds.fingerprint.items()]
    out += [
        "",
        "The hashes cover each column's raw content; an audit log's fingerprint hashes the "
        "normalised columns the audit used, so the two differ.",
        "",
        "## Questions the data cannot answer",
        "",
        "Gebru et al. (2021) also ask about the following; the data owner has to answer them:",
        "",
        *[f"- {q}: *not stated*" for q in _OWNER_SECTIONS],
        "",
        "<sub>Generated by equilens from the data; counts are exact, shares and rates carry "
        "their intervals.</sub>",
    ]
    return "\n".join(out) + "\n"


def render_datasheet_html(ds: Datasheet) -> str:
    """The datasheet as one self-contained HTML page (every string from the data escaped)."""
    level = round(ds.confidence_level * 100)
    labelled = ds.y_true is not None
    sec: list[str] = []
    if ds.warnings:
        sec.append(
            '<div class="callout warn"><h4>Warnings</h4><ul>'
            + "".join(f"<li>{esc(w)}</li>" for w in ds.warnings)
            + "</ul></div>"
        )
    comp = [
        '<section id="composition"><h2>Composition by group and intersection</h2>',
        f"<p>Counts are exact; shares and base rates carry {level}% Wilson score intervals. "
        f"Greyed groups have fewer than {ds.min_group_size} rows.</p>",
    ]
    for fam in ds.families():
        rows = [g for g in ds.groups if g.features == fam]
        if len(fam) == 1:
            cols = [DotColumn("Share of rows", True, True)]
            if labelled:
                cols.append(DotColumn("Base rate", True, True))
            dot_rows = []
            for g in rows:
                dots = [
                    Dot(
                        g.share,
                        g.share_low,
                        g.share_high,
                        "insufficient" if g.small else "plain",
                        f"{_gtext(g.group)}: {_share(g.share, g.share_low, g.share_high)}",
                    )
                ]
                if labelled:
                    dots.append(
                        Dot(
                            g.base_rate,
                            g.base_rate_low,
                            g.base_rate_high,
                            "insufficient" if g.small else "plain",
                            f"{_gtext(g.group)}: {_base(g)}",
                        )
                    )
                dot_rows.append(
                    DotRow(g.group[fam[0]], f"{g.n:,}", dots, "small" if g.small else "group")
                )
            comp.append(
                f'<figure><figcaption>{esc(fam[0])}</figcaption><div class="scroll">'
                + dot_matrix(f"Composition by {fam[0]}", cols, dot_rows)
                + "</div></figure>"
            )
        trs = "".join(
            f'<tr class="{"small" if g.small else ""}"><td>{esc(_gtext(g.group))}</td>'
            f'<td class="r">{g.n:,}</td>'
            f'<td class="r">{esc(_share(g.share, g.share_low, g.share_high))}</td>'
            + (f'<td class="r">{esc(_base(g))}</td>' if labelled else "")
            + "</tr>"
            for g in rows
        )
        comp.append(
            f"<h3>{esc(' × '.join(fam))}</h3>"
            '<div class="scroll"><table class="data sortable"><thead><tr><th>group</th>'
            '<th class="r">n</th><th class="r">share of rows</th>'
            + ('<th class="r">base rate (positives/labelled)</th>' if labelled else "")
            + f"</tr></thead><tbody>{trs}</tbody></table></div>"
        )
    comp.append("</section>")
    sec.append("".join(comp))
    col_rows = [
        [
            esc(c.name),
            esc(c.dtype),
            f"{c.distinct:,}",
            f"{c.missing:,}",
            esc(_share(c.missing_share, c.ci_low, c.ci_high)),
        ]
        for c in ds.columns
    ]
    miss = '<section id="missing"><h2>Missing values</h2>' + table(
        ["column", "type", "distinct", "missing", "share missing"], col_rows, right=(2, 3, 4)
    )
    if ds.missing_by_group:
        miss += "<h3>Missing values by group</h3>" + table(
            ["feature", "group", "column", "missing", "share missing"],
            [
                [
                    esc(m.feature),
                    esc(m.group),
                    esc(m.column),
                    f"{m.missing:,}/{m.n:,}",
                    esc(_share(m.share, m.ci_low, m.ci_high)),
                ]
                for m in ds.missing_by_group
            ],
            right=(3, 4),
        )
    else:
        miss += "<p>No column has missing values, so there is no missingness by group.</p>"
    sec.append(miss + "</section>")
    sec.append(
        '<section id="fingerprint"><h2>Fingerprint</h2>'
        f"<p>Digest <code>{esc(ds.digest)}</code> over {ds.n_rows:,} rows. The hashes cover each "
        "column's raw content; an audit log's fingerprint hashes the normalised columns the "
        'audit used, so the two differ.</p><dl class="kv">'
        + "".join(
            f'<dt>{esc(k)}</dt><dd class="mono">{esc(v)}</dd>' for k, v in ds.fingerprint.items()
        )
        + "</dl></section>"
    )
    sec.append(
        '<section id="owner"><h2>Questions the data cannot answer</h2><p>Gebru et al. (2021) '
        "also ask about the following; the data owner has to answer them:</p><ul>"
        + "".join(f"<li>{esc(q)}: {unstated()}</li>" for q in _OWNER_SECTIONS)
        + "</ul></section>"
    )
    return page(
        title=f"Datasheet: {ds.name}",
        eyebrow="equilens datasheet",
        meta=[
            f"{ds.n_rows:,} rows",
            f"{len(ds.columns)} columns",
            f"sensitive: {', '.join(ds.sensitive)}",
            *([f"label: {ds.y_true} (positive = {ds.positive_label})"] if ds.y_true else []),
        ],
        nav=[
            ("composition", "Composition"),
            ("missing", "Missing values"),
            ("fingerprint", "Fingerprint"),
            ("owner", "Open questions"),
        ],
        body="".join(sec),
        footer="Generated by equilens from the data; counts are exact, shares and rates carry "
        "their intervals.",
    )


def write_datasheet(ds: Datasheet, out_dir: str | Path) -> dict[str, Path]:
    """Write ``datasheet.md`` and ``datasheet.html`` into ``out_dir`` (created if missing)."""
    out = Path(out_dir)
    return {
        "markdown": write_text(out / "datasheet.md", render_datasheet_markdown(ds)),
        "html": write_text(out / "datasheet.html", render_datasheet_html(ds)),
    }
