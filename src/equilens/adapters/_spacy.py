"""spaCy pipelines with a text categorizer (``textcat`` / ``textcat_multilabel``).

``predict`` gives the category with the highest score; ``predict_proba`` the score of the
positive category (``doc.cats[positive_label]``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from equilens.adapters._base import (
    BaseAdapter,
    check_keys,
    directory_sha256,
    lazy_import,
    library_versions,
    one_line,
    resolve_path,
)
from equilens.adapters._inputs import as_texts
from equilens.exceptions import InvalidInputError, InvalidParameterError

__all__ = ["SpacyAdapter"]

_SPEC_KEYS = {"path", "package", "positive_label", "text_column"}
_POSITIVE_NAMES = ("POS", "POSITIVE", "positive", "pos", "Positive")


class SpacyAdapter(BaseAdapter):
    """A spaCy pipeline whose text categorizer is the model.

    Parameters
    ----------
    path:
        A pipeline directory (what ``nlp.to_disk`` writes).
    package:
        Or the name of an installed pipeline package (e.g. ``en_core_web_sm``).
    positive_label:
        The category whose score is ``predict_proba``; default: ``POS``/``POSITIVE`` when the
        categorizer has one, else required for ``predict_proba``.
    text_column:
        The column of a table that holds the texts.
    """

    kind = "spacy"
    spec_keys = frozenset(_SPEC_KEYS)
    input_kind = "text"
    default_batch_size = 256

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        package: str | None = None,
        positive_label: str | None = None,
        text_column: str = "text",
    ) -> None:
        if (path is None) == (package is None):
            raise InvalidParameterError(
                "The spacy model adapter needs exactly one of 'path' (a pipeline directory) or "
                "'package' (an installed pipeline package)."
            )
        spacy = lazy_import("spacy", adapter="spacy", extra="spacy")
        self.path = None if path is None else Path(path)
        self.package = package
        if self.path is not None:
            if not self.path.exists():
                raise InvalidInputError(f"spaCy pipeline '{self.path}' does not exist.")
            if not (self.path / "config.cfg").is_file():
                raise InvalidInputError(
                    f"'{self.path}' is not a spaCy pipeline directory (it has no config.cfg)."
                )
        target = str(self.path) if self.path is not None else str(package)
        try:
            self.nlp = spacy.load(target)
        except Exception as exc:
            raise InvalidInputError(
                f"spaCy pipeline '{target}' could not be loaded: {one_line(exc)}"
            ) from None
        labels: list[str] = []
        for name in ("textcat", "textcat_multilabel"):
            if self.nlp.has_pipe(name):
                labels = [str(label) for label in self.nlp.get_pipe(name).labels]
                break
        if not labels:
            raise InvalidInputError(
                f"spaCy pipeline '{target}' has no text categorizer (pipes: "
                f"{', '.join(self.nlp.pipe_names)}); the spacy adapter audits text classifiers."
            )
        self.labels = labels
        if positive_label is None:
            positive_label = next((p for p in _POSITIVE_NAMES if p in labels), None)
        elif positive_label not in labels:
            raise InvalidParameterError(
                "The 'positive_label' parameter of the spacy model adapter must be one of the "
                f"pipeline's categories {labels}. Got {positive_label!r} instead."
            )
        self.positive_label = positive_label
        self.text_column = text_column
        caps: set[Any] = {"predict"}
        if positive_label is not None:
            caps.add("predict_proba")
        self.capabilities = frozenset(caps)
        self._digest: str | None = None

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], *, base_dir: Path | None) -> SpacyAdapter:
        """Build from ``{"path": ...}`` or ``{"package": ...}``."""
        check_keys("spacy model spec", spec, _SPEC_KEYS)
        options = dict(spec)
        path = options.pop("path", None)
        if path is not None:
            path = resolve_path(path, name="path", base_dir=base_dir, adapter=cls.kind)
        return cls(path, **options)

    def prepare_inputs(self, data: Any) -> list[str]:
        """The texts."""
        return as_texts(data, column=self.text_column, adapter=self.kind)

    def _cats(self, texts: Sequence[str]) -> list[dict[str, float]]:
        return [dict(doc.cats) for doc in self.nlp.pipe(list(texts))]

    def predict(self, inputs: Any) -> Sequence[Any]:
        """The highest-scoring category of each text."""
        return [max(cats, key=cats.__getitem__) for cats in self._cats(inputs)]

    def predict_proba(self, inputs: Any) -> Sequence[float]:
        """The positive category's score of each text."""
        if self.positive_label is None:
            raise InvalidParameterError(
                "The spacy model adapter needs 'positive_label' (one of "
                f"{self.labels}) to compute scores."
            )
        return [float(cats[self.positive_label]) for cats in self._cats(inputs)]

    def _model_dir(self) -> Path:
        if self.path is not None:
            return self.path
        spacy_util = lazy_import("spacy.util", adapter="spacy", extra="spacy")
        return Path(spacy_util.get_package_path(self.package))

    def _source(self) -> dict[str, Any]:
        if self.path is not None:
            return {"path": str(self.path)}
        return {"package": self.package}

    def _sha256(self) -> str | None:
        if self._digest is None:
            self._digest = directory_sha256(self._model_dir())
        return self._digest

    def _libraries(self) -> dict[str, str]:
        out = library_versions("spacy", "thinc")
        meta = getattr(self.nlp, "meta", {}) or {}
        out["pipeline"] = f"{meta.get('name', '?')} {meta.get('version', '?')}"
        return out

    def _settings(self) -> dict[str, Any]:
        return {
            "pipes": list(self.nlp.pipe_names),
            "labels": self.labels,
            "positive_label": self.positive_label,
            "text_column": self.text_column,
        }
