"""Text normalisation before scoring: the same rules for references and hypotheses.

Word error rates depend as much on normalisation as on the model ("Dr." vs "doctor", "3" vs
"three", "Hello," vs "hello"), so the rules are explicit, configurable and recorded in the
log. In order:

1. Unicode NFKC, curly quotes and dashes to ASCII;
2. ``numbers="words"``: digit strings become English words (``42`` -> ``forty two``,
   ``3.5`` -> ``three point five``, ``1,000`` -> ``one thousand``; ordinals ``21st`` ->
   ``twenty first``); ``"keep"`` leaves them;
3. ``lowercase``: case folded;
4. ``punctuation``: every character that is not a letter, digit, apostrophe inside a word or
   whitespace becomes a space (hyphens split words: ``well-known`` -> ``well known``);
5. whitespace collapsed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any, Literal

from equilens.exceptions import InvalidParameterError

__all__ = ["TextNormalisation", "number_words"]

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"), (100, "hundred"))
_ORDINAL = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}
_ASCII = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
# A number not glued to a letter or digit (``_`` counts as punctuation, ``mp3`` is a word).
_NUMBER = re.compile(
    r"(?<![^\W_])(?<!\.)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(st|nd|rd|th)?(?![^\W_])"
)
#: Digit runs left standing once punctuation is gone (``1.2.3`` -> ``one point two 3``).
_BARE = re.compile(r"(?<![^\W_])(\d+)()(st|nd|rd|th)?(?![^\W_])")
_PUNCT = re.compile(r"[^\w\s']|_|(?<![^\W_])'|'(?![^\W_])")


def number_words(n: int) -> str:
    """``n`` (0 <= n < 10**12) in English words, without "and" (``105`` -> ``one hundred five``)."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + ("" if ones == 0 else " " + _ONES[ones])
    for size, name in _SCALES:
        if n >= size:
            lead, rest = divmod(n, size)
            head = f"{number_words(lead)} {name}"
            return head if rest == 0 else f"{head} {number_words(rest)}"
    raise AssertionError("unreachable")  # pragma: no cover


def _ordinal(words: str) -> str:
    *head, last = words.split(" ")
    if last in _ORDINAL:
        last = _ORDINAL[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return " ".join([*head, last])


def _spell(match: re.Match[str]) -> str:
    whole, decimals, suffix = match.group(1), match.group(2), match.group(3)
    n = int(whole.replace(",", ""))
    if n >= 10**12:
        return match.group(0)
    words = number_words(n)
    if decimals:
        words += " point " + " ".join(_ONES[int(d)] for d in decimals)
    elif suffix:
        words = _ordinal(words)
    return words


@dataclass(frozen=True)
class TextNormalisation:
    """How references and hypotheses are normalised before they are compared."""

    lowercase: bool = True
    punctuation: bool = True
    numbers: Literal["words", "keep"] = "words"

    def __post_init__(self) -> None:
        if self.numbers not in ("words", "keep"):
            raise InvalidParameterError(
                f"--numbers must be 'words' or 'keep'. Got {self.numbers!r} instead."
            )

    def __call__(self, text: str) -> str:
        out = unicodedata.normalize("NFKC", text).translate(_ASCII)
        if self.numbers == "words":
            out = _NUMBER.sub(_spell, out)
        if self.lowercase:
            out = out.casefold()
        if self.punctuation:
            out = _PUNCT.sub(" ", out)
            if self.numbers == "words":
                out = _BARE.sub(_spell, out)
        return " ".join(out.split())

    def record(self) -> dict[str, Any]:
        """The settings, for the log."""
        return asdict(self)
