"""The term-swap engine on tricky sentences: roles of "her"/"his", word boundaries, case."""

from __future__ import annotations

import pytest

from equilens.exceptions import InvalidParameterError
from equilens.probes import SwapRule, TermSwapper, gender_swapper, identity_swapper, term_swapper


@pytest.fixture(scope="module")
def flip() -> TermSwapper:
    return gender_swapper()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # object vs possessive "her"
        ("I saw her yesterday.", "I saw him yesterday."),
        ("I saw her car yesterday.", "I saw his car yesterday."),
        ("She gave her book to her.", "He gave his book to him."),
        ("Her old car broke down.", "His old car broke down."),
        ("We told her that it was late.", "We told him that it was late."),
        ("They made her leave early.", "They made him leave early."),
        ("I asked her quickly.", "I asked him quickly."),
        ("Her family and her lovely voice.", "His family and his lovely voice."),
        ("It was her own idea.", "It was his own idea."),
        ("Give it to her!", "Give it to him!"),
        ("Thank her, then her friends.", "Thank him, then his friends."),
        # determiner vs independent "his" / "hers"
        ("The book is his.", "The book is hers."),
        ("His book is on the table.", "Her book is on the table."),
        ("The choice was his and nobody else's.", "The choice was hers and nobody else's."),
        ("The book is hers.", "The book is his."),
        ("He hurt himself; she blamed herself.", "She hurt herself; he blamed himself."),
    ],
)
def test_pronoun_roles(flip: TermSwapper, text: str, expected: str) -> None:
    assert flip.swap(text).text == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He left.", "She left."),
        ("HE LEFT.", "SHE LEFT."),
        ("he left.", "she left."),
        ("Mr. Smith met Ms. Jones.", "Ms. Smith met Mr. Jones."),
        ("MR. SMITH", "MS. SMITH"),
        ("The King and the queen.", "The Queen and the king."),
        ('"He," she said (he\'s tired).', '"She," he said (she\'s tired).'),
        ("Men and women; boys, girls.", "Women and men; girls, boys."),
    ],
)
def test_case_and_punctuation_are_kept(flip: TermSwapper, text: str, expected: str) -> None:
    assert flip.swap(text).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "The theme of the thesis is hello.",  # 'he' inside words
        "Shell, sheet, hermit and heroic themes.",  # 'she', 'her' inside words
        "Annette and Jacobs met the manager.",  # names and 'man' inside other words
        "Emilyn is not Emily's twin",  # only the standalone name changes
    ],
)
def test_terms_inside_words_are_untouched(flip: TermSwapper, text: str) -> None:
    result = flip.swap(text)
    for swap in result.swaps:
        start, end = swap.start, swap.end
        assert not (start > 0 and text[start - 1].isalnum())
        assert not (end < len(text) and text[end].isalnum())
    if text.startswith("Emilyn"):
        assert result.text == "Emilyn is not Jacob's twin"
    else:
        assert result.text == text
        assert not result.changed


def test_names_swap_by_rank_only_when_capitalised(flip: TermSwapper) -> None:
    result = flip.swap("Jacob thanked Emily for the grace period; Grace smiled.")
    # Jacob (rank 1 male) <-> Emily (rank 1 female); "Grace" is ambiguous and left alone.
    assert result.text == "Emily thanked Jacob for the grace period; Grace smiled."
    assert [s.category for s in result.swaps] == ["name", "name"]
    lower = flip.swap("jacob and emily")
    assert lower.text == "jacob and emily"


def test_every_swap_is_recorded_with_positions(flip: TermSwapper) -> None:
    text = "He said her brother was his friend."
    result = flip.swap(text)
    assert result.text == "She said his sister was her friend."
    assert [(s.original, s.replacement) for s in result.swaps] == [
        ("He", "She"),
        ("her", "his"),
        ("brother", "sister"),
        ("his", "her"),
    ]
    for s in result.swaps:
        assert text[s.start : s.end] == s.original
        assert result.text[s.new_start : s.new_end] == s.replacement
    assert result.describe()[0] == "'He' -> 'She' (pronoun) at 0"


def test_one_way_directions() -> None:
    to_f = gender_swapper("to_female")
    assert to_f.swap("He and she saw his dog.").text == "She and she saw her dog."
    to_m = gender_swapper("to_male")
    assert to_m.swap("He and she saw her dog.").text == "He and he saw his dog."


def test_to_neutral_fixes_agreement() -> None:
    neutral = gender_swapper("to_neutral")
    result = neutral.swap("He is late and she was tired; he's here. She has her keys, I told her.")
    assert result.text == (
        "They are late and they were tired; they're here. They have their keys, I told them."
    )


def test_bad_direction_names_the_parameter() -> None:
    with pytest.raises(InvalidParameterError, match="'direction' parameter of gender_swapper"):
        gender_swapper("sideways")  # type: ignore[arg-type]


def test_identity_and_plain_swappers() -> None:
    s = identity_swapper("gay", "straight")
    assert s.swap("I am a gay man. Gay rights. Gaylord.").text == (
        "I am a straight man. Straight rights. Gaylord."
    )
    multi = term_swapper({"native american": "middle eastern"})
    assert multi.swap("A Native  American author").text == "A Middle Eastern author"


def test_callable_rule_and_longest_match() -> None:
    rules = [
        SwapRule("new york", "Boston", "place"),
        SwapRule("new", "old", "adj"),
        SwapRule("it", lambda text, end: "that" if text[end:].startswith("!") else "this", "x"),
    ]
    s = TermSwapper(rules)
    assert s.swap("new New York it it!").text == "old Boston this that!"
    with pytest.raises(InvalidParameterError):
        TermSwapper([SwapRule("  ", "x", "y")])
    assert TermSwapper([]).swap("anything").text == "anything"
