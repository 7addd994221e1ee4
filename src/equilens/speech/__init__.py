"""Speech recognition audits: word and character error rates by group, clustered by speaker.

::

    from equilens.adapters import WhisperTranscriber
    from equilens.speech import audit_speech

    result = audit_speech("manifest.csv", groups=["accent"], transcriber=WhisperTranscriber())
    result.log          # WER per accent with intervals, tests, worst utterances, skipped files

See ``docs/speech-and-images.md`` and ``docs/design/0019-speech-and-images.md``.
"""

from equilens.speech._normalise import TextNormalisation, number_words
from equilens.speech._power import design_effect, unit_sd, units_for_gap
from equilens.speech._run import SYNTHETIC_NOTE, SpeechAudit, audit_speech
from equilens.speech._score import ERROR_COLUMNS, utterance_errors

__all__ = [
    "ERROR_COLUMNS",
    "SYNTHETIC_NOTE",
    "SpeechAudit",
    "TextNormalisation",
    "audit_speech",
    "design_effect",
    "number_words",
    "unit_sd",
    "units_for_gap",
    "utterance_errors",
]
