"""The term-swap engine: counterfactual versions of a text, with every swap recorded.

A :class:`TermSwapper` holds swap rules (a term and its replacement, or a function choosing
the replacement from the context) and rewrites a text in one left-to-right pass, so that
``he -> she`` and ``she -> he`` can be applied together without one undoing the other.

Matching rules
--------------
* Whole words only: a term matches where it is not preceded or followed by a letter, digit or
  underscore. "Anne" does not match inside "Annette", "he" not inside "the" or "hello";
  "he's", "(he)", "he," and "he." all match. A hyphen is a boundary ("Anne-Marie" matches
  "Anne").
* Case-insensitive, and the case of the original is carried over: ``he -> she``,
  ``He -> She``, ``HE -> SHE``; multi-word title case too (``Native American -> Middle
  Eastern``). Rules marked ``capitalized`` (first names) only match words that start with a
  capital letter, so "grace" the noun is left alone while "Grace" the name is swapped.
* Longer terms win over shorter ones at the same position ("Mr." over "Mr").
* Punctuation, spacing and everything between matches are copied unchanged.

Pronoun roles
-------------
English "her" is both the object ("I saw her") and the possessive determiner ("her book"),
and "his" is both the determiner ("his book") and the independent pronoun ("the book is
his"). :func:`gender_swapper` resolves them with a rule-based heuristic on the next word:

* ``her`` + end of text, punctuation, a function word (article, preposition, conjunction,
  pronoun, auxiliary), an adverb ending in ``-ly`` or a bare verb from a short list
  ("made her leave") -> object (``him`` / ``them``);
* ``her`` + any other word (taken as a noun or adjective: "her car", "her old car",
  "her own") -> possessive (``his`` / ``their``);
* ``his`` + a noun or adjective -> ``her``; ``his`` + punctuation, end or a function word ->
  ``hers``.

Limits (documented, tested): no part-of-speech tagger is used (the shipped spaCy pipeline
has none), so "her" before a noun that is also a bare verb in the list (e.g. "her smile"
is kept possessive, but "her cry" becomes "him cry") and "her" before an unlisted bare verb
("let her swim" -> "let his swim") are resolved wrongly. Switching to ``they`` fixes the
agreement of a directly following is/was/has/does (and their negated forms) only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from equilens.exceptions import InvalidParameterError
from equilens.probes._lexicon import ProblemLog, read_lexicon

__all__ = [
    "Swap",
    "SwapResult",
    "SwapRule",
    "TermSwapper",
    "gender_swapper",
    "identity_swapper",
    "term_swapper",
]

#: A replacement chooser: ``(text, end_of_match) -> replacement`` (lower case).
Resolver = Callable[[str, int], str]


def _words(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text``."""
    return frozenset(text.split())


_WORD = re.compile(r"\s*([A-Za-z][A-Za-z'-]*)")
_FUNCTION_WORDS = _words(
    """a an the this that these those to and or but nor so for with at in on by from of off up
    down out over under about into onto upon as than if when while because before after until
    since again too also back away home now then there here yesterday today tomorrow tonight
    very really just some any all every each both either neither something nothing anything
    everything someone anyone everyone nobody i you he she it we they me him us them my your
    our its his their what how why where who whom whose which not no is was are were be been
    am will would can could should may might must shall do does did has have had anyway
    once twice instead first last"""
)
# Words ending in -ly that are nouns or adjectives ("her family", "her lovely voice").
_LY_NOT_ADVERB = _words(
    """family lovely lonely friendly early elderly ugly holy silly curly belly bully jelly rally
    lily ally daily weekly monthly yearly only costly deadly lively likely kindly orderly
    homely smelly chilly woolly"""
)
# Bare verbs that follow an object pronoun ("made her leave", "let her go").
_BARE_VERBS = _words(
    """go leave come cry laugh sing stay win sleep eat die fall feel know think be do get
    become sit stand decide understand realize realise wonder agree finish speak believe
    tell give take say want see hear try pay buy sell wait"""
)


def _next_word(text: str, end: int) -> str | None:
    """The word right after position ``end`` (lower case), or None at punctuation or the end."""
    m = _WORD.match(text, end)
    return m.group(1).lower() if m else None


def _object_context(text: str, end: int) -> bool:
    """Whether a pronoun ending at ``end`` reads as an object / independent pronoun."""
    word = _next_word(text, end)
    if word is None or word in _FUNCTION_WORDS or word in _BARE_VERBS:
        return True
    if word.startswith("'"):
        return True
    return word.endswith("ly") and word not in _LY_NOT_ADVERB


def _her_resolver(obj: str, possessive: str) -> Resolver:
    def resolve(text: str, end: int) -> str:
        return obj if _object_context(text, end) else possessive

    return resolve


def _his_resolver(determiner: str, independent: str) -> Resolver:
    def resolve(text: str, end: int) -> str:
        return independent if _object_context(text, end) else determiner

    return resolve


@dataclass(frozen=True)
class SwapRule:
    """One term and what replaces it.

    Attributes
    ----------
    term : str
        The term matched (case-insensitively; spaces match any run of whitespace).
    replacement : str or callable
        The replacement in lower case (its case follows the matched text), or a function
        ``(text, end_of_match) -> replacement`` that chooses it from the context.
    category : str
        What kind of term this is (``pronoun``, ``gendered_term``, ``name``, ``identity``,
        ...); recorded with each swap.
    capitalized : bool
        Only match occurrences that start with a capital letter (first names).
    """

    term: str
    replacement: str | Resolver
    category: str
    capitalized: bool = False


@dataclass(frozen=True)
class Swap:
    """One replacement made in a text.

    Attributes
    ----------
    start, end : int
        Span of the original term in the original text (``text[start:end]``).
    original : str
        The term as it appeared.
    replacement : str
        What was written instead (with the original's case).
    category : str
        The rule's category.
    new_start, new_end : int
        Span of the replacement in the new text.
    """

    start: int
    end: int
    original: str
    replacement: str
    category: str
    new_start: int
    new_end: int


@dataclass(frozen=True)
class SwapResult:
    """A text, its counterfactual version and the swaps between them."""

    original: str
    text: str
    swaps: tuple[Swap, ...]

    @property
    def changed(self) -> bool:
        """Whether any term was swapped."""
        return bool(self.swaps)

    def describe(self) -> list[str]:
        """One readable line per swap: ``'He' -> 'She' (pronoun) at 0``."""
        return [
            f"{s.original!r} -> {s.replacement!r} ({s.category}) at {s.start}" for s in self.swaps
        ]


def _match_case(source: str, replacement: str) -> str:
    letters = [c for c in source if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return replacement.upper()
    if " " in source.strip() and source.istitle():
        return " ".join(w[:1].upper() + w[1:] for w in replacement.split(" "))
    if source[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


class TermSwapper:
    """Rewrite texts by swapping whole-word terms, recording every swap.

    Parameters
    ----------
    rules : iterable of SwapRule
        The swap rules. A term given twice keeps its first rule.

    Examples
    --------
    >>> s = gender_swapper()
    >>> s.swap("He gave her book to her.").text
    'She gave his book to him.'
    """

    def __init__(self, rules: Iterable[SwapRule]) -> None:
        self._rules: dict[str, SwapRule] = {}
        for rule in rules:
            key = " ".join(rule.term.lower().split())
            if not key:
                raise InvalidParameterError("A swap rule needs a non-empty term. Got '' instead.")
            self._rules.setdefault(key, rule)
        terms = sorted(self._rules, key=len, reverse=True)
        if terms:
            alternation = "|".join(r"\s+".join(re.escape(p) for p in t.split(" ")) for t in terms)
            self._pattern: re.Pattern[str] | None = re.compile(
                rf"(?<!\w)(?:{alternation})(?!\w)", re.IGNORECASE
            )
        else:
            self._pattern = None

    @property
    def rules(self) -> tuple[SwapRule, ...]:
        """The rules, one per distinct term."""
        return tuple(self._rules.values())

    def swap(self, text: str) -> SwapResult:
        """Swap every matching term of ``text``.

        Returns
        -------
        SwapResult
            The new text and one :class:`Swap` per replacement, in text order.
        """
        if self._pattern is None:
            return SwapResult(text, text, ())
        out: list[str] = []
        swaps: list[Swap] = []
        pos = 0
        new_len = 0
        for m in self._pattern.finditer(text):
            source = m.group(0)
            rule = self._rules[" ".join(source.lower().split())]
            if rule.capitalized and not source[:1].isupper():
                continue
            repl = rule.replacement
            chosen = repl(text, m.end()) if callable(repl) else repl
            chosen = _match_case(source, chosen)
            between = text[pos : m.start()]
            out.append(between)
            new_len += len(between)
            out.append(chosen)
            swaps.append(
                Swap(
                    m.start(),
                    m.end(),
                    source,
                    chosen,
                    rule.category,
                    new_len,
                    new_len + len(chosen),
                )
            )
            new_len += len(chosen)
            pos = m.end()
        out.append(text[pos:])
        return SwapResult(text, "".join(out), tuple(swaps))

    def swap_many(self, texts: Sequence[str]) -> list[SwapResult]:
        """:meth:`swap` for each text."""
        return [self.swap(t) for t in texts]


# ---------------------------------------------------------------------------------------------
# Ready-made swappers

Direction = Literal["flip", "to_female", "to_male", "to_neutral"]
_DIRECTIONS = ("flip", "to_female", "to_male", "to_neutral")

#: First names that are also common words or identity terms, left out of name swaps.
AMBIGUOUS_NAMES = frozenset({"Christian", "Grace", "Taylor", "Will", "Mark", "Hope", "Faith"})


def _pronoun_rules(direction: Direction, problems: ProblemLog) -> list[SwapRule]:
    lex = read_lexicon(
        "pronouns.csv",
        required=("value", "subject", "object", "possessive", "possessive_pronoun", "reflexive"),
        problems=problems,
    )
    by_value = {row["value"]: row for row in lex.rows}
    m, f, n = by_value["male"], by_value["female"], by_value["neutral"]
    rules: list[SwapRule] = []

    def add(term: str, repl: str | Resolver) -> None:
        rules.append(SwapRule(term, repl, "pronoun"))

    if direction in ("flip", "to_male"):
        add(f["subject"], m["subject"])
        add(f["object"], _her_resolver(m["object"], m["possessive"]))
        add(f["possessive_pronoun"], m["possessive_pronoun"])
        add(f["reflexive"], m["reflexive"])
    if direction in ("flip", "to_female"):
        add(m["subject"], f["subject"])
        add(m["object"], f["object"])
        add(m["possessive"], _his_resolver(f["possessive"], f["possessive_pronoun"]))
        add(m["reflexive"], f["reflexive"])
    if direction == "to_neutral":
        for src in (m, f):
            add(src["subject"], n["subject"])
            add(src["reflexive"], n["reflexive"])
        add(f["object"], _her_resolver(n["object"], n["possessive"]))
        add(m["object"], n["object"])
        add(m["possessive"], _his_resolver(n["possessive"], n["possessive_pronoun"]))
        add(f["possessive_pronoun"], n["possessive_pronoun"])
        agreement = {
            "is": "are",
            "was": "were",
            "has": "have",
            "does": "do",
            "isn't": "aren't",
            "wasn't": "weren't",
            "hasn't": "haven't",
            "doesn't": "don't",
            "'s": "'re",
        }
        for pron in (m["subject"], f["subject"]):
            for verb, plural in agreement.items():
                sep = "" if verb.startswith("'") else " "
                rules.append(
                    SwapRule(f"{pron}{sep}{verb}", f"{n['subject']}{sep}{plural}", "pronoun")
                )
    return rules


def _pairs_rules(
    pairs: Iterable[tuple[str, str]], direction: Direction, category: str, capitalized: bool
) -> list[SwapRule]:
    rules = []
    for male, female in pairs:
        if direction in ("flip", "to_female"):
            rules.append(SwapRule(male, female, category, capitalized))
        if direction in ("flip", "to_male"):
            rules.append(SwapRule(female, male, category, capitalized))
    return rules


def ssa_name_pairs(problems: ProblemLog | None = None) -> list[tuple[str, str]]:
    """Male and female first names paired by rank in the SSA top-names list.

    Names in :data:`AMBIGUOUS_NAMES` are left out before pairing.
    """
    lex = read_lexicon("first_names.csv", required=("name", "gender", "source"), problems=problems)
    male = [
        r["name"]
        for r in lex.rows
        if r["source"] == "ssa" and r["gender"] == "male" and r["name"] not in AMBIGUOUS_NAMES
    ]
    female = [
        r["name"]
        for r in lex.rows
        if r["source"] == "ssa" and r["gender"] == "female" and r["name"] not in AMBIGUOUS_NAMES
    ]
    return list(zip(male, female))


def gender_swapper(
    direction: Direction = "flip",
    *,
    pronouns: bool = True,
    terms: bool = True,
    names: bool = True,
    terms_file: str | Path = "gendered_terms.csv",
    problems: ProblemLog | None = None,
) -> TermSwapper:
    """A swapper for gendered pronouns, nouns, titles and first names.

    Parameters
    ----------
    direction : {"flip", "to_female", "to_male", "to_neutral"}, default "flip"
        ``flip`` swaps male and female terms both ways at once; ``to_female`` / ``to_male``
        rewrite one way only; ``to_neutral`` rewrites pronouns to singular ``they`` (nouns and
        names are left as they are).
    pronouns, terms, names : bool, default True
        Which kinds of terms to swap. Names are the SSA top names paired by rank
        (:func:`ssa_name_pairs`), matched only when capitalised.
    terms_file : str or Path, default "gendered_terms.csv"
        Lexicon of ``male,female`` noun and title pairs.
    problems : ProblemLog, optional
        Collects malformed lexicon rows (left out).

    Returns
    -------
    TermSwapper
    """
    if direction not in _DIRECTIONS:
        raise InvalidParameterError(
            "The 'direction' parameter of gender_swapper must be a str among "
            f"{{{', '.join(repr(d) for d in _DIRECTIONS)}}}. Got {direction!r} instead."
        )
    log = problems if problems is not None else ProblemLog()
    rules: list[SwapRule] = []
    if pronouns:
        rules.extend(_pronoun_rules(direction, log))
    if direction != "to_neutral":
        if terms:
            lex = read_lexicon(terms_file, required=("male", "female"), problems=log)
            rules.extend(
                _pairs_rules(
                    ((r["male"], r["female"]) for r in lex.rows), direction, "gendered_term", False
                )
            )
        if names:
            rules.extend(_pairs_rules(ssa_name_pairs(log), direction, "name", True))
    return TermSwapper(rules)


def term_swapper(mapping: Mapping[str, str], *, category: str = "term") -> TermSwapper:
    """A swapper from a plain ``{term: replacement}`` mapping (one direction)."""
    return TermSwapper(SwapRule(k, v, category) for k, v in mapping.items())


def identity_swapper(
    source: str, target: str, *, extra: Mapping[str, str] | None = None
) -> TermSwapper:
    """Swap one identity term for another (``identity_swapper("gay", "straight")``).

    ``extra`` adds more ``{term: replacement}`` pairs (e.g. plural or noun forms).
    """
    mapping = {source: target, **(extra or {})}
    return term_swapper(mapping, category="identity")
