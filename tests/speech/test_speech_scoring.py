"""Speech scoring: normalisation rules, per-utterance counts against jiwer, the audit path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.results import read_log, write_log
from equilens.speech import TextNormalisation, audit_speech, number_words, utterance_errors

jiwer = pytest.importorskip("jiwer")

WORDS = ["the", "a", "cat", "dog", "sat", "on", "mat", "ran", "fast", "blue", "red", "i'm"]
sentence = hs.lists(hs.sampled_from(WORDS), min_size=1, max_size=12).map(" ".join)
maybe_empty = hs.lists(hs.sampled_from(WORDS), min_size=0, max_size=12).map(" ".join)


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("Hello, World! It's 42.", "hello world it's forty two"),
        ("I paid $1,000 on the 21st.", "i paid one thousand on the twenty first"),
        ("3.5 well-known \u201cquotes\u201d", "three point five well known quotes"),
        ("The 2nd and 3rd; 105 people", "the second and third one hundred five people"),
        ("  MIXED   case\ttabs ", "mixed case tabs"),
        ("mp3 0_ 1.2.3 4'", "mp3 zero one point two three four"),
    ],
)
def test_default_normalisation(text: str, expect: str) -> None:
    assert TextNormalisation()(text) == expect


def test_normalisation_options_are_independent() -> None:
    assert TextNormalisation(numbers="keep")("Call 911, now") == "call 911 now"
    assert TextNormalisation(lowercase=False)("Call Bob") == "Call Bob"
    assert TextNormalisation(punctuation=False)("Hi, Bob.") == "hi, bob."
    with pytest.raises(InvalidParameterError, match="--numbers"):
        TextNormalisation(numbers="roman")  # type: ignore[arg-type]


def test_number_words_are_distinct_and_digit_free() -> None:
    spelled = [number_words(n) for n in range(0, 20_000, 7)]
    assert len(set(spelled)) == len(spelled)
    assert not any(ch.isdigit() for s in spelled for ch in s)
    assert number_words(1_234_567) == (
        "one million two hundred thirty four thousand five hundred sixty seven"
    )


NORMS = [TextNormalisation(), TextNormalisation(punctuation=False), TextNormalisation(False)]
TRICKY = hs.sampled_from("0123456789.,_'-aZ stndrh\u00e9\u0663")


@pytest.mark.parametrize("norm", NORMS)
def test_normalisation_is_idempotent(norm: TextNormalisation) -> None:
    @settings(max_examples=300, deadline=None)
    @given(hs.text(alphabet=TRICKY, max_size=30) | hs.text(max_size=40))
    def check(text: str) -> None:
        once = norm(text)
        assert norm(once) == once

    check()


@settings(max_examples=40, deadline=None)
@given(hs.lists(hs.tuples(sentence, maybe_empty), min_size=1, max_size=25))
def test_ratio_of_sums_equals_jiwer_corpus_wer_and_cer(pairs: list[tuple[str, str]]) -> None:
    refs = [r for r, _ in pairs]
    hyps = [h for _, h in pairs]
    e = utterance_errors(refs, hyps)
    assert e.word_errors.sum() / e.reference_words.sum() == pytest.approx(
        jiwer.wer(refs, hyps), rel=1e-12
    )
    assert e.char_errors.sum() / e.reference_chars.sum() == pytest.approx(
        jiwer.cer(refs, hyps), rel=1e-12
    )
    assert (e.word_errors == e.substitutions + e.deletions + e.insertions).all()
    assert (e.reference_words == [len(r.split()) for r in refs]).all()


def _manifest(n_speakers: int = 24, per: int = 5, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_speakers):
        accent = ["north", "south", "west"][s % 3]
        drop = {"north": 0.08, "south": 0.15, "west": 0.1}[accent] + rng.uniform(0, 0.1)
        for u in range(per):
            ref = " ".join(rng.choice(WORDS, size=int(rng.integers(3, 11))))
            hyp = " ".join(w for w in ref.split() if rng.random() > drop)
            rows.append(
                {
                    "audio": f"s{s}_{u}.wav",
                    "reference": ref.upper() + ".",
                    "hyp": hyp,
                    "speaker": f"s{s}",
                    "accent": accent,
                }
            )
    return pd.DataFrame(rows)


def test_audit_values_equal_jiwer_per_group_and_cluster_by_speaker(tmp_path: Path) -> None:
    df = _manifest()
    df.to_csv(tmp_path / "m.csv", index=False)
    res = audit_speech(tmp_path / "m.csv", groups=["accent"], hypothesis="hyp")
    norm = TextNormalisation()
    for acc in ("north", "south", "west", None):
        sub = df if acc is None else df[df.accent == acc]
        refs = [norm(t) for t in sub.reference]
        hyps = [norm(t) for t in sub.hyp]
        row = res.log.result("ratio_of_sums", {} if acc is None else {"accent": acc})
        assert row.value == pytest.approx(jiwer.wer(refs, hyps), rel=1e-12)
        assert row.ci_low is not None and row.ci_low < row.value < row.ci_high
        media = res.log.media
        assert media is not None
        cer = next(
            s for s in media.summaries if s.slice == ({} if acc is None else {"accent": acc})
        )
        assert cer.value == pytest.approx(jiwer.cer(refs, hyps), rel=1e-12)
        assert cer.units == sub.speaker.nunique()
    assert res.log.spec_resolved["task_cluster"]["units"] == 24
    # The log (with its media record) survives a write and a strict read.
    write_log(res.log, tmp_path / "a.json")
    assert read_log(tmp_path / "a.json").media == res.log.media


def test_skips_are_logged_with_reasons_and_fail_past_the_share() -> None:
    df = _manifest()
    df.loc[3, "reference"] = ""
    df.loc[7, "reference"] = "!!!"
    res = audit_speech(df, groups=["accent"], hypothesis="hyp", max_skip=0.05)
    media = res.log.media
    assert media is not None
    assert media.skipped_by_reason == {
        "no reference transcript": 1,
        "reference empty after normalisation": 1,
    }
    assert [s.row for s in media.skipped] == [3, 7]
    assert media.scored == len(df) - 2
    assert any("2 of 120 utterances skipped" in w for w in res.log.warnings)
    df.loc[:10, "reference"] = ""
    with pytest.raises(InvalidInputError, match=r"11 of 120 rows .*no reference transcript: 11"):
        audit_speech(df, groups=["accent"], hypothesis="hyp", max_skip=0.05)


def test_empty_hypothesis_counts_every_word_deleted() -> None:
    df = _manifest(per=2)
    df["hyp"] = ""
    res = audit_speech(df, groups=["accent"], hypothesis="hyp")
    assert res.log.result("ratio_of_sums").value == pytest.approx(1.0)


def test_missing_column_is_one_line() -> None:
    with pytest.raises(InvalidInputError, match=r"no column 'dialect' \(--group\)"):
        audit_speech(_manifest(), groups=["dialect"], hypothesis="hyp")
    with pytest.raises(InvalidParameterError, match="not both or neither"):
        audit_speech(_manifest(), groups=["accent"])


def test_worst_utterances_are_escaped_in_the_report(tmp_path: Path) -> None:
    from equilens.report import render_html

    df = _manifest(per=2)
    df.loc[0, "hyp"] = "<script>alert(1)</script>"
    res = audit_speech(
        df,
        groups=["accent"],
        hypothesis="hyp",
        normalisation=TextNormalisation(punctuation=False, numbers="keep"),
        notes=["synthetic voices"],
    )
    html = render_html(res.log)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'id="media"' in html and "synthetic voices" in html
    from equilens.report import render_markdown

    md = render_markdown(res.log)
    assert "### Speech" in md and "synthetic voices" in md and "character error rate" in md
    media = res.log.media
    assert media is not None and media.examples[0].value == max(
        e.value or 0 for e in media.examples
    )


@pytest.mark.parametrize(("gap", "sd", "m"), [(0.05, 0.2, 1), (0.05, 0.12, 7), (0.1, 0.3, 3)])
def test_units_for_gap_matches_statsmodels(gap: float, sd: float, m: int) -> None:
    power_mod = pytest.importorskip("statsmodels.stats.power")
    from equilens.speech import units_for_gap

    k = units_for_gap(gap, sd, comparisons=m)
    want = power_mod.TTestIndPower().solve_power(gap / sd, alpha=0.05 / m, power=0.8)
    assert k == int(np.ceil(want))


def test_unit_sd_is_the_ratio_interval_standard_error() -> None:
    from equilens.speech import design_effect, unit_sd

    df = _manifest(n_speakers=30, per=4, seed=3)
    e = utterance_errors(
        [TextNormalisation()(t) for t in df.reference], [TextNormalisation()(t) for t in df.hyp]
    )
    res = audit_speech(df, groups=["accent"], hypothesis="hyp")
    row = res.log.result("ratio_of_sums")
    sd = unit_sd(e.word_errors, e.reference_words, df.speaker)
    from scipy import stats

    half = stats.t.ppf(0.975, 29) * sd / np.sqrt(30)
    # The interval is on the log scale (errors are never negative): se(log WER) = se / WER.
    assert np.log(row.ci_high / row.ci_low) / 2 == pytest.approx(half / row.value, rel=1e-6)
    deff = design_effect(e.word_errors, e.reference_words, df.speaker)
    assert deff == pytest.approx(
        res.log.spec_resolved["task_cluster"]["design_effect"]["ratio_of_sums"], rel=1e-3
    )


def test_units_for_gap_with_a_reference_sd_reaches_the_power_of_welchs_test() -> None:
    """Simulated Welch tests at the planned K reach the asked power; equal SDs keep the
    pooled answer."""
    from scipy import stats

    from equilens.speech import units_for_gap

    assert units_for_gap(0.05, 0.2, reference_sd=0.2) == units_for_gap(0.05, 0.2)
    k = units_for_gap(0.05, 0.45, reference_sd=0.2, comparisons=7)
    assert k > units_for_gap(0.05, 0.2, comparisons=7)
    assert k < units_for_gap(0.05, 0.45, comparisons=7)  # not the larger SD twice
    rng = np.random.default_rng(11)
    reps = 2000
    a = rng.normal(0.05, 0.45, (reps, k))
    b = rng.normal(0.0, 0.2, (reps, k))
    p = stats.ttest_ind(a, b, axis=1, equal_var=False).pvalue
    power = float(np.mean(p < 0.05 / 7))
    assert 0.77 < power < 0.83  # MC SE 0.009 around 0.80
    a = rng.normal(0.05, 0.45, (reps, k // 2))
    b = rng.normal(0.0, 0.2, (reps, k // 2))
    p = stats.ttest_ind(a, b, axis=1, equal_var=False).pvalue
    assert float(np.mean(p < 0.05 / 7)) < 0.6  # half the units: clearly underpowered


def test_cli_prints_the_brief_summary_with_named_rows_and_show_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from equilens._cli.main import main

    df = _manifest(n_speakers=60, per=5, seed=4)
    df.loc[df.accent == "south", "hyp"] = df.loc[df.accent == "south", "hyp"].map(
        lambda t: " ".join(t.split()[::2])  # drop every other word: a clear gap
    )
    df.to_csv(tmp_path / "m.csv", index=False)
    argv = ["speech", "--manifest", str(tmp_path / "m.csv"), "--hypothesis", "hyp",
            "--group", "accent", "--reference", "accent=north",
            "--out", str(tmp_path / "o")]  # fmt: skip
    assert main(argv) == 0
    brief = capsys.readouterr().out
    assert brief.startswith("measure audit, 300 rows, 2 comparisons")
    assert "1. Word error rate, accent = south vs north" in brief
    assert "Ratio of sums" not in brief and "Metrics by group" not in brief
    assert main([*argv, "--show", "metrics"]) == 0
    shown = capsys.readouterr().out
    assert "Metrics by group" in shown and "WER" in shown
    assert main([*argv, "--quiet"]) == 0
    assert capsys.readouterr().out == ""
