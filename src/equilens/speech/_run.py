"""The speech audit: manifest -> transcripts -> per-utterance errors -> WER and CER by group.

Word and character error rates are ratios of sums (errors over reference words or
characters), audited by the ``measure`` task with the speaker as the cluster, so every
interval and test counts speakers, not utterances (a speaker's utterances share a voice and
are not independent). The WER audit is the log; the CER audit's per-group intervals and
adjusted p values are kept in its ``media`` record (and its own log is returned too).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from equilens.adapters import OutputCache, Transcriber, TranscriptionRun, transcribe_files
from equilens.audit import audit
from equilens.exceptions import InvalidParameterError
from equilens.media import Skips, cell, check_columns, read_manifest, resolve_path
from equilens.results import AuditLog, MediaExample, MediaRecord, MediaSummary
from equilens.speech._normalise import TextNormalisation
from equilens.speech._score import utterance_errors

__all__ = ["SYNTHETIC_NOTE", "SpeechAudit", "audit_speech"]

#: What an audit of synthesised accents measures; the report states it.
SYNTHETIC_NOTE = (
    "These utterances were synthesised (espeak-ng voices): the audit measures the recogniser's "
    "robustness to the synthesiser's accent rules, not its accuracy for real speakers of "
    "these accents."
)


@dataclass
class SpeechAudit:
    """The WER log (with the media record), the CER log and the per-utterance table."""

    log: AuditLog
    cer_log: AuditLog
    utterances: pd.DataFrame
    transcription: TranscriptionRun | None = None
    skipped: dict[str, int] = field(default_factory=dict)


def _hypotheses(
    df: pd.DataFrame,
    rows: list[int],
    paths: dict[int, Path],
    hypothesis: str | None,
    transcriber: Transcriber | None,
    cache: OutputCache | None,
    skips: Skips,
    audio: str,
    progress: Callable[[int, int], None] | None,
) -> tuple[dict[int, str], TranscriptionRun | None]:
    if hypothesis is not None:
        return {i: cell(df, i, hypothesis) for i in rows}, None
    assert transcriber is not None
    run = transcribe_files(transcriber, [paths[i] for i in rows], cache=cache, progress=progress)
    out: dict[int, str] = {}
    for i in rows:
        key = str(paths[i])
        if key in run.failed:
            skips.add(i, cell(df, i, audio), run.failed[key])
        else:
            out[i] = run.transcripts[key]
    return out, run


def _worst(frame: pd.DataFrame, groups: Sequence[str], k: int) -> list[MediaExample]:
    order = frame.sort_values(
        ["utterance_wer", "word_errors", "row"], ascending=[False, False, True], kind="stable"
    )
    out = []
    for _, r in order.head(k).iterrows():
        if r["word_errors"] == 0:
            break
        out.append(
            MediaExample(
                id=str(r["file"]),
                slice={g: str(r[g]) for g in groups},
                reference=str(r["reference_text"]),
                hypothesis=str(r["hypothesis_text"]),
                value=float(r["utterance_wer"]),
                detail=(
                    f"{int(r['substitutions'])} substituted, {int(r['deletions'])} deleted, "
                    f"{int(r['insertions'])} inserted of {int(r['reference_words'])} words"
                ),
            )
        )
    return out


def _units(frame: pd.DataFrame, slc: dict[str, str], speaker: str | None) -> int:
    mask = np.ones(len(frame), dtype=bool)
    for k, v in slc.items():
        mask &= frame[k].astype(str).to_numpy() == v
    return int(frame.loc[mask, speaker].nunique()) if speaker else int(mask.sum())


def _summaries(
    log: AuditLog, measure: str, frame: pd.DataFrame, speaker: str | None
) -> list[MediaSummary]:
    adjusted = {tuple(sorted(c.slice.items())): c.p_holm for c in log.comparisons if c.in_family}
    return [
        MediaSummary(
            measure=measure,
            slice=dict(r.slice),
            value=r.value,
            ci_low=r.ci_low,
            ci_high=r.ci_high,
            units=_units(frame, dict(r.slice), speaker),
            p_value_adjusted=adjusted.get(tuple(sorted(r.slice.items()))),
        )
        for r in log.results
    ]


def audit_speech(
    manifest: str | Path | pd.DataFrame,
    *,
    groups: Sequence[str],
    audio: str = "audio",
    reference: str = "reference",
    speaker: str | None = "speaker",
    hypothesis: str | None = None,
    transcriber: Transcriber | None = None,
    normalisation: TextNormalisation | None = None,
    max_skip: float = 0.05,
    cache: OutputCache | None = None,
    base_dir: str | Path | None = None,
    worst: int = 10,
    intersections: bool = False,
    reference_group: Mapping[str, str] | None = None,
    min_group_size: int = 30,
    seed: int = 0,
    notes: Sequence[str] = (),
    progress: Callable[[int, int], None] | None = None,
) -> SpeechAudit:
    """Word and character error rates per group, clustered by speaker.

    Parameters
    ----------
    manifest:
        A CSV / JSONL / Parquet path or a DataFrame: one row per utterance with the audio
        path, the reference transcript, the speaker and the group columns.
    groups:
        Group columns (accent, gender, age band, ...).
    hypothesis:
        A column of precomputed transcripts (then no audio is read and ``transcriber`` is not
        needed); an empty cell is an empty transcript (every word deleted).
    transcriber:
        A :class:`~equilens.adapters.Transcriber` (e.g. ``WhisperTranscriber()``).
    normalisation:
        Applied to references and hypotheses alike (default: lower case, no punctuation,
        numbers as words).
    max_skip:
        Largest share of rows that may be skipped (no transcript, unreadable or silent audio)
        before the run fails.
    reference_group:
        Reference group per group column (default: the largest group).
    speaker:
        The cluster column (None: utterances are treated as independent; the log warns if
        the errors look serially correlated).
    """
    if (hypothesis is None) == (transcriber is None):
        raise InvalidParameterError(
            "The speech audit needs either a transcriber (--asr) or a column of precomputed "
            "transcripts (--hypothesis), not both or neither."
        )
    if not groups:
        raise InvalidParameterError("The speech audit needs at least one group column (--group)")
    norm = normalisation or TextNormalisation()
    if isinstance(manifest, pd.DataFrame):
        df = manifest.astype(object).where(manifest.notna(), "").astype(str)
        df = df.reset_index(drop=True)
        base = Path(base_dir) if base_dir is not None else Path.cwd()
        source = "DataFrame"
    else:
        df = read_manifest(manifest)
        base = Path(base_dir) if base_dir is not None else Path(manifest).parent
        source = str(manifest)
    audio_col = audio if hypothesis is None or audio in df.columns else None
    wanted = [
        ("--audio-column", audio_col),
        ("--reference-column", reference),
        ("--speaker", speaker),
        ("--hypothesis", hypothesis),
        *(("--group", g) for g in groups),
    ]
    check_columns(df, wanted, "speech")
    skips = Skips(total=len(df), max_skip=max_skip)

    def file_of(i: int) -> str:
        return cell(df, i, audio_col) if audio_col else f"row {i}"

    rows: list[int] = []
    for i in range(len(df)):
        if not cell(df, i, reference).strip():
            skips.add(i, file_of(i), "no reference transcript")
        elif hypothesis is None and not cell(df, i, audio).strip():
            skips.add(i, f"row {i}", "no audio path")
        else:
            rows.append(i)
    paths = {i: resolve_path(cell(df, i, audio), base) for i in rows} if hypothesis is None else {}
    hyps, run = _hypotheses(df, rows, paths, hypothesis, transcriber, cache, skips, audio, progress)
    kept, refs_n, hyps_n = [], [], []
    for i in rows:
        if i not in hyps:
            continue
        ref = norm(cell(df, i, reference))
        if not ref:
            skips.add(i, file_of(i), "reference empty after normalisation")
            continue
        kept.append(i)
        refs_n.append(ref)
        hyps_n.append(norm(hyps[i]))
    skips.check()
    errors = utterance_errors(refs_n, hyps_n)
    frame = (
        pd.DataFrame(
            {
                "row": kept,
                "file": [file_of(i) for i in kept],
                **{g: df.loc[kept, g].to_numpy() for g in groups},
                **({speaker: df.loc[kept, speaker].to_numpy()} if speaker else {}),
                "reference_text": refs_n,
                "hypothesis_text": hyps_n,
            }
        )
    ).join(errors)
    common: dict[str, Any] = {
        "task": "measure",
        "sensitive_features": list(groups),
        "cluster": speaker,
        "intersections": intersections,
        "reference": dict(reference_group) if reference_group else None,
        "min_group_size": min_group_size,
        "seed": seed,
    }
    wer = audit(frame, numerator="word_errors", denominator="reference_words", **common)
    cer = audit(frame, numerator="char_errors", denominator="reference_chars", **common)
    settings: dict[str, Any] = {
        "normalisation": norm.record(),
        "word_error_rate": "ratio_of_sums(word_errors / reference_words), jiwer alignment",
        "character_error_rate": "ratio_of_sums(char_errors / reference_chars)",
        "cluster": speaker,
        "source": source,
    }
    if hypothesis is not None:
        settings["transcripts"] = f"precomputed column '{hypothesis}'"
    elif run is not None and transcriber is not None:
        settings["transcripts"] = transcriber.fingerprint()
        settings["transcribed"] = len(run.transcripts) - run.cached
        settings["cached"] = run.cached
        rtf = run.real_time_factor
        settings["real_time_factor"] = round(rtf, 3) if rtf is not None else None
    record = MediaRecord(
        kind="speech",
        inputs=len(df),
        scored=len(kept),
        max_skip=max_skip,
        skipped=sorted(skips.items, key=lambda s: s.row),
        skipped_by_reason=skips.by_reason(),
        settings=settings,
        notes=list(notes),
        examples=_worst(frame, groups, worst),
        summaries=_summaries(cer, "character_error_rate", frame, speaker),
    )
    extra = (
        [f"{len(skips.rows)} of {len(df)} utterances skipped: {skips.by_reason()}"]
        if skips.items
        else []
    )
    wer = wer.model_copy(update={"media": record, "warnings": [*wer.warnings, *extra]})
    return SpeechAudit(
        log=wer, cer_log=cer, utterances=frame, transcription=run, skipped=skips.by_reason()
    )
