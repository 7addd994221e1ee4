"""Model adapters: run a model over the audit data, in batches, through a crash-safe cache.

::

    from equilens.adapters import load_adapter, predict_frame

    adapter = load_adapter({"kind": "sklearn", "path": "model.skops"})
    run = predict_frame(adapter, df, cache="~/.cache/equilens/outputs.sqlite")
    run.frame            # df + y_pred + y_score
    run.record()         # what the model was and what the run did, for the audit log

Adapters (``kind``): ``precomputed``, ``sklearn``, ``callable``, ``onnx``, ``huggingface``,
``spacy``, ``openai``. Heavy libraries are imported only by the adapter that needs them.
"""

from equilens.adapters._asr import (
    AudioError,
    Transcriber,
    TranscriptionRun,
    WhisperTranscriber,
    check_workers,
    load_audio,
    transcribe_files,
    whisper_tiny_en_path,
)
from equilens.adapters._base import (
    TASKS,
    AdapterCallError,
    AdapterSpec,
    BaseAdapter,
    GenerationSettings,
    MissingDependencyError,
    ModelAdapter,
    ModelOutputError,
    PartialBatchError,
    PickleLoadWarning,
    Task,
    UnsupportedTaskError,
)
from equilens.adapters._cache import OutputCache, default_cache_path
from equilens.adapters._callable import CallableAdapter
from equilens.adapters._huggingface import quiet_loading
from equilens.adapters._image import (
    CallableImageClassifier,
    ImageClassifier,
    ImagePredictions,
    OnnxImageClassifier,
    TorchImageClassifier,
    predict_images,
)
from equilens.adapters._precomputed import PrecomputedAdapter
from equilens.adapters._registry import AdapterEntry, adapters, load_adapter, register_adapter
from equilens.adapters._runner import (
    AdapterRun,
    BatchResult,
    ProgressCallback,
    RowError,
    predict_frame,
    progress_bar,
    run_adapter,
)
from equilens.adapters._shipped import SMOLLM2_FILE, smollm2_spec
from equilens.adapters._sklearn import SklearnAdapter
from equilens.adapters._spec import RUN_KEYS, check_model_spec, run_model_spec

__all__ = [
    "RUN_KEYS",
    "SMOLLM2_FILE",
    "TASKS",
    "AdapterCallError",
    "AdapterEntry",
    "AdapterRun",
    "AdapterSpec",
    "AudioError",
    "BaseAdapter",
    "BatchResult",
    "CallableAdapter",
    "CallableImageClassifier",
    "GenerationSettings",
    "ImageClassifier",
    "ImagePredictions",
    "MissingDependencyError",
    "ModelAdapter",
    "ModelOutputError",
    "OnnxImageClassifier",
    "OutputCache",
    "PartialBatchError",
    "PickleLoadWarning",
    "PrecomputedAdapter",
    "ProgressCallback",
    "RowError",
    "SklearnAdapter",
    "Task",
    "TorchImageClassifier",
    "Transcriber",
    "TranscriptionRun",
    "UnsupportedTaskError",
    "WhisperTranscriber",
    "adapters",
    "check_model_spec",
    "check_workers",
    "default_cache_path",
    "load_adapter",
    "load_audio",
    "predict_frame",
    "predict_images",
    "progress_bar",
    "quiet_loading",
    "register_adapter",
    "run_adapter",
    "run_model_spec",
    "smollm2_spec",
    "transcribe_files",
    "whisper_tiny_en_path",
]
