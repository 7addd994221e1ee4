"""Local Hugging Face model directories (transformers): classification, fill-mask, generation.

Models are loaded from disk only (``local_files_only``); nothing is downloaded. A GGUF file
(e.g. a llama.cpp quantised model) is loaded through transformers' GGUF support (needs the
``gguf`` and ``accelerate`` packages) and de-quantised to float32.

- ``text-classification``: ``predict`` is the label with the highest probability,
  ``predict_proba`` the softmax probability of ``positive_label``.
- ``fill-mask``: each text has one mask (the model's mask token, or ``{mask}``). ``generate``
  is the most likely filler; with ``targets`` (e.g. ``["he", "she"]``) ``predict`` is the more
  likely target and ``predict_proba`` the share of the first target,
  ``P(t0) / sum P(t)``, which is what a pronoun-bias probe compares.
- ``text-generation``: greedy decoding when ``temperature`` is 0; otherwise sampling from a
  generator seeded with ``seed`` before each prompt. Prompts are generated one at a time, so
  an output never depends on which prompts shared its batch (padding can change logits), which
  is what the per-row cache needs.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from equilens.adapters._base import (
    BaseAdapter,
    GenerationSettings,
    PartialBatchError,
    Task,
    check_keys,
    directory_sha256,
    file_sha256,
    lazy_import,
    library_versions,
    one_line,
    resolve_path,
)
from equilens.adapters._inputs import as_texts
from equilens.exceptions import InvalidInputError, InvalidParameterError

__all__ = ["HuggingFaceAdapter"]

HFTask = Literal["text-generation", "text-classification", "fill-mask"]
_HF_TASKS: tuple[HFTask, ...] = ("text-generation", "text-classification", "fill-mask")
_SPEC_KEYS = {
    "path",
    "task",
    "gguf_file",
    "positive_label",
    "targets",
    "chat",
    "text_column",
    "max_length",
    "threads",
    "device",
    "generation",
}
_POSITIVE_NAMES = ("POS", "POSITIVE", "positive", "pos", "Positive", "LABEL_1")
_CAPABILITIES: dict[HFTask, frozenset[Task]] = {
    "text-generation": frozenset({"generate"}),
    "text-classification": frozenset({"predict", "predict_proba"}),
    "fill-mask": frozenset({"generate", "predict"}),
}


def _hf(module: str) -> Any:
    return lazy_import(module, adapter="huggingface", extra="hf")


@contextlib.contextmanager
def quiet_loading() -> Iterator[None]:
    """Hide transformers' own progress bars while a model loads.

    The GGUF reader draws a plain ``tqdm`` bar that transformers' switch does not reach (it
    would print on a pipe and under ``--quiet``); it is silenced for the load as well.
    """
    hf_logging = _hf("transformers.utils.logging")
    was = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    gguf = _hf("transformers.modeling_gguf_pytorch_utils")
    bar = getattr(gguf, "tqdm", None)
    if bar is not None:
        gguf.tqdm = functools.partial(bar, disable=True)
    try:
        yield
    finally:
        if bar is not None:
            gguf.tqdm = bar
        if was:
            hf_logging.enable_progress_bar()


class HuggingFaceAdapter(BaseAdapter):
    """A transformers model in a local directory.

    Parameters
    ----------
    path:
        The model directory (``config.json`` + weights + tokenizer), or the directory of
        ``gguf_file``.
    task:
        ``text-generation``, ``text-classification`` or ``fill-mask``.
    gguf_file:
        A GGUF file name inside ``path``.
    positive_label:
        Classification: the label whose probability is the score (default: a ``POS`` /
        ``POSITIVE`` / ``LABEL_1`` label, else the last label).
    targets:
        Fill-mask: candidate fillers; enables ``predict_proba`` with two or more.
    chat:
        Generation: wrap each prompt in the tokenizer's chat template as a user message (with
        the settings' ``system_prompt`` first).
    text_column:
        The column of a table that holds the texts.
    max_length:
        Classification and fill-mask: longer texts are truncated to this many tokens.
    threads:
        torch intra-op threads (``torch.set_num_threads``; process-wide).
    device:
        A torch device, ``cpu`` by default.
    settings:
        Default generation settings.
    """

    kind = "huggingface"
    spec_keys = frozenset(_SPEC_KEYS)
    input_kind = "text"
    default_batch_size = 8

    def __init__(
        self,
        path: str | Path,
        *,
        task: HFTask = "text-generation",
        gguf_file: str | None = None,
        positive_label: str | None = None,
        targets: Sequence[str] | None = None,
        chat: bool = False,
        text_column: str = "text",
        max_length: int = 512,
        threads: int | None = None,
        device: str = "cpu",
        settings: GenerationSettings | Mapping[str, Any] | None = None,
    ) -> None:
        if task not in _HF_TASKS:
            raise InvalidParameterError(
                "The 'task' parameter of the huggingface model adapter must be a str among "
                f"{{{', '.join(repr(t) for t in _HF_TASKS)}}}. Got {task!r} instead."
            )
        if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1:
            raise InvalidParameterError(
                "The 'max_length' parameter of the huggingface model adapter must be an int in "
                f"the range [1, inf). Got {max_length!r} instead."
            )
        self.path = Path(path)
        self.task: HFTask = task
        self.gguf_file = gguf_file
        self.chat = bool(chat)
        self.text_column = text_column
        self.max_length = max_length
        self.device = device
        self.settings = GenerationSettings.from_mapping(settings)
        self._check_files()
        torch = _hf("torch")
        transformers = _hf("transformers")
        if threads is not None:
            torch.set_num_threads(int(threads))
        self._torch = torch
        kwargs: dict[str, Any] = {"local_files_only": True}
        if gguf_file is not None:
            kwargs["gguf_file"] = gguf_file
        auto = {
            "text-generation": transformers.AutoModelForCausalLM,
            "text-classification": transformers.AutoModelForSequenceClassification,
            "fill-mask": transformers.AutoModelForMaskedLM,
        }[task]
        try:
            with quiet_loading():
                self.tokenizer = transformers.AutoTokenizer.from_pretrained(
                    str(self.path), **kwargs
                )
                self.model = auto.from_pretrained(str(self.path), dtype=torch.float32, **kwargs).to(
                    device
                )
        except Exception as exc:
            raise InvalidInputError(
                f"'{self._file_or_dir()}' could not be loaded as a Hugging Face {task} model: "
                f"{one_line(exc)}"
            ) from None
        self.model.eval()
        caps = set(_CAPABILITIES[task])
        self.labels: list[str] = []
        self.positive_label = positive_label
        self._pos = -1
        self.targets: list[str] = []
        self._target_ids: list[int] = []
        if task == "text-classification":
            id2label = self.model.config.id2label
            self.labels = [str(id2label[i]) for i in range(len(id2label))]
            if positive_label is None:
                positive_label = next((p for p in _POSITIVE_NAMES if p in self.labels), None)
                positive_label = positive_label or self.labels[-1]
            elif positive_label not in self.labels:
                raise InvalidParameterError(
                    "The 'positive_label' parameter of the huggingface model adapter must be "
                    f"one of the model's labels {self.labels}. Got {positive_label!r} instead."
                )
            self.positive_label = positive_label
            self._pos = self.labels.index(positive_label)
        if task == "fill-mask":
            if self.tokenizer.mask_token is None:
                raise InvalidInputError(f"The tokenizer of '{self.path}' has no mask token.")
            if targets is not None:
                self.targets, self._target_ids = self._target_tokens(targets)
                if len(self.targets) >= 2:
                    caps.add("predict_proba")
        if task == "text-generation":
            if self.tokenizer.pad_token_id is None:
                self.tokenizer.pad_token = self.tokenizer.eos_token
            if self.chat and not getattr(self.tokenizer, "chat_template", None):
                raise InvalidParameterError(
                    f"The tokenizer of '{self._file_or_dir()}' has no chat template; set "
                    "chat: false."
                )
        self.capabilities = frozenset(caps)
        self._digest: str | None = None

    def _file_or_dir(self) -> Path:
        return self.path / self.gguf_file if self.gguf_file else self.path

    def _check_files(self) -> None:
        if not self.path.exists():
            raise InvalidInputError(f"Model directory '{self.path}' does not exist.")
        if not self.path.is_dir():
            raise InvalidInputError(
                f"'{self.path}' is not a directory; the huggingface adapter reads a model "
                "directory (and 'gguf_file' names a file inside it)."
            )
        if self.gguf_file is not None:
            if not (self.path / self.gguf_file).is_file():
                raise InvalidInputError(
                    f"Model file '{self.path / self.gguf_file}' does not exist."
                )
        elif not (self.path / "config.json").is_file():
            raise InvalidInputError(
                f"'{self.path}' is not a Hugging Face model directory (it has no config.json)."
            )

    def _target_tokens(self, targets: Sequence[str]) -> tuple[list[str], list[int]]:
        if isinstance(targets, str) or not all(isinstance(t, str) for t in targets):
            raise InvalidParameterError(
                "The 'targets' parameter of the huggingface model adapter must be a list of str. "
                f"Got {targets!r} instead."
            )
        ids = []
        for target in targets:
            got = self.tokenizer(target, add_special_tokens=False)["input_ids"]
            if len(got) != 1 or got[0] == self.tokenizer.unk_token_id:
                raise InvalidParameterError(
                    f"The fill-mask target {target!r} is not one token of the model's vocabulary "
                    f"(it is {len(got)} tokens)."
                )
            ids.append(int(got[0]))
        return list(targets), ids

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], *, base_dir: Path | None) -> HuggingFaceAdapter:
        """Build from ``{"path": ..., "task": ..., "gguf_file": ..., "generation": {...}}``."""
        check_keys("huggingface model spec", spec, _SPEC_KEYS)
        if "path" not in spec:
            raise InvalidParameterError(
                "The huggingface model spec needs a 'path' (a model directory)."
            )
        options = dict(spec)
        path = resolve_path(options.pop("path"), name="path", base_dir=base_dir, adapter=cls.kind)
        settings = options.pop("generation", None)
        return cls(path, **options, settings=settings)

    def prepare_inputs(self, data: Any) -> list[str]:
        """The texts."""
        return as_texts(data, column=self.text_column, adapter=self.kind)

    # --- classification -----------------------------------------------------------------------

    def _class_probs(self, texts: Sequence[str]) -> Any:
        torch = self._torch
        enc = self.tokenizer(
            list(texts),
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_tensors="pt",
        ).to(self.device)
        with torch.inference_mode():
            logits = self.model(**enc).logits
        return torch.softmax(logits.float(), dim=-1).cpu().numpy()

    # --- fill-mask ----------------------------------------------------------------------------

    def _mask_probs(self, texts: Sequence[str]) -> tuple[dict[int, Any], dict[int, BaseException]]:
        """Vocabulary probabilities at the mask of each valid text; errors for the others."""
        torch = self._torch
        mask = self.tokenizer.mask_token
        filled = [t.replace("{mask}", mask) for t in texts]
        errors: dict[int, BaseException] = {}
        valid = []
        for j, text in enumerate(filled):
            n = text.count(mask)
            if n != 1:
                errors[j] = ValueError(f"the text has {n} mask tokens ({mask}); one is needed")
            else:
                valid.append(j)
        probs: dict[int, Any] = {}
        if valid:
            enc = self.tokenizer(
                [filled[j] for j in valid],
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            ).to(self.device)
            with torch.inference_mode():
                logits = self.model(**enc).logits
            positions = (enc["input_ids"] == self.tokenizer.mask_token_id).nonzero()
            found = {int(r): int(c) for r, c in positions.tolist()}
            for row, j in enumerate(valid):
                if row not in found:
                    errors[j] = ValueError("the mask was cut off by truncation (max_length)")
                    continue
                probs[j] = torch.softmax(logits[row, found[row]].float(), dim=-1).cpu().numpy()
        return probs, errors

    def _fill(self, texts: Sequence[str], how: Literal["top", "target", "share"]) -> list[Any]:
        probs, errors = self._mask_probs(texts)
        out: list[Any] = [None] * len(texts)
        for j, p in probs.items():
            if how == "share":
                sel = p[self._target_ids]
                out[j] = float(sel[0] / sel.sum()) if sel.sum() > 0 else 0.0
            elif how == "target" and self.targets:
                out[j] = self.targets[int(p[self._target_ids].argmax())]
            else:
                out[j] = self.tokenizer.decode([int(p.argmax())]).strip()
        if errors:
            raise PartialBatchError(out, errors)
        return out

    # --- generation ---------------------------------------------------------------------------

    def _prompt_ids(self, prompt: str, settings: GenerationSettings) -> Any:
        if self.chat:
            text = self._prompt_text(prompt, settings)
            return self.tokenizer(text, add_special_tokens=False, return_tensors="pt")
        return self.tokenizer(prompt, return_tensors="pt")

    def _generate_one(self, prompt: str, settings: GenerationSettings) -> str:
        torch = self._torch
        transformers = _hf("transformers")
        enc = self._prompt_ids(prompt, settings).to(self.device)
        config: dict[str, Any] = {
            "max_new_tokens": settings.max_new_tokens,
            "do_sample": not settings.greedy,
            "pad_token_id": self.tokenizer.pad_token_id,
            "eos_token_id": self.model.generation_config.eos_token_id,
        }
        if not settings.greedy:
            config.update(temperature=float(settings.temperature), top_p=float(settings.top_p))
            torch.manual_seed(settings.seed)
        gen_config = transformers.GenerationConfig(**config)
        with torch.inference_mode():
            out = self.model.generate(**enc, generation_config=gen_config)
        new = out[0, enc["input_ids"].shape[1] :]
        text: str = self.tokenizer.decode(new, skip_special_tokens=True)
        return self._cut(text, settings)

    def generate_many(
        self, prompts: Sequence[str], k: int, settings: GenerationSettings | None = None
    ) -> list[list[str]]:
        """``k`` continuations of each prompt, all prompts in one forward pass per step.

        Prompts are left-padded into one batch and ``num_return_sequences=k`` samples each;
        the sampler is seeded with ``settings.seed``, so the same batch gives the same texts
        (a batch's texts depend on the whole batch: callers that cache per prompt must form
        batches the same way every time). Greedy settings give ``k`` identical texts.
        """
        if self.task != "text-generation":
            raise self._unsupported("generate")
        use = settings or self.settings
        torch = self._torch
        transformers = _hf("transformers")
        texts = [self._prompt_text(p, use) for p in prompts]
        side = self.tokenizer.padding_side
        self.tokenizer.padding_side = "left"
        try:
            enc = self.tokenizer(
                texts, return_tensors="pt", padding=True, add_special_tokens=not self.chat
            ).to(self.device)
        finally:
            self.tokenizer.padding_side = side
        config: dict[str, Any] = {
            "max_new_tokens": use.max_new_tokens,
            "do_sample": not use.greedy,
            # Greedy decoding gives one text per prompt (transformers refuses more); it is
            # repeated k times below.
            "num_return_sequences": 1 if use.greedy else k,
            "pad_token_id": self.tokenizer.pad_token_id,
            "eos_token_id": self.model.generation_config.eos_token_id,
        }
        if not use.greedy:
            config.update(temperature=float(use.temperature), top_p=float(use.top_p))
            torch.manual_seed(use.seed)
        with torch.inference_mode():
            out = self.model.generate(
                **enc, generation_config=transformers.GenerationConfig(**config)
            )
        new = out[:, enc["input_ids"].shape[1] :]
        decoded = self.tokenizer.batch_decode(new, skip_special_tokens=True)
        cut = [self._cut(t, use) for t in decoded]
        if use.greedy:
            return [[t] * k for t in cut]
        return [cut[i * k : (i + 1) * k] for i in range(len(prompts))]

    def _prompt_text(self, prompt: str, settings: GenerationSettings) -> str:
        if not self.chat:
            return prompt
        messages = []
        if settings.system_prompt:
            messages.append({"role": "system", "content": settings.system_prompt})
        messages.append({"role": "user", "content": prompt})
        text: str = self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, tokenize=False
        )
        return text

    @staticmethod
    def _cut(text: str, settings: GenerationSettings) -> str:
        for stop in settings.stop:
            at = text.find(stop)
            if at >= 0:
                text = text[:at]
        return text

    # --- tasks --------------------------------------------------------------------------------

    def predict(self, inputs: Any) -> Sequence[Any]:
        """Classification: the top label. Fill-mask: the likelier target (or top filler)."""
        if self.task == "text-classification":
            probs = self._class_probs(inputs)
            return [self.labels[int(i)] for i in probs.argmax(axis=1)]
        if self.task == "fill-mask":
            return self._fill(inputs, "target")
        raise self._unsupported("predict")

    def predict_proba(self, inputs: Any) -> Sequence[float]:
        """Classification: P(positive label). Fill-mask: P(first target) / P(any target)."""
        if self.task == "text-classification":
            return [float(v) for v in self._class_probs(inputs)[:, self._pos]]
        if self.task == "fill-mask" and len(self.targets) >= 2:
            return self._fill(inputs, "share")
        raise self._unsupported("predict_proba")

    def generate(
        self, prompts: Sequence[str], settings: GenerationSettings | None = None
    ) -> Sequence[str]:
        """Generation: one continuation per prompt. Fill-mask: the top filler."""
        if self.task == "fill-mask":
            return self._fill(prompts, "top")
        if self.task != "text-generation":
            raise self._unsupported("generate")
        use = settings or self.settings
        out: list[str] = []
        errors: dict[int, BaseException] = {}
        for j, prompt in enumerate(prompts):
            try:
                out.append(self._generate_one(prompt, use))
            except Exception as exc:
                out.append("")
                errors[j] = exc
        if errors:
            raise PartialBatchError(out, errors)
        return out

    # --- description --------------------------------------------------------------------------

    def _source(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": str(self.path)}
        if self.gguf_file:
            out["gguf_file"] = self.gguf_file
        return out

    def _sha256(self) -> str | None:
        if self._digest is None:
            if self.gguf_file:
                self._digest = file_sha256(self.path / self.gguf_file)
            else:
                self._digest = directory_sha256(self.path)
        return self._digest

    def _libraries(self) -> dict[str, str]:
        names = ["transformers", "torch", "tokenizers"]
        if self.gguf_file:
            names += ["gguf", "accelerate"]
        return library_versions(*names)

    def _settings(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "task": self.task,
            "architecture": type(self.model).__name__,
            "text_column": self.text_column,
            "device": self.device,
        }
        if self.task == "text-classification":
            out.update(labels=self.labels, positive_label=self.positive_label)
        if self.task in ("text-classification", "fill-mask"):
            out["max_length"] = self.max_length
        if self.task == "fill-mask":
            out["targets"] = self.targets
        if self.task == "text-generation":
            out["chat"] = self.chat
        return out
