"""The shipped demo sentences: clean, distinct, and enough for the documented power plan."""

from __future__ import annotations

import re

from equilens.speech import units_for_gap
from equilens.speech._synth import demo_sentences

#: Per-sentence SDs of the linearised WER in the full accent demo (688 sentences;
#: docs/design/0019-speech-and-images.md, "Power"): the reference voice (en-us) and the
#: least steady of the voices on which Whisper does not loop (Lancastrian).
REFERENCE_SD, STEADY_SD = 0.200, 0.252


def test_sentences_are_plain_distinct_and_speakable() -> None:
    sentences = demo_sentences()
    assert len(sentences) == len(set(sentences))
    for s in sentences:
        assert re.fullmatch(r"[a-z']+( [a-z']+)*", s), s  # no digits, symbols or capitals
        assert 5 <= len(s.split()) <= 14, s
    # No near copies: two sentences share less than 60% of their distinct words.
    words = [set(s.split()) for s in sentences]
    for i, a in enumerate(words):
        for b in words[i + 1 :]:
            assert len(a & b) / len(a | b) < 0.6


def test_enough_sentences_for_a_five_point_gap_with_holm_over_seven_voices() -> None:
    needed = units_for_gap(0.05, STEADY_SD, reference_sd=REFERENCE_SD, comparisons=7)
    assert needed == 519
    assert len(demo_sentences()) >= needed
